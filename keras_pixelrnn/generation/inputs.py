"""What a sampler is given, checked: the model's fixed image size, the
number of images (against this machine's memory), the temperature, the
seed's noise, and the mask of the sub-pixels a completion keeps."""

import numpy as np
import tensorflow as tf

from keras_pixelrnn.utils import arguments
from keras_pixelrnn.utils.image_checks import image_shape

# What a batch costs per sub-pixel before the layers' caches: the noise
# (float32), the known mask (bool), the kept values (int32), the image being
# drawn (float32) and the uint8 result.
BYTES_PER_SUBPIXEL = 4 + 1 + 4 + 4 + 1


def check_temperature(temperature):
    """`temperature` as a float, if it is finite and > 0."""
    return arguments.number("temperature", temperature, above=0)


def fixed_image_shape(model):
    """`(H, W, C)` of a model that can sample: a ValueError for one whose
    height or width is None (any size), which a sampler cannot draw."""
    shape = image_shape(model)
    if any(d is None for d in shape):
        raise ValueError(
            "Sampling needs a model with a fixed image size; rebuild it with a "
            f"static image_shape. Received: model input shape {shape}"
        )
    return shape


def check_num_samples(model, num_samples, minimum=1, name="num_samples"):
    """`num_samples` as an int, if it is a count (>= `minimum`) of images of
    `model` whose batch fits in this machine's memory
    (`arguments.fits_in_memory`, at `BYTES_PER_SUBPIXEL`): checked before
    anything is allocated, so `sample(10**9)` is a ValueError naming
    `num_samples`, not a MemoryError."""
    num_samples = arguments.integer(name, num_samples, minimum=minimum)
    shape = fixed_image_shape(model)
    what = f"{BYTES_PER_SUBPIXEL} bytes per sub-pixel of {shape} for the noise and the images"
    return arguments.fits_in_memory(name, num_samples, BYTES_PER_SUBPIXEL * np.prod(shape), what)


def uniform_noise(shape, num_samples, seed):
    """Noise `(num_samples, *shape)` uniform in [0, 1), float32, from `seed`
    (checked by `arguments.seed`: None or a non-negative integer)."""
    rng = np.random.default_rng(arguments.seed("seed", seed))
    return rng.random((num_samples,) + tuple(shape), np.float32)


def broadcast_known(known, shape):
    known = np.asarray(known, bool)
    try:
        return np.broadcast_to(known, shape)
    except ValueError:
        raise ValueError(
            f"`known` must have shape {shape} or broadcast to it. "
            f"Received: known.shape={known.shape}"
        ) from None


def known_rows(keep_rows, shape):
    """Traceable: the bool mask `shape` (B, H, W, C) of the top `keep_rows[b]`
    rows of each image `b` (`keep_rows` int `(B,)`), as `complete` keeps
    them."""
    rows = tf.range(shape[1])[None, :, None, None]
    keep = tf.cast(keep_rows, tf.int32)[:, None, None, None]
    return tf.broadcast_to(rows < keep, shape)
