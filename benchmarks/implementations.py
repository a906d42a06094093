"""Why each layer keeps each of its ways to compute: `model.fit` with every `implementation`.

The recurrent layers compute the same numbers in more than one way
(`RowLSTM(implementation=...)`, `DiagonalBiLSTM(implementation=...)`; see
`keras_pixelrnn.layers.execution`). A way stays only where a measurement shows
that it is the fastest somewhere. This script measures what a user runs:
`model.fit` of a preset (`mnist` for the Diagonal BiLSTM, `mnist_row_lstm` for
the Row LSTM) on random binary 28x28 digits, once per way, the ways
alternating from round to round in one process so that a busy machine slows
them alike. Each way's figure is the median time of a training step over its
rounds (after a first epoch that traces the graph); the table gives each way's
ratio to the fastest.

The device decides which ways can be fastest (a CPU with two threads or more,
one thread, a GPU), so run it once per setting that `auto` distinguishes:

    python benchmarks/implementations.py                 # TensorFlow's threads
    python benchmarks/implementations.py --threads 1     # one thread: "serial_cpu"
    python benchmarks/implementations.py --jit           # also the XLA ways, under jit_compile=True

A budget in steps, not seconds: machines here differ 3x in speed.
"""

import argparse
import statistics
import time

import keras
import numpy as np
import tensorflow as tf

PRESETS = {"RowLSTM": "mnist_row_lstm", "DiagonalBiLSTM": "mnist"}


class StepTimes(keras.callbacks.Callback):
    """The wall time of every training batch of the epochs it is given."""

    def __init__(self):
        super().__init__()
        self.times = []

    def on_train_batch_begin(self, batch, logs=None):
        self._start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.times.append(time.perf_counter() - self._start)


def model_with(layer_class, preset, way, jit_compile):
    """A compiled `PixelRNN.from_preset(preset)` whose `layer_class` layers
    compute in `way` (set before the first training trace, which resolves it)."""
    from keras_pixelrnn import PixelRNN, PixelRNNLoss

    keras.utils.set_random_seed(0)
    model = PixelRNN.from_preset(preset)
    for layer in model.layers:
        if isinstance(layer, layer_class):
            layer.implementation = layer.IMPLEMENTATIONS.check(way)
    model.compile(keras.optimizers.Adam(1e-3), loss=PixelRNNLoss(), jit_compile=jit_compile)
    return model


def contenders(args):
    """(name, layer class, preset, way, jit_compile) of every run."""
    import keras_pixelrnn

    runs = []
    for name, preset in PRESETS.items():
        layer_class = getattr(keras_pixelrnn, name)
        impl = layer_class.IMPLEMENTATIONS
        for way in ("auto",) + tuple(w for w in impl.choices if w != impl.xla):
            runs.append((name, layer_class, preset, way, False))
        if args.jit:
            runs.append((name, layer_class, preset, impl.xla, True))
    return runs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=0, help="intra- and inter-op threads")
    parser.add_argument("--jit", action="store_true", help="also the XLA ways (jit_compile=True)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=8, help="training steps per round")
    parser.add_argument("--batch-size", type=int, default=16)
    args = parser.parse_args(argv)
    if args.threads:
        tf.config.threading.set_intra_op_parallelism_threads(args.threads)
        tf.config.threading.set_inter_op_parallelism_threads(args.threads)
    from keras_pixelrnn.layers import execution

    images = np.random.default_rng(0).integers(
        0, 2, (args.batch_size * args.steps, 28, 28, 1), np.uint8
    )
    x = images.astype("float32")
    runs = contenders(args)
    models = [model_with(cls, preset, way, jit) for _, cls, preset, way, jit in runs]
    for model in models:  # the first epoch traces
        model.fit(x, images, batch_size=args.batch_size, epochs=1, verbose=0)
    times = [[] for _ in runs]
    for round_ in range(args.rounds):
        order = range(len(runs)) if round_ % 2 == 0 else reversed(range(len(runs)))
        for i in order:
            clock = StepTimes()
            models[i].fit(x, images, batch_size=args.batch_size, epochs=1, verbose=0,
                          callbacks=[clock])
            times[i].extend(clock.times)
    print(f"device {execution.device()!r}, threads {args.threads or 'TF default'}, "
          f"batch {args.batch_size}, {args.rounds} rounds x {args.steps} steps")
    print(f"{'layer':16s} {'implementation':16s} {'jit':5s} {'ms/step':>8s} {'vs fastest':>10s}")
    for name in PRESETS:
        rows = [(runs[i], statistics.median(times[i])) for i in range(len(runs))
                if runs[i][0] == name]
        fastest = min(t for _, t in rows)
        for (_, cls, _, way, jit), t in rows:
            shown = way if way != "auto" else f"auto={cls.IMPLEMENTATIONS.auto[execution.device()]}"
            print(f"{name:16s} {shown:16s} {str(jit):5s} {1000 * t:8.1f} {t / fastest:10.2f}")


if __name__ == "__main__":
    main()
