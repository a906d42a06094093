"""The execution choices: `implementation` arguments, resolved from the device."""

import os

import numpy as np
import pytest
import tensorflow as tf

from keras_pixelrnn import DiagonalBiLSTM, PixelRNN, RowLSTM
from keras_pixelrnn.layers import execution


def expected_device():
    if tf.config.list_logical_devices("GPU"):
        return "gpu"
    return "parallel_cpu" if (os.cpu_count() or 1) >= 2 else "serial_cpu"


def test_device_is_resolved_from_this_process():
    assert execution.device() == expected_device()


@pytest.mark.parametrize(
    "setting", ["get_intra_op_parallelism_threads", "get_inter_op_parallelism_threads"]
)
def test_one_tensorflow_thread_is_a_serial_cpu(setting, monkeypatch):
    """One thread cannot run two chains side by side."""
    if tf.config.list_logical_devices("GPU"):
        pytest.skip("a GPU is the device here, whatever the CPU threads")
    monkeypatch.setattr(tf.config.threading, setting, lambda: 1)
    assert execution.device() == "serial_cpu"


@pytest.mark.parametrize("layer_class", [RowLSTM, DiagonalBiLSTM])
def test_auto_and_portable_resolve_to_choices(layer_class):
    ways = layer_class.IMPLEMENTATIONS
    assert ways.resolve("auto") == ways.auto[expected_device()]
    assert ways.resolve("portable") == ways.portable
    for choice in ways.choices:
        assert ways.resolve(choice) == choice
    assert set(ways.auto) == set(execution.DEVICES)
    assert set(ways.auto.values()) <= set(ways.choices)


def _convolutions(concrete):
    graph = concrete.graph.as_graph_def()
    nodes = list(graph.node) + [n for f in graph.library.function for n in f.node_def]
    return sum(node.op == "Conv2D" for node in nodes)


def test_row_lstm_implementation_decides_the_traced_graph():
    """`batch_chains` traces `BATCH_CHAINS` chains, each with its own
    input-to-state convolution; `one_chain` and `xla` one. The numbers agree."""
    x = tf.constant(np.random.default_rng(0).standard_normal((4, 3, 5, 1)), tf.float32)
    spec = tf.TensorSpec((None, 3, 5, 1), tf.float32)
    outputs = {}
    reference = RowLSTM(4)
    reference.build(spec.shape)
    for implementation, chains in (("batch_chains", execution.BATCH_CHAINS), ("one_chain", 1),
                                   ("xla", 1)):
        layer = RowLSTM(4, implementation=implementation)
        layer.build(spec.shape)
        layer.set_weights(reference.get_weights())
        concrete = tf.function(lambda x: layer(x)).get_concrete_function(spec)
        assert _convolutions(concrete) == chains
        outputs[implementation] = concrete(x).numpy()
    for implementation in ("one_chain", "xla"):
        np.testing.assert_allclose(
            outputs[implementation], outputs["batch_chains"], rtol=1e-5, atol=1e-6
        )


@pytest.mark.parametrize("implementation", [0, True, "fast", None])
def test_implementation_is_checked(implementation):
    with pytest.raises(ValueError, match=f"Received: implementation={implementation!r}"):
        RowLSTM(4, implementation=implementation)


def test_with_implementation_copies_a_model_with_the_same_weights():
    model = PixelRNN("row_lstm", (5, 4, 1), 1, 4, levels=2)
    portable = execution.with_implementation(model, "portable")
    assert portable is not model
    assert portable.get_config()["implementation"] == "portable"
    rows = [layer for layer in portable.layers if isinstance(layer, RowLSTM)]
    assert rows and all(layer.implementation == "portable" for layer in rows)
    x = np.random.default_rng(1).integers(0, 2, (3, 5, 4, 1)).astype("float32")
    np.testing.assert_allclose(portable(x).numpy(), model(x).numpy(), rtol=1e-5, atol=1e-6)
    assert execution.with_implementation(portable, "portable") is portable


def test_with_implementation_clones_a_functional_model():
    import keras

    inputs = keras.Input((5, 4, 1))
    model = keras.Model(inputs, RowLSTM(4, name="rows")(inputs))
    portable = execution.with_implementation(model, "portable")
    assert portable.get_layer("rows").implementation == "portable"
    x = np.random.default_rng(2).standard_normal((2, 5, 4, 1)).astype("float32")
    np.testing.assert_allclose(portable(x).numpy(), model(x).numpy(), rtol=1e-5, atol=1e-6)
