"""The hand-written gradients equal TensorFlow's own, for static and unknown shapes."""

import numpy as np
import pytest
import tensorflow as tf

from keras_pixelrnn.layers.pixel_lstm_cell import _split_gates
from keras_pixelrnn.layers.row_lstm_cell import _row_taps


def gradient_of(fn, x, cotangents, spec):
    @tf.function(input_signature=[spec])
    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            outputs = tf.nest.flatten(fn(x))
            loss = tf.add_n([tf.reduce_sum(o * c) for o, c in zip(outputs, cotangents)])
        return outputs, tape.gradient(loss, x)

    outputs, grad = run(x)
    return [o.numpy() for o in outputs], grad.numpy()


def plain_row_taps(h, kernel_size):
    half = kernel_size // 2
    padded = tf.pad(h, [[0, 0], [half, half], [0, 0]])
    width = tf.shape(h)[1]
    return tf.concat([padded[:, tap:tap + width] for tap in range(kernel_size)], axis=-1)


@pytest.mark.parametrize("kernel_size", [1, 3, 5])
@pytest.mark.parametrize("width", [1, 2, 6])
@pytest.mark.parametrize("static", [True, False])
def test_row_taps_gradient(kernel_size, width, static):
    rng = np.random.default_rng(kernel_size * 10 + width)
    h = rng.standard_normal((2, width, 3)).astype("float32")
    cotangent = rng.standard_normal((2, width, 3 * kernel_size)).astype("float32")
    spec = tf.TensorSpec(h.shape if static else (None, None, 3))
    ours = gradient_of(lambda h: _row_taps(h, kernel_size), h, [cotangent], spec)
    theirs = gradient_of(lambda h: plain_row_taps(h, kernel_size), h, [cotangent], spec)
    np.testing.assert_array_equal(ours[0][0], theirs[0][0])
    np.testing.assert_allclose(ours[1], theirs[1], rtol=1e-6, atol=1e-6)
    assert np.abs(ours[1]).min() > 0


@pytest.mark.parametrize("rows", [1, 7])
@pytest.mark.parametrize("static", [True, False])
def test_split_gates_gradient(rows, static):
    rng = np.random.default_rng(rows)
    z = rng.standard_normal((rows, 3, 20)).astype("float32")
    cotangents = [rng.standard_normal((rows, 3, 5)).astype("float32") for _ in range(4)]
    spec = tf.TensorSpec(z.shape if static else (None, 3, 20))
    ours = gradient_of(lambda z: _split_gates(z, "stitch"), z, cotangents, spec)
    theirs = gradient_of(lambda z: tf.split(z, 4, axis=-1), z, cotangents, spec)
    for a, b in zip(ours[0], theirs[0]):
        np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(ours[1], theirs[1])


def test_split_gates_gradient_when_a_gate_is_unused():
    z = tf.constant(np.arange(24, dtype="float32").reshape(2, 12))
    with tf.GradientTape() as tape:
        tape.watch(z)
        o, f, i, g = _split_gates(z, "stitch")
        loss = tf.reduce_sum(o) + 2 * tf.reduce_sum(g)
    grad = tape.gradient(loss, z).numpy()
    np.testing.assert_array_equal(grad[:, :3], 1)
    np.testing.assert_array_equal(grad[:, 3:9], 0)
    np.testing.assert_array_equal(grad[:, 9:], 2)


@pytest.mark.parametrize("gradient, jit_compile", [("stitch", False), ("concat", True)])
def test_split_gates_gradient_is_a_stitch_or_a_concat(gradient, jit_compile):
    """XLA lowers a stitch to one update per row (minutes to compile a layer):
    the XLA forms of the layers ask for TensorFlow's concat."""
    z = np.random.default_rng(0).standard_normal((6, 8)).astype("float32")
    cotangents = [np.full((6, 2), k + 1.0, "float32") for k in range(4)]

    @tf.function(jit_compile=jit_compile)
    def run(z):
        with tf.GradientTape() as tape:
            tape.watch(z)
            gates = _split_gates(z, gradient)
            loss = tf.add_n([tf.reduce_sum(g * c) for g, c in zip(gates, cotangents)])
        return tape.gradient(loss, z)

    np.testing.assert_array_equal(run(z), np.repeat(np.arange(1.0, 5.0), 2)[None].repeat(6, 0))
    ops = {op.type for op in run.get_concrete_function(z).graph.get_operations()}
    assert ("DynamicStitch" in ops) == (gradient == "stitch")
    assert ("ConcatV2" in ops) == (gradient == "concat")
