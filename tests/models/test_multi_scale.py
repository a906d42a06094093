"""The multi-scale PixelRNN: log p(x) = log p(s) + log p(x off the grid | s)."""

import re

import keras
import numpy as np
import pytest

from keras_pixelrnn import MultiScalePixelRNN, PixelRNNLoss
from keras_pixelrnn.models.multi_scale import grid_mask, subsample
from keras_pixelrnn.models.presets import MULTI_SCALE_PRESETS, PRESETS

from random_weights import randomize

SHAPE = (4, 6)


def tiny(colors=1, levels=2, small="row_lstm", full="diagonal_bilstm", seed=0):
    keras.utils.set_random_seed(seed)
    return MultiScalePixelRNN(
        SHAPE + (colors,), levels=levels,
        small=dict(architecture=small, num_layers=1, hidden_units=3 * colors),
        full=dict(architecture=full, num_layers=1, hidden_units=3 * colors, condition_units=4),
    )


def log_softmax(logits):
    logits = logits.astype(np.float64)
    top = logits.max(-1, keepdims=True)
    return logits - top - np.log(np.exp(logits - top).sum(-1, keepdims=True))


@pytest.mark.parametrize("colors, levels", [(1, 2), (3, 4)], ids=["binary", "rgb"])
def test_log_prob_is_the_sum_of_its_two_terms(colors, levels):
    model = randomize(tiny(colors, levels))
    x = np.random.default_rng(1).integers(0, levels, (3,) + SHAPE + (colors,))
    terms = model.log_prob_terms(x)
    np.testing.assert_allclose(model.log_prob(x), terms["small"] + terms["full"], rtol=1e-6)
    # Each term computed on its own: the small model on every other pixel...
    small = x[:, ::2, ::2]
    np.testing.assert_allclose(terms["small"], model.small_model.log_prob(small), atol=1e-4)
    # ...and the full-size model's sub-pixels off the grid, in NumPy.
    logits = model.full_model([x.astype("float32"), small.astype("float32")]).numpy()
    picked = np.take_along_axis(log_softmax(logits), x[..., None], -1)[..., 0]
    off_grid = ~grid_mask(SHAPE + (colors,), 2)
    np.testing.assert_allclose(terms["full"], (picked * off_grid).sum((1, 2, 3)), atol=1e-4)


@pytest.mark.slow
@pytest.mark.parametrize("small, full", [("row_lstm", "diagonal_bilstm"),
                                         ("pixel_cnn", "row_lstm")])
def test_two_stage_sampling(small, full):
    model = randomize(tiny(small=small, full=full), 2)
    cached, small_cached = model.sample(3, seed=4, return_small=True)
    naive, small_naive = model.sample(3, seed=4, method="naive", return_small=True)
    np.testing.assert_array_equal(cached, naive)
    np.testing.assert_array_equal(small_cached, small_naive)
    # The small image is the full image's grid.
    np.testing.assert_array_equal(subsample(cached, 2), small_cached)
    assert np.isfinite(model.log_prob(cached)).all()
    other = model.sample(3, seed=5)
    assert (other != cached).any()


@pytest.mark.slow
def test_fit_reports_both_terms_and_round_trips(tmp_path):
    model = tiny()
    x = np.random.default_rng(0).integers(0, 2, (16,) + SHAPE + (1,))
    model.compile(keras.optimizers.Adam(1e-2), loss=[PixelRNNLoss(), PixelRNNLoss()])
    history = model.fit(x, model.targets(x), epochs=3, batch_size=8, verbose=0).history
    assert {"small_loss", "full_loss", "loss"} <= set(history)
    assert history["loss"][-1] < history["loss"][0]
    np.testing.assert_allclose(
        history["loss"][-1], history["small_loss"][-1] + history["full_loss"][-1], rtol=1e-4
    )
    path = str(tmp_path / "multi_scale.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, MultiScalePixelRNN)
    np.testing.assert_allclose(loaded.log_prob(x), model.log_prob(x), atol=1e-5)
    np.testing.assert_array_equal(loaded.sample(2, seed=1), model.sample(2, seed=1))


def test_presets_follow_the_paper():
    imagenet = MULTI_SCALE_PRESETS["imagenet64_multiscale"]
    assert imagenet["image_shape"] == (64, 64, 3) and imagenet["factor"] == 2
    for stage, single in (("small", "imagenet32"), ("full", "imagenet64")):
        for key, value in PRESETS[single].items():
            if key not in ("image_shape", "levels"):
                assert imagenet[stage][key] == value, (stage, key)
    model = MultiScalePixelRNN.from_preset("mnist_multiscale")
    fresh = MultiScalePixelRNN.from_preset("mnist_multiscale", load_weights=False)
    assert fresh.get_config() == model.get_config()
    assert model.small_model.image_shape == (14, 14, 1)
    assert model.full_model.image_shape == (28, 28, 1)
    assert model.full_model.small_image_shape == (14, 14, 1)
    assert model.small_model.num_layers == model.full_model.num_layers == 7


def test_bad_arguments():
    stage = dict(architecture="row_lstm", num_layers=1, hidden_units=2)
    with pytest.raises(ValueError, match=re.escape("Received: image_shape=(5, 6, 1)")):
        MultiScalePixelRNN((5, 6, 1), stage, stage)
    with pytest.raises(ValueError, match=re.escape("Received: factor=1")):
        MultiScalePixelRNN((4, 6, 1), stage, stage, factor=1)
    with pytest.raises(ValueError, match=re.escape("Received: ['image_shape']")):
        MultiScalePixelRNN((4, 6, 1), dict(stage, image_shape=(2, 2, 1)), stage)
    with pytest.raises(ValueError, match=re.escape("`full` must give 'hidden_units'")):
        MultiScalePixelRNN((4, 6, 1), stage, dict(architecture="row_lstm", num_layers=1))
    with pytest.raises(ValueError, match=re.escape("Received: preset='nope'")):
        MultiScalePixelRNN.from_preset("nope")
    with pytest.raises(ValueError, match=re.escape("preset='mnist_multiscale', load_weights=True")):
        MultiScalePixelRNN.from_preset("mnist_multiscale", load_weights=True)
    with pytest.raises(ValueError, match=re.escape("Received: load_weights='yes'")):
        MultiScalePixelRNN.from_preset("mnist_multiscale", load_weights="yes")
    model = tiny()
    with pytest.raises(ValueError, match=re.escape("Received: small_images.shape=(1, 4, 6, 1)")):
        model.complete_from_small(np.zeros((1, 4, 6, 1), int))
