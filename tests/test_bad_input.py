"""Bad input to the Python API: a named error or a right answer, never a wrong one.

The table `CASES` holds one named case per bad input of issue 29 (Python
API part; the command line is `test_bad_input_cli.py`). Each asserts the
exception type, that the message names the argument and that it echoes the
value. `EMPTY` holds the empty batches, which give empty results of the
right shape. The property-based tests (hypothesis) throw random arguments,
shapes, dtypes and values at the validators and at `log_prob`, `sample` and
`complete`: each answer is either right (checked against an independent
computation) or a ValueError naming the argument.
"""

import hashlib

import keras
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import keras_pixelrnn
from keras_pixelrnn import ColorLogits, DiagonalBiLSTM, MaskedConv2D, PixelRNN, RowLSTM
from keras_pixelrnn.generation import sampling
from keras_pixelrnn.models.likelihood import logits_of
from keras_pixelrnn.serving.signatures import signature_inputs
from keras_pixelrnn.utils import arguments
from random_weights import randomize

SHAPE = (4, 4, 1)
LEVELS = 2
QUICK = settings(max_examples=25, deadline=None,
                 suppress_health_check=[HealthCheck.function_scoped_fixture])


def tiny(architecture="pixel_cnn", seed=0, **kwargs):
    kwargs = dict(dict(image_shape=SHAPE, num_layers=1, hidden_units=4, levels=LEVELS), **kwargs)
    model = PixelRNN(architecture, **kwargs)
    return randomize(model, seed)


@pytest.fixture(scope="module")
def models():
    return {
        "plain": tiny(),
        "conditional": tiny(seed=1, num_classes=10),
        "free": tiny(seed=2, image_shape=(None, None, 1)),
    }


def images(n=2, dtype=np.uint8):
    return np.random.default_rng(n).integers(0, LEVELS, (n,) + SHAPE).astype(dtype)


NAN_NOISE = np.full((1,) + SHAPE, np.nan, np.float32)
LABELS_10 = np.array([10, 0])
LABELS_NEG = np.array([-1, 0])
STRINGS = np.full((1,) + SHAPE, "a")

