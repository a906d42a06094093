"""Training-step throughput of the PixelRNN layers against what a Keras user would build.

Measures, interleaved in one run (every round times each contender once, the
order reversed from one round to the next, so that a noisy machine slows all
of them alike):

(a) `RowLSTM(32)` against `keras.layers.ConvLSTM1D(32, 3, padding="same",
    return_sequences=True)` run over the rows: the `(batch, H, W, C)` input
    read as `H` time steps of `W x C` one-dimensional images.
(b) `DiagonalBiLSTM(32)` against two `ConvLSTM1D(32, 2)`, one per direction,
    run over the columns of the skewed map (rows flipped so that the even
    kernel's 'same' padding reads the row above, not the row below), each
    output unskewed, the right-to-left one mirrored back, shifted down one row
    and added: the geometry of `DiagonalBiLSTM` built from stock layers (its
    input-to-state convolution has 2 taps where the paper's has 1).
(c) the FLOP rate of each layer's training step as a fraction of this
    machine's float32 matmul rate (a 2048 x 2048 `tf.matmul` in a
    `tf.function`, timed in the same rounds), for 32, 64 and 128 units.

A training step is the same for every contender: a `tf.function` (without and
with `jit_compile`) that runs the layer forward, takes the mean square of its
output as the loss, computes the gradients with respect to every weight AND
the input (as for a layer inside a stack), and applies plain SGD.

Speed-ups are the median over rounds of (their time / our time) within a
round, which cancels most of the drift of a shared machine; the ratios of the
medians and of the best times are printed too. The `cpu` column (process CPU
seconds per wall second; 2.0 means both cores were ours) tells how much of
the machine the run actually had.

FLOP counting (multiply-adds x 2, convolutions and matmuls only; the gate
non-linearities and element-wise products are not counted):

- input-to-state: `positions x taps x in_channels x 4 units`, where `taps`
  are the taps the convolution executes: `MaskedConv2D` skips the taps its
  mask zeroes (2 of the Row LSTM's 1 x 3), `ConvLSTM1D` runs all 3;
- state-to-state: `positions x taps x units x 4 units`;
- a training step: 3 x forward (backward = gradient w.r.t. the inputs +
  gradient w.r.t. the weights, each as costly as the forward).

Each ratio is printed with its ceiling: the ratio our layer would reach if
its step ran at 100% of the matmul rate (its FLOPs over the rate, the head
and the optimizer left out, so the true ceiling is lower), and the share of
the matmul rate that the target ratio needs. A target that needs more than
100% cannot be met by any implementation of the layer on that machine: the
stock layer is already that close to the machine's arithmetic limit.

`positions` is `H x W`: the useful work. A diagonal recurrence also steps
through the zero padding of the skewed map, `H x (W + H - 1)` positions per
direction; the `exec.` column counts those too.

`--fit` times what users run instead: each contender is a small Keras
model (the layer, then a 1x1 `Conv2D` head), compiled with Adam and a mean
square loss and trained with `model.fit` on a cached `tf.data` input of
`--fit-steps` steps per epoch; a measurement is the median of one epoch's
per-step times (timed by a callback), and the rounds interleave the
contenders as above. `--threads N` runs TensorFlow with N intra-op and N
inter-op threads: 1 thread makes a step closer to latency-bound, more threads
(or a larger batch) closer to compute-bound.

The `DiagonalBiLSTM` trains on the pixels only (its training loop skips the
skewed map's padding, see `skew.diagonal_bands`), so for it 'executed' equals
'useful'; the stock contender runs the whole skewed map.

Usage:

    TF_CPP_MIN_LOG_LEVEL=3 python benchmarks/layers.py [--quick] [--json out.json]
    TF_CPP_MIN_LOG_LEVEL=3 python benchmarks/layers.py --quick --fit --threads 1
"""

import argparse
import json
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")  # one tf.function per contender is the point here

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_pixelrnn import DiagonalBiLSTM, RowLSTM  # noqa: E402
from keras_pixelrnn.layers.skew import mirror, shift_down, skew, unskew  # noqa: E402


# ---------------------------------------------------------------- contenders


