"""Tests of `keras_pixelrnn.generation.sampling` and of the `sample` / `complete` commands.

The fast ("cached") sampler is checked against the reference ("naive") one,
bit for bit, on tiny models whose every weight (biases included) is drawn
from N(0, 0.5), so that the logits depend strongly on the pixels drawn so far
and a cache that misses or misplaces one activation changes the images.
"""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf
from PIL import Image

from keras_pixelrnn import MaskedConv2D, RowLSTM, cli
from keras_pixelrnn.generation import sampling
from keras_pixelrnn.layers.color_logits import ColorLogits
from keras_pixelrnn.models.likelihood import log_prob
from keras_pixelrnn.models.pixel_rnn import build_pixel_rnn

ARCHITECTURES = ("pixel_cnn", "row_lstm", "diagonal_bilstm")


def random_model(architecture, image_shape, levels, seed=0):
    model = build_pixel_rnn(architecture, image_shape, num_layers=2, hidden_units=6, levels=levels)
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        weight.assign(rng.normal(0.0, 0.5, weight.shape).astype(weight.dtype))
    return model


def assert_varied(images):
    """The images are not all alike: the noise, not the model alone, decides them."""
    assert len({image.tobytes() for image in images}) > 1, "every image of the batch is the same"


# Cached sampling equals naive sampling, and both report log p(x).

CASES = [
    pytest.param((arch, shape, levels, temperature), id=f"{arch}-{name}-t{temperature}")
    for arch in ARCHITECTURES
    for (name, shape, levels), temperature in zip(
        [("grey2-5x4", (5, 4, 1), 2), ("rgb256-4x6", (4, 6, 3), 256),
         ("grey256-4x6", (4, 6, 1), 256), ("rgb2-5x4", (5, 4, 3), 2)],
        {"pixel_cnn": (0.7, 1.5, 1.0, 1.5), "row_lstm": (1.5, 0.7, 1.5, 1.0),
         "diagonal_bilstm": (0.7, 1.5, 0.7, 1.0)}[arch],
    )
]


@pytest.fixture(scope="module", params=CASES)
def drawn(request):
    """Images and log-probabilities drawn with both methods from the same noise."""
    architecture, shape, levels, temperature = request.param
    model = random_model(architecture, shape, levels)
    noise = np.random.default_rng(1).random((3,) + shape, np.float32)
    out = {"model": model, "noise": noise, "levels": levels}
    for method in sampling.METHODS:
        out[method] = sampling.generate(
            model, noise, temperature=temperature, method=method, return_log_prob=True
        )
    return out


def test_cached_equals_naive(drawn):
    cached, _ = drawn["cached"]
    naive, _ = drawn["naive"]
    assert cached.dtype == naive.dtype == np.uint8
    assert cached.shape == drawn["noise"].shape
    assert cached.max() < drawn["levels"]
    assert_varied(naive)
    if not np.array_equal(cached, naive):
        where = np.argwhere(cached != naive)
        pytest.fail(f"{len(where)} sub-pixels differ, first (n, i, j, c)={where[:5].tolist()}")