# (call on the models, exception, argument named, value echoed)
CASES = [
    # Arguments, checked once by keras_pixelrnn.utils.arguments.
    pytest.param(lambda m: MaskedConv2D(4, True), ValueError, "kernel_size", "kernel_size=True",
                 id="kernel_size_bool"),
    pytest.param(lambda m: MaskedConv2D(4, "33"), ValueError, "kernel_size", "kernel_size='33'",
                 id="kernel_size_str_33"),
    pytest.param(lambda m: MaskedConv2D(4, "71"), ValueError, "kernel_size", "kernel_size='71'",
                 id="kernel_size_str_71"),
    pytest.param(lambda m: MaskedConv2D(4, (3.7, 3.2)), ValueError, "kernel_size",
                 "kernel_size=(3.7, 3.2)", id="kernel_size_floats"),
    pytest.param(lambda m: MaskedConv2D(4, 4), ValueError, "kernel_size", "kernel_size=4",
                 id="kernel_size_even"),
    pytest.param(lambda m: RowLSTM(4, kernel_size=0), ValueError, "kernel_size", "kernel_size=0",
                 id="row_lstm_kernel_size_zero"),
    pytest.param(lambda m: tiny(image_shape="281"), ValueError, "image_shape",
                 "image_shape='281'", id="image_shape_str"),
    pytest.param(lambda m: tiny(image_shape=(28.7, 28, 1)), ValueError, "image_shape",
                 "image_shape=(28.7, 28, 1)", id="image_shape_float"),
    pytest.param(lambda m: tiny(image_shape=(0, 28, 1)), ValueError, "image_shape",
                 "image_shape=(0, 28, 1)", id="image_shape_zero"),
    pytest.param(lambda m: PixelRNN("pixel_cnn", SHAPE, 1, 4, levels=257), ValueError, "levels",
                 "levels=257", id="levels_257"),
    pytest.param(lambda m: PixelRNN("pixel_cnn", SHAPE, 1, 4, levels=1), ValueError, "levels",
                 "levels=1", id="levels_1"),
    pytest.param(lambda m: m["plain"].sample(1, temperature=float("nan")), ValueError,
                 "temperature", "temperature=nan", id="temperature_nan"),
    pytest.param(lambda m: m["plain"].complete(images(), keep_rows=1, temperature=0.0),
                 ValueError, "temperature", "temperature=0.0", id="complete_temperature_zero"),
    pytest.param(lambda m: sampling.sample(m["plain"], 1, temperature=float("inf")), ValueError,
                 "temperature", "temperature=inf", id="generation_temperature_inf"),
    pytest.param(lambda m: m["plain"].sample(1, seed="abc"), ValueError, "seed", "seed='abc'",
                 id="seed_str"),
    pytest.param(lambda m: m["plain"].sample(1, seed=2.5), ValueError, "seed", "seed=2.5",
                 id="seed_float"),
    pytest.param(lambda m: sampling.sample(m["plain"], 1, seed=-1), ValueError, "seed",
                 "seed=-1", id="generation_seed_negative"),
    pytest.param(lambda m: m["plain"].complete(images(), keep_rows=1, seed="abc"), ValueError,
                 "seed", "seed='abc'", id="complete_seed_str"),
    # A batch that cannot fit is refused before anything is allocated.
    pytest.param(lambda m: m["plain"].sample(10**12), ValueError, "num_samples",
                 "num_samples=1000000000000", id="num_samples_beyond_memory"),
    pytest.param(lambda m: sampling.sample(m["conditional"], 10**12, conditions=[np.zeros(1)]),
                 ValueError, "num_samples", "num_samples=1000000000000",
                 id="generation_num_samples_beyond_memory"),
    pytest.param(lambda m: m["plain"].sample(0), ValueError, "num_samples", "num_samples=0",
                 id="num_samples_zero"),
    # One set of checks for the methods and the module-level functions.
    pytest.param(lambda m: m["plain"].sample(1, noise=NAN_NOISE), ValueError, "noise", "nan",
                 id="noise_nan"),
    pytest.param(lambda m: sampling.sample(m["plain"], 1, noise=NAN_NOISE), ValueError, "noise",
                 "nan", id="generation_noise_nan"),
    pytest.param(lambda m: sampling.generate(m["plain"], np.zeros((1,) + SHAPE, np.int32)),
                 ValueError, "noise", "noise.dtype=int32", id="generate_noise_int"),
    pytest.param(lambda m: m["plain"].sample(1, noise=STRINGS), ValueError, "noise",
                 "noise.dtype=<U1", id="noise_strings"),
    pytest.param(lambda m: signature_inputs(m["plain"], "sample", NAN_NOISE), ValueError,
                 "noise", "nan", id="signature_inputs_noise_nan"),
    pytest.param(lambda m: keras_pixelrnn.log_prob(m["conditional"], images(),
                                                   conditions=[LABELS_10]),
                 ValueError, "labels", "label 10", id="log_prob_label_10"),
    pytest.param(lambda m: keras_pixelrnn.log_prob(m["conditional"], images(),
                                                   conditions=[LABELS_NEG]),
                 ValueError, "labels", "label -1", id="log_prob_label_negative"),
    pytest.param(lambda m: sampling.sample(m["conditional"], 2, conditions=[LABELS_10]),
                 ValueError, "labels", "label 10", id="generation_sample_label_10"),
    pytest.param(lambda m: sampling.complete(m["conditional"], images(), keep_rows=1,
                                             conditions=[LABELS_NEG]),
                 ValueError, "labels", "label -1", id="generation_complete_label_negative"),
    pytest.param(lambda m: m["conditional"].log_prob(images(), labels=[10, 0]), ValueError,
                 "labels", "label 10", id="method_log_prob_label_10"),
    pytest.param(lambda m: m["plain"].log_prob(STRINGS), ValueError, "images",
                 "images.dtype=<U1", id="log_prob_strings"),
    pytest.param(lambda m: keras_pixelrnn.log_prob(m["plain"], STRINGS), ValueError, "images",
                 "images.dtype=<U1", id="module_log_prob_strings"),
    pytest.param(lambda m: keras_pixelrnn.log_prob(m["plain"], np.full((1,) + SHAPE, np.nan)),
                 ValueError, "images", "NaN", id="log_prob_nan_images"),
    pytest.param(lambda m: m["plain"].complete(STRINGS, keep_rows=1), ValueError, "images",
                 "images.dtype=<U1", id="complete_strings"),
    pytest.param(lambda m: MaskedConv2D(4, 3)(np.zeros((1, 8, 8, 4), np.int32)), ValueError,
                 "inputs", "inputs.dtype=int32", id="masked_conv2d_int_inputs"),
    pytest.param(lambda m: RowLSTM(4)(np.zeros((1, 8, 8, 4), np.int32)), ValueError, "inputs",
                 "inputs.dtype=int32", id="row_lstm_int_inputs"),
    pytest.param(lambda m: DiagonalBiLSTM(4)(np.zeros((1, 8, 8, 4), np.uint8)), ValueError,
                 "inputs", "inputs.dtype=uint8", id="diagonal_bilstm_uint8_inputs"),
    pytest.param(lambda m: m["free"].sample(1), ValueError, "image_shape", "(None, None, 1)",
                 id="sample_free_image_size"),
    pytest.param(lambda m: sampling.sample(m["free"], 1), ValueError, "image_shape",
                 "(None, None, 1)", id="generation_sample_free_image_size"),
    pytest.param(lambda m: m["free"].complete(np.zeros((1, 4, 4, 1)), keep_rows=1), ValueError,
                 "image_shape", "(None, None, 1)", id="complete_free_image_size"),
]


