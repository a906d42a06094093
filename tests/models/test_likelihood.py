import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_pixelrnn.models.likelihood import (
    BitsPerDim,
    NatsPerImage,
    PixelRNNLoss,
    bits_per_dim,
    log_prob,
    log_prob_from_logits,
    scorer,
)
from keras_pixelrnn.models.pixel_rnn import build_pixel_rnn


def numpy_log_softmax(logits):
    shifted = logits - logits.max(-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(-1, keepdims=True))


@pytest.fixture(params=[(1, 2), (3, 8)], ids=["binary", "rgb8"])
def model_and_images(request):
    colors, levels = request.param
    keras.utils.set_random_seed(1)
    model = build_pixel_rnn("diagonal_bilstm", (4, 5, colors), 1, 3 * colors, levels=levels)
    rng = np.random.default_rng(0)
    for weight in model.weights:
        weight.assign(rng.normal(0, 0.3, weight.shape))
    images = rng.integers(0, levels, (3, 4, 5, colors)).astype("uint8")
    return model, images, levels


def test_log_prob_is_the_sum_of_sub_pixel_log_probs(model_and_images):
    model, images, levels = model_and_images
    logits = model(images.astype("float32")).numpy().astype(np.float64)
    by_hand = np.zeros(len(images))
    log_probs = numpy_log_softmax(logits)
    for n, i, j, c in np.ndindex(*images.shape):
        by_hand[n] += log_probs[n, i, j, c, images[n, i, j, c]]
    np.testing.assert_allclose(log_prob(model, images), by_hand, rtol=1e-5, atol=1e-3)


def test_uniform_logits_give_exactly_hwc_log_levels(model_and_images):
    model, images, levels = model_and_images
    last = model.get_layer("output_conv_2")
    last.kernel.assign(np.zeros(last.kernel.shape))
    last.bias.assign(np.zeros(last.bias.shape))
    expected = -np.prod(images.shape[1:]) * math.log(levels)
    np.testing.assert_allclose(log_prob(model, images), expected, rtol=1e-6)


def test_log_prob_traces_once_for_every_batch_size(model_and_images):
    """Batches of 2, 2 and a last one of 1, then one of 5: one trace, and
    the same log-probabilities whatever the batching."""
    model, images, levels = model_and_images
    images = np.concatenate([images, images[::-1]])[:5]
    assert scorer(model).traces == 0
    batched = log_prob(model, images, batch_size=2)
    np.testing.assert_allclose(batched, log_prob(model, images), rtol=1e-6)
    assert scorer(model).traces == 1


def test_bits_per_dim_is_nats_over_dims_ln2(model_and_images):
    model, images, levels = model_and_images
    nats = -log_prob(model, images)
    dims = np.prod(images.shape[1:])
    np.testing.assert_allclose(bits_per_dim(nats, images.shape[1:]), nats / (dims * math.log(2)))
    logits = model(images.astype("float32"))
    metric_nats, metric_bits = NatsPerImage(), BitsPerDim()
    metric_nats.update_state(images, logits)
    metric_bits.update_state(images, logits)
    assert metric_nats.name == "nats_per_image" and metric_bits.name == "bits_per_dim"
    np.testing.assert_allclose(float(metric_nats.result()), nats.mean(), rtol=1e-5)
    np.testing.assert_allclose(float(metric_bits.result()), nats.mean() / (dims * math.log(2)), rtol=1e-5)
    loss = PixelRNNLoss()(images, logits)
    np.testing.assert_allclose(float(loss), nats.mean(), rtol=1e-5)


def test_log_prob_from_logits_is_stable_for_extreme_logits():
    logits = tf.constant([[[[[1000.0, -1000.0]]]]])
    out = log_prob_from_logits(logits, tf.constant([[[[1]]]]))
    np.testing.assert_allclose(out.numpy(), [-2000.0])


@pytest.mark.parametrize(
    "images, match",
    [
        (np.full((2, 4, 5, 1), 2, "uint8"), r"\[0, 1\].*max=2"),
        (np.zeros((2, 4, 6, 1), "uint8"), r"shape.*\(2, 4, 6, 1\)"),
        (np.zeros((4, 5, 1), "uint8"), r"rank 4.*\(4, 5, 1\)"),
        (np.full((1, 4, 5, 1), 0.5, "float32"), "integer"),
        (np.full((1, 4, 5, 1), -1, "int32"), "min=-1"),
    ],
    ids=["too_large", "wrong_size", "wrong_rank", "fractions", "negative"],
)
def test_log_prob_rejects_bad_images(images, match):
    model = build_pixel_rnn("pixel_cnn", (4, 5, 1), 1, 2, levels=2)
    with pytest.raises(ValueError, match=match):
        log_prob(model, images)
