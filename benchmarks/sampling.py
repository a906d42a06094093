"""Wall time of cached (fast) sampling against naive sampling, in one run.

Measures, for a batch of 16 images drawn from the same noise:

(a) the `mnist` preset (`build_preset("mnist")`: Diagonal BiLSTM, 7 layers,
    h=16, 28x28x1, 2 levels); target: cached at least 50x faster than naive;
(b) a Row LSTM at 32x32x3 with 256 levels
    (`build_pixel_rnn("row_lstm", (32, 32, 3), num_layers=4, hidden_units=24)`);
    target: cached at least 100x faster than naive;
(c) for both, `model.sample(16, seed=0)` as a user calls it: its first
    call (tracing included) and its later calls, against the traced sampler
    alone; target: a later call at most 1.2x;
(c') for both, cached sampling time as a multiple of ONE batched forward pass
    of the same model (a `tf.function` of `model(x)`, batch 16); target: at
    most 10x;
(d) how cached sampling time grows with the image size: the mnist-preset
    architecture rebuilt at 16, 28, 32 and 64 px square.

Every contender is built once with `sampling.sampler(model, method)` (the
sampler the model keeps, which `model.sample` uses) and
warmed up on ONE row (tracing and, with `jit_compile=True`, XLA compilation
are excluded and reported separately); then the full image is timed. The
forward pass, cached and cached-XLA sampling of one model (and, for (d), of
all sizes) are timed in `--repeats` interleaved rounds, the order flipping
from round to round, so that a busy machine slows them alike; the table
gives medians. Naive sampling (one full forward pass per sub-pixel:
H x W x C passes) is timed once over the full image.
With `--quick` naive is timed over its first `--naive-rows` rows only and
the full-image time is EXTRAPOLATED (each row costs the same W x C forward
passes); the table marks such figures with "~". Cached sampling is run with
`jit_compile=False` (the default) and `jit_compile=True` (XLA); an XLA
failure is reported with its error. The cached and naive images are compared
bit for bit wherever both cover the same rows, with the number of sub-pixels
that differ: the three compute the same distributions with their float
operations in different orders, so a draw whose noise falls within rounding
of a boundary between two values can come out differently.

The models keep their initial random weights (seed 0): the work per
sub-pixel does not depend on the weights.

Usage:

    TF_CPP_MIN_LOG_LEVEL=3 python benchmarks/sampling.py [--quick] [--json out.json]
        [--threads N]  # intra- and inter-op threads of TensorFlow (default: TF's own)
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

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

BATCH = 16


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="fewer repeats, naive timed on a few rows and extrapolated")
    parser.add_argument("--json", help="also write the results to this JSON file")
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed runs of cached sampling per model (default 5, --quick 2)")
    parser.add_argument("--naive-rows", type=int, default=2,
                        help="with --quick, naive rows to time before extrapolating (default 2)")
    parser.add_argument("--sizes", default="16,28,32,64",
                        help="image sizes of the scaling table (default 16,28,32,64)")
    parser.add_argument("--threads", type=int, default=None,
                        help="TensorFlow intra- and inter-op threads (default: TensorFlow's)")
    parser.add_argument("--no-xla", action="store_true", help="skip jit_compile=True")
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 2 if args.quick else 5
    return args


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


class Contender:
    """A sampler of one model, warmed up on one row, timed on the full image."""

    def __init__(self, model, method, jit_compile, noise):
        from keras_pixelrnn.generation import sampling

        self.height = model.input_shape[1]
        self.run = sampling.sampler(model, method, jit_compile=jit_compile)
        self.args = (
            tf.constant(noise), tf.zeros(noise.shape, tf.bool),
            tf.zeros(noise.shape, tf.int32), tf.constant(1.0),
        )
        self.warm_up_seconds, _ = timed(lambda: self.rows(1))
        self.times, self.images = [], None

    def rows(self, stop):
        state = self.run.rows(
            self.run.init(BATCH), *self.args, tf.constant(0), tf.constant(stop)
        )
        return state[0].numpy()

    def time_once(self):
        seconds, self.images = timed(lambda: self.rows(self.height))
        self.times.append(seconds)


class ModelSample:
    """`model.sample(BATCH, seed=0)`, as a user calls it: the first call
    (which traces the sampler the model keeps) and the later ones."""

    def __init__(self, model):
        self.model = model
        self.first_call_seconds, _ = timed(lambda: model.sample(BATCH, seed=0))
        self.times = []

    def time_once(self):
        seconds, _ = timed(lambda: self.model.sample(BATCH, seed=0))
        self.times.append(seconds)


class Forward:
    """One batched forward pass (`tf.function`), timed as the mean of 3 calls."""

    def __init__(self, model, noise):
        self.forward = tf.function(lambda x: model(x, training=False))
        self.x = tf.constant(np.floor(noise * model.output_shape[-1]))
        self.forward(self.x).numpy()
        self.times = []

    def time_once(self):
        seconds, _ = timed(lambda: [self.forward(self.x).numpy() for _ in range(3)])
        self.times.append(seconds / 3)


def run_rounds(contenders, rounds):
    """Times every contender once per round, the order flipping from round to
    round, so that a busy machine slows all of them alike."""
    for n in range(rounds):
        for contender in contenders if n % 2 == 0 else contenders[::-1]:
            contender.time_once()


def measure_model(name, model, args, log):
    height, width, colors = model.input_shape[1:]
    noise = np.random.default_rng(0).random((BATCH, height, width, colors), np.float32)
    result = {"model": name, "image_shape": [height, width, colors],
              "levels": int(model.output_shape[-1]), "parameters": model.count_params()}
    user_call = ModelSample(model)  # first: its first call traces
    forward = Forward(model, noise)
    cached = Contender(model, "cached", False, noise)
    contenders = [forward, cached, user_call]
    xla = None
    if not args.no_xla:
        try:
            xla = Contender(model, "cached", True, noise)
            contenders.append(xla)
        except Exception as error:  # report, do not hide, why XLA failed
            result["cached_xla_error"] = f"{type(error).__name__}: {str(error)[:500]}"
            log(f"  cached, XLA: FAILED: {result['cached_xla_error']}")
    run_rounds(contenders, args.repeats)

    result["forward_s"] = statistics.median(forward.times)
    log(f"  forward pass (batch {BATCH}): {result['forward_s']:.4f} s (runs {fmt(forward.times)})")
    result["cached_warm_up_s"] = cached.warm_up_seconds
    result["cached_s"], result["cached_runs_s"] = statistics.median(cached.times), cached.times
    log(f"  cached: {result['cached_s']:.3f} s (runs {fmt(cached.times)}; "
        f"trace + first row {cached.warm_up_seconds:.1f} s)")
    result["sample_first_call_s"] = user_call.first_call_seconds
    result["sample_call_s"] = statistics.median(user_call.times)
    result["sample_call_over_cached"] = result["sample_call_s"] / result["cached_s"]
    log(f"  model.sample({BATCH}, seed=0): first call {user_call.first_call_seconds:.2f} s, later "
        f"calls {result['sample_call_s']:.3f} s (runs {fmt(user_call.times)}) = "
        f"{result['sample_call_over_cached']:.2f}x the traced sampler alone")
    if xla is not None:
        result["cached_xla_warm_up_s"] = xla.warm_up_seconds
        result["cached_xla_s"], result["cached_xla_runs_s"] = statistics.median(xla.times), xla.times
        result["cached_xla_identical"] = bool(np.array_equal(xla.images, cached.images))
        result["cached_xla_differing"] = int(np.sum(xla.images != cached.images))
        log(f"  cached, XLA: {result['cached_xla_s']:.3f} s (runs {fmt(xla.times)}; trace + "
            f"compile + first row {xla.warm_up_seconds:.1f} s); identical to cached: "
            f"{result['cached_xla_identical']} ({result['cached_xla_differing']} of "
            f"{cached.images.size} sub-pixels differ)")

    naive = Contender(model, "naive", False, noise)
    result["naive_warm_up_s"] = naive.warm_up_seconds
    rows = min(args.naive_rows, height) if args.quick else height
    seconds, naive_images = timed(lambda: naive.rows(rows))
    result["naive_rows_timed"] = rows
    result["naive_extrapolated"] = rows < height
    result["naive_s"] = seconds * height / rows
    result["naive_identical"] = bool(np.array_equal(naive_images[:, :rows], cached.images[:, :rows]))
    result["naive_differing"] = int(np.sum(naive_images[:, :rows] != cached.images[:, :rows]))
    how = f"extrapolated from {rows} of {height} rows ({seconds:.1f} s)" if rows < height else "full image"
    log(f"  naive: {result['naive_s']:.1f} s ({how}); "
        f"identical to cached on those rows: {result['naive_identical']} "
        f"({result['naive_differing']} of {cached.images[:, :rows].size} sub-pixels differ)")

    result["speedup"] = result["naive_s"] / result["cached_s"]
    result["cached_over_forward"] = result["cached_s"] / result["forward_s"]
    if "cached_xla_s" in result:
        result["speedup_xla"] = result["naive_s"] / result["cached_xla_s"]
        result["cached_xla_over_forward"] = result["cached_xla_s"] / result["forward_s"]
    return result


def measure_scaling(args, log):
    from keras_pixelrnn.models.pixel_rnn import build_preset

    sizes = [int(s) for s in args.sizes.split(",")]
    entries, contenders = [], []
    for size in sizes:
        model = build_preset("mnist", image_shape=(size, size, 1))
        noise = np.random.default_rng(0).random((BATCH, size, size, 1), np.float32)
        entry = {"size": size, "runs": {"forward": Forward(model, noise),
                                        "cached": Contender(model, "cached", False, noise)}}
        if not args.no_xla:
            try:
                entry["runs"]["cached_xla"] = Contender(model, "cached", True, noise)
            except Exception as error:
                entry["cached_xla_error"] = f"{type(error).__name__}: {str(error)[:300]}"
        entries.append(entry)
        contenders += list(entry["runs"].values())
    run_rounds(contenders, args.repeats)
    for entry in entries:
        for key, contender in entry.pop("runs").items():
            entry[f"{key}_s"] = statistics.median(contender.times)
        log(f"  {entry['size']}x{entry['size']}: cached {entry['cached_s']:.3f} s"
            + (f", XLA {entry['cached_xla_s']:.3f} s" if "cached_xla_s" in entry else "")
            + f", forward {entry['forward_s']:.4f} s")
    return entries


def fmt(times):
    return ", ".join(f"{t:.3f}" for t in times)


def report(results, log):
    models, scaling, targets = results["models"], results["scaling"], results["targets"]
    log("")
    log(f"Sampling {BATCH} images, seconds (medians of {results['repeats']} interleaved rounds; "
        f"naive timed once; ~ = extrapolated)")
    header = (f"{'model':<24} {'forward':>8} {'naive':>9} {'cached':>8} {'XLA':>8} "
              f"{'naive/cached':>13} {'naive/XLA':>10} {'cached/fwd':>11} {'XLA/fwd':>8}")
    log(header)
    log("-" * len(header))
    for r in models:
        naive = ("~" if r["naive_extrapolated"] else "") + f"{r['naive_s']:.1f}"
        xla = f"{r['cached_xla_s']:.3f}" if "cached_xla_s" in r else "failed"
        log(f"{r['model']:<24} {r['forward_s']:>8.4f} {naive:>9} {r['cached_s']:>8.3f} {xla:>8} "
            f"{r['speedup']:>12.0f}x "
            + (f"{r['speedup_xla']:>9.0f}x " if "speedup_xla" in r else f"{'-':>10} ")
            + f"{r['cached_over_forward']:>10.1f}x "
            + (f"{r['cached_xla_over_forward']:>7.1f}x" if "cached_xla_over_forward" in r else f"{'-':>8}"))
    log("")
    log("Targets:")
    for line in targets:
        log(f"  {line}")
    log("")
    log(f"Cached sampling against image size (mnist architecture, batch {BATCH}):")
    header = (f"{'size':>6} {'pixels':>7} {'cached s':>9} {'ms/pixel':>9} {'XLA s':>8} "
              f"{'XLA ms/pixel':>13} {'forward s':>10} {'cached/fwd':>11}")
    log(header)
    log("-" * len(header))
    for e in scaling:
        pixels = e["size"] ** 2
        xla = e.get("cached_xla_s")
        log(f"{e['size']:>6} {pixels:>7} {e['cached_s']:>9.3f} {1e3 * e['cached_s'] / pixels:>9.3f} "
            + (f"{xla:>8.3f} {1e3 * xla / pixels:>13.3f} " if xla else f"{'-':>8} {'-':>13} ")
            + f"{e['forward_s']:>10.4f} {e['cached_s'] / e['forward_s']:>10.1f}x")
    log("")
    log(f"TensorFlow {tf.__version__}, {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, threads intra={tf.config.threading.get_intra_op_parallelism_threads()} "
        f"inter={tf.config.threading.get_inter_op_parallelism_threads()} (0 = TF's default), "
        f"load average before/after {results['load_before']} / {results['load_after']}")


def targets(models):
    lines = []
    goals = {"mnist": 50, "row_lstm_32x32x3": 100}
    for r in models:
        goal = goals[r["model"]]
        for key, label in (("speedup", "cached"), ("speedup_xla", "cached XLA")):
            if key in r:
                mark = "met" if r[key] >= goal else "MISSED"
                lines.append(f"{r['model']}: {label} {r[key]:.0f}x faster than naive, "
                             f"target >= {goal}x: {mark}")
        mark = "met" if r["sample_call_over_cached"] <= 1.2 else "MISSED"
        lines.append(f"{r['model']}: model.sample, second call = {r['sample_call_over_cached']:.2f}x "
                     f"the traced sampler, target <= 1.2x: {mark}")
        for key, label in (("cached_over_forward", "cached"), ("cached_xla_over_forward", "cached XLA")):
            if key in r:
                mark = "met" if r[key] <= 10 else "MISSED"
                lines.append(f"{r['model']}: {label} = {r[key]:.1f} forward passes, "
                             f"target <= 10: {mark}")
    return lines


def main(argv=None):
    args = parse_args(argv)
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    from keras_pixelrnn.models.pixel_rnn import build_pixel_rnn, build_preset

    log = print
    load_before = [round(x, 2) for x in os.getloadavg()]
    models = []
    keras.utils.set_random_seed(0)
    for name, build in (
        ("mnist", lambda: build_preset("mnist")),
        ("row_lstm_32x32x3", lambda: build_pixel_rnn(
            "row_lstm", (32, 32, 3), num_layers=4, hidden_units=24)),
    ):
        log(f"{name}:")
        models.append(measure_model(name, build(), args, log))
    log("scaling:")
    scaling = measure_scaling(args, log)
    results = {
        "batch": BATCH, "quick": args.quick, "repeats": args.repeats, "models": models,
        "scaling": scaling, "targets": targets(models), "load_before": load_before,
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "tensorflow": tf.__version__, "threads": args.threads,
    }
    report(results, log)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=2)
    return results


if __name__ == "__main__":
    main()