@pytest.mark.parametrize("call, error, name, echo", CASES)
def test_bad_input_is_a_named_error(models, call, error, name, echo):
    with pytest.raises(error) as raised:
        call(models)
    message = str(raised.value)
    assert name in message, message
    assert echo in message, message


def test_the_table_holds_every_case():
    assert len(CASES) == 41


# load_weights of another architecture: a named error, and the model untouched.


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("other", [
    pytest.param(dict(num_layers=2), id="more_layers"),
    pytest.param(dict(architecture="row_lstm"), id="other_architecture"),
    pytest.param(dict(hidden_units=8), id="wider"),
])
@pytest.mark.parametrize("suffix", [".weights.h5", ".keras"])
def test_load_weights_of_another_model_leaves_it_untouched(tmp_path, other, suffix):
    model = tiny()
    config = dict(architecture="pixel_cnn", num_layers=1, hidden_units=4, levels=LEVELS,
                  image_shape=SHAPE)
    source = randomize(PixelRNN(**dict(config, **other)), 5)
    path = tmp_path / f"other{suffix}"
    source.save(path) if suffix == ".keras" else source.save_weights(path)
    digest, x = _digest(path), images(8)
    before = model.log_prob(x)
    with pytest.raises(ValueError) as raised:
        model.load_weights(path)
    message = str(raised.value)
    assert "filepath" in message and str(path) in message, message
    assert "unchanged" in message, message
    np.testing.assert_array_equal(model.log_prob(x), before)
    assert _digest(path) == digest


def test_load_weights_names_the_first_mismatching_variable_and_shapes(tmp_path):
    path = tmp_path / "wide.weights.h5"
    tiny(hidden_units=8).save_weights(path)
    with pytest.raises(ValueError, match=r"'input_conv/kernel' has shape \(7, 7, 1, 8\) in the "
                                         r"model but \(7, 7, 1, 16\) in the file"):
        tiny().load_weights(path)


def test_load_weights_of_the_same_model_loads(tmp_path):
    path, x = tmp_path / "same.weights.h5", images(8)
    source = tiny(seed=9)
    source.save_weights(path)
    model = tiny()
    model.load_weights(path)
    np.testing.assert_array_equal(model.log_prob(x), source.log_prob(x))


# Empty batches: empty results of the right shape.

EMPTY_FEATURES = np.zeros((0, 8, 8, 4), np.float32)
NO_IMAGES = np.zeros((0,) + SHAPE, np.uint8)

