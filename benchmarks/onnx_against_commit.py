"""The ONNX exports of this checkout against another commit: their ops, and ONNX Runtime's time.

For the `mnist` preset (its shipped weights), each tree (this checkout, and
`--rev` checked out into a temporary folder) converts the `log_prob` and
`sample` signatures with `keras_pixelrnn.serving.write_onnx` (checked against
Keras as a user's export is), in a fresh process per tree. The script then
prints, per signature, the ops whose count differs between the two graphs
(subgraphs of loops included) and times both graphs in ONNX Runtime in this
process, alternating from round to round: `log_prob` of 64 digits and
`sample` of 4, one intra-op thread, the median over rounds, and the ratio
this checkout / the other commit (below 1: this one faster).

    python benchmarks/onnx_against_commit.py --rev a764dbe [--rounds 7]
"""

import argparse
import collections
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

from training import checkout

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SIGNATURES = ("log_prob", "sample")
CHILD = r"""
import os, sys
tree, out = sys.argv[1], sys.argv[2]
sys.path.insert(0, tree)
import keras_pixelrnn
assert os.path.abspath(keras_pixelrnn.__file__).startswith(os.path.abspath(tree))
from keras_pixelrnn import PixelRNN
from keras_pixelrnn.serving import write_onnx
model = PixelRNN.from_preset("mnist", load_weights=True)
for signature in sys.argv[3:]:
    write_onnx(model, os.path.join(out, signature + ".onnx"), signature)
"""


def op_counts(graph):
    """Op type -> count in an ONNX graph and the graphs of its loops and ifs."""
    import onnx

    counts = collections.Counter()
    for node in graph.node:
        counts[node.op_type] += 1
        for attribute in node.attribute:
            if attribute.type == onnx.AttributeProto.GRAPH:
                counts += op_counts(attribute.g)
    return counts


def export(tree, out):
    os.makedirs(out, exist_ok=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    done = subprocess.run([sys.executable, "-c", CHILD, tree, out, *SIGNATURES], cwd=tree,
                          env=env, capture_output=True, text=True)
    if done.returncode:
        raise SystemExit(f"export in {tree} failed:\n{done.stderr[-3000:]}")
    return {s: os.path.join(out, s + ".onnx") for s in SIGNATURES}


def feeds(session, signature):
    rng = np.random.default_rng(0)
    if signature == "log_prob":
        return {session.get_inputs()[0].name: rng.integers(0, 2, (64, 28, 28, 1), np.uint8)}
    return {session.get_inputs()[0].name: rng.random((4, 28, 28, 1), np.float32)}


def main(argv=None):
    import onnx
    import onnxruntime

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rev", required=True, help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    trees = {"this checkout": ROOT, args.rev: checkout(args.rev)}
    out = tempfile.mkdtemp(prefix="pixelrnn-bench-onnx-")
    paths = {name: export(tree, os.path.join(out, name[:4])) for name, tree in trees.items()}
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    names = list(trees)
    for signature in SIGNATURES:
        counts = [op_counts(onnx.load(paths[n][signature]).graph) for n in names]
        changed = {op: (counts[0][op], counts[1][op]) for op in set(counts[0]) | set(counts[1])
                   if counts[0][op] != counts[1][op]}
        total = [sum(c.values()) for c in counts]
        print(f"{signature}: {total[0]} ops here, {total[1]} at {args.rev}; changed "
              + (", ".join(f"{op} {a} vs {b}" for op, (a, b) in sorted(changed.items()))
                 or "none"))
        sessions = [onnxruntime.InferenceSession(paths[n][signature], options,
                                                 providers=["CPUExecutionProvider"])
                    for n in names]
        inputs = [feeds(s, signature) for s in sessions]
        outputs = [s.run(None, i)[0] for s, i in zip(sessions, inputs)]
        same = "identical" if np.array_equal(*outputs) else \
            f"max |diff| {np.max(np.abs(outputs[0].astype(float) - outputs[1])):.2g}"
        times = [[], []]
        for r in range(args.rounds):
            for i in ((0, 1) if r % 2 == 0 else (1, 0)):
                start = time.perf_counter()
                sessions[i].run(None, inputs[i])
                times[i].append(time.perf_counter() - start)
        here, there = (statistics.median(t) for t in times)
        print(f"  ONNX Runtime (1 thread): {1000 * here:.1f} ms here, {1000 * there:.1f} ms at "
              f"{args.rev}; this / other {here / there:.2f}; outputs {same}")


if __name__ == "__main__":
    main()
