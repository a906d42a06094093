"""Conditioned layers: `layer([x, condition])` adds a learned 1x1 projection of
the condition (a vector per image or a map) to the input-to-state
pre-activations, and never lets an image sub-pixel see a later one."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import numpy_reference as ref
from keras_pixelrnn import DiagonalBiLSTM, MaskedConv2D, RowLSTM, receptive_field
from keras_pixelrnn.layers.conditioning import OneHotLabels
from test_diagonal_bilstm import weights_of

DIRECTIONS = ("left_to_right", "right_to_left")
KINDS = ("vector", "map")
TRAINING = [pytest.param(False, id="inference"), pytest.param(True, id="training")]


def random_input(batch, height, width, channels, seed=1):
    return np.random.default_rng(seed).uniform(-1, 1, (batch, height, width, channels)).astype(
        "float32"
    )


def random_condition(kind, batch, height, width, d=3, seed=2):
    rng = np.random.default_rng(seed)
    shape = (batch, d) if kind == "vector" else (batch, height, width, d)
    return rng.uniform(-1, 1, shape).astype("float32")


def build(layer, x, condition, randomize):
    layer([tf.constant(x), tf.constant(condition)])
    return randomize(layer, 0)


@pytest.mark.parametrize("training", TRAINING)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("colors", [1, 3], ids=["grey", "rgb"])
def test_row_lstm_matches_reference_with_condition(colors, kind, training, randomize_weights):
    x = random_input(3, 4, 5, 2 * colors)
    y = random_condition(kind, 3, 4, 5)
    layer = build(RowLSTM(6 if colors == 3 else 3, color_channels=colors), x, y, randomize_weights)
    conv = layer.input_to_state
    extra = ref.condition_bias(y, conv.condition_kernel.numpy(), 4, 5)
    expected = ref.row_lstm(
        x, conv.kernel.numpy(), layer.cell.recurrent_kernel.numpy(), layer.cell.bias.numpy(),
        "B", colors, extra,
    )
    got = layer([tf.constant(x), tf.constant(y)], training=training).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("training", TRAINING)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("colors", [1, 3], ids=["grey", "rgb"])
def test_diagonal_bilstm_matches_reference_with_condition(colors, kind, training,
                                                          randomize_weights):
    x = random_input(2, 5, 4, 2 * colors)
    y = random_condition(kind, 2, 5, 4)
    layer = build(
        DiagonalBiLSTM(6 if colors == 3 else 3, color_channels=colors), x, y, randomize_weights
    )
    weights = weights_of(layer)
    extra = {
        d: ref.condition_bias(y, layer.input_to_state[d].condition_kernel.numpy(), 5, 4)
        for d in DIRECTIONS
    }
    expected = ref.diagonal_bilstm(x, weights, "B", colors, extra)
    got = layer([tf.constant(x), tf.constant(y)], training=training).numpy()
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("colors", [1, 3], ids=["grey", "rgb"])
def test_masked_conv2d_matches_reference_with_condition(colors, kind, randomize_weights):
    x = random_input(2, 4, 5, 2 * colors)
    y = random_condition(kind, 2, 4, 5)
    layer = build(MaskedConv2D(3 * colors, 3, color_channels=colors), x, y, randomize_weights)
    expected = ref.masked_conv2d(
        x, layer.kernel.numpy(), layer.bias.numpy(), "B", colors
    ) + ref.condition_bias(y, layer.condition_kernel.numpy(), 4, 5)
    np.testing.assert_allclose(layer([x, y]).numpy(), expected, atol=1e-5)


def make(name, colors):
    units = 6 if colors == 3 else 3
    if name == "row_lstm":
        return RowLSTM(units, color_channels=colors)
    if name == "diagonal_bilstm":
        return DiagonalBiLSTM(units, color_channels=colors)
    return MaskedConv2D(units, 3, mask_type="A", color_channels=colors)


LAYERS = ("masked_conv2d", "row_lstm", "diagonal_bilstm")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("colors", [1, 3], ids=["grey", "rgb"])
@pytest.mark.parametrize("name", LAYERS)
def test_condition_leaves_the_receptive_field_exact(name, colors, kind, randomize_weights):
    """The image sub-pixels seen with a condition are exactly those seen
    without one (same weights), at the borders and inside."""
    shape, pixels = (5, 6, 2 * colors), [(0, 0), (0, 5), (2, 3), (4, 0), (4, 5)]
    plain = make(name, colors)
    plain(tf.zeros((1,) + shape))
    randomize_weights(plain, 0)
    conditioned = make(name, colors)
    y = random_condition(kind, 1, 5, 6)
    conditioned([tf.zeros((1,) + shape), tf.constant(y)])
    randomize_weights(conditioned, 0)
    # The shared weights equal; the condition kernel is the one extra weight.
    for weight in plain.weights:
        match = [w for w in conditioned.weights if w.path.split("/", 1)[1] == weight.path.split("/", 1)[1]]
        match[0].assign(weight)
    for pixel in pixels:
        for channel in range(0, plain.compute_output_shape((1,) + shape)[-1], 2):
            expected = receptive_field(plain, shape, pixel, output_channel=channel)
            got = receptive_field(conditioned, shape, pixel, output_channel=channel,
                                  conditions=[y])
            np.testing.assert_array_equal(got, expected, err_msg=f"{pixel} channel {channel}")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", LAYERS)
def test_outputs_depend_on_the_condition_everywhere(name, kind, randomize_weights):
    """The gradient of every output pixel with respect to the condition is
    non-zero: the condition reaches the whole image, (0, 0) included."""
    x = random_input(1, 4, 5, 2)
    y = tf.constant(random_condition(kind, 1, 4, 5))
    layer = build(make(name, 1), x, y, randomize_weights)
    for pixel in [(0, 0), (1, 4), (3, 2)]:
        with tf.GradientTape() as tape:
            tape.watch(y)
            out = tf.reduce_sum(layer([tf.constant(x), y])[0, pixel[0], pixel[1]])
        grad = tape.gradient(out, y).numpy()
        if kind == "vector":
            assert np.abs(grad).sum() > 0, pixel
        else:  # a 1x1 projection: the map at the pixel itself
            assert np.abs(grad[0, pixel[0], pixel[1]]).sum() > 0, pixel


@pytest.mark.parametrize("name", LAYERS)
def test_conditioned_layers_round_trip_in_a_model(name, tmp_path, randomize_weights):
    images = keras.Input((4, 5, 2))
    labels = keras.Input((), dtype="int32")
    out = make(name, 1)([images, OneHotLabels(3)(labels)])
    model = keras.Model([images, labels], out)
    randomize_weights(model, 3)
    x, y = random_input(2, 4, 5, 2), np.array([0, 2], "int32")
    path = str(tmp_path / "m.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    np.testing.assert_allclose(loaded([x, y]).numpy(), model([x, y]).numpy(), atol=1e-6)
    assert not np.allclose(model([x, y]).numpy(), model([x, y[::-1]]).numpy())


def test_mixed_precision_conditioned_row_lstm(mixed_float16):
    layer = RowLSTM(4)
    x, y = random_input(2, 3, 4, 2), random_condition("vector", 2, 3, 4)
    out = layer([x, y])
    assert out.dtype == "float16" and layer.input_to_state.condition_kernel.dtype == "float32"
    assert np.isfinite(out.numpy()).all()


def test_map_of_the_wrong_size_is_refused():
    with pytest.raises(ValueError, match=re.escape("must have the height of the image, 4. "
                                                   "Received: condition shape=(1, 3, 5, 2)")):
        RowLSTM(3)([tf.zeros((1, 4, 5, 2)), tf.zeros((1, 3, 5, 2))])
    with pytest.raises(ValueError, match=re.escape("Received: condition shape=(1, 4, 2)")):
        DiagonalBiLSTM(3)([tf.zeros((1, 4, 5, 2)), tf.zeros((1, 4, 2))])


def test_condition_given_to_a_layer_built_without_one():
    layer = MaskedConv2D(2, 3)
    layer(tf.zeros((1, 4, 4, 1)))
    with pytest.raises(ValueError, match="built without a condition"):
        layer([tf.zeros((1, 4, 4, 1)), tf.zeros((1, 2))])
    conditioned = RowLSTM(2)
    conditioned([tf.zeros((1, 4, 4, 1)), tf.zeros((1, 2))])
    with pytest.raises(ValueError, match="built with a condition"):
        conditioned(tf.zeros((1, 4, 4, 1)))


@pytest.mark.parametrize("bad", [1, 0, True, 2.5])
def test_one_hot_labels_bad_num_classes(bad):
    with pytest.raises(ValueError, match=re.escape(f"Received: num_classes={bad!r}")):
        OneHotLabels(bad)