class RowConvLSTM(keras.layers.Layer):
    """ConvLSTM1D over the rows: time = image rows, each a `W x C` 1D image."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.rnn = keras.layers.ConvLSTM1D(
            units, 3, padding="same", return_sequences=True, name="conv_lstm"
        )

    def call(self, x):
        return self.rnn(x)


class DiagonalConvLSTM(keras.layers.Layer):
    """Two ConvLSTM1D (kernel 2) over the skewed map's columns, one per direction."""

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.directions = [
            keras.layers.ConvLSTM1D(
                units, 2, padding="same", return_sequences=True, name=name
            )
            for name in ("left_to_right", "right_to_left")
        ]

    def _direction(self, rnn, x):
        width = tf.shape(x)[2]
        # (B, H, T, C) -> time = skewed columns, space = rows, flipped so that
        # 'same' padding of the even kernel reads row r - 1, not r + 1.
        columns = tf.reverse(tf.transpose(skew(x), [0, 2, 1, 3]), [2])
        h = rnn(columns)
        return unskew(tf.transpose(tf.reverse(h, [2]), [0, 2, 1, 3]), width)

    def call(self, x):
        left = self._direction(self.directions[0], x)
        right = mirror(self._direction(self.directions[1], mirror(x)))
        return left + shift_down(right)


# ------------------------------------------------------------------ counting


def row_lstm_macs(units, channels, height, width, kernel_size=3):
    positions = height * width
    input_taps = kernel_size // 2 + 1  # the taps of the 1 x k mask-B kernel that run
    macs = positions * (input_taps * channels + kernel_size * units) * 4 * units
    return {"useful": macs, "executed": macs}


def conv_lstm_rows_macs(units, channels, height, width, kernel_size=3):
    macs = height * width * kernel_size * (channels + units) * 4 * units
    return {"useful": macs, "executed": macs}


def diagonal_bilstm_macs(units, channels, height, width):
    input_to_state = height * width * channels * 4 * units
    per_position = 2 * units * 4 * units
    useful = 2 * (input_to_state + height * width * per_position)
    return {"useful": useful, "executed": useful}  # training computes the pixels only


def conv_lstm_diagonal_macs(units, channels, height, width):
    per_position = 2 * (channels + units) * 4 * units
    return {
        "useful": 2 * height * width * per_position,
        "executed": 2 * height * (width + height - 1) * per_position,
    }


# ------------------------------------------------------------------- timing


