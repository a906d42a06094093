"""Execution choices: how a layer computes, resolved once from the device.

Some layers can compute the same numbers in more than one way, and the fastest
way depends on the machine that runs the graph. As in Keras
(`LSTM(use_cudnn="auto")`, `compile(jit_compile="auto")`), each such layer
takes the choice as a constructor argument, `implementation`, which
`get_config` stores, so that a saved config says which way ran:

    RowLSTM(implementation="auto" | "batch_chains" | "one_chain" | "xla")
    DiagonalBiLSTM(implementation="auto" | "bands" | "paired_bands" | "skewed")

`"auto"` is resolved here, by `resolve`, when the layer's graph is traced,
from the device that will run it (`device`): a GPU (where Keras compiles
`fit` with XLA), a CPU on which two threads run ops side by side, or a CPU
with one thread. Nothing else, and no global or thread-local state, changes
what a layer computes. An export asks for the portable choice explicitly
(`with_implementation(model, "portable")`), never by a context that the
layers read behind the caller's back.

The ways, and why each is kept (the measured figures are in the benchmark
docs, `docs/benchmarks.md`):

* batch chains (`BATCH_CHAINS` independent recurrences over parts of the
  batch): TensorFlow's executor runs their small per-step ops side by side
  on two CPU threads; one chain is faster on a GPU or one thread.
* bands: the Diagonal BiLSTM's training loop over the pixels of each
  diagonal only, half the positions of the skewed map at 28x28. Its steps
  change size, which XLA and ONNX cannot compile.
* paired bands: both directions in one set of ops (their channels side by
  side): faster where one thread runs one op at a time, slower where two
  threads could run the directions at once.
* the XLA form (`"xla"`, `"skewed"`): steps of one fixed size, and the gate
  gradient as a concat, which XLA fuses (a DynamicStitch, the faster form on
  a CPU without XLA, is very slow under XLA).
"""

import dataclasses
import os

import keras
import tensorflow as tf

from keras_pixelrnn.utils import arguments

BATCH_CHAINS = 2
DEVICES = ("gpu", "parallel_cpu", "serial_cpu")


def device():
    """The kind of device that runs a graph traced now in this process:
    `"gpu"` when a GPU is visible, `"parallel_cpu"` when two CPU threads can
    run ops side by side (at least 2 cores, and TensorFlow's intra- and
    inter-op thread counts not set to 1), else `"serial_cpu"`."""
    if tf.config.list_logical_devices("GPU"):
        return "gpu"
    threads = [
        tf.config.threading.get_intra_op_parallelism_threads(),
        tf.config.threading.get_inter_op_parallelism_threads(),
        os.cpu_count() or 1,
    ]
    return "serial_cpu" if min(n for n in threads if n) < 2 else "parallel_cpu"  # 0: TF's choice


@dataclasses.dataclass(frozen=True)
class Implementations:
    """A layer's ways to compute. Besides its `choices`, a layer takes
    `"auto"` (`auto[device()]`, resolved when the graph is traced) and
    `"portable"` (the choice that runs on any device, which exports ask for).
    `xla` names the choice made for XLA; `needs` says what a choice that
    `resolve` finds unrunnable lacks."""

    choices: tuple
    auto: dict
    portable: str
    xla: str
    needs: str = ""

    def gate_gradient(self, choice):
        """The LSTM gates' gradient form (`pixel_lstm_cell.lstm_update`) of a
        resolved `choice`: XLA's form takes the concat, which XLA fuses;
        every other takes the stitch, faster without XLA."""
        return "concat" if choice == self.xla else "stitch"

    def check(self, implementation):
        """The constructor's check of `implementation`; returns it."""
        allowed = ("auto", "portable") + self.choices
        return arguments.one_of("implementation", implementation, allowed)

    def resolve(self, implementation, runnable=None):
        """The choice that `implementation` names, for the graph traced now:
        `"auto"` -> the choice for `device()`, or the portable one where
        `runnable(choice)` says that this graph cannot run it (an input size
        unknown when traced, say). A named choice that cannot run raises, as
        Keras does for `use_cudnn=True` without a GPU."""
        if implementation == "portable":
            return self.portable
        if implementation == "auto":
            choice = self.auto[device()]
            return choice if runnable is None or runnable(choice) else self.portable
        if runnable is not None and not runnable(implementation):
            raise ValueError(
                f"`implementation={implementation!r}` cannot run this graph (it needs "
                f"{self.needs}); use '{self.portable}' or 'auto'. "
                f"Received: implementation={implementation!r}"
            )
        return implementation


def with_implementation(model, implementation="portable"):
    """A copy of `model` (same weights) whose layers compute in the given way.

    Args:
        model: a Keras model: a `PixelRNN` or `MultiScalePixelRNN` (rebuilt
            from its config, which passes `implementation` to its layers),
            or any Functional model holding this package's layers (cloned).
        implementation: `"portable"` (each layer's choice that runs on any
            device: what exports ask for) or `"auto"`.

    Returns:
        The copy, or `model` itself when every layer already computes so.
    """
    arguments.one_of("implementation", implementation, ("portable", "auto"))
    layers = [layer for layer in _all_layers(model) if hasattr(type(layer), "IMPLEMENTATIONS")]
    if all(layer.implementation == implementation for layer in layers):
        return model
    config = model.get_config()
    if "implementation" in config:
        copy = type(model).from_config(dict(config, implementation=implementation))
    else:
        def clone(layer):
            config = layer.get_config()
            if hasattr(type(layer), "IMPLEMENTATIONS"):
                config["implementation"] = implementation
            return type(layer).from_config(config)

        copy = keras.models.clone_model(model, clone_function=clone)
    copy.set_weights(model.get_weights())
    return copy


def _all_layers(model):
    """Every layer inside `model`, nested models included."""
    found = []
    for layer in model.layers:
        found.append(layer)
        if hasattr(layer, "layers"):
            found.extend(_all_layers(layer))
    return found
