import re

import keras
import numpy as np
import pytest

import numpy_reference as ref
from keras_pixelrnn import RowLSTM, RowLSTMCell

SHAPES = {"5x7": (5, 7), "7x5": (7, 5)}


def row_cases():
    for k in (3, 5):
        for mask_type in ("A", "B"):
            for colors in (1, 3):
                yield pytest.param(k, mask_type, colors, id=f"k{k}-{mask_type}-c{colors}")


def random_input(batch, height, width, channels, seed=1):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (batch, height, width, channels)).astype("float32")


def reference(layer, x, mask_type, colors):
    return ref.row_lstm(
        x,
        layer.input_to_state.kernel.numpy(),
        layer.cell.recurrent_kernel.numpy(),
        layer.cell.bias.numpy(),
        mask_type,
        colors,
    )


def make_layer(k, mask_type, colors, in_channels, randomize, seed=0):
    units = 3 if colors == 1 else 6
    layer = RowLSTM(units, kernel_size=k, mask_type=mask_type, color_channels=colors)
    layer.build((None, None, None, in_channels))
    return randomize(layer, seed)


# training=True runs the loop that trains fastest (`recurrence`): tested as well.
TRAINING = [pytest.param(False, id="inference"), pytest.param(True, id="training")]


@pytest.mark.parametrize("training", TRAINING)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("k, mask_type, colors", row_cases())
def test_matches_numpy_reference(k, mask_type, colors, shape, training, randomize_weights):
    x = random_input(3, *shape, 2 * colors)
    layer = make_layer(k, mask_type, colors, 2 * colors, randomize_weights)
    np.testing.assert_allclose(
        layer(x, training=training).numpy(), reference(layer, x, mask_type, colors), atol=1e-5
    )


EDGE_SHAPES = {"1x1": (1, 1), "1x6": (1, 6), "6x1": (6, 1), "2x2": (2, 2)}


@pytest.mark.parametrize("shape", EDGE_SHAPES.values(), ids=EDGE_SHAPES.keys())
def test_matches_numpy_reference_on_thin_images(shape, randomize_weights):
    x = random_input(2, *shape, 3)
    layer = make_layer(5, "B", 3, 3, randomize_weights)
    np.testing.assert_allclose(layer(x).numpy(), reference(layer, x, "B", 3), atol=1e-5)


@pytest.mark.parametrize("training", TRAINING)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("k, mask_type, colors", row_cases())
def test_exact_receptive_field(
    k, mask_type, colors, shape, training, randomize_weights, assert_exact_fields
):
    in_channels = 2 * colors
    layer = make_layer(k, mask_type, colors, in_channels, randomize_weights)
    assert_exact_fields(layer, "row", *shape, in_channels, colors, mask_type, k, training)


@pytest.mark.parametrize("training", TRAINING)
def test_no_dependency_across_batch(training, randomize_weights, assert_batch_independent):
    layer = make_layer(3, "B", 3, 3, randomize_weights)
    assert_batch_independent(layer, (5, 7, 3), training)


def test_weight_layout(randomize_weights):
    layer = make_layer(5, "A", 3, 6, randomize_weights)
    assert layer.input_to_state.kernel.shape == (1, 5, 6, 24)
    assert layer.input_to_state.use_bias is False
    assert layer.cell.recurrent_kernel.shape == (5, 6, 24)
    assert layer.cell.bias.shape == (24,)
    assert len(layer.weights) == 3


def test_forget_bias_initialised_to_one_per_colour_group():
    layer = RowLSTM(6, color_channels=3)
    layer.build((None, 5, 7, 3))
    bias = layer.cell.bias.numpy().reshape(3, 4, 2)  # [colour, gate (o, f, i, g), unit]
    np.testing.assert_array_equal(bias[:, 1], 1.0)
    np.testing.assert_array_equal(bias[:, [0, 2, 3]], 0.0)


def test_config_round_trip(randomize_weights):
    layer = make_layer(5, "A", 3, 3, randomize_weights)
    config = layer.get_config()
    clone = RowLSTM.from_config(config)
    assert clone.get_config() == config
    assert (clone.units, clone.kernel_size, clone.mask_type, clone.color_channels) == (
        6, 5, "A", 3,
    )
    clone.build((None, None, None, 3))
    clone.set_weights(layer.get_weights())
    x = random_input(2, 5, 7, 3)
    np.testing.assert_array_equal(clone(x).numpy(), layer(x).numpy())


def test_dynamic_image_size(randomize_weights):
    inputs = keras.Input((None, None, 3))
    layer = RowLSTM(6, color_channels=3, mask_type="A")
    model = keras.Model(inputs, layer(inputs))
    randomize_weights(model)
    for shape in ((5, 7), (7, 4)):
        x = random_input(2, *shape, 3)
        np.testing.assert_allclose(
            model.predict(x, verbose=0), reference(layer, x, "A", 3), atol=1e-5
        )


def test_mixed_float16(mixed_float16, randomize_weights):
    x = random_input(2, 5, 7, 3)
    layer = make_layer(3, "A", 3, 3, randomize_weights)
    assert layer.cell.recurrent_kernel.dtype == "float32"
    y16 = layer(x)
    assert keras.backend.standardize_dtype(y16.dtype) == "float16"
    np.testing.assert_allclose(
        np.asarray(y16, "float32"), reference(layer, x, "A", 3), atol=1e-2
    )


def test_jit_compiled_step_matches(assert_jit_step_matches, randomize_weights):
    assert_jit_step_matches(
        lambda: RowLSTM(6, color_channels=3, mask_type="A", implementation="xla"), (5, 7, 3),
        randomize_weights,
    )


# --- The cell alone --------------------------------------------------------


