"""Log-likelihood of images under a PixelRNN, in the units the literature uses.

A PixelRNN factorises an image into sub-pixels in raster order, colours R, G,
B inside a pixel:

    log p(x) = sum_{i, j, c} log p(x[i, j, c] | everything before it)

and every factor is a `levels`-way softmax read off the model's logits
`(B, H, W, C, levels)`. Two units, never mixed:

* nats per image: `-log p(x)` (binarized MNIST is reported this way);
* bits per dimension: `-log p(x) / (H * W * C * ln 2)` (CIFAR-10, ImageNet).
"""

import math

import keras
import numpy as np
import tensorflow as tf

from keras_pixelrnn.utils import arguments
from keras_pixelrnn.utils.image_checks import (
    check_conditions, check_images, condition_specs, image_shape, model_levels,
)
from keras_pixelrnn.utils.traced_functions import CountedFunction, kept_function


def sub_pixel_log_probs(logits, images):
    """`log p(x[i, j, c] | past)` of every sub-pixel: `(B, H, W, C)` float32.

    Computed in the stable log-softmax form from logits `(B, H, W, C, L)` and
    integer-valued images `(B, H, W, C)`.
    """
    logits = tf.cast(logits, tf.float32)
    log_probs = tf.nn.log_softmax(logits, axis=-1)
    index = tf.cast(images, tf.int32)[..., None]
    return tf.squeeze(tf.gather(log_probs, index, axis=4, batch_dims=4), -1)


def log_prob_from_logits(logits, images):
    """`log p(x)` in nats per image, `(B,)`, from logits and the images."""
    return tf.reduce_sum(sub_pixel_log_probs(logits, images), axis=[1, 2, 3])


def bits_per_dim(nats_per_image, image_shape):
    """Converts negative log-likelihood in nats per image to bits per
    dimension: `nats / (H * W * C * ln 2)`, the one place this is written.

    `nats_per_image`: a number, a NumPy array or a tensor; `image_shape`:
    `(H, W, C)`, or the number of dimensions (a scalar tensor in a graph
    whose image size is unknown when traced)."""
    dims = math.prod(image_shape) if isinstance(image_shape, (tuple, list)) else image_shape
    if tf.is_tensor(dims):
        dims = tf.cast(dims, nats_per_image.dtype)
    return nats_per_image / (dims * math.log(2.0))


def logits_of(model, images, conditions=()):
    """A model's float32 logits for integer-valued `images` (any dtype) and
    its condition inputs, in inference mode (traceable)."""
    x = tf.cast(images, tf.float32)
    return tf.cast(model([x, *conditions] if conditions else x, training=False), tf.float32)


def log_prob(model, images, batch_size=64, conditions=None):
    """`log p(x)` in nats per image under `model`, as a NumPy array `(N,)`.

    The scorer is a `tf.function` kept with the model: traced on the first
    call, reused by every later one whatever the batch size.

    Args:
        model: a `PixelRNN` (or any model mapping images to logits
            `(B, H, W, C, levels)`, such as a Functional model of this
            package's layers).
        images: integer images `(N, H, W, C)`, values in `[0, levels)`
            (uint8 for 8-bit images, 0/1 for binary ones).
        batch_size: images per forward pass.
        conditions: a conditional model's condition inputs after the image,
            in the order of `model.inputs[1:]` (e.g. `[labels]`, labels
            `(N,)` int), one entry per image.

    Example:

    >>> nats = log_prob(model, images)                    # (N,) nats
    >>> bits = bits_per_dim(-nats, images.shape[1:])      # (N,) bits/dim
    """
    batch_size = arguments.integer("batch_size", batch_size)
    images = check_images(images, image_shape(model), model_levels(model))
    conditions = check_conditions(model, conditions, len(images))
    score = scorer(model)
    out = [
        score(
            tf.constant(images[start : start + batch_size]),
            *(tf.constant(c[start : start + batch_size]) for c in conditions),
        ).numpy()
        for start in range(0, len(images), batch_size)
    ]
    return np.concatenate(out) if out else np.zeros((0,), np.float32)


def scorer(model):
    """The compiled function behind `log_prob`, kept with `model`.

    `scorer(model)(images, *conditions)` gives `log p(x)` `(B,)` of int32
    images `(B, H, W, C)` (and the condition inputs, for a conditional
    model) as a tensor. Its `input_signature` leaves the batch axis free:
    it is traced once whatever the batch sizes, and its `traces` attribute
    counts the traces.
    """
    return kept_function(model, "log_prob", lambda: _scorer(model))


def _scorer(model):
    specs = [tf.TensorSpec((None,) + image_shape(model), tf.int32, name="images")]
    specs += condition_specs(model)

    def score(images, *conditions):
        return log_prob_from_logits(logits_of(model, images, conditions), images)

    return CountedFunction(score, specs)


@keras.saving.register_keras_serializable(package="keras_pixelrnn")
class PixelRNNLoss(keras.losses.Loss):
    """Negative log-likelihood in nats per image, for `model.compile`.

    `y_true` are the images themselves (integers `0 .. levels-1`), `y_pred`
    the logits `(B, H, W, C, levels)`. The per-image sum over sub-pixels of
    `-log_softmax(logits)[x]` is averaged over the batch, so the progress bar
    shows nats per image.
    """

    def __init__(self, name="nll_nats", **kwargs):
        super().__init__(name=name, **kwargs)

    def call(self, y_true, y_pred):
        return -log_prob_from_logits(y_pred, y_true)


@keras.saving.register_keras_serializable(package="keras_pixelrnn")
class NatsPerImage(keras.metrics.Mean):
    """Mean negative log-likelihood in nats per image (labelled `nats_per_image`)."""

    def __init__(self, name="nats_per_image", **kwargs):
        super().__init__(name=name, **kwargs)

    def update_state(self, y_true, y_pred, sample_weight=None):
        return super().update_state(-log_prob_from_logits(y_pred, y_true), sample_weight)


@keras.saving.register_keras_serializable(package="keras_pixelrnn")
class BitsPerDim(keras.metrics.Mean):
    """Mean negative log-likelihood in bits per dimension (labelled `bits_per_dim`)."""

    def __init__(self, name="bits_per_dim", **kwargs):
        super().__init__(name=name, **kwargs)

    def update_state(self, y_true, y_pred, sample_weight=None):
        nats = -log_prob_from_logits(y_pred, y_true)
        dims = tf.reduce_prod(tf.shape(y_true)[1:])
        return super().update_state(bits_per_dim(nats, dims), sample_weight)
