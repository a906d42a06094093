"""Checks of the integer image batches that scoring and sampling take."""

import numpy as np


def check_images(images, image_shape, levels, name="images"):
    """Checks a NumPy batch of integer images against a model; returns it as int32."""
    images = np.asarray(images)
    if images.ndim != 4:
        raise ValueError(
            f"`{name}` must have rank 4 (batch, height, width, colors). "
            f"Received: {name}.shape={images.shape}"
        )
    expected = tuple(image_shape)
    if any(e is not None and e != g for e, g in zip(expected, images.shape[1:])):
        raise ValueError(
            f"`{name}` must have shape (batch, {', '.join(map(str, expected))}) "
            f"for this model. Received: {name}.shape={images.shape}"
        )
    if images.dtype.kind == "f" and not np.all(np.floor(images) == images):
        raise ValueError(f"`{name}` must hold integer intensity values. Received: dtype={images.dtype} with fractions")
    if images.size and (images.min() < 0 or images.max() >= levels):
        raise ValueError(
            f"`{name}` values must lie in [0, {levels - 1}] for a model with "
            f"{levels} levels. Received: min={images.min()}, max={images.max()}"
        )
    return images.astype(np.int32)


def model_levels(model):
    """Number of intensity levels of a PixelRNN model (its logits' last axis)."""
    return int(model.output_shape[-1])
