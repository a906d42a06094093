"""Checks of the integer image batches that scoring and sampling take."""

import numpy as np
import tensorflow as tf


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
    levels = getattr(model, "levels", None)  # a multi-scale model has two outputs
    return int(levels or model.output_shape[-1])


def image_shape(model):
    """`(height, width, colors)` of a model's image input (its first input)."""
    return tuple(model.inputs[0].shape[1:])


def condition_specs(model):
    """The `tf.TensorSpec`s of a model's condition inputs, all its inputs
    after the image in their order, batch axis free, named as the inputs:
    `[]` for an unconditional model, `[labels int32 (None,)]` for a
    class-conditional one, `[small_images float32 (None, s, s', C)]` for a
    multi-scale second stage."""
    return [
        tf.TensorSpec((None,) + tuple(x.shape[1:]), x.dtype, name=x.name) for x in model.inputs[1:]
    ]


def check_conditions(model, conditions, batch, name="conditions"):
    """Checks a conditional model's condition inputs (all inputs after the
    image, in order) against the model and a batch size; returns them as
    NumPy arrays of the inputs' dtypes (an empty list for an unconditional
    model)."""
    specs = model.inputs[1:]
    conditions = [] if conditions is None else list(conditions)
    if len(conditions) != len(specs):
        names = [spec.name for spec in specs]
        raise ValueError(
            f"Model {model.name!r} takes {len(specs)} condition inputs {names} besides the "
            f"images. Received: {len(conditions)} {name}"
        )
    checked = []
    for spec, value in zip(specs, conditions):
        value = np.asarray(value)
        expected = tuple(spec.shape[1:])
        if value.ndim != len(spec.shape) or any(
            e is not None and e != g for e, g in zip(expected, value.shape[1:])
        ):
            raise ValueError(
                f"`{name}` input {spec.name!r} must have shape "
                f"{('batch',) + expected}. Received: shape={value.shape}"
            )
        if len(value) != batch:
            raise ValueError(
                f"`{name}` input {spec.name!r} holds {len(value)} entries for {batch} images. "
                f"Received: shape={value.shape}"
            )
        checked.append(value.astype(spec.dtype))
    return checked
