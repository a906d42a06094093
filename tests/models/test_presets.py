"""Shipped preset weights: `presets.weights_path`/`model_card`, `PixelRNN.from_preset(load_weights=...)`
and `PixelRNN.presets`, against a temporary weights folder in place of the package's."""

import json
import math
import os

import numpy as np
import pytest

from keras_pixelrnn.models import presets
from keras_pixelrnn.models.pixel_rnn import PixelRNN

CARD = {
    "preset": "small",
    "data": "random binary images (a test)",
    "binarization": "none: already binary",
    "recipe": {"optimizer": "adam", "learning_rate": 0.001, "batch_size": 16},
    "steps": 10,
    "epochs": 1,
    "validation_nats_per_image": 123.4,
    "validation_nats_stderr": 1.2,
    "check": {"images": "the first 4 images of the test", "nats_per_image": 123.0},
    "package_version": "0.2.0",
    "date": "2025-01-01",
}


def binary_images(n=4, size=28, seed=1):
    return (np.random.default_rng(seed).random((n, size, size, 1)) > 0.5).astype("uint8")


def write_small_weights(folder, seed=0):
    """Writes `small.weights.h5` of a randomized `small` model and its card; returns the model."""
    model = PixelRNN.from_preset("small", load_weights=False)
    rng = np.random.default_rng(seed)
    for weight in model.weights:
        weight.assign(rng.uniform(-0.5, 0.5, weight.shape).astype(weight.dtype))
    model.save_weights(os.path.join(folder, "small.weights.h5"))
    with open(os.path.join(folder, "small.json"), "w") as f:
        json.dump(CARD, f)
    return model


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """A weights folder with `small` weights: (folder, the saved model, its log_prob on images)."""
    folder = tmp_path_factory.mktemp("weights")
    model = write_small_weights(str(folder))
    return str(folder), model, model.log_prob(binary_images())


@pytest.fixture
def weights_dir(shipped, monkeypatch):
    monkeypatch.setattr(presets, "WEIGHTS_DIR", shipped[0])
    return shipped


@pytest.fixture
def no_weights_dir(tmp_path, monkeypatch):
    monkeypatch.setattr(presets, "WEIGHTS_DIR", str(tmp_path))
    return tmp_path


def assert_same_weights(model, reference):
    weights, expected = model.get_weights(), reference.get_weights()
    assert len(weights) == len(expected)
    for w, e in zip(weights, expected):
        np.testing.assert_array_equal(w, e)


def test_weights_path_and_card_of_the_folder(weights_dir):
    folder = weights_dir[0]
    assert presets.weights_path("small") == os.path.join(folder, "small.weights.h5")
    assert presets.weights_path("mnist") is None
    assert presets.model_card("small") == CARD
    assert presets.model_card("mnist") is None
    assert presets.presets_with_weights() == ["small"]
    with pytest.raises(ValueError, match="'mnist'.*preset='cifar100'"):
        presets.weights_path("cifar100")


def test_from_preset_loads_the_shipped_weights(weights_dir):
    _, saved, expected = weights_dir
    for load_weights in (None, True):
        model = PixelRNN.from_preset("small", load_weights=load_weights)
        assert model.name == "small"
        assert_same_weights(model, saved)
        np.testing.assert_allclose(model.log_prob(binary_images()), expected, rtol=1e-5)


def test_load_weights_false_initialises_afresh(weights_dir):
    _, saved, expected = weights_dir
    model = PixelRNN.from_preset("small", load_weights=False)
    kernel = model.get_layer("input_conv").kernel.numpy()
    assert not np.allclose(kernel, saved.get_layer("input_conv").kernel.numpy())
    assert not np.allclose(model.log_prob(binary_images()), expected, rtol=1e-3)


def test_load_weights_true_without_shipped_weights_names_the_preset(weights_dir):
    with pytest.raises(ValueError, match=r"'mnist_pixel_cnn' has no pretrained weights.*\['small'\]"):
        PixelRNN.from_preset("mnist_pixel_cnn", load_weights=True)
    # without it: a fresh model, no error
    assert PixelRNN.from_preset("mnist_pixel_cnn").name == "mnist_pixel_cnn"


def test_load_weights_true_with_no_weights_anywhere(no_weights_dir):
    with pytest.raises(ValueError, match="'small' has no pretrained weights.*with weights: none"):
        PixelRNN.from_preset("small", load_weights=True)