def make_train_step(layer, x, jit_compile):
    layer(x)
    variables = layer.trainable_variables
    learning_rate = tf.constant(1e-4)

    @tf.function(jit_compile=jit_compile)
    def step(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_mean(tf.square(layer(x, training=True)))
        *grads, grad_x = tape.gradient(loss, variables + [x])
        for variable, grad in zip(variables, grads):
            variable.assign_sub(learning_rate * grad)
        return loss + 0.0 * tf.reduce_sum(grad_x)

    return step


def make_matmul(size, seed=0):
    rng = np.random.default_rng(seed)
    a = tf.constant(rng.standard_normal((size, size)).astype("float32"))
    b = tf.constant(rng.standard_normal((size, size)).astype("float32"))

    @tf.function
    def matmul():
        return tf.matmul(a, b)

    return matmul


class Contender:
    """One thing to time: a callable, how many images (or FLOPs) one call does."""

    def __init__(self, name, fn, arg=None, images=0, flops=0, steps=1):
        self.name, self.fn, self.arg = name, fn, arg
        self.images, self.flops, self.steps = images, flops, steps
        self.seconds = []
        self.cpu_share = []  # process CPU seconds per wall second: 2.0 = both cores ours

    def warm_up(self, calls=2):
        for _ in range(calls):
            self._call()

    def _call(self):
        out = self.fn(self.arg) if self.arg is not None else self.fn()
        out.numpy()

    def time_once(self):
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(self.steps):
            self._call()
        wall = time.perf_counter() - start
        self.seconds.append(wall / self.steps)
        self.cpu_share.append((time.process_time() - cpu_start) / wall)

    @property
    def median_seconds(self):
        return statistics.median(self.seconds)

    @property
    def best_seconds(self):
        return min(self.seconds)


class StepTimer(keras.callbacks.Callback):
    """Per-step wall times of `fit`."""

    def on_train_batch_begin(self, batch, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter() - self._start)


class FitContender(Contender):
    """One `model.fit` epoch per measurement: the median of its step times."""

    def __init__(self, name, layer, x, jit_compile, steps, images=0, flops=0):
        super().__init__(name, None, images=images, flops=flops, steps=steps)
        inputs = keras.Input(x.shape[1:])
        outputs = keras.layers.Conv2D(1, 1, name="head")(layer(inputs))
        self.model = keras.Model(inputs, outputs)
        self.model.compile(keras.optimizers.Adam(1e-4), loss="mse", jit_compile=jit_compile)
        target = tf.zeros(x.shape[:-1] + (1,))
        self.data = tf.data.Dataset.from_tensors((x, target)).repeat(steps).cache()
        self.timer = StepTimer()

    def _epoch(self):
        self.timer.times = []
        self.model.fit(self.data, epochs=1, verbose=0, callbacks=[self.timer])
        return statistics.median(self.timer.times)

    def warm_up(self, calls=1):
        for _ in range(calls):
            self._epoch()

    def time_once(self):
        start, cpu_start = time.perf_counter(), time.process_time()
        self.seconds.append(self._epoch())
        self.cpu_share.append((time.process_time() - cpu_start) / (time.perf_counter() - start))


def run_rounds(contenders, rounds, log):
    for round_index in range(rounds):
        order = contenders if round_index % 2 == 0 else contenders[::-1]
        for contender in order:
            contender.time_once()
        log(
            f"  round {round_index + 1}/{rounds}: "
            + ", ".join(f"{c.name} {1e3 * c.seconds[-1]:.0f}" for c in contenders)
            + " (ms)"
        )


# -------------------------------------------------------------------- main


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="3 rounds, no jit, units 32 and 64")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--rounds", type=int, help="timing rounds (default 7, quick 3)")
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--size", type=int, default=28, help="image height = width")
    parser.add_argument("--channels", type=int, default=64, help="input channels")
    parser.add_argument(
        "--jit",
        choices=("off", "on", "both"),
        help="jit_compile of the train steps (default both; quick: off)",
    )
    parser.add_argument(
        "--flop-units",
        default="32,64,128",
        help="comma-separated units of the layers timed for part (c) (quick: first two)",
    )
    parser.add_argument("--fit", action="store_true",
                        help="time model.fit steps (Adam, a 1x1 Conv2D head) instead of bare train steps")
    parser.add_argument("--fit-steps", type=int, default=12, help="fit: steps per measured epoch")
    parser.add_argument("--threads", type=int, default=0,
                        help="intra-op and inter-op threads (default: TensorFlow's choice)")
    parser.add_argument(
        "--seconds",
        type=float,
        help="target wall time of one measurement (default 0.5, quick 0.25)",
    )
    return parser.parse_args(argv)


def build_contenders(args, x, jit_modes, flop_units, log):
    batch, size, channels = args.batch, args.size, args.channels
    matmul_size = 2048
    contenders = [Contender("matmul 2048", make_matmul(matmul_size), flops=2 * matmul_size**3)]
    contenders[0].meta = {"group": "peak", "jit_compile": False, "units": None}
    layers = []
    for jit_compile in jit_modes:
        layers += [
            ("a", jit_compile, 32, "RowLSTM(32)", RowLSTM, row_lstm_macs),
            ("a", jit_compile, 32, "ConvLSTM1D(32) rows", RowConvLSTM, conv_lstm_rows_macs),
            ("b", jit_compile, 32, "DiagonalBiLSTM(32)", DiagonalBiLSTM, diagonal_bilstm_macs),
            ("b", jit_compile, 32, "2x ConvLSTM1D(32) diag", DiagonalConvLSTM,
             conv_lstm_diagonal_macs),
        ]
        for units in flop_units:
            if units != 32:
                layers += [
                    ("c", jit_compile, units, f"RowLSTM({units})", RowLSTM, row_lstm_macs),
                    ("c", jit_compile, units, f"DiagonalBiLSTM({units})", DiagonalBiLSTM,
                     diagonal_bilstm_macs),
                ]
    for group, jit_compile, units, name, make, count in layers:
        macs = count(units, channels, size, size)
        if args.fit:
            contender = FitContender(
                name + (" +jit" if jit_compile else ""), make(units), x, jit_compile,
                args.fit_steps, images=batch, flops=3 * 2 * macs["useful"] * batch,
            )
            contender.executed_flops = 3 * 2 * macs["executed"] * batch
            contender.meta = {"group": group, "jit_compile": jit_compile, "units": units}
            contenders.append(contender)
            continue
        contender = Contender(
            name + (" +jit" if jit_compile else ""),
            make_train_step(make(units), x, jit_compile),
            x,
            images=batch,
            flops=3 * 2 * macs["useful"] * batch,
        )
        contender.executed_flops = 3 * 2 * macs["executed"] * batch
        contender.meta = {"group": group, "jit_compile": jit_compile, "units": units}
        contenders.append(contender)

    log("warming up (tracing and compiling every train step) ...")
    target = args.seconds or (0.25 if args.quick else 0.5)
    for contender in contenders:
        if isinstance(contender, FitContender):
            start = time.perf_counter()
            contender.warm_up()
            log(f"  {contender.name:<28} compile + 1 epoch {time.perf_counter() - start:5.1f} s, "
                f"{contender.steps} fit steps per measurement")
            continue
        start = time.perf_counter()
        contender.warm_up()
        once = time.perf_counter()
        contender.warm_up(1)
        seconds = time.perf_counter() - once
        contender.steps = max(1, round(target / seconds))
        log(
            f"  {contender.name:<28} compile+2 calls {once - start:5.1f} s, "
            f"then {1e3 * seconds:6.0f} ms/call -> {contender.steps} calls per measurement"
        )
    return contenders