EMPTY = [
    pytest.param(lambda m: MaskedConv2D(4, 3)(EMPTY_FEATURES), (0, 8, 8, 4), id="masked_conv2d"),
    pytest.param(lambda m: MaskedConv2D(4, 1)(EMPTY_FEATURES), (0, 8, 8, 4),
                 id="masked_conv2d_1x1"),
    pytest.param(lambda m: RowLSTM(4)(EMPTY_FEATURES), (0, 8, 8, 4), id="row_lstm"),
    pytest.param(lambda m: DiagonalBiLSTM(4)(EMPTY_FEATURES), (0, 8, 8, 4), id="diagonal_bilstm"),
    pytest.param(lambda m: ColorLogits(1)(EMPTY_FEATURES), (0, 8, 8, 1, 4), id="color_logits"),
    pytest.param(lambda m: m["plain"](NO_IMAGES.astype(np.float32)), (0,) + SHAPE + (LEVELS,),
                 id="model_call"),
    pytest.param(lambda m: m["plain"].predict(NO_IMAGES, verbose=0), (0,) + SHAPE + (LEVELS,),
                 id="predict"),
    pytest.param(lambda m: m["conditional"].predict([NO_IMAGES, np.zeros(0, np.int32)], verbose=0),
                 (0,) + SHAPE + (LEVELS,), id="conditional_predict"),
    pytest.param(lambda m: logits_of(m["plain"], NO_IMAGES), (0,) + SHAPE + (LEVELS,),
                 id="logits"),
    pytest.param(lambda m: m["plain"].log_prob(NO_IMAGES), (0,), id="log_prob"),
    pytest.param(lambda m: keras_pixelrnn.log_prob(m["conditional"], NO_IMAGES,
                                                   conditions=[np.zeros(0, int)]),
                 (0,), id="module_log_prob_conditional"),
    pytest.param(lambda m: m["plain"].complete(NO_IMAGES, keep_rows=2), (0,) + SHAPE,
                 id="complete"),
    pytest.param(lambda m: sampling.generate(m["plain"], np.zeros((0,) + SHAPE, np.float32)),
                 (0,) + SHAPE, id="generate"),
    pytest.param(lambda m: m["free"](np.zeros((0, 28, 28, 1), np.float32)), (0, 28, 28, 1, 2),
                 id="free_size_model_call"),
]


@pytest.mark.parametrize("call, shape", EMPTY)
def test_an_empty_batch_gives_an_empty_result(models, call, shape):
    assert tuple(np.shape(call(models))) == shape


# Property-based tests: a right answer or a named error.

ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(-3, 9), st.floats(allow_nan=True), st.text(max_size=3),
    st.tuples(st.integers(-3, 9), st.integers(-3, 9)),
    st.tuples(st.floats(-1, 9), st.integers(0, 9)), st.lists(st.integers(0, 9), max_size=4),
)


def _named(call, name, value):
    """`call()`, or None after a ValueError that names `name` and echoes `value`."""
    try:
        return call()
    except ValueError as error:
        assert f"`{name}`" in str(error) and f"{name}={value!r}" in str(error), str(error)
        return None


def _integral(v):
    return isinstance(v, int) and not isinstance(v, bool)


@QUICK
@given(ANYTHING)
def test_kernel_size_is_odd_positive_integers_or_a_named_error(value):
    check = lambda: arguments.integers("kernel_size", value, 2, odd=True)  # noqa: E731
    got = _named(check, "kernel_size", value)
    if got is not None:
        expected = (value, value) if _integral(value) else tuple(value)
        assert got == expected and all(_integral(v) and v > 0 and v % 2 for v in got)


@QUICK
@given(st.one_of(ANYTHING, st.tuples(st.integers(-1, 9), st.integers(-1, 9), st.integers(-1, 9))))
def test_image_shape_is_positive_integers_or_a_named_error(value):
    got = _named(lambda: arguments.shape("image_shape", value, 3), "image_shape", value)
    if got is not None:
        assert got == tuple(value) and all(_integral(v) and v >= 1 for v in got)


@QUICK
@given(st.one_of(ANYTHING, st.integers(-300, 300)))
def test_levels_and_seeds_are_checked_integers_or_a_named_error(value):
    levels = _named(lambda: arguments.integer("levels", value, 2, 256), "levels", value)
    assert levels is None or (_integral(value) and 2 <= levels == value <= 256)
    seed = _named(lambda: arguments.seed("seed", value), "seed", value)
    assert seed is None or (_integral(value) and seed == value >= 0)


@QUICK
@given(st.one_of(ANYTHING, st.floats(-2, 2)))
def test_temperature_is_finite_positive_or_a_named_error(value):
    got = _named(lambda: arguments.number("temperature", value, above=0), "temperature", value)
    if got is not None:
        assert np.isfinite(got) and got > 0 and got == value


