"""`PixelRNN.classify`: a class-conditional model as a generative classifier,
`p(label | x) = softmax(log p(x | label) + log p(label))`, and its checks."""

import math

import keras
import numpy as np
import pytest

from keras_pixelrnn import PixelRNN
from keras_pixelrnn.models import classification
from keras_pixelrnn.models.likelihood import PixelRNNLoss
from keras_pixelrnn.models.multi_scale import MultiScalePixelRNN
from keras_pixelrnn.utils import arguments

SHAPE = (4, 4, 1)


def halves(count, seed=0):
    """Separable binary images: class 0 has its top half on, class 1 its bottom
    half, each with a few pixels flipped; `(images, labels)`."""
    rng = np.random.default_rng(seed)
    labels = np.arange(count, dtype=np.int32) % 2
    images = np.zeros((count,) + SHAPE, np.uint8)
    images[labels == 0, :2] = 1
    images[labels == 1, 2:] = 1
    flips = rng.random(images.shape) < 0.05
    return images ^ flips.astype(np.uint8), labels


def tiny(num_classes=2, seed=0):
    keras.utils.set_random_seed(seed)
    return PixelRNN("pixel_cnn", SHAPE, 1, 4, levels=2, num_classes=num_classes)


@pytest.fixture(scope="module")
def trained():
    """A tiny class-conditional PixelCNN fitted to `halves` (a few dozen steps)."""
    model = tiny()
    images, labels = halves(64)
    model.compile(keras.optimizers.Adam(0.02), loss=PixelRNNLoss())
    model.fit((images, labels), images, epochs=6, batch_size=8, verbose=0)
    return model


@pytest.mark.slow  # fits a model
def test_posteriors_sum_to_one_and_rank_the_true_label_first(trained):
    images, labels = halves(40, seed=1)  # images the model never saw
    posterior = trained.classify(images)
    assert posterior.shape == (40, 2) and posterior.dtype.kind == "f"
    np.testing.assert_allclose(posterior.sum(axis=-1), 1.0, atol=1e-9)
    assert (posterior >= 0).all()
    np.testing.assert_array_equal(posterior.argmax(axis=-1), labels)


@pytest.mark.slow  # fits a model
def test_the_posterior_is_bayes_rule_over_log_prob(trained):
    images, _ = halves(6, seed=2)
    scores = np.stack([trained.log_prob(images, labels=k) for k in range(2)], axis=-1)
    prior = np.array([0.9, 0.1])
    expected = np.exp(scores + np.log(prior))
    expected /= expected.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(trained.classify(images, prior=list(prior)), expected, rtol=1e-5)
    np.testing.assert_allclose(
        classification.log_likelihoods(trained, images), scores, rtol=1e-6)


@pytest.mark.slow  # fits a model
def test_a_zero_prior_rules_a_class_out(trained):
    images, _ = halves(4, seed=3)
    posterior = trained.classify(images, prior=np.array([0.0, 1.0]))
    np.testing.assert_array_equal(posterior, [[0.0, 1.0]] * 4)


@pytest.mark.slow  # fits a model
def test_no_images_give_an_empty_posterior(trained):
    assert trained.classify(np.zeros((0,) + SHAPE, np.uint8)).shape == (0, 2)


def test_an_unconditional_model_names_num_classes():
    model = PixelRNN("pixel_cnn", SHAPE, 1, 4, levels=2)
    with pytest.raises(ValueError, match=r"num_classes.*Received: num_classes=None"):
        model.classify(np.zeros((2,) + SHAPE, np.uint8))


def test_a_multi_scale_model_names_num_classes():
    stage = dict(architecture="pixel_cnn", num_layers=1, hidden_units=4)
    model = MultiScalePixelRNN((4, 4, 1), small=stage, full=stage, levels=2)
    with pytest.raises(ValueError, match=r"not class-conditional \(num_classes=None\)"):
        model.classify(np.zeros((2, 4, 4, 1), np.uint8))


@pytest.mark.parametrize("prior", [
    [1.0], [0.2, 0.3, 0.5], [0.5, 0.6], [1.5, -0.5], [0.5, float("nan")], "ab", [True, False],
    np.array([[0.5, 0.5]]),
], ids=["short", "long", "sum", "negative", "nan", "string", "bools", "2d"])
def test_a_bad_prior_is_named_and_echoed(prior):
    model = tiny()
    images, _ = halves(2)
    with pytest.raises(ValueError, match=r"`prior` must be 2 finite numbers >= 0 that sum to "
                                         r"1\. Received: prior="):
        model.classify(images, prior=prior)


@pytest.mark.parametrize("images", [
    np.zeros((2, 4, 5, 1), np.uint8), np.zeros((4, 4, 1), np.uint8), np.full((2,) + SHAPE, 2),
], ids=["width", "rank", "levels"])
def test_images_are_checked_as_log_prob_checks_them(images):
    with pytest.raises(ValueError, match="`images`"):
        tiny().classify(images)


def test_probabilities_accepts_a_distribution_within_tolerance():
    np.testing.assert_array_equal(arguments.probabilities("p", [0.1] * 10, 10), [0.1] * 10)
    assert arguments.probabilities("p", (1, 0), 2).dtype == np.float64
    with pytest.raises(ValueError, match=r"`p` must be 2 .* Received: p=\[0\.5, 0\.4\]"):
        arguments.probabilities("p", np.array([0.5, 0.4]), 2)
    assert math.isclose(arguments.probabilities("p", [1 / 3] * 3, 3).sum(), 1.0)