def summarize(contenders, args, rounds, jit_modes, loads):
    matmul = contenders[0]
    peak = matmul.flops / matmul.median_seconds
    best_peak = matmul.flops / matmul.best_seconds
    results = {
        "config": {
            "batch": args.batch,
            "height": args.size,
            "width": args.size,
            "channels": args.channels,
            "rounds": rounds,
            "quick": args.quick,
            "mode": "fit" if args.fit else "train_step",
            "threads": args.threads or None,
            "tensorflow": tf.__version__,
            "keras": keras.__version__,
            "cpus": os.cpu_count(),
            "machine": platform.processor() or platform.machine(),
            "load_average_before_after": loads,
            "flop_counting": (
                "multiply-adds x 2 of the convolutions and matmuls (the taps executed: "
                "MaskedConv2D skips masked-out taps), train step = 3 x forward; 'useful' "
                "counts H x W positions, "
                "'executed' the skewed H x (W + H - 1) ones of the diagonal recurrences"
            ),
        },
        "matmul": {
            "size": 2048,
            "median_seconds": matmul.median_seconds,
            "gflops": peak / 1e9,
            "best_gflops": best_peak / 1e9,
            "cpu_share": statistics.median(matmul.cpu_share),
        },
        "layers": [],
        "ratios": [],
    }
    for contender in contenders[1:]:
        seconds = contender.median_seconds
        results["layers"].append(
            dict(
                contender.meta,
                name=contender.name,
                calls_per_measurement=contender.steps,
                median_step_ms=1e3 * seconds,
                best_step_ms=1e3 * contender.best_seconds,
                worst_step_ms=1e3 * max(contender.seconds),
                images_per_second=contender.images / seconds,
                step_gflop=contender.flops / 1e9,
                useful_gflops=contender.flops / seconds / 1e9,
                executed_gflops=contender.executed_flops / seconds / 1e9,
                fraction_of_matmul=contender.flops / seconds / peak,
                executed_fraction_of_matmul=contender.executed_flops / seconds / peak,
                best_fraction_of_best_matmul=contender.flops / contender.best_seconds / best_peak,
                cpu_share=statistics.median(contender.cpu_share),
            )
        )
    by_name = {c.name: c for c in contenders}
    targets = {"a": 2.0 if args.fit else 2.5, "b": 2.0}  # fit: the training-speed issue's targets
    for jit_compile in jit_modes:
        suffix = " +jit" if jit_compile else ""
        for group, ours, theirs in (
            ("a", "RowLSTM(32)", "ConvLSTM1D(32) rows"),
            ("b", "DiagonalBiLSTM(32)", "2x ConvLSTM1D(32) diag"),
        ):
            a, b = by_name[ours + suffix], by_name[theirs + suffix]
            per_round = [tb / ta for ta, tb in zip(a.seconds, b.seconds)]
            speedup = statistics.median(per_round)
            # The most any implementation of our layer could gain on theirs
            # here: its FLOPs done at the full matmul rate (the head and
            # the optimizer left out, so an upper bound), against their
            # measured step; and the share of that rate the target needs.
            fastest = a.flops / peak
            ceiling = b.median_seconds / fastest
            results["ratios"].append(
                {
                    "group": group,
                    "jit_compile": jit_compile,
                    "ours": a.name,
                    "theirs": b.name,
                    "speedup_median_of_rounds": speedup,
                    "speedup_of_medians": b.median_seconds / a.median_seconds,
                    "speedup_of_bests": b.best_seconds / a.best_seconds,
                    "per_round": per_round,
                    "target": targets[group],
                    "met": speedup >= targets[group],
                    "ceiling_at_matmul_rate": ceiling,
                    "target_needs_fraction_of_matmul": targets[group] / ceiling,
                }
            )
    return results