@st.composite
def arrays(draw, valid=(0, LEVELS), wide=(-1, LEVELS + 1), whole=True):
    """A batch of maybe-images (or noise): half the time a valid one (the
    model's shape, values in `valid`, whole numbers where `whole`), else a
    few sizes, dtypes and values, most of them wrong (the `wide` range,
    fractions, strings)."""
    n = draw(st.integers(0, 3))
    dtypes = [np.float32, np.float64] + ([np.uint8, np.int64] if whole else [])
    if draw(st.booleans()):
        size, low_high, dtype = SHAPE, valid, draw(st.sampled_from(dtypes))
    else:
        height, width = draw(st.sampled_from([SHAPE[:2], (3, 4), (4, 5)]))
        size = (height, width, draw(st.sampled_from([1, 2])))
        low_high = draw(st.sampled_from([valid, wide]))
        dtype = draw(st.sampled_from(dtypes + [np.bool_, np.int32, "<U1"]))
    values = np.random.default_rng(draw(st.integers(0, 2**16))).uniform(*low_high, (n,) + size)
    if whole and (draw(st.integers(0, 3)) or np.dtype(dtype).kind != "f"):
        values = np.floor(values)
    if dtype == "<U1":
        return values.astype(int).astype(str)
    return values.astype(dtype)


def _valid_images(x):
    return (
        x.dtype.kind in "biuf" and x.shape[1:] == SHAPE
        and (x.dtype.kind != "f" or np.all(np.floor(x) == x))
        and (x.size == 0 or (x.min() >= 0 and x.max() < LEVELS))
    )


def _reference_log_prob(model, x):
    """log p(x) from the model's logits, in NumPy: a path apart from `log_prob`'s."""
    logits = np.asarray(model(x.astype(np.float32), training=False), np.float64)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    picked = np.take_along_axis(log_probs, x.astype(np.int64)[..., None], -1)[..., 0]
    return picked.sum(axis=(1, 2, 3))


@QUICK
@given(x=arrays())
def test_log_prob_is_right_or_a_named_error(models, x):
    model = models["plain"]
    event("valid" if _valid_images(x) else "refused")
    if not _valid_images(x):
        with pytest.raises(ValueError, match="`images`"):
            keras_pixelrnn.log_prob(model, x)
        return
    got = keras_pixelrnn.log_prob(model, x)
    assert got.shape == (len(x),) and got.dtype == np.float32
    np.testing.assert_allclose(got, _reference_log_prob(model, x), rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(model.log_prob(x), got)


@QUICK
@given(
    noise=arrays(valid=(0, 1), wide=(-0.2, 1.2), whole=False),
    temperature=st.sampled_from([1.0, 0.5, 1.0, 0.0, np.nan]),
)
def test_sample_from_noise_is_right_or_a_named_error(models, noise, temperature):
    model = models["plain"]
    valid = (noise.dtype.kind == "f" and noise.shape[1:] == SHAPE and len(noise) >= 1
             and np.all((noise >= 0) & (noise < 1)))
    call = lambda: model.sample(len(noise), noise=noise, temperature=temperature)  # noqa: E731
    event("valid" if valid and temperature > 0 else "refused")
    if not (valid and temperature > 0):
        with pytest.raises(ValueError, match="`noise`|`num_samples`|`temperature`"):
            call()
        return
    got = call()
    assert got.shape == noise.shape and got.dtype == np.uint8 and got.max() < LEVELS
    # The naive sampler, one forward pass per sub-pixel, draws the same.
    naive = sampling.generate(model, noise, temperature=temperature, method="naive")
    np.testing.assert_array_equal(got, naive)


@QUICK
@given(
    x=arrays(), keep_rows=st.integers(-1, SHAPE[0]), seed=st.sampled_from([0, 3, 0, 3, -1, "a"])
)
def test_complete_is_right_or_a_named_error(models, x, keep_rows, seed):
    model = models["plain"]
    valid = _valid_images(x) and 0 <= keep_rows <= SHAPE[0] and seed in (0, 3)
    event("valid" if valid else "refused")
    if not valid:
        with pytest.raises(ValueError, match="`images`|`keep_rows`|`seed`"):
            model.complete(x, keep_rows=keep_rows, seed=seed)
        return
    got = model.complete(x, keep_rows=keep_rows, seed=seed)
    assert got.shape == x.shape and got.dtype == np.uint8
    np.testing.assert_array_equal(got[:, :keep_rows], x[:, :keep_rows].astype(np.uint8))
    np.testing.assert_array_equal(got, model.complete(x.astype(np.uint8), keep_rows, seed=seed))


def test_keras_conv2d_refuses_integer_inputs_too():
    """The layers match Keras here: `Conv2D` does not cast integer inputs either."""
    with pytest.raises(ValueError):
        keras.layers.Conv2D(4, 3)(np.zeros((1, 8, 8, 4), np.int32))