@pytest.mark.parametrize(
    "overrides",
    [
        dict(num_layers=3),
        dict(hidden_units=8),
        dict(levels=4),
        dict(output_units=16),
        dict(architecture="row_lstm"),
        dict(residual=False),
        dict(skip_connections=False),
    ],
    ids=lambda o: next(iter(o)),
)
def test_structural_overrides_give_fresh_weights_or_refuse(weights_dir, overrides):
    _, saved, _ = weights_dir
    model = PixelRNN.from_preset("small", **overrides)
    key, value = next(iter(overrides.items()))
    assert getattr(model, key) == value
    fresh = model.get_layer("input_conv").kernel.numpy()
    reference = saved.get_layer("input_conv").kernel.numpy()
    assert fresh.shape != reference.shape or not np.allclose(fresh, reference)
    with pytest.raises(ValueError, match=rf"{key}={value!r} change the structure.*'small'"):
        PixelRNN.from_preset("small", load_weights=True, **overrides)


def test_more_colours_change_the_structure(weights_dir):
    with pytest.raises(ValueError, match=r"image_shape=\(28, 28, 3\).* change the structure"):
        PixelRNN.from_preset("small", load_weights=True, image_shape=(28, 28, 3),
                             hidden_units=18, output_units=33)
    model = PixelRNN.from_preset("small", image_shape=(28, 28, 3), hidden_units=18,
                                 output_units=33)
    assert model.image_shape == (28, 28, 3)


def test_invalid_overrides_are_the_constructors_errors(weights_dir):
    with pytest.raises(ValueError, match="num_layers=0"):
        PixelRNN.from_preset("small", load_weights=True, num_layers=0)
    with pytest.raises(ValueError, match="image_shape"):
        PixelRNN.from_preset("small", load_weights=True, image_shape=(28, 28))
    with pytest.raises(ValueError, match="load_weights='yes'"):
        PixelRNN.from_preset("small", load_weights="yes")


@pytest.mark.parametrize(
    "overrides",
    [
        dict(image_shape=(14, 14, 1)),
        dict(image_shape=(None, None, 1)),
        dict(dropout=0.1),
        dict(name="mine", trainable=False),
        dict(dtype="mixed_float16"),
        dict(num_layers=2, hidden_units=16, levels=2, output_units=32),  # the preset's own values
    ],
    ids=["smaller", "any-size", "dropout", "name-trainable", "mixed-float16", "same-values"],
)
def test_other_overrides_still_load(weights_dir, overrides):
    _, saved, expected = weights_dir
    for load_weights in (None, True):
        model = PixelRNN.from_preset("small", load_weights=load_weights, **overrides)
        assert_same_weights(model, saved)
    if overrides.get("image_shape") == (14, 14, 1):
        images = binary_images(size=14)
        reference = PixelRNN.from_preset("small", load_weights=False, image_shape=(14, 14, 1))
        reference.set_weights(saved.get_weights())
        np.testing.assert_allclose(model.log_prob(images), reference.log_prob(images), rtol=1e-5)
    elif "dtype" not in overrides:
        np.testing.assert_allclose(model.log_prob(binary_images()), expected, rtol=1e-5)


def test_presets_say_which_have_weights_and_give_the_card(weights_dir):
    entries = PixelRNN.presets
    assert entries["small"]["weights"] is True
    assert entries["small"]["card"] == CARD
    assert entries["mnist"]["weights"] is False and entries["mnist"]["card"] is None
    assert entries["small"]["config"] == presets.PRESETS["small"]


def test_presets_without_files(no_weights_dir):
    entries = PixelRNN.presets
    assert all(entry["weights"] is False and entry["card"] is None for entry in entries.values())
    assert presets.weights_path("small") is None and presets.model_card("small") is None


def test_bad_model_cards_are_errors(no_weights_dir):
    card = no_weights_dir / "small.json"
    card.write_text("{not json")
    with pytest.raises(ValueError, match="small.json.*not JSON"):
        presets.model_card("small")
    card.write_text(json.dumps(dict(CARD, preset="mnist")))
    with pytest.raises(ValueError, match="preset='mnist'"):
        presets.model_card("small")


def test_a_corrupt_weights_file_is_an_error(no_weights_dir):
    (no_weights_dir / "small.weights.h5").write_bytes(b"not an h5 file")
    with pytest.raises(ValueError, match="weights .*small.weights.h5.* do not load"):
        PixelRNN.from_preset("small")


# The weights the package really ships (none until they are trained).
REAL_DIR = presets.WEIGHTS_DIR
SHIPPED = sorted(
    name[: -len(".weights.h5")] for name in (os.listdir(REAL_DIR) if os.path.isdir(REAL_DIR) else [])
    if name.endswith(".weights.h5")
)
CARD_KEYS = {
    "preset", "data", "binarization", "recipe", "steps", "epochs", "validation_nats_per_image",
    "validation_nats_stderr", "check", "package_version", "date",
}


