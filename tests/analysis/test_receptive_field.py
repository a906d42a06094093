import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import numpy_reference as ref
from keras_pixelrnn import DiagonalBiLSTM, MaskedConv2D, RowLSTM, receptive_field

SHAPES = {"5x7": (5, 7), "7x5": (7, 5)}


def random_input_model(layers, colors, randomize):
    inputs = keras.Input((None, None, colors))
    x = inputs
    for layer in layers:
        x = layer(x)
    model = keras.Model(inputs, x)
    return randomize(model)


# --- The reference formulas agree with PAPER.md -----------------------------


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_row_lstm_expectation_is_the_papers_triangle_for_k3(shape):
    height, width = shape
    for i in range(height):
        for j in range(width):
            field = ref.expected_field("row", height, width, 1, (i, j), 0, "B", 1, k=3)
            np.testing.assert_array_equal(
                field[..., 0], ref.paper_row_lstm_field(height, width, (i, j)), err_msg=str((i, j))
            )


def test_row_lstm_field_for_k5_widens_two_columns_per_row():
    field = ref.expected_field("row", 5, 11, 1, (4, 5), 0, "B", 1, k=5)[..., 0]
    for r in range(5):
        lo, hi = max(0, 5 - 2 * r - 2), min(10, 5 + 2 * r)
        expected = np.zeros(11, bool)
        expected[lo : hi + 1] = True
        np.testing.assert_array_equal(field[4 - r], expected, err_msg=f"row {4 - r}")


# --- Measured fields equal the paper's ---------------------------------------


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_measured_row_lstm_field_is_the_papers_triangle(shape, randomize_weights):
    layer = RowLSTM(3)
    layer.build((None,) + shape + (1,))
    randomize_weights(layer)
    traced = tf.function(layer)
    for pixel in ref.border_pixels(*shape):
        field = receptive_field(traced, shape + (1,), pixel)  # union over all channels
        np.testing.assert_array_equal(
            field[..., 0], ref.paper_row_lstm_field(*shape, pixel), err_msg=str(pixel)
        )


@pytest.mark.parametrize("colors", [1, 3], ids=["grey", "rgb"])
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_measured_diagonal_field_is_the_full_causal_context(shape, colors, randomize_weights):
    layer = DiagonalBiLSTM(3 * colors, color_channels=colors)
    layer.build((None,) + shape + (colors,))
    randomize_weights(layer)
    traced = tf.function(layer)
    for pixel in ref.border_pixels(*shape):
        for group in range(colors):
            field = receptive_field(traced, shape + (colors,), pixel, output_channel=3 * group)
            expected = ref.full_causal_context(*shape, colors, pixel, group, "B", colors)
            np.testing.assert_array_equal(field, expected, err_msg=f"{pixel} group {group}")


# --- Stacks ---------------------------------------------------------------------

STACKS = {
    "conv7A-row-diagonal": [("conv", "A", 7), ("row", "B", 3), ("diagonal", "B", 3)],
    "conv3B-row-diagonal": [("conv", "B", 3), ("row", "B", 3), ("diagonal", "B", 3)],
    "pixelcnn-conv7A-conv3B-conv3B": [("conv", "A", 7), ("conv", "B", 3), ("conv", "B", 3)],
    "conv7A-row-row": [("conv", "A", 7), ("row", "B", 3), ("row", "B", 3)],
}


def build_layer(kind, mask_type, k, colors):
    channels = 2 * colors
    if kind == "conv":
        return MaskedConv2D(channels, k, mask_type=mask_type, color_channels=colors)
    if kind == "row":
        return RowLSTM(channels, kernel_size=k, mask_type=mask_type, color_channels=colors)
    return DiagonalBiLSTM(channels, mask_type=mask_type, color_channels=colors)


@pytest.mark.parametrize("colors", [1, 3], ids=["grey", "rgb"])
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("stack", STACKS.values(), ids=STACKS.keys())
def test_stack_field_is_the_composition_of_layer_fields(stack, shape, colors, randomize_weights):
    model = random_input_model(
        [build_layer(kind, mask, k, colors) for kind, mask, k in stack], colors, randomize_weights
    )
    traced = tf.function(model)
    for n, pixel in enumerate(ref.border_pixels(*shape)):
        for group in range(colors):
            channel = 2 * group + n % 2
            field = receptive_field(traced, shape + (colors,), pixel, output_channel=channel)
            expected = ref.stack_field(stack, *shape, colors, pixel, group, colors)
            np.testing.assert_array_equal(field, expected, err_msg=f"{pixel} group {group}")


@pytest.mark.parametrize("colors", [1, 3], ids=["grey", "rgb"])
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_diagonal_stack_sees_the_full_causal_context(shape, colors):
    """Mask-A 7x7 conv, Row LSTM, Diagonal BiLSTM: the whole past, with one exception.

    The last colour of the last pixel of row i - 1 enters the network only
    through the first layer at row i, columns W - 4 .. W - 1 (the 7x7 kernel's
    reach; the mask-A centre at (i - 1, W - 1) hides it), so the output at
    (i, j) misses it while j < W - 4. Everything else of the causal context
    is seen.
    """
    stack = STACKS["conv7A-row-diagonal"]
    height, width = shape
    for i in range(height):
        for j in range(width):
            for group in range(colors):
                field = ref.stack_field(stack, height, width, colors, (i, j), group, colors)
                full = ref.full_causal_context(height, width, colors, (i, j), group, "A", colors)
                if i >= 1 and j < width - 4:
                    full[i - 1, width - 1, colors - 1] = False
                np.testing.assert_array_equal(field, full, err_msg=f"{(i, j)} group {group}")
    mask_b = STACKS["conv3B-row-diagonal"]
    for pixel in ref.border_pixels(height, width):
        np.testing.assert_array_equal(
            ref.stack_field(mask_b, height, width, colors, pixel, colors - 1, colors),
            ref.full_causal_context(height, width, colors, pixel, colors - 1, "B", colors),
        )


def test_pixelcnn_stack_has_a_blind_spot():
    stack = STACKS["pixelcnn-conv7A-conv3B-conv3B"]
    field = ref.stack_field(stack, 7, 9, 1, (6, 4), 0, 1)
    full = ref.full_causal_context(7, 9, 1, (6, 4), 0, "A", 1)
    assert not field[..., 0][full[..., 0] == 0].any()
    assert (full & ~field).any()


# --- receptive_field itself -------------------------------------------------------


def test_union_over_channels_equals_union_of_channel_fields(randomize_weights):
    layer = RowLSTM(6, color_channels=3, mask_type="A")
    layer.build((None, 5, 7, 3))
    randomize_weights(layer)
    union = receptive_field(layer, (5, 7, 3), (3, 4))
    per_channel = [receptive_field(layer, (5, 7, 3), (3, 4), output_channel=c) for c in range(6)]
    np.testing.assert_array_equal(union, np.any(per_channel, axis=0))
    assert not np.array_equal(per_channel[0], per_channel[5])  # R and B differ at (3, 4)


@pytest.mark.parametrize("pixel", [(5, 0), (0, 7), (-1, 2)], ids=["row", "col", "negative"])
def test_pixel_outside_the_image(pixel):
    with pytest.raises(ValueError, match=re.escape(f"pixel={pixel}")):
        receptive_field(MaskedConv2D(2, 3), (5, 7, 1), pixel)