def test_cell_step_matches_reference(randomize_weights):
    """One row from random previous states: every tap of K_ss and c_{i-1}[j] used."""
    batch, width, units, colors = 2, 7, 6, 3
    cell = RowLSTMCell(units, kernel_size=5, color_channels=colors)
    cell.build()
    randomize_weights(cell)
    rng = np.random.default_rng(2)
    z = rng.uniform(-1, 1, (batch, width, 4 * units)).astype("float32")
    h_prev, c_prev = rng.uniform(-1, 1, (2, batch, width, units)).astype("float32")
    h, (h_again, c) = cell(z, (h_prev, c_prev))
    np.testing.assert_array_equal(h.numpy(), h_again.numpy())
    kss, bias = cell.recurrent_kernel.numpy(), cell.bias.numpy()
    for n in range(batch):
        for j in range(width):
            pre = z[n, j] + bias
            for t in range(5):
                if 0 <= j - 2 + t < width:
                    pre = pre + h_prev[n, j - 2 + t] @ kss[t]
            h_ref, c_ref = ref.lstm_update(pre, c_prev[n, j], colors)
            np.testing.assert_allclose(h.numpy()[n, j], h_ref, atol=1e-5)
            np.testing.assert_allclose(c.numpy()[n, j], c_ref, atol=1e-5)


def test_cell_run_row_by_row_equals_reference_layer(randomize_weights):
    x = random_input(2, 5, 7, 3)
    kis = np.random.default_rng(4).uniform(-0.5, 0.5, (1, 3, 3, 24)).astype("float32")
    z = ref.masked_conv2d(x, kis, None, "A", 3).astype("float32")
    cell = RowLSTMCell(6, color_channels=3)
    cell.build()
    randomize_weights(cell)
    states = cell.get_initial_state(batch_size=2, positions=7)
    assert [tuple(s.shape) for s in states] == [(2, 7, 6), (2, 7, 6)]
    assert not np.any(states[0].numpy()) and not np.any(states[1].numpy())
    rows = []
    for i in range(5):
        h, states = cell(z[:, i], states)
        rows.append(h.numpy())
    expected = ref.row_lstm(
        x, kis, cell.recurrent_kernel.numpy(), cell.bias.numpy(), "A", 3
    )
    np.testing.assert_allclose(np.stack(rows, 1), expected, atol=1e-5)


def test_cell_config_round_trip():
    cell = RowLSTMCell(6, kernel_size=5, color_channels=3, unit_forget_bias=False)
    config = cell.get_config()
    clone = RowLSTMCell.from_config(config)
    assert clone.get_config() == config
    assert (clone.kernel_size, clone.color_channels, clone.unit_forget_bias) == (5, 3, False)


# --- Bad arguments ----------------------------------------------------------

BAD_ARGS = {
    "kernel_even": (dict(kernel_size=2), "kernel_size=2"),
    "kernel_zero": (dict(kernel_size=0), "kernel_size=0"),
    "kernel_negative": (dict(kernel_size=-3), "kernel_size=-3"),
    "kernel_tuple": (dict(kernel_size=(3,)), "kernel_size=(3,)"),
    "mask_C": (dict(mask_type="C"), "mask_type='C'"),
    "units_not_divisible": (dict(units=4, color_channels=3), "units=4"),
    "units_zero": (dict(units=0), "units=0"),
    "colors_zero": (dict(color_channels=0), "color_channels=0"),
}


@pytest.mark.parametrize("case", BAD_ARGS.values(), ids=BAD_ARGS.keys())
def test_bad_arguments(case):
    overrides, echo = case
    args = dict(units=6)
    args.update(overrides)
    with pytest.raises(ValueError, match=re.escape(echo)):
        RowLSTM(**args)


CELL_BAD_ARGS = {
    "kernel_even": (dict(kernel_size=4), "kernel_size=4"),
    "kernel_zero": (dict(kernel_size=0), "kernel_size=0"),
    "kernel_negative": (dict(kernel_size=-1), "kernel_size=-1"),
    "units_not_divisible": (dict(units=4, color_channels=3), "units=4"),
    "units_zero": (dict(units=0), "units=0"),
}


@pytest.mark.parametrize("case", CELL_BAD_ARGS.values(), ids=CELL_BAD_ARGS.keys())
def test_cell_bad_arguments(case):
    overrides, echo = case
    args = dict(units=6)
    args.update(overrides)
    with pytest.raises(ValueError, match=re.escape(echo)):
        RowLSTMCell(**args)


BAD_INPUTS = {
    "rank_3": ((2, 5, 7), 1, "rank 4 (batch, height, width, channels). Received: input_shape=(2, 5, 7)"),
    "rank_5": ((1, 2, 5, 7, 3), 1, "rank 4 (batch, height, width, channels). Received: input_shape=(1, 2, 5, 7, 3)"),
    "channels_not_divisible": ((2, 5, 7, 4), 3, "input_shape=(2, 5, 7, 4)"),
}


@pytest.mark.parametrize("case", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_inputs(case):
    shape, colors, echo = case
    layer = RowLSTM(6, color_channels=colors)
    with pytest.raises(ValueError, match=re.escape(echo)):
        layer(np.zeros(shape, "float32"))


def test_unknown_channel_dimension():
    with pytest.raises(ValueError, match=re.escape("input_shape=(None, None, None, None)")):
        RowLSTM(6)(keras.Input((None, None, None)))


def test_mask_A_with_width_1_and_one_colour():
    with pytest.raises(ValueError, match="mask_type='A'"):
        RowLSTM(3, kernel_size=1, mask_type="A")(np.zeros((1, 5, 7, 1), "float32"))
