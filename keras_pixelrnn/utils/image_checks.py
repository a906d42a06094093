"""The checks of what the Python API takes: images, noise, labels and the
other condition inputs, one set for every entry point.

`PixelRNN.log_prob` / `sample` / `complete`, the module-level
`keras_pixelrnn.log_prob`, `generation.sample` / `complete` / `generate` and
`serving.signatures.signature_inputs` all check their arrays here, so each
refuses what the exported graphs refuse (a NaN noise, a label out of range, a
string array), with one message, naming the argument and echoing the value.
"""

import numpy as np
import tensorflow as tf

# NumPy dtype kinds of a number: bool, signed and unsigned int, float.
_REAL = "biuf"


def brief(value):
    """`repr(value)`, or its shape where it is a large array (for messages)."""
    array = np.asarray(value)
    return repr(value) if array.size <= 8 else f"array of shape {array.shape}"


def _dtype_of(value, name):
    """`value` as a NumPy array whose dtype is a real number's; a ValueError
    naming `name` for strings, objects (a ragged list), complex numbers."""
    try:
        array = np.asarray(value)
    except ValueError:  # a ragged nest that NumPy 2 refuses outright
        array = np.asarray(value, dtype=object)
    if array.dtype.kind not in _REAL:
        raise ValueError(
            f"`{name}` must be a numeric array (uint8, int, bool or float). "
            f"Received: {name}.dtype={array.dtype} ({name}={brief(value)})"
        )
    return array


def check_images(images, image_shape, levels, name="images"):
    """Checks a NumPy batch of integer images against a model; returns it as int32.

    Any real dtype is taken (uint8, int, bool, or floats holding whole
    numbers); a string, object or complex array, a fraction, a NaN or a
    value outside `[0, levels)` is a ValueError naming `name`."""
    images = _dtype_of(images, name)
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
    if images.dtype.kind == "f" and not np.all(np.floor(images) == images):  # NaN fails too
        raise ValueError(
            f"`{name}` must hold integer intensity values. "
            f"Received: dtype={images.dtype} with fractions or NaN"
        )
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
    model). The values are checked too (`_condition_values`): labels in
    `[0, num_classes)`, a small image of whole levels."""
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
        value = _dtype_of(value, name)
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
        checked.append(_condition_values(model, spec, value, name))
    return checked


def _num_classes(model):
    """A class-conditional model's number of classes: its own attribute, or
    that of its layer that one-hot encodes the labels; None if neither."""
    found = getattr(model, "num_classes", None)
    layers = getattr(model, "layers", [])
    return found or next((l.num_classes for l in layers if getattr(l, "num_classes", None)), None)


def _condition_values(model, spec, value, name):
    """One condition input's values, checked as the exported graphs check
    them: labels in `[0, num_classes)`, a small image of whole levels, any
    other float condition finite; returned in the input's dtype."""
    if np.dtype(spec.dtype).kind in "iu":
        return check_labels(value, len(value), _num_classes(model), name=spec.name)
    if getattr(model, "small_image_shape", None) is not None:
        value = check_images(value, spec.shape[1:], model_levels(model), name=spec.name)
    elif not np.all(np.isfinite(value)):
        raise ValueError(
            f"`{name}` input {spec.name!r} must be finite. Received: {spec.name}={brief(value)}"
        )
    return value.astype(spec.dtype)


def check_noise(noise, image_shape, name="noise"):
    """Checks uniform noise `(N, H, W, C)` for a sampler; returns it as float32.

    A float array in `[0, 1)`: an integer array (the noise is not a count),
    a string one, a NaN, a value outside `[0, 1)` or another shape is a
    ValueError naming `name`, as the exported `sample` graph refuses it."""
    noise = _dtype_of(noise, name)
    shape = tuple(image_shape)
    if noise.dtype.kind != "f":
        raise ValueError(
            f"`{name}` must be a float array (uniform in [0, 1)). "
            f"Received: {name}.dtype={noise.dtype}"
        )
    if noise.ndim != 4 or any(e is not None and e != g for e, g in zip(shape, noise.shape[1:])):
        raise ValueError(
            f"`{name}` must have shape (N, {', '.join(map(str, shape))}). "
            f"Received: {name}.shape={noise.shape}"
        )
    if noise.size and not (noise.min() >= 0.0 and noise.max() < 1.0):  # NaN fails too
        raise ValueError(
            f"`{name}` must lie in [0, 1). Received: min={noise.min()}, max={noise.max()}"
        )
    return noise.astype(np.float32)


def check_labels(labels, batch, num_classes, name="labels"):
    """Class labels for `batch` images: int32 `(batch,)` in `[0, num_classes)`
    (one label stands for all); `num_classes=None` checks no range."""
    array = _dtype_of(labels, name)
    if array.dtype.kind not in "iu" and not (
        array.dtype.kind == "f" and np.all(np.floor(array) == array)
    ):
        raise ValueError(f"`{name}` must be integers. Received: {name}={brief(labels)}")
    if array.ndim == 0:
        array = np.full((batch,), array)
    if array.ndim != 1 or len(array) != batch:
        raise ValueError(
            f"`{name}` must hold one label per image ({batch}) or one for all. "
            f"Received: {name} with shape {np.shape(labels)}"
        )
    bad = array[(array < 0) | (array >= (num_classes or np.inf))]
    if bad.size:
        raise ValueError(
            f"`{name}` must lie in [0, {num_classes}) for a model with num_classes="
            f"{num_classes}. Received: label {int(bad[0])} in {name}={brief(labels)}"
        )
    return array.astype(np.int32)
