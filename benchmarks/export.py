"""ONNX Runtime vs the TF SavedModel, side by side in one run.

    python benchmarks/export.py [--quick] [--models mnist,rgb]

For each model (the paper's `mnist` preset, a small RGB Row LSTM) it exports
the SavedModel (keras_pixelrnn.serving.write_saved_model, loaded back with
tf.saved_model.load) and converts the ONNX models (write_onnx, checked
against Keras), then times, interleaved round by round so that load from
other processes hits every contender alike, and prints medians:

* log_prob latency at batch 1 and throughput at batch 64: ONNX Runtime vs
  the SavedModel signature in TensorFlow;
* sample: the SavedModel `sample` signature and ONNX Runtime vs the
  in-process cached sampler, traced once (`sampler(model, "cached").rows`),
  and vs `sampling.generate(..., method="cached")` as a user calls it
  (which reuses the sampler kept with the model after its first call).
  The SavedModel is written with the portable defaults (one batch chain,
  TensorFlow's default executor for `sample`) and, for `sample`, also with
  `--single-threaded-sampler --implementation auto` ("TF-CPU"), the choice for
  a CPU-only server.

ONNX Runtime runs three ways: default SessionOptions ("ORT"), thread
spinning off ("ORT*", `export.onnx_session_options()`) and one intra-op
thread ("ORT1"); on a CPU shared with other processes this matters more than
the graph. Ratios TF/ORT > 1 mean ONNX Runtime is faster.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import keras  # noqa: E402
import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
import tensorflow as tf  # noqa: E402

from keras_pixelrnn import serving as export  # noqa: E402
from keras_pixelrnn.models.pixel_rnn import build_pixel_rnn, build_preset  # noqa: E402
from keras_pixelrnn.generation.sampling import generate, sampler  # noqa: E402

MODELS = {
    "mnist": lambda: build_preset("mnist"),
    "rgb": lambda: build_pixel_rnn(
        "row_lstm", (16, 16, 3), num_layers=2, hidden_units=12, levels=256, name="rgb"
    ),
}


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def interleaved(contenders, rounds, warmup=1):
    """{name: median seconds}, each round running every contender once."""
    for fn in contenders.values():
        for _ in range(warmup):
            fn()
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            times[name].append(_timed(fn))
    return {name: statistics.median(t) for name, t in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds, smaller sample batch")
    parser.add_argument("--models", default="mnist,rgb")
    parser.add_argument("--rounds", type=int)
    args = parser.parse_args(argv)
    rounds = args.rounds or (5 if args.quick else 20)
    sample_rounds = 2 if args.quick else 5
    sample_batch = 1 if args.quick else 4
    print(f"TensorFlow {tf.__version__}, ONNX Runtime {ort.__version__}, {os.cpu_count()} CPUs, "
          f"load average {os.getloadavg()[0]:.1f}; medians of {rounds} interleaved rounds "
          f"(sample: {sample_rounds}). ORT = default SessionOptions, ORT* = thread spinning off "
          "(export.onnx_session_options()), ORT1 = one intra-op thread")
    tmp = tempfile.mkdtemp(prefix="pixelrnn-bench-")
    table = []
    for name in args.models.split(","):
        keras.utils.set_random_seed(0)
        model = MODELS[name]()
        shape = model.input_shape[1:]
        levels = int(model.output_shape[-1])
        start = time.perf_counter()
        saved = tf.saved_model.load(export.write_saved_model(model, os.path.join(tmp, name)))
        exported = time.perf_counter() - start
        saved_cpu = tf.saved_model.load(export.write_saved_model(
            model, os.path.join(tmp, f"{name}-cpu"), sample_executor="SINGLE_THREADED_EXECUTOR",
            implementation="auto",
        ))
        ort_default, ort_tuned, ort_single, converted = {}, {}, {}, {}
        for signature in ("log_prob", "sample"):
            path = os.path.join(tmp, f"{name}-{signature}.onnx")
            start = time.perf_counter()
            export.write_onnx(model, path, signature)
            converted[signature] = time.perf_counter() - start
            ort_default[signature] = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
            ort_tuned[signature] = ort.InferenceSession(
                path, export.onnx_session_options(), providers=["CPUExecutionProvider"]
            )
            ort_single[signature] = ort.InferenceSession(
                path, export.onnx_session_options(threads=1), providers=["CPUExecutionProvider"]
            )
        print(f"\n{name}: images {shape}, {levels} levels, {model.count_params()} parameters. "
              f"SavedModel export {exported:.1f} s; ONNX conversion + checks: log_prob "
              f"{converted['log_prob']:.1f} s, sample {converted['sample']:.1f} s", flush=True)
        rng = np.random.default_rng(0)
        for batch in (1, 64):
            images = rng.integers(0, levels, (batch,) + shape).astype(np.uint8)
            tensor, fn = tf.constant(images), saved.signatures["log_prob"]
            fn_cpu = saved_cpu.signatures["log_prob"]
            got = interleaved(
                {
                    "TF": lambda: fn(images=tensor)["log_prob"].numpy(),
                    "TF-CPU": lambda: fn_cpu(images=tensor)["log_prob"].numpy(),
                    "ORT": lambda: ort_default["log_prob"].run(["log_prob"], {"images": images}),
                    "ORT*": lambda: ort_tuned["log_prob"].run(["log_prob"], {"images": images}),
                    "ORT1": lambda: ort_single["log_prob"].run(["log_prob"], {"images": images}),
                },
                rounds,
            )
            table.append((name, f"log_prob batch {batch}", batch, got))
            print(_line(*table[-1]), flush=True)
        noise = rng.random((sample_batch,) + shape, np.float32)
        tensor = tf.constant(noise)
        # The in-process cached sampler, traced once (what generate() runs
        # after its first call on a sampler object).
        run = sampler(model, "cached")
        fixed = (tf.zeros(noise.shape, tf.bool), tf.zeros(noise.shape, tf.int32), tf.constant(1.0))
        got = interleaved(
            {
                "TF": lambda: saved.signatures["sample"](noise=tensor)["images"].numpy(),
                "TF-CPU": lambda: saved_cpu.signatures["sample"](noise=tensor)["images"].numpy(),
                "ORT": lambda: ort_default["sample"].run(None, {"noise": noise}),
                "ORT*": lambda: ort_tuned["sample"].run(None, {"noise": noise}),
                "ORT1": lambda: ort_single["sample"].run(None, {"noise": noise}),
                "cached": lambda: run.rows(
                    run.init(sample_batch), tensor, *fixed, tf.constant(0), tf.constant(shape[0])
                )[0].numpy(),
                "generate()": lambda: generate(model, noise, method="cached"),
            },
            sample_rounds,
        )
        table.append((name, f"sample batch {sample_batch}", sample_batch, got))
        print(_line(*table[-1]), flush=True)
    print("\nSummary (ratio = TensorFlow time / ONNX Runtime time; > 1: ONNX Runtime faster)")
    for row in table:
        print(_line(*row))
    return 0


def _line(name, what, batch, got):
    cells = "  ".join(f"{k} {v * 1e3:.1f} ms" for k, v in got.items())
    ratios = ", ".join(f"TF/{k} {got['TF'] / got[k]:.2f}" for k in ("ORT", "ORT*", "ORT1"))
    if "cached" in got:
        ratios += (f"; vs in-process cached sampler: TF {got['TF'] / got['cached']:.2f}x, "
                   + (f"TF-CPU {got['TF-CPU'] / got['cached']:.2f}x, " if "TF-CPU" in got else "")
                   + f"ORT* {got['ORT*'] / got['cached']:.2f}x, "
                   f"generate() {got['generate()'] / got['cached']:.2f}x the time")
    else:
        ratios += (f"; TF/TF-CPU {got['TF'] / got['TF-CPU']:.2f}; images/s TF {batch / got['TF']:.0f}, "
                   f"ORT* {batch / got['ORT*']:.0f}")
    return f"{name:6} {what:16} {cells}  [{ratios}]"


if __name__ == "__main__":
    sys.exit(main())
