import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_pixelrnn import receptive_field
from keras_pixelrnn.models.likelihood import PixelRNNLoss, log_prob, scorer
from keras_pixelrnn.models.pixel_rnn import ARCHITECTURES, PRESETS, build_pixel_rnn, build_preset


def tiny(architecture, colors, levels=4, **kwargs):
    keras.utils.set_random_seed(0)
    return build_pixel_rnn(architecture, (5, 6, colors), num_layers=2,
                           hidden_units=3 * colors, levels=levels, **kwargs)


def past(height, width, colors, pixel, color):
    """The sub-pixels before (pixel, color) in raster order, R -> G -> B."""
    field = np.zeros((height, width, colors), bool)
    i, j = pixel
    field[:i] = True
    field[i, :j] = True
    field[i, j, :color] = True
    return field


def diagonal_model_field(height, width, colors, pixel, color):
    """The whole past but one sub-pixel: the last colour of the row above's last pixel.

    The Diagonal BiLSTM layer sees all of its input before (i, j); but under the
    7x7 mask-A input layer, the last colour of image pixel (i-1, W-1) (the only
    colour no feature at (i-1, W-1) may see) first appears in the feature maps
    on row i, at columns W-4 .. W-1. From columns j < W-4 it is unseen.
    """
    field = past(height, width, colors, pixel, color)
    i, j = pixel
    if i >= 1 and j < width - 1 - 3:
        field[i - 1, width - 1, colors - 1] = False
    return field


@pytest.mark.parametrize("architecture", ARCHITECTURES)
@pytest.mark.parametrize("colors", [1, 3], ids=["grey", "rgb"])
@pytest.mark.parametrize("pixel", [(0, 0), (2, 3), (4, 5), (4, 0), (0, 5)], ids=str)
def test_built_models_are_causal(architecture, colors, pixel):
    model = tiny(architecture, colors)
    levels = 4
    for color in range(colors):
        field = receptive_field(model, (5, 6, colors), pixel, output_channel=color * levels + 1, trials=3)
        allowed = past(5, 6, colors, pixel, color)
        assert not (field & ~allowed).any(), f"future leak at {pixel} colour {color}"
        if architecture == "diagonal_bilstm":
            np.testing.assert_array_equal(field, diagonal_model_field(5, 6, colors, pixel, color))
        elif pixel != (0, 0) or color:
            assert field.any(), "the model ignores its context"


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_row_lstm_and_pixel_cnn_models_see_less_than_the_full_past(architecture):
    """Row LSTM (triangle) and PixelCNN (blind spot) miss far upper-right pixels."""
    keras.utils.set_random_seed(0)
    model = build_pixel_rnn(architecture, (8, 16, 1), num_layers=1, hidden_units=4, levels=2)
    field = receptive_field(model, (8, 16, 1), (7, 2), output_channel=0)
    allowed = past(8, 16, 1, (7, 2), 0)
    assert not (field & ~allowed).any()
    if architecture == "diagonal_bilstm":
        np.testing.assert_array_equal(field, diagonal_model_field(8, 16, 1, (7, 2), 0))
    else:
        assert not field[0:2, 14:].any()


def test_logits_shape_and_dtype_and_unknown_size():
    model = build_pixel_rnn("row_lstm", (None, None, 3), 1, 6, levels=8)
    for shape in [(2, 4, 5, 3), (1, 7, 3, 3)]:
        logits = model(np.zeros(shape, "float32"))
        assert tuple(logits.shape) == shape + (8,)
        assert logits.dtype == "float32"


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_training_lowers_the_loss_and_keras_round_trip(architecture, tmp_path):
    model = tiny(architecture, 1, levels=2)
    images = (np.random.default_rng(0).random((8, 5, 6, 1)) > 0.6).astype("uint8")
    images[:, :, 2] = 1  # structure to learn
    model.compile(keras.optimizers.Adam(1e-2), loss=PixelRNNLoss())
    before = model.evaluate(images.astype("float32"), images, verbose=0)
    model.fit(images.astype("float32"), images, epochs=5, batch_size=8, verbose=0)
    after = model.evaluate(images.astype("float32"), images, verbose=0)
    assert after < before - 1.0
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)  # no custom_objects
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(log_prob(loaded, images), log_prob(model, images))


