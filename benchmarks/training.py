"""End-to-end training speed: images per second of `keras-pixelrnn train`, against another commit.

Runs the command a user runs,

    keras-pixelrnn train --preset P --dataset mnist_5k --limit 512 --batch-size 16 --epochs 3 ...

for the `mnist`, `mnist_row_lstm` and `small` presets, in this checkout and
(with `--rev`) in another commit checked out into a temporary folder, one
fresh process per run, the two trees alternating and the order flipping
from round to round so that a busy machine slows both alike. A run's figure
is the median ms/step of its epochs after the first (the first traces the
graphs; validation and checkpoints are part of every epoch, as for a user);
the table gives the median over rounds, images/s, and the ratio of this
checkout to the other commit. It prints the machine's float32 matmul rate,
so that figures from different machines can be read together.

    python benchmarks/training.py --rev HEAD~1 --rounds 2
    python benchmarks/training.py --presets mnist --threads 1
"""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
STEP = re.compile(r"(\d+)/\1 - (\d+)s - (\d+)(ms|s)/step")
CHILD = r"""
import os, sys
tree = sys.argv[1]
sys.path.insert(0, tree)
threads = int(os.environ.get("BENCH_THREADS", "0"))
import tensorflow as tf
if threads:
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(threads)
import keras_pixelrnn
assert os.path.abspath(keras_pixelrnn.__file__).startswith(os.path.abspath(tree)), keras_pixelrnn.__file__
from keras_pixelrnn.cli import main
sys.exit(main(sys.argv[2:]))
"""


def epoch_step_ms(text):
    """The ms/step of every epoch but the first in `keras-pixelrnn train
    --verbose 2` output (the first traces the graphs).

    Keras prints a step of a second or more in whole seconds ("2s/step"):
    such a step is read from the epoch's time instead, whole seconds over
    all its steps."""
    steps = []
    for m in STEP.finditer(text):
        count, seconds, step, unit = int(m.group(1)), int(m.group(2)), int(m.group(3)), m.group(4)
        steps.append(step if unit == "ms" else 1000 * seconds / count)
    return steps[1:]


def matmul_gflops(size=2048, calls=10):
    import numpy as np
    import tensorflow as tf

    a = tf.constant(np.random.default_rng(0).standard_normal((size, size)).astype("float32"))
    f = tf.function(lambda: tf.matmul(a, a))
    f().numpy()
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        f().numpy()
        times.append(time.perf_counter() - start)
    return 2 * size**3 / statistics.median(times) / 1e9


def checkout(rev):
    folder = tempfile.mkdtemp(prefix="pixelrnn-rev-")
    archive = subprocess.run(["git", "-C", ROOT, "archive", rev], check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", folder], input=archive.stdout, check=True)
    return folder


def run(tree, preset, args, out):
    command = ["train", "--preset", preset, "--dataset", "mnist_5k", "--limit", str(args.limit),
               "--val-limit", "64", "--batch-size", str(args.batch_size), "--epochs", str(args.epochs),
               "--verbose", "2", "--seed", "0", "--out", out]
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", BENCH_THREADS=str(args.threads))
    result = subprocess.run([sys.executable, "-c", CHILD, tree, *command], cwd=tree, env=env,
                            capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"{preset} in {tree} failed:\n{result.stderr[-3000:]}")
    return statistics.median(epoch_step_ms(result.stdout))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rev", default=None, help="the commit to compare with (e.g. HEAD~1)")
    parser.add_argument("--presets", default="mnist,mnist_row_lstm,small")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--limit", type=int, default=512, help="training digits per epoch")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=0, help="intra- and inter-op threads")
    args = parser.parse_args(argv)
    trees = {"this checkout": ROOT}
    if args.rev:
        trees[args.rev] = checkout(args.rev)
    print(f"float32 matmul 2048x2048: {matmul_gflops():.0f} GFLOP/s; {os.cpu_count()} cores; "
          f"threads {args.threads or 'default'}; batch {args.batch_size}, {args.limit} digits per "
          f"epoch, {args.epochs} epochs per run", flush=True)
    out = tempfile.mkdtemp(prefix="pixelrnn-bench-train-")
    presets = args.presets.split(",")
    ms = {(p, t): [] for p in presets for t in trees}
    for r in range(args.rounds):
        for preset in presets:
            order = list(trees.items()) if r % 2 == 0 else list(trees.items())[::-1]
            for name, tree in order:
                value = run(tree, preset, args, os.path.join(out, f"{preset}-{r}-{len(ms[preset, name])}-{name[:4]}"))
                ms[preset, name].append(value)
                print(f"  round {r + 1}: {preset:15s} {name:14s} {value:5.0f} ms/step", flush=True)
    print(f"\n{'preset':16s}" + "".join(f"{name + ' ms/step':>22s}{'images/s':>10s}" for name in trees)
          + ("   this / other (images/s)" if args.rev else ""))
    for preset in presets:
        line = f"{preset:16s}"
        rates = []
        for name in trees:
            value = statistics.median(ms[preset, name])
            rates.append(1000 / value * args.batch_size)
            line += f"{value:22.0f}{rates[-1]:10.1f}"
        if args.rev:
            line += f"   {rates[0] / rates[1]:.2f}x"
        print(line)


if __name__ == "__main__":
    main()
