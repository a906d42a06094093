import re

import keras
import numpy as np
import pytest

import numpy_reference as ref
from keras_pixelrnn import MaskedConv2D, causal_mask

KERNELS = {"7x7": (7, 7), "3x3": (3, 3), "1x3": (1, 3), "3x1": (3, 1), "1x1": (1, 1)}
SHAPES = {"5x7": (5, 7), "7x5": (7, 5)}


def conv_cases():
    for kname, kernel in KERNELS.items():
        for mask_type in ("A", "B"):
            for colors in (1, 3):
                if kernel == (1, 1) and mask_type == "A" and colors == 1:
                    continue  # masks every tap: an error, tested below
                yield pytest.param(
                    kernel, mask_type, colors, id=f"{kname}-{mask_type}-c{colors}"
                )


def random_input(batch, height, width, channels, seed=1):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (batch, height, width, channels)).astype("float32")


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("kernel, mask_type, colors", conv_cases())
def test_matches_numpy_reference(kernel, mask_type, colors, shape, randomize_weights):
    x = random_input(3, *shape, 2 * colors)
    layer = MaskedConv2D(2 * colors, kernel, mask_type=mask_type, color_channels=colors)
    layer.build(x.shape)
    randomize_weights(layer)
    expected = ref.masked_conv2d(
        x, layer.kernel.numpy(), layer.bias.numpy(), mask_type, colors
    )
    np.testing.assert_allclose(layer(x).numpy(), expected, atol=1e-5)


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("kernel, mask_type, colors", conv_cases())
def test_exact_receptive_field(
    kernel, mask_type, colors, shape, randomize_weights, assert_exact_fields
):
    in_channels = 2 * colors
    layer = MaskedConv2D(2 * colors, kernel, mask_type=mask_type, color_channels=colors)
    layer.build((None,) + shape + (in_channels,))
    randomize_weights(layer)
    assert_exact_fields(layer, "conv", *shape, in_channels, colors, mask_type, kernel)


def test_no_dependency_across_batch(randomize_weights, assert_batch_independent):
    layer = MaskedConv2D(6, 3, mask_type="A", color_channels=3)
    layer.build((None, 5, 7, 3))
    randomize_weights(layer)
    assert_batch_independent(layer, (5, 7, 3))


def test_weights_are_those_of_a_plain_conv2d(randomize_weights):
    """The mask is applied in the forward pass and never stored or assigned."""
    layer = MaskedConv2D(6, 3, mask_type="B", color_channels=3)
    layer.build((None, 5, 7, 3))
    randomize_weights(layer)
    kernel = layer.kernel.numpy()
    assert [w.name for w in layer.weights] == ["kernel", "bias"]
    x = random_input(2, 5, 7, 3)
    layer(x)
    np.testing.assert_array_equal(layer.kernel.numpy(), kernel)
    assert np.any(kernel * (1 - layer.mask) != 0)  # masked taps keep their values
    np.testing.assert_array_equal(layer.mask, causal_mask((3, 3), 3, 6, "B", 3))
    plain = keras.layers.Conv2D(6, 3, padding="same")
    plain.build((None, 5, 7, 3))
    plain.set_weights([kernel * layer.mask, layer.bias.numpy()])
    np.testing.assert_allclose(layer(x).numpy(), plain(x).numpy(), atol=1e-6)


def test_config_round_trip(randomize_weights):
    layer = MaskedConv2D(
        6, (3, 5), mask_type="A", color_channels=3, activation="relu", name="conv"
    )
    layer.build((None, 5, 7, 3))
    randomize_weights(layer)
    config = layer.get_config()
    for name in ("mask_type", "color_channels", "filters", "kernel_size"):
        assert name in config
    clone = MaskedConv2D.from_config(config)
    assert clone.get_config() == config
    clone.build((None, 5, 7, 3))
    clone.set_weights(layer.get_weights())
    x = random_input(2, 5, 7, 3)
    np.testing.assert_array_equal(clone(x).numpy(), layer(x).numpy())


def test_dynamic_image_size(randomize_weights):
    inputs = keras.Input((None, None, 3))
    layer = MaskedConv2D(6, 5, mask_type="A", color_channels=3)
    model = keras.Model(inputs, layer(inputs))
    randomize_weights(model)
    for shape in ((5, 7), (7, 4)):
        x = random_input(2, *shape, 3)
        expected = ref.masked_conv2d(
            x, layer.kernel.numpy(), layer.bias.numpy(), "A", 3
        )
        np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-5)


@pytest.mark.parametrize(
    "kernel, mask_type, colors, executed",
    [((7, 7), "A", 3, (4, 7)), ((1, 3), "B", 1, (1, 2)), ((5, 1), "B", 3, (3, 1)),
     ((3, 1), "A", 1, (3, 1))],
)
def test_skips_the_taps_the_mask_zeroes(kernel, mask_type, colors, executed):
    """The convolution that runs has only the kept rows (and, for 1 x k, columns)."""
    import tensorflow as tf

    layer = MaskedConv2D(6, kernel, mask_type=mask_type, color_channels=colors)
    layer.build((None, 5, 7, 3))
    graph = tf.function(layer).get_concrete_function(tf.TensorSpec((2, 5, 7, 3))).graph
    convs = [op for op in graph.get_operations() if op.type == "Conv2D"]
    assert [tuple(op.inputs[1].shape[:2]) for op in convs] == [executed]
    assert layer(np.zeros((2, 5, 7, 3))).shape == (2, 5, 7, 6)