def test_skip_connections_and_residual_switches_change_the_graph():
    with_all = tiny("row_lstm", 1)
    names = {layer.name for layer in with_all.layers}
    assert {"skip_0", "skip_2", "block_1_residual", "skip_sum"} <= names
    bare = tiny("row_lstm", 1, skip_connections=False, residual=False)
    names = {layer.name for layer in bare.layers}
    assert not any(n.startswith("skip") or n.endswith("residual") for n in names)


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_presets_follow_the_paper(preset):
    config = PRESETS[preset]
    colors = config["image_shape"][-1]
    assert config["hidden_units"] % colors == 0 and config["output_units"] % colors == 0
    if preset == "mnist":
        assert (config["architecture"], config["num_layers"], config["hidden_units"], config["levels"]) == (
            "diagonal_bilstm", 7, 16, 2)
    if preset.startswith("cifar10"):
        assert config["hidden_units"] in (129,) and config["levels"] == 256
    if preset == "imagenet64":
        assert config["residual"] is False and config["num_layers"] == 4


@pytest.mark.parametrize("preset", ["small", "mnist", "mnist_row_lstm", "mnist_pixel_cnn"])
def test_small_presets_build_and_run(preset):
    model = build_preset(preset)
    assert model.name == preset
    assert tuple(model(np.zeros((1, 28, 28, 1), "float32")).shape) == (1, 28, 28, 1, 2)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(architecture="pixel_rnn"), "architecture.*pixel_rnn"),
        (dict(image_shape=(28, 28)), r"image_shape.*\(28, 28\)"),
        (dict(image_shape=(28, 28, 2)), r"image_shape.*\(28, 28, 2\)"),
        (dict(num_layers=0), "num_layers=0"),
        (dict(hidden_units=-4), "hidden_units=-4"),
        (dict(levels=1), "levels=1"),
        (dict(image_shape=(8, 8, 3), hidden_units=4), "hidden_units=4"),
        (dict(image_shape=(8, 8, 3), hidden_units=3, output_units=10), "output_units=10"),
    ],
    ids=["architecture", "rank", "colors", "layers", "hidden", "levels", "hidden_rgb", "output_rgb"],
)
def test_bad_builder_arguments(kwargs, match):
    args = dict(architecture="row_lstm", image_shape=(8, 8, 1), num_layers=1, hidden_units=4)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        build_pixel_rnn(**args)


def test_unknown_preset():
    with pytest.raises(ValueError, match="preset='cifar100'"):
        build_preset("cifar100")


# The PixelRNN model object.

from keras_pixelrnn import PixelRNN  # noqa: E402
from keras_pixelrnn.generation import sampling  # noqa: E402


def random_pixel_rnn(architecture="row_lstm", image_shape=(4, 5, 3), levels=256, **kwargs):
    model = PixelRNN(architecture, image_shape, num_layers=2, hidden_units=6, levels=levels,
                     **kwargs)
    rng = np.random.default_rng(0)
    for weight in model.weights:
        weight.assign(rng.normal(0.0, 0.5, weight.shape).astype(weight.dtype))
    return model


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_pixel_rnn_config_and_keras_round_trips_score_alike(architecture, tmp_path):
    model = random_pixel_rnn(architecture, output_units=12, residual=architecture != "row_lstm")
    images = np.random.default_rng(1).integers(0, 256, (3, 4, 5, 3), np.uint8)
    expected = model.log_prob(images)
    assert expected.shape == (3,) and np.all(expected < 0)

    clone = PixelRNN.from_config(model.get_config())
    assert type(clone) is PixelRNN and clone.get_config() == model.get_config()
    clone.set_weights(model.get_weights())
    np.testing.assert_array_equal(clone.log_prob(images), expected)

    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is PixelRNN and loaded is not model
    assert loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.log_prob(images), expected)
    np.testing.assert_array_equal(loaded.sample(2, seed=3), model.sample(2, seed=3))


@pytest.mark.slow
def test_pixel_rnn_methods_are_the_module_functions():
    model = random_pixel_rnn("diagonal_bilstm", (4, 4, 1), levels=2)
    images = np.random.default_rng(2).integers(0, 2, (5, 4, 4, 1), np.uint8)
    nats = log_prob(model, images, batch_size=2)
    np.testing.assert_allclose(model.log_prob(images), nats, rtol=1e-6)
    # Eager, unbatched, from the logits: the compiled batched scorer agrees.
    logits = model(images.astype("float32"))
    from keras_pixelrnn.models.likelihood import log_prob_from_logits
    np.testing.assert_allclose(nats, log_prob_from_logits(logits, images).numpy(), rtol=1e-5)
    np.testing.assert_allclose(model.bits_per_dim(images), -nats / (16 * math.log(2)), rtol=1e-6)
    drawn, drawn_log_prob = model.sample(3, seed=4, temperature=0.8, return_log_prob=True)
    np.testing.assert_array_equal(drawn, sampling.sample(model, 3, seed=4, temperature=0.8))
    np.testing.assert_allclose(drawn_log_prob, model.log_prob(drawn), rtol=1e-5, atol=1e-4)
    np.testing.assert_array_equal(model.sample(3, seed=4, method="naive", temperature=0.8), drawn)
    filled = model.complete(images[:2], keep_rows=2, seed=1)
    np.testing.assert_array_equal(filled[:, :2], images[:2, :2])
    np.testing.assert_array_equal(filled, sampling.complete(model, images[:2], keep_rows=2, seed=1))