def test_every_shipped_file_belongs_to_a_preset():
    names = os.listdir(REAL_DIR) if os.path.isdir(REAL_DIR) else []
    for name in names:
        if name.endswith(".weights.h5"):
            assert name[: -len(".weights.h5")] in presets.PRESETS, name
        elif name.endswith(".json"):
            assert name[: -len(".json")] in presets.PRESETS, name
    assert set(SHIPPED) <= set(presets.presets_with_weights())


@pytest.mark.parametrize("preset", SHIPPED)
def test_shipped_weights_load_and_have_a_card(preset):
    card = presets.model_card(preset)
    assert card is not None, f"{preset}.weights.h5 has no {preset}.json"
    assert CARD_KEYS <= set(card), sorted(CARD_KEYS - set(card))
    assert isinstance(card["recipe"], dict)
    assert {"images", "nats_per_image"} <= set(card["check"])
    model = PixelRNN.from_preset(preset, load_weights=True)
    assert PixelRNN.presets[preset]["weights"] is True
    assert model.name == preset


@pytest.fixture(scope="module", params=SHIPPED)
def shipped_model(request):
    return request.param, PixelRNN.from_preset(request.param, load_weights=True)


def test_shipped_weights_give_the_figure_of_their_card(shipped_model):
    """Guards the weights and the maths: the fixed check digits score as the card says."""
    from keras_pixelrnn import data

    preset, model = shipped_model
    card = presets.model_card(preset)
    digits, labels = data.load_images("mnist_5k", split="validation[:64]", levels=2,
                                      binarize=True, with_labels=True)
    assert "validation[:64]" in card["check"]["images"]
    # A class-conditional model scores each digit given its own label.
    given = {} if model.num_classes is None else {"labels": labels}
    nats = float(-model.log_prob(digits, **given).mean())
    assert abs(nats - card["check"]["nats_per_image"]) <= 0.05, (nats, card["check"])


CONDITIONAL = [name for name in SHIPPED if presets.PRESETS[name].get("num_classes")]


@pytest.mark.parametrize("preset", CONDITIONAL)
def test_a_conditional_card_gives_the_labels_worth(preset):
    """The gap to the unconditional preset lies in (0, ln 10): a label out of
    10 carries at most ln 10 nats, and a model given it should use some."""
    card = presets.model_card(preset)
    base = presets.model_card(card["unconditional_preset"])
    gain = base["validation_nats_per_image"] - card["validation_nats_per_image"]
    assert math.isclose(card["label_gain_nats_per_image"], gain, rel_tol=1e-9)
    assert 0 < gain < math.log(10), gain
    assert card["conditioning"]["num_classes"] == presets.PRESETS[preset]["num_classes"]
    assert "own label" in card["check"]["images"]


@pytest.mark.slow
def test_the_conditional_preset_draws_the_digit_asked_for():
    model = PixelRNN.from_preset("mnist_conditional", load_weights=True)
    sevens = model.sample(2, labels=7, seed=0)
    assert sevens.shape == (2, 28, 28, 1) and sevens.dtype == np.uint8
    # The model itself says they are sevens, by far.
    assert (model.classify(sevens).argmax(axis=-1) == 7).all()
    with pytest.raises(ValueError, match=r"`labels` must lie in \[0, 10\)"):
        model.sample(2, labels=10)
    with pytest.raises(ValueError, match="one label per image"):
        model.sample(3, labels=[1, 2])


@pytest.mark.slow
@pytest.mark.parametrize("pixel", [(0, 0), (5, 10), (14, 0), (10, 27), (27, 27)], ids=str)
def test_shipped_models_are_causal(shipped_model, pixel):
    """Exact receptive fields of the trained model, as for a built one (tests/models/test_pixel_rnn.py)."""
    from keras_pixelrnn import receptive_field

    from test_pixel_rnn import diagonal_model_field, past

    preset, model = shipped_model
    conditions = None if model.num_classes is None else [np.array([3], "int32")]
    field = receptive_field(model, (28, 28, 1), pixel, output_channel=1, trials=2,
                            conditions=conditions)
    allowed = past(28, 28, 1, pixel, 0)
    assert not (field & ~allowed).any(), f"{preset} sees the future at {pixel}"
    if model.architecture == "diagonal_bilstm":
        np.testing.assert_array_equal(field, diagonal_model_field(28, 28, 1, pixel, 0))
    elif pixel != (0, 0):
        assert field.any()