@pytest.mark.parametrize("method", sampling.METHODS)
def test_log_prob_of_the_draws(drawn, method):
    images, drawn_log_prob = drawn[method]
    expected = log_prob(drawn["model"], images)
    assert drawn_log_prob.shape == (len(images),)
    assert np.all(expected < 0)
    np.testing.assert_allclose(drawn_log_prob, expected, rtol=1e-5, atol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_saved_model_samples_the_same(architecture, tmp_path):
    model = random_model(architecture, (4, 5, 3), 256, seed=2)
    before = sampling.sample(model, 2, seed=5, temperature=0.9)
    path = os.path.join(tmp_path, "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded is not model
    np.testing.assert_array_equal(sampling.sample(loaded, 2, seed=5, temperature=0.9), before)


@pytest.mark.slow
def test_xla_and_traced_cached_sampling_match_naive():
    """`jit_compile=True`, and the traceable core under TensorFlow's default
    executor (as an export traces it), draw what `generate` draws."""
    model = random_model("row_lstm", (4, 5, 3), 256, seed=9)
    noise = np.random.default_rng(4).random((2, 4, 5, 3), np.float32)
    naive = sampling.generate(model, noise, temperature=1.5, method="naive")
    assert_varied(naive)
    xla = sampling.generate(model, noise, temperature=1.5, jit_compile=True)
    np.testing.assert_array_equal(xla, naive)
    run = sampling.sampler(model, "cached")
    traced = tf.function(run.images_from_noise)(noise, 1.5).numpy()
    assert traced.dtype == np.uint8
    np.testing.assert_array_equal(traced, naive)


def test_one_trace_serves_every_batch_size():
    """Sampling 3, 1 and 5 images and completing 2 (row by row, as
    `progress=True` draws) traces each method's sampler once, and the cached
    sampler still draws what the naive one draws."""
    model = random_model("row_lstm", (4, 5, 1), 2, seed=10)
    noise = np.random.default_rng(5).random((5, 4, 5, 1), np.float32)
    drawn = {}
    for method in sampling.METHODS:
        run = sampling.sampler(model, method)
        assert run.traces == 0
        drawn[method] = [sampling.generate(model, noise[:n], method=method) for n in (3, 1, 5)]
        drawn[method].append(sampling.complete(model, drawn[method][-1][:2], keep_rows=2, seed=0,
                                               method=method, progress=True))
        assert sampling.sampler(model, method) is run
        assert run.traces == 1
    assert_varied(drawn["naive"][2])
    for cached, naive in zip(drawn["cached"], drawn["naive"]):
        np.testing.assert_array_equal(cached, naive)


@pytest.mark.slow
def test_mixed_precision_model_samples():
    """The cached sampler evaluates a mixed_float16 model in float32: it runs,
    and draws what naive (float16) draws except where rounding moves a CDF
    boundary across the noise."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        model = random_model("row_lstm", (4, 5, 3), 256, seed=3)
    finally:
        keras.config.set_dtype_policy(previous)
    naive = sampling.sample(model, 3, seed=0, method="naive")
    cached, drawn_log_prob = sampling.sample(model, 3, seed=0, return_log_prob=True)
    assert cached.dtype == np.uint8
    assert np.mean(cached == naive) > 0.9
    np.testing.assert_allclose(drawn_log_prob, log_prob(model, cached), rtol=1e-3)


def test_cached_equals_naive_for_other_kernels_and_heads():
    """Kernels of shape (3, 1), (1, 5) and 3x3, and logits from a 3x3
    convolution (no 1x1 output head): every branch of the cached convolution."""
    inputs = keras.Input((5, 4, 3))
    x = keras.layers.Rescaling(2.0 / 3, offset=-1.0)(inputs)
    x = MaskedConv2D(6, (3, 1), mask_type="A", color_channels=3)(x)
    x = MaskedConv2D(6, (1, 5), color_channels=3, activation="tanh")(x)
    x = keras.layers.ReLU()(x)
    x = MaskedConv2D(3 * 4, 3, color_channels=3)(x)
    model = keras.Model(inputs, ColorLogits(3)(x))
    rng = np.random.default_rng(0)
    for weight in model.weights:
        weight.assign(rng.normal(0.0, 0.8, weight.shape).astype(weight.dtype))
    noise = rng.random((3, 5, 4, 3), np.float32)
    naive, naive_log_prob = sampling.generate(model, noise, method="naive", return_log_prob=True)
    cached, cached_log_prob = sampling.generate(model, noise, return_log_prob=True)
    assert_varied(naive)
    np.testing.assert_array_equal(cached, naive)
    np.testing.assert_allclose(cached_log_prob, naive_log_prob, rtol=1e-5)


@pytest.mark.parametrize("colors", [1, 3])
def test_cached_runs_other_per_pixel_keras_layers(colors):
    """Keras layers that act on each pixel alone (here LeakyReLU, Dense,
    Multiply, Concatenate on channels, LayerNormalization) go through the
    default path: the cached sampler draws what the naive one draws."""
    inputs = keras.Input((4, 5, colors))
    x = MaskedConv2D(2 * colors, 3, mask_type="A", color_channels=colors)(inputs)
    x = keras.layers.LeakyReLU(negative_slope=0.2)(x)
    y = RowLSTM(colors, color_channels=colors)(x)
    x = keras.layers.Concatenate(axis=-1)([x, keras.layers.Multiply()([y, y])])
    x = keras.layers.LayerNormalization(axis=-1)(x) if colors == 1 else x
    x = keras.layers.Dense(8)(x) if colors == 1 else x  # mixes colour groups: grey only
    x = MaskedConv2D(colors * 4, 1, color_channels=colors)(x)
    model = keras.Model(inputs, ColorLogits(colors)(x))
    rng = np.random.default_rng(1)
    for weight in model.weights:
        weight.assign(rng.normal(0.0, 0.8, weight.shape).astype(weight.dtype))
    noise = rng.random((3, 4, 5, colors), np.float32)
    naive, naive_log_prob = sampling.generate(model, noise, method="naive", return_log_prob=True)
    cached, cached_log_prob = sampling.generate(model, noise, return_log_prob=True)
    assert_varied(naive)
    np.testing.assert_array_equal(cached, naive)
    np.testing.assert_allclose(cached_log_prob, naive_log_prob, rtol=1e-5)


@pytest.mark.parametrize(
    "make_layer, kind",
    [
        pytest.param(lambda: keras.layers.Conv2D(4, 3, padding="same", name="plain"), "Conv2D",
                     id="conv2d"),
        pytest.param(lambda: keras.layers.Softmax(axis=1, name="plain"), "Softmax", id="softmax_rows"),
        pytest.param(lambda: keras.layers.UpSampling2D(1, name="plain"), "UpSampling2D",
                     id="upsampling"),
    ],
)
def test_cached_rejects_layers_without_a_one_pixel_step(make_layer, kind):
    inputs = keras.Input((4, 4, 1))
    x = MaskedConv2D(4, 3, mask_type="A")(inputs)
    x = make_layer()(x)
    x = MaskedConv2D(2, 1)(x)
    model = keras.Model(inputs, ColorLogits(1)(x))
    with pytest.raises(ValueError, match=rf"layer 'plain' of type {kind}.*method='naive'"):
        sampling.sample(model, 1, seed=0)
    assert sampling.sample(model, 1, seed=0, method="naive").shape == (1, 4, 4, 1)


def test_cached_rejects_a_layer_called_twice():
    inputs = keras.Input((4, 4, 1))
    x = MaskedConv2D(4, 3, mask_type="A")(inputs)
    shared = MaskedConv2D(4, 1, name="shared")
    x = shared(shared(x))
    model = keras.Model(inputs, ColorLogits(1)(MaskedConv2D(2, 1)(x)))
    with pytest.raises(ValueError, match="called more than once.*method='naive'"):
        sampling.sample(model, 1, seed=0)


# Seeds and temperature.


@pytest.mark.slow
def test_seed_decides_the_images():
    model = random_model("diagonal_bilstm", (4, 4, 1), 256)
    first = sampling.sample(model, 3, seed=7)
    again = sampling.sample(model, 3, seed=7)
    other = sampling.sample(model, 3, seed=8)
    assert_varied(first)
    np.testing.assert_array_equal(again, first)
    assert not np.array_equal(other, first)
    noise = np.random.default_rng(7).random((3, 4, 4, 1), np.float32)
    np.testing.assert_array_equal(sampling.sample(model, 3, noise=noise), first)


@pytest.mark.slow
@pytest.mark.parametrize("method", sampling.METHODS)
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_cold_temperature_follows_the_most_probable_path(architecture, method):
    model = random_model(architecture, (4, 5, 3), 256, seed=3)
    images = sampling.sample(model, 2, seed=0, temperature=1e-4, method=method)
    # One forward pass on the finished images gives the logits of every
    # sub-pixel given the prefix that was actually drawn before it.
    most_probable = np.argmax(model(images.astype(np.float32)).numpy(), axis=-1)
    if not np.array_equal(images, most_probable):
        where = np.argwhere(images != most_probable)
        pytest.fail(f"{len(where)} sub-pixels are not the argmax, first {where[:5].tolist()}")
    # ...and that path is not one the model would take at temperature 1.
    warm = sampling.sample(model, 2, seed=0, temperature=1.0, method=method)
    assert not np.array_equal(warm, images)


# Completion.


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_complete_keeps_the_top_rows_and_conditions_on_them(architecture):
    model = random_model(architecture, (5, 4, 3), 256, seed=4)
    images = np.random.default_rng(0).integers(0, 256, (2, 5, 4, 3), np.uint8)
    completed = sampling.complete(model, images, keep_rows=2, seed=1)
    assert completed.dtype == np.uint8
    np.testing.assert_array_equal(completed[:, :2], images[:, :2])
    from_zeros = sampling.complete(model, np.zeros_like(images), keep_rows=2, seed=1)
    np.testing.assert_array_equal(from_zeros[:, :2], 0)
    # Same noise, different kept rows: the drawn rows follow what they see.
    assert not np.array_equal(completed[:, 2:], from_zeros[:, 2:])
    # Kept rows are copied, not drawn: naive agrees bit for bit.
    naive = sampling.complete(model, images, keep_rows=2, seed=1, method="naive")
    np.testing.assert_array_equal(naive, completed)


@pytest.mark.slow
def test_complete_keeps_an_arbitrary_mask():
    model = random_model("diagonal_bilstm", (4, 5, 3), 256, seed=5)
    rng = np.random.default_rng(2)
    images = rng.integers(0, 256, (2, 4, 5, 3), np.uint8)
    known = rng.random(images.shape) < 0.4
    completed = sampling.complete(model, images, known=known, seed=3)
    np.testing.assert_array_equal(completed[known], images[known])
    from_zeros = sampling.complete(model, np.zeros_like(images), known=known, seed=3)
    assert not np.array_equal(completed[~known], from_zeros[~known])
    naive = sampling.complete(model, images, known=known, seed=3, method="naive")
    np.testing.assert_array_equal(naive, completed)
    # A broadcast mask: the whole first column of every image, every colour.
    column = np.zeros((1, 4, 5, 1), bool)
    column[:, :, 0] = True
    kept = sampling.complete(model, images, known=column, seed=3)
    np.testing.assert_array_equal(kept[:, :, 0], images[:, :, 0])


def test_complete_edge_cases():
    model = random_model("row_lstm", (4, 4, 1), 2, seed=6)
    images = np.random.default_rng(0).integers(0, 2, (3, 4, 4, 1), np.uint8)
    np.testing.assert_array_equal(sampling.complete(model, images, keep_rows=4, seed=0), images)
    # Nothing kept: the same draw as `sample` from the same seed.
    np.testing.assert_array_equal(
        sampling.complete(model, images, keep_rows=0, seed=9), sampling.sample(model, 3, seed=9)
    )


# Bad input: a ValueError naming the argument and echoing the value.

SHAPE = (4, 5, 1)


@pytest.fixture(scope="module")
def small_model():
    return random_model("pixel_cnn", SHAPE, 2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        pytest.param(dict(num_samples=0), "num_samples=0", id="num_samples_zero"),
        pytest.param(dict(num_samples=-2), "num_samples=-2", id="num_samples_negative"),
        pytest.param(dict(num_samples=2.0), "num_samples=2.0", id="num_samples_float"),
        pytest.param(dict(num_samples="2"), "num_samples='2'", id="num_samples_str"),
        pytest.param(dict(num_samples=True), "num_samples=True", id="num_samples_bool"),
        pytest.param(dict(temperature=0.0), "temperature=0.0", id="temperature_zero"),
        pytest.param(dict(temperature=-1), "temperature=-1", id="temperature_negative"),
        pytest.param(dict(temperature=float("nan")), "temperature=nan", id="temperature_nan"),
        pytest.param(dict(temperature="1"), "temperature='1'", id="temperature_str"),
        pytest.param(dict(method="fast"), "method='fast'", id="method_unknown"),
        pytest.param(dict(method=None), "method=None", id="method_none"),
        pytest.param(
            dict(noise=np.full((2,) + SHAPE, 1.0, np.float32)), r"noise.*max=1\.0", id="noise_one"
        ),
        pytest.param(
            dict(noise=np.full((2,) + SHAPE, -0.5, np.float32)), r"noise.*min=-0\.5", id="noise_negative"
        ),
        pytest.param(
            dict(noise=np.zeros((2, 5, 4, 1), np.float32)), r"noise\.shape=\(2, 5, 4, 1\)",
            id="noise_shape",
        ),
        pytest.param(
            dict(noise=np.zeros(SHAPE, np.float32)), r"noise\.shape=\(4, 5, 1\)", id="noise_rank"
        ),
        pytest.param(
            dict(noise=np.zeros((3,) + SHAPE, np.float32)), r"noise.*3 images.*num_samples=2",
            id="noise_count",
        ),
    ],
)
def test_sample_rejects(small_model, kwargs, match):
    kwargs = dict(dict(num_samples=2, seed=0), **kwargs)
    with pytest.raises(ValueError, match=match):
        sampling.sample(small_model, **kwargs)


@pytest.mark.parametrize(
    "images, kwargs, match",
    [
        pytest.param(np.zeros((2, 5, 5, 1)), {}, r"images.*\(2, 5, 5, 1\)", id="images_size"),
        pytest.param(np.zeros((2, 4, 5, 3)), {}, r"images.*\(2, 4, 5, 3\)", id="images_colors"),
        pytest.param(np.zeros(SHAPE), {}, r"images.*\(4, 5, 1\)", id="images_rank"),
        pytest.param(np.full((2,) + SHAPE, 2), {}, r"images.*max=2", id="images_levels"),
        pytest.param(np.zeros((2,) + SHAPE), dict(keep_rows=-1), "keep_rows=-1", id="keep_rows_negative"),
        pytest.param(np.zeros((2,) + SHAPE), dict(keep_rows=5), "keep_rows=5", id="keep_rows_above_h"),
        pytest.param(np.zeros((2,) + SHAPE), dict(keep_rows=1.5), "keep_rows=1.5", id="keep_rows_float"),
        pytest.param(np.zeros((2,) + SHAPE), dict(keep_rows=1, temperature=0), "temperature=0",
                     id="temperature_zero"),
        pytest.param(np.zeros((2,) + SHAPE), dict(keep_rows=1, method="cache"), "method='cache'",
                     id="method_unknown"),
        pytest.param(np.zeros((2,) + SHAPE), dict(known=np.zeros((2, 3, 5, 1), bool)),
                     r"known.*\(2, 3, 5, 1\)", id="known_shape"),
    ],
)
def test_complete_rejects(small_model, images, kwargs, match):
    with pytest.raises(ValueError, match=match):
        sampling.complete(small_model, images, seed=0, **kwargs)


def test_generate_rejects_bad_values(small_model):
    noise = np.zeros((2,) + SHAPE, np.float32)
    with pytest.raises(ValueError, match=r"values.*max=3"):
        sampling.generate(small_model, noise, known=np.ones(noise.shape, bool),
                          values=np.full(noise.shape, 3))
    with pytest.raises(ValueError, match="values"):
        sampling.generate(small_model, noise, known=np.ones(noise.shape, bool))


def test_draw_is_an_inverse_cdf():
    logits = tf.math.log(tf.constant([[0.25, 0.0, 0.5, 0.25]] * 6))
    noise = tf.constant([0.0, 0.2499, 0.25, 0.7499, 0.75, 0.9999999])
    np.testing.assert_array_equal(sampling.draw(logits, noise, 1.0).numpy(), [0, 0, 2, 2, 3, 3])


def test_draw_never_picks_a_level_of_probability_zero():
    # The float32 CDF often ends just below 1; noise above its end must not
    # fall through to the last level when that level has probability 0.
    logits = np.random.default_rng(0).normal(0, 3, (400, 256)).astype(np.float32)
    logits[:, -1] = -np.inf
    noise = np.full((400,), np.nextafter(np.float32(1), np.float32(0)))
    for temperature in (1.0, 0.3):
        drawn = sampling.draw(tf.constant(logits), tf.constant(noise), temperature).numpy()
        assert drawn.max() < 255
        probs = tf.nn.softmax(logits / temperature).numpy()
        assert np.all(probs[np.arange(400), drawn] > 0)


# The command line.


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory):
    model = random_model("row_lstm", (4, 5, 1), 2, seed=8)
    path = str(tmp_path_factory.mktemp("cli") / "model.keras")
    model.save(path)
    return model, path


@pytest.mark.slow
def test_cli_sample_writes_npy_and_png(saved_model, tmp_path):
    model, path = saved_model
    npy, png = str(tmp_path / "samples.npy"), str(tmp_path / "samples.png")
    assert cli.main(["sample", "--model", path, "--num", "4", "--seed", "3", "--out", npy]) == 0
    images = np.load(npy)
    assert images.dtype == np.uint8 and images.shape == (4, 4, 5, 1)
    np.testing.assert_array_equal(images, sampling.sample(model, 4, seed=3))
    assert cli.main(["sample", "--model", path, "--num", "4", "--seed", "3", "--out", png]) == 0
    with Image.open(png) as picture:
        assert picture.format == "PNG"
        # A 2 x 2 grid of 4 x 5 images with 1-pixel borders, enlarged 4 times.
        assert picture.size == (4 * (2 * 6 + 1), 4 * (2 * 5 + 1))


@pytest.mark.slow
def test_cli_complete_writes_png(saved_model, tmp_path):
    _, path = saved_model
    source = str(tmp_path / "digits.npy")
    np.save(source, np.random.default_rng(0).integers(0, 2, (3, 4, 5, 1), np.uint8))
    out = str(tmp_path / "completed.png")
    argv = ["complete", "--model", path, "--images", source, "--num", "3", "--keep-rows", "2",
            "--out", out]
    assert cli.main(argv) == 0
    with Image.open(out) as picture:
        # Originals, occluded inputs and completions: 3 rows of 3 images.
        assert picture.size == (4 * (3 * 6 + 1), 4 * (3 * 5 + 1))


@pytest.mark.parametrize(
    "argv, message",
    [
        pytest.param(["sample", "--out", "{tmp}/samples.jpg"], "must end in .png or .npy",
                     id="sample_bad_extension"),
        pytest.param(["complete", "--images", "{tmp}/x.npy", "--keep-rows", "1",
                      "--out", "{tmp}/c.npy"], "must end in .png", id="complete_bad_extension"),
        pytest.param(["sample", "--model", "{tmp}/missing.keras", "--out", "{tmp}/s.png"],
                     "no such file", id="sample_missing_model"),
        pytest.param(["complete", "--model", "{tmp}/missing.keras", "--images", "{tmp}/x.npy",
                      "--keep-rows", "1", "--out", "{tmp}/c.png"], "no such file",
                     id="complete_missing_model"),
    ],
)
def test_cli_rejects(saved_model, tmp_path, capsys, argv, message):
    _, path = saved_model
    argv = [a.format(tmp=tmp_path) for a in argv]
    if "--model" not in argv:
        argv[1:1] = ["--model", path]
    assert cli.main(argv) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ") and message in error and str(tmp_path) in error
    assert os.listdir(tmp_path) == [], "a failed command wrote a file"