def test_pixel_rnn_traces_its_sampler_and_scorer_once():
    model = random_pixel_rnn("row_lstm", (4, 5, 1), levels=2)
    model.sample(2, seed=0)
    run = sampling.sampler(model, "cached")
    assert sampling.sampler(model, "cached") is run
    assert run.traces == 1
    first = model.sample(2, seed=1)
    assert not np.array_equal(first, model.sample(2, seed=2))
    model.sample(3, seed=0)  # a new batch size: the same trace
    assert run.traces == 1
    # A new method is its own sampler.
    assert sampling.sampler(model, "naive") is not run
    images = np.zeros((7, 4, 5, 1), np.uint8)
    model.log_prob(images, batch_size=3)  # batches of 3, 3 and 1
    model.log_prob(images[:2])
    assert scorer(model).traces == 1


def test_sampling_from_many_models_traces_each_sampler_once():
    """Each model keeps its own sampler, traced once by its first call."""
    for seed in range(7):
        model = random_pixel_rnn("row_lstm", (3, 3, 1), levels=2)
        model.sample(1, seed=seed)
        model.sample(2, seed=seed)
        assert sampling.sampler(model, "cached").traces == 1


def test_pixel_rnn_presets_list_every_preset():
    presets = PixelRNN.presets
    assert set(presets) == set(PRESETS)
    for name, entry in presets.items():
        assert entry["config"] == PRESETS[name] and entry["description"]


# The paper's sizes are too big for a test: the natural-image presets are shrunk.
SHRUNK = dict(num_layers=1, hidden_units=3, output_units=6, image_shape=(6, 6, 3))


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_from_preset_builds_every_preset(preset):
    overrides = SHRUNK if PRESETS[preset]["image_shape"][-1] == 3 else {}
    model = PixelRNN.from_preset(preset, **overrides)
    assert type(model) is PixelRNN and model.name == preset
    config = dict(PRESETS[preset], **overrides)
    for key in ("architecture", "num_layers", "hidden_units", "levels"):
        assert getattr(model, key) == config[key]
    assert model.residual == config.get("residual", True)
    height, width, colors = config["image_shape"]
    images = np.zeros((1, height, width, colors), "float32")
    # A class-conditional preset takes each image's label too.
    out = model([images, np.zeros((1,), "int32")] if config.get("num_classes") else images)
    assert tuple(out.shape) == (1, height, width, colors, config["levels"])


def test_from_preset_rejects_unknown_names_and_overrides():
    with pytest.raises(ValueError, match="preset='cifar100'"):
        PixelRNN.from_preset("cifar100")
    with pytest.raises(ValueError, match="layers"):
        PixelRNN.from_preset("mnist", layers=3)
    with pytest.raises(ValueError, match="num_layers=0"):
        PixelRNN.from_preset("mnist", num_layers=0)


def test_mixed_precision_pixel_rnn_round_trips(tmp_path, mixed_float16):
    model = PixelRNN("row_lstm", (4, 4, 1), num_layers=1, hidden_units=4, levels=2)
    assert model.get_config()["dtype"] == "mixed_float16"
    path = str(tmp_path / "model.keras")
    model.save(path)
    keras.config.set_dtype_policy("float32")
    loaded = keras.saving.load_model(path)
    assert loaded.get_layer("block_1_row_lstm").dtype_policy.name == "mixed_float16"
    assert loaded.get_layer("logits").dtype_policy.name == "float32"


@pytest.mark.slow
def test_mnist_preset_fits_under_mixed_float16(mixed_float16):
    """`model.fit` of the `mnist` preset (7 Diagonal BiLSTM blocks) with a
    loss-scale optimizer: finite losses that go down."""
    keras.utils.set_random_seed(0)
    model = PixelRNN.from_preset("mnist", load_weights=False, image_shape=(12, 12, 1))
    optimizer = keras.optimizers.LossScaleOptimizer(keras.optimizers.Adam(3e-3))
    model.compile(optimizer, loss=PixelRNNLoss())
    assert model.dtype_policy.name == "mixed_float16"
    images = (np.random.default_rng(0).random((16, 12, 12, 1)) < 0.2).astype("int32")
    images[:, :, 6] = 1  # something to learn
    # The first steps overflow and are skipped while the loss scale (2^15 at
    # first) comes down: dynamic loss scaling at work.
    history = model.fit(images.astype("float32"), images, batch_size=8, epochs=10, verbose=0,
                        shuffle=False).history["loss"]
    assert np.all(np.isfinite(history)), history
    assert history[-1] < 0.9 * history[0], history  # down by a tenth or more
