import os
import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import numpy_reference as ref
from keras_pixelrnn import DiagonalBiLSTM, DiagonalLSTMCell, MaskedConv2D, RowLSTM

DIRECTIONS = ("left_to_right", "right_to_left")
SHAPES = {"5x7": (5, 7), "7x5": (7, 5)}
# Mask A with one colour masks the 1x1 input-to-state entirely: an error, tested below.
CASES = {"B-c1": ("B", 1), "B-c3": ("B", 3), "A-c3": ("A", 3)}


def random_input(batch, height, width, channels, seed=1):
    rng = np.random.default_rng(seed)
    return rng.uniform(-1, 1, (batch, height, width, channels)).astype("float32")


def weights_of(layer):
    """A DiagonalBiLSTM's weights as `numpy_reference.diagonal_bilstm` takes them."""
    return {
        d: (
            layer.input_to_state[d].kernel.numpy(),
            layer.cells[d].recurrent_kernel.numpy(),
            layer.cells[d].bias.numpy(),
        )
        for d in DIRECTIONS
    }


def reference(layer, x, mask_type, colors):
    return ref.diagonal_bilstm(x, weights_of(layer), mask_type, colors)


def make_layer(mask_type, colors, in_channels, randomize, seed=0, implementation="auto"):
    units = 3 if colors == 1 else 6
    layer = DiagonalBiLSTM(
        units, mask_type=mask_type, color_channels=colors, implementation=implementation
    )
    layer.build((None, None, None, in_channels))
    return randomize(layer, seed)


# training=True runs the loop that trains fastest (`recurrence`): tested as well.
TRAINING = [pytest.param(False, id="inference"), pytest.param(True, id="training")]


@pytest.mark.parametrize("training", TRAINING)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("mask_type, colors", CASES.values(), ids=CASES.keys())
def test_matches_numpy_reference(mask_type, colors, shape, training, randomize_weights):
    x = random_input(3, *shape, 2 * colors)
    layer = make_layer(mask_type, colors, 2 * colors, randomize_weights)
    np.testing.assert_allclose(
        layer(x, training=training).numpy(), reference(layer, x, mask_type, colors), atol=1e-5
    )


EDGE_SHAPES = {"1x1": (1, 1), "1x6": (1, 6), "6x1": (6, 1), "2x2": (2, 2), "3x9": (3, 9)}


@pytest.mark.parametrize("training", TRAINING)
@pytest.mark.parametrize("shape", EDGE_SHAPES.values(), ids=EDGE_SHAPES.keys())
def test_matches_numpy_reference_on_thin_images(shape, training, randomize_weights):
    x = random_input(2, *shape, 3)
    layer = make_layer("B", 3, 3, randomize_weights)
    np.testing.assert_allclose(
        layer(x, training=training).numpy(), reference(layer, x, "B", 3), atol=1e-5
    )


def test_directions_have_separate_weights(randomize_weights):
    """Both streams count: swapping their weights changes the output."""
    x = random_input(2, 5, 7, 3)
    layer = make_layer("B", 3, 3, randomize_weights)
    y = layer(x).numpy()
    l2r = [w.numpy() for w in layer.weights[:3]]
    r2l = [w.numpy() for w in layer.weights[3:]]
    layer.set_weights(r2l + l2r)
    assert np.abs(layer(x).numpy() - y).max() > 1e-3
    np.testing.assert_allclose(layer(x).numpy(), reference(layer, x, "B", 3), atol=1e-5)


@pytest.mark.parametrize("training", TRAINING)
@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
@pytest.mark.parametrize("mask_type, colors", CASES.values(), ids=CASES.keys())
def test_exact_receptive_field(
    mask_type, colors, shape, training, randomize_weights, assert_exact_fields
):
    in_channels = 2 * colors
    layer = make_layer(mask_type, colors, in_channels, randomize_weights)
    assert_exact_fields(
        layer, "diagonal", *shape, in_channels, colors, mask_type, training=training
    )


@pytest.mark.parametrize("training", TRAINING)
def test_no_dependency_across_batch(training, randomize_weights, assert_batch_independent):
    layer = make_layer("B", 3, 3, randomize_weights)
    assert_batch_independent(layer, (5, 7, 3), training)


