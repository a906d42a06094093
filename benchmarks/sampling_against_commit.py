"""Cached sampling of this checkout against another commit, side by side.

Checks out `--rev` (default: the last commit before the one-pixel-step
protocol, 2cb1d15) into a temporary folder, then times cached sampling of
the same two models in both trees: the `mnist` preset (28x28x1, 2 levels)
and a Row LSTM at 32x32x3 with 256 levels (4 layers, h=24), batch 16, seed-0
weights and noise. Each round runs one fresh process per tree, the order
flipping from round to round so that a busy machine slows both alike; a
process warms its sampler up (tracing excluded) and reports the median of
`--runs` full images. The table gives, per model, the median over rounds
and the ratio this checkout / the other commit (below 1: this one faster).

Usage:

    python benchmarks/sampling_against_commit.py [--rev REV] [--rounds 3] [--runs 3]
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Runs in a fresh process with the tree to measure first on sys.path; works
# with the flat layout of the first release and with the current one.
CHILD = r"""
import json, os, statistics, sys, time
tree, runs = sys.argv[1], int(sys.argv[2])
sys.path.insert(0, tree)
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
import keras, numpy as np, tensorflow as tf
import keras_pixelrnn
assert os.path.abspath(keras_pixelrnn.__file__).startswith(os.path.abspath(tree)), keras_pixelrnn.__file__
try:
    from keras_pixelrnn.generation.sampling import sampler
    from keras_pixelrnn.models.pixel_rnn import build_pixel_rnn, build_preset
except ImportError:
    from keras_pixelrnn.sampling import sampler
    from keras_pixelrnn.model import build_pixel_rnn, build_preset
out = {}
for name, build in (
    ("mnist", lambda: build_preset("mnist")),
    ("row_lstm_32x32x3", lambda: build_pixel_rnn("row_lstm", (32, 32, 3), num_layers=4, hidden_units=24)),
):
    keras.utils.set_random_seed(0)
    model = build()
    shape = model.input_shape[1:]
    noise = np.random.default_rng(0).random((16,) + tuple(shape), np.float32)
    run = sampler(model, "cached")
    args = (tf.constant(noise), tf.zeros(noise.shape, tf.bool), tf.zeros(noise.shape, tf.int32), tf.constant(1.0))
    def rows(stop):
        return run.rows(run.init(16), *args, tf.constant(0), tf.constant(stop))[0].numpy()
    rows(1)
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        images = rows(shape[0])
        times.append(time.perf_counter() - start)
    out[name] = {"seconds": statistics.median(times), "checksum": int(images.astype(np.int64).sum())}
print("RESULT " + json.dumps(out))
"""


def measure(tree, runs):
    done = subprocess.run(
        [sys.executable, "-c", CHILD, tree, str(runs)], capture_output=True, text=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"),
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    raise RuntimeError(f"measuring {tree} failed:\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rev", default="2cb1d15", help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3, help="full images per process")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as other:
        subprocess.run(["git", "clone", "-q", "--no-checkout", ROOT, other], check=True)
        subprocess.run(["git", "-C", other, "checkout", "-q", args.rev], check=True)
        trees = {"this checkout": ROOT, args.rev: other}
        results = {label: [] for label in trees}
        for n in range(args.rounds):
            order = list(trees) if n % 2 == 0 else list(trees)[::-1]
            for label in order:
                results[label].append(measure(trees[label], args.runs))
    print(f"Cached sampling, batch 16, seconds: medians of {args.rounds} rounds "
          f"(each the median of {args.runs} images)")
    header = f"{'model':<20} {'this checkout':>14} {args.rev:>14} {'this / other':>13}  same images"
    print(header)
    print("-" * len(header))
    mine, theirs = results["this checkout"], results[args.rev]
    for model in mine[0]:
        a = statistics.median(r[model]["seconds"] for r in mine)
        b = statistics.median(r[model]["seconds"] for r in theirs)
        same = mine[0][model]["checksum"] == theirs[0][model]["checksum"]
        print(f"{model:<20} {a:>14.3f} {b:>14.3f} {a / b:>12.2f}x  {same}")


if __name__ == "__main__":
    main()