@pytest.mark.parametrize("height, width", [(5, 7), (None, None)])
def test_one_by_one_runs_as_a_matrix_product(height, width, randomize_weights):
    """A 1 x 1 kernel runs as one MatMul over the channels (no Conv2D), on
    any device and in exports, and keeps the static shape it can; it
    computes the masked convolution."""
    import tensorflow as tf

    layer = MaskedConv2D(6, 1, mask_type="B", color_channels=3)
    layer.build((None, 5, 7, 3))
    randomize_weights(layer)
    traced = tf.function(layer).get_concrete_function(tf.TensorSpec((None, height, width, 3)))
    graph = traced.graph
    types = [op.type for op in graph.get_operations()]
    assert (types.count("Conv2D"), types.count("MatMul")) == (0, 1)
    assert graph.outputs[0].shape.as_list() == [None, height, width, 6]
    x = random_input(2, 5, 7, 3)
    expected = ref.masked_conv2d(x, layer.kernel.numpy(), layer.bias.numpy(), "B", 3)
    np.testing.assert_allclose(traced(tf.constant(x)).numpy(), expected, atol=1e-5)


def test_mixed_float16(mixed_float16, randomize_weights):
    x = random_input(2, 5, 7, 3)
    layer16 = MaskedConv2D(6, 3, mask_type="A", color_channels=3)
    layer16.build(x.shape)
    randomize_weights(layer16)
    assert layer16.kernel.dtype == "float32"
    y16 = layer16(x)
    assert keras.backend.standardize_dtype(y16.dtype) == "float16"
    expected = ref.masked_conv2d(x, layer16.kernel.numpy(), layer16.bias.numpy(), "A", 3)
    np.testing.assert_allclose(np.asarray(y16, "float32"), expected, atol=1e-2, rtol=1e-2)


def test_jit_compiled_step_matches(assert_jit_step_matches, randomize_weights):
    assert_jit_step_matches(
        lambda: MaskedConv2D(6, 3, mask_type="A", color_channels=3),
        (5, 7, 3),
        randomize_weights,
    )


BAD_ARGS = {
    "kernel_even": (dict(kernel_size=2), "kernel_size=2"),
    "kernel_even_tuple": (dict(kernel_size=(3, 4)), "kernel_size=(3, 4)"),
    "kernel_zero": (dict(kernel_size=0), "kernel_size=0"),
    "kernel_negative": (dict(kernel_size=-3), "kernel_size=-3"),
    "kernel_zero_width": (dict(kernel_size=(1, 0)), "kernel_size=(1, 0)"),
    "mask_C": (dict(mask_type="C"), "mask_type='C'"),
    "A_1x1_grey": (dict(kernel_size=1, mask_type="A"), "mask_type='A'"),
    "strides_2": (dict(strides=2), "strides=2"),
    "strides_1x2": (dict(strides=(1, 2)), "strides=(1, 2)"),
    "dilation_2": (dict(dilation_rate=2), "dilation_rate=2"),
    "padding_valid": (dict(padding="valid"), "padding='valid'"),
    "channels_first": (dict(data_format="channels_first"), "data_format='channels_first'"),
    "filters_not_divisible": (dict(filters=4, color_channels=3), "filters=4"),
    "filters_zero": (dict(filters=0), "filters=0"),
    "colors_zero": (dict(color_channels=0), "color_channels=0"),
}


@pytest.mark.parametrize("case", BAD_ARGS.values(), ids=BAD_ARGS.keys())
def test_bad_arguments(case):
    overrides, echo = case
    args = dict(filters=6, kernel_size=3)
    args.update(overrides)
    with pytest.raises(ValueError, match=re.escape(echo)):
        MaskedConv2D(**args)


BAD_INPUTS = {
    "rank_3": ((2, 5, 7), 1, "rank 4 (batch, height, width, channels). Received: input_shape=(2, 5, 7)"),
    "rank_5": ((1, 2, 5, 7, 3), 1, "input_shape=(1, 2, 5, 7, 3)"),
    "channels_not_divisible": ((2, 5, 7, 4), 3, "input_shape=(2, 5, 7, 4)"),
}


@pytest.mark.parametrize("case", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_inputs(case):
    shape, colors, echo = case
    layer = MaskedConv2D(6, 3, color_channels=colors)
    with pytest.raises(ValueError, match=re.escape(echo)):
        layer(np.zeros(shape, "float32"))


def test_unknown_channel_dimension():
    with pytest.raises(ValueError, match=re.escape("input_shape=(None, None, None, None)")):
        MaskedConv2D(6, 3)(keras.Input((None, None, None)))