# The training loops of a DiagonalBiLSTM: with a known H and W, the bands of
# pixels only (`skew.diagonal_bands`), the two directions either paired in one
# set of ops (one chain, as with one thread or a GPU) or side by side (two
# chains); with unknown ones, the skewed map's popped loop.
# (implementation, height and width known when traced)
TRAINING_LOOPS = {
    "paired_bands": ("paired_bands", True),
    "bands": ("bands", True),
    "skewed": ("skewed", True),
    "auto-unknown-size": ("auto", False),  # the bands need the size: auto runs the skewed map
}


@pytest.mark.parametrize("colors", [1, 3])
@pytest.mark.parametrize("batch_static", [True, False])
@pytest.mark.parametrize("shape", [(4, 5), (5, 3), (1, 4), (4, 1)], ids=str)
@pytest.mark.parametrize("loop", list(TRAINING_LOOPS))
def test_training_loop_gives_the_same_outputs_and_gradients(
    colors, batch_static, shape, loop, randomize_weights, assert_training_equals_inference
):
    """Every training loop (`TRAINING_LOOPS`), popped off a list, gives the
    numbers (and the gradients, w.r.t. the input and every weight) of the
    inference loop."""
    implementation, size_static = TRAINING_LOOPS[loop]
    layer = make_layer("B", colors, 2 * colors, randomize_weights, implementation=implementation)
    x = tf.constant(random_input(2, *shape, 2 * colors))
    spatial = shape if size_static else (None, None)
    spec = tf.TensorSpec((2 if batch_static else None, *spatial, 2 * colors))
    assert_training_equals_inference(layer, x, spec)


@pytest.mark.parametrize("implementation", ["bands", "paired_bands"])
def test_bands_refuse_an_unknown_size(implementation):
    """A named way that cannot run the graph raises (never a silent other way)."""
    layer = DiagonalBiLSTM(3, implementation=implementation)
    run = tf.function(lambda x: layer(x, training=True))
    with pytest.raises(ValueError, match=f"implementation='{implementation}'"):
        run.get_concrete_function(tf.TensorSpec((2, None, None, 1)))


def test_implementation_round_trips_and_is_checked():
    layer = DiagonalBiLSTM(3, implementation="paired_bands")
    assert DiagonalBiLSTM.from_config(layer.get_config()).implementation == "paired_bands"
    with pytest.raises(ValueError, match="Received: implementation='fast'"):
        DiagonalBiLSTM(3, implementation="fast")