def report(results, log):
    matmul = results["matmul"]
    log("")
    log(
        f"float32 matmul 2048x2048 (tf.function): {matmul['gflops']:.1f} GFLOP/s median, "
        f"{matmul['best_gflops']:.1f} best, cpu {matmul['cpu_share']:.2f}"
    )
    log(
        "load average before/after: "
        + " / ".join(" ".join(f"{v:.1f}" for v in load) for load in
                     results["config"]["load_average_before_after"])
    )
    log("")
    header = (
        f"{('fit step (Adam)' if results['config']['mode'] == 'fit' else 'train step (fwd+bwd+SGD)'):<30}{'ms median':>10}{'best':>8}{'img/s':>8}"
        f"{'GFLOP/s':>9}{'of mm':>8}{'exec.':>8}{'best/best':>10}{'cpu':>6}"
    )
    log(header)
    log("-" * len(header))
    for row in results["layers"]:
        log(
            f"{row['name']:<30}{row['median_step_ms']:>10.1f}{row['best_step_ms']:>8.1f}"
            f"{row['images_per_second']:>8.0f}{row['useful_gflops']:>9.1f}"
            f"{100 * row['fraction_of_matmul']:>7.1f}%"
            f"{100 * row['executed_fraction_of_matmul']:>7.1f}%"
            f"{100 * row['best_fraction_of_best_matmul']:>9.1f}%"
            f"{row['cpu_share']:>6.2f}"
        )
    log("")
    log(
        "GFLOP/s and 'of mm' count useful work (H x W positions); 'exec.' also counts the "
        "padding of the skewed map;\n'best/best' = best step rate / best matmul rate; "
        "cpu = process CPU seconds per wall second (2.00 = both cores ours)."
    )
    log("")
    for ratio in results["ratios"]:
        log(
            f"({ratio['group']}) {ratio['ours']} vs {ratio['theirs']}: "
            f"{ratio['speedup_median_of_rounds']:.2f}x (median of per-round ratios; "
            f"of medians {ratio['speedup_of_medians']:.2f}x, of bests "
            f"{ratio['speedup_of_bests']:.2f}x) target {ratio['target']}x: "
            f"{'met' if ratio['met'] else 'MISSED'}"
        )
        log(
            f"    {ratio['target']}x needs {ratio['ours']} at "
            f"{100 * ratio['target_needs_fraction_of_matmul']:.0f}% of the matmul rate; at 100% "
            f"it would be {ratio['ceiling_at_matmul_rate']:.2f}x"
        )


def main(argv=None):
    args = parse_args(argv)
    if args.threads:  # before TensorFlow starts its runtime
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    rounds = args.rounds or (3 if args.quick else 7)
    jit = args.jit or ("off" if args.quick else "both")
    jit_modes = {"off": [False], "on": [True], "both": [False, True]}[jit]
    flop_units = [int(u) for u in args.flop_units.split(",") if u]
    if args.quick:
        flop_units = flop_units[:2]
    log = print

    log(
        f"TensorFlow {tf.__version__}, Keras {keras.__version__}, {os.cpu_count()} CPUs; "
        f"batch {args.batch}, {args.size}x{args.size}x{args.channels}; {rounds} rounds; "
        f"jit_compile {jit}; {'model.fit steps' if args.fit else 'bare train steps'}; "
        f"threads {args.threads or 'default'}"
    )
    keras.utils.set_random_seed(0)
    x = tf.constant(
        np.random.default_rng(0).standard_normal(
            (args.batch, args.size, args.size, args.channels)
        ),
        tf.float32,
    )
    contenders = build_contenders(args, x, jit_modes, flop_units, log)
    loads = [os.getloadavg()]
    log("timing (contenders alternate within each round) ...")
    run_rounds(contenders, rounds, log)
    loads.append(os.getloadavg())
    results = summarize(contenders, args, rounds, jit_modes, loads)
    report(results, log)
    if args.json:
        os.makedirs(os.path.dirname(os.path.abspath(args.json)), exist_ok=True)
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
        log(f"\nwrote {args.json}")
    return results


if __name__ == "__main__":
    main()