@pytest.mark.parametrize("mask_type, colors", [("B", 1), ("A", 3)])
@pytest.mark.parametrize("implementation", ["paired_bands", "bands"])
def test_training_gradient_matches_finite_differences_of_the_numpy_reference(
    mask_type, colors, implementation, randomize_weights
):
    """The band loop's gradient (directions paired or side by side) against
    central differences of the float64 NumPy reference, for entries of the
    input and of every weight: a check that shares no code with the layer."""
    layer = make_layer(mask_type, colors, 2 * colors, randomize_weights, implementation=implementation)
    x = random_input(2, 4, 3, 2 * colors).astype("float64")
    rng = np.random.default_rng(7)
    cotangent = rng.standard_normal((2, 4, 3, layer.units))

    # (direction, index in `weights_of`, variable) for the six weights.
    parameters = [
        (d, k, v)
        for d in DIRECTIONS
        for k, v in enumerate(
            (layer.input_to_state[d].kernel, layer.cells[d].recurrent_kernel, layer.cells[d].bias)
        )
    ]

    @tf.function(input_signature=[tf.TensorSpec((2, 4, 3, 2 * colors))])
    def gradients(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            loss = tf.reduce_sum(layer(x, training=True) * tf.constant(cotangent, "float32"))
        return tape.gradient(loss, [x] + [v for _, _, v in parameters])

    ours = [g.numpy() for g in gradients(tf.constant(x, "float32"))]
    weights = weights_of(layer)

    def loss(x, weights):
        return float(np.sum(ref.diagonal_bilstm(x, weights, mask_type, colors) * cotangent))

    def with_weight(d, k, value):
        return dict(weights, **{d: tuple(value if j == k else w for j, w in enumerate(weights[d]))})

    # Each gradient's array and the loss as a function of that array.
    targets = [(x, lambda v: loss(v, weights))] + [
        (np.asarray(weights[d][k], "float64"), lambda v, d=d, k=k: loss(x, with_weight(d, k, v)))
        for d, k, _ in parameters
    ]
    checked = 0
    for grad, (target, evaluate) in zip(ours, targets):
        for flat in rng.choice(target.size, size=6, replace=False):
            index = np.unravel_index(flat, target.shape)
            plus, minus = target.copy(), target.copy()
            plus[index] += 1e-5
            minus[index] -= 1e-5
            expected = (evaluate(plus) - evaluate(minus)) / 2e-5
            np.testing.assert_allclose(grad[index], expected, rtol=2e-3, atol=2e-4)
            checked += 1
    assert checked == 6 * 7


def test_weight_layout(randomize_weights):
    layer = make_layer("A", 3, 6, randomize_weights)
    for d in DIRECTIONS:
        assert layer.input_to_state[d].kernel.shape == (1, 1, 6, 24)
        assert layer.input_to_state[d].use_bias is False
        assert layer.cells[d].recurrent_kernel.shape == (2, 6, 24)
        assert layer.cells[d].bias.shape == (24,)
    assert len(layer.weights) == 6


def test_config_round_trip(randomize_weights):
    layer = make_layer("A", 3, 3, randomize_weights)
    config = layer.get_config()
    clone = DiagonalBiLSTM.from_config(config)
    assert clone.get_config() == config
    assert (clone.units, clone.mask_type, clone.color_channels) == (6, "A", 3)
    clone.build((None, None, None, 3))
    clone.set_weights(layer.get_weights())
    x = random_input(2, 5, 7, 3)
    np.testing.assert_array_equal(clone(x).numpy(), layer(x).numpy())


def test_dynamic_image_size(randomize_weights):
    inputs = keras.Input((None, None, 3))
    layer = DiagonalBiLSTM(6, color_channels=3, mask_type="A")
    model = keras.Model(inputs, layer(inputs))
    randomize_weights(model)
    for shape in ((5, 7), (7, 4)):
        x = random_input(2, *shape, 3)
        np.testing.assert_allclose(
            model.predict(x, verbose=0), reference(layer, x, "A", 3), atol=1e-5
        )


def test_mixed_float16(mixed_float16, randomize_weights):
    x = random_input(2, 5, 7, 3)
    layer = make_layer("A", 3, 3, randomize_weights)
    assert layer.cells["left_to_right"].recurrent_kernel.dtype == "float32"
    y16 = layer(x)
    assert keras.backend.standardize_dtype(y16.dtype) == "float16"
    np.testing.assert_allclose(
        np.asarray(y16, "float32"), reference(layer, x, "A", 3), atol=1e-2
    )


@pytest.mark.parametrize("implementation", ["paired_bands", "bands", "skewed"])
def test_mixed_float16_training_mode(implementation, mixed_float16, randomize_weights):
    """The training loops under mixed precision."""
    x = random_input(2, 5, 7, 3)
    layer = make_layer("A", 3, 3, randomize_weights, implementation=implementation)
    y16 = layer(x, training=True)
    assert keras.backend.standardize_dtype(y16.dtype) == "float16"
    np.testing.assert_allclose(
        np.asarray(y16, "float32"), reference(layer, x, "A", 3), atol=1e-2
    )


def test_jit_compiled_step_matches(assert_jit_step_matches, randomize_weights):
    assert_jit_step_matches(
        lambda: DiagonalBiLSTM(6, color_channels=3, implementation="skewed"), (5, 7, 3),
        randomize_weights,
    )


def test_stack_of_all_layers_saves_and_loads(tmp_path, randomize_weights):
    """A Functional model with all three layers, .keras, no custom_objects."""
    inputs = keras.Input((None, None, 3))
    x = MaskedConv2D(12, 7, mask_type="A", color_channels=3, name="first")(inputs)
    x = RowLSTM(6, color_channels=3, name="row")(x)
    x = DiagonalBiLSTM(6, color_channels=3, name="diagonal")(x)
    outputs = MaskedConv2D(3, 1, color_channels=3, name="last")(x)
    model = keras.Model(inputs, outputs)
    randomize_weights(model)
    path = os.fspath(tmp_path / "stack.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert [type(layer).__name__ for layer in loaded.layers] == [
        "InputLayer", "MaskedConv2D", "RowLSTM", "DiagonalBiLSTM", "MaskedConv2D",
    ]
    assert loaded.get_layer("first").mask_type == "A"
    for a, b in zip(model.weights, loaded.weights):
        assert a.path == b.path
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    for shape in ((5, 7), (4, 6)):
        x = random_input(2, *shape, 3)
        np.testing.assert_array_equal(loaded(x).numpy(), model(x).numpy())


# --- The cell alone --------------------------------------------------------


def test_cell_step_matches_reference(randomize_weights):
    """One skewed column: position r reads h[r - 1] (above) and h[r] (left), c[r]."""
    batch, height, units, colors = 2, 5, 6, 3
    cell = DiagonalLSTMCell(units, color_channels=colors)
    cell.build()
    randomize_weights(cell)
    rng = np.random.default_rng(2)
    z = rng.uniform(-1, 1, (batch, height, 4 * units)).astype("float32")
    h_prev, c_prev = rng.uniform(-1, 1, (2, batch, height, units)).astype("float32")
    h, (h_again, c) = cell(z, (h_prev, c_prev))
    np.testing.assert_array_equal(h.numpy(), h_again.numpy())
    kss, bias = cell.recurrent_kernel.numpy(), cell.bias.numpy()
    for n in range(batch):
        for r in range(height):
            above = h_prev[n, r - 1] if r > 0 else np.zeros(units)
            pre = z[n, r] + above @ kss[0] + h_prev[n, r] @ kss[1] + bias
            h_ref, c_ref = ref.lstm_update(pre, c_prev[n, r], colors)
            np.testing.assert_allclose(h.numpy()[n, r], h_ref, atol=1e-5)
            np.testing.assert_allclose(c.numpy()[n, r], c_ref, atol=1e-5)


def test_cell_initial_state_and_config():
    cell = DiagonalLSTMCell(6, color_channels=3, unit_forget_bias=False)
    states = cell.get_initial_state(batch_size=2, positions=4)
    assert [tuple(s.shape) for s in states] == [(2, 4, 6), (2, 4, 6)]
    assert not np.any(states[0].numpy()) and not np.any(states[1].numpy())
    config = cell.get_config()
    clone = DiagonalLSTMCell.from_config(config)
    assert clone.get_config() == config
    assert (clone.units, clone.color_channels, clone.unit_forget_bias) == (6, 3, False)


# --- Bad arguments ----------------------------------------------------------

BAD_ARGS = {
    "mask_C": (dict(mask_type="C"), "mask_type='C'"),
    "A_grey": (dict(mask_type="A"), "mask_type='A'"),
    "units_not_divisible": (dict(units=4, color_channels=3), "units=4"),
    "units_zero": (dict(units=0), "units=0"),
    "units_negative": (dict(units=-2), "units=-2"),
    "colors_zero": (dict(color_channels=0), "color_channels=0"),
}


@pytest.mark.parametrize("case", BAD_ARGS.values(), ids=BAD_ARGS.keys())
def test_bad_arguments(case):
    overrides, echo = case
    args = dict(units=6)
    args.update(overrides)
    with pytest.raises(ValueError, match=re.escape(echo)):
        DiagonalBiLSTM(**args)


@pytest.mark.parametrize(
    "args, echo",
    [(dict(units=4, color_channels=3), "units=4"), (dict(units=0), "units=0")],
    ids=["units_not_divisible", "units_zero"],
)
def test_cell_bad_arguments(args, echo):
    with pytest.raises(ValueError, match=re.escape(echo)):
        DiagonalLSTMCell(**args)


BAD_INPUTS = {
    "rank_3": ((2, 5, 7), 1, "rank 4 (batch, height, width, channels). Received: input_shape=(2, 5, 7)"),
    "rank_5": ((1, 2, 5, 7, 3), 1, "rank 4 (batch, height, width, channels). Received: input_shape=(1, 2, 5, 7, 3)"),
    "channels_not_divisible": ((2, 5, 7, 4), 3, "input_shape=(2, 5, 7, 4)"),
}


@pytest.mark.parametrize("case", BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_bad_inputs(case):
    shape, colors, echo = case
    layer = DiagonalBiLSTM(6, color_channels=colors)
    with pytest.raises(ValueError, match=re.escape(echo)):
        layer(np.zeros(shape, "float32"))


def test_unknown_channel_dimension():
    with pytest.raises(ValueError, match=re.escape("input_shape=(None, None, None, None)")):
        DiagonalBiLSTM(6)(keras.Input((None, None, None)))
