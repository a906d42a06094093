"""The condition inputs of a conditional `PixelRNN`, checked: class labels or
a small image, one per image (or one for all)."""

import numpy as np

from keras_pixelrnn.utils.image_checks import check_images


def model_conditions(model, batch, labels=None, small_images=None):
    """The condition inputs for `batch` images, checked: `[]`, `[labels]`
    (int32 `(batch,)`; one label is repeated) or `[small_images]`.

    Raises:
        ValueError: labels (or a small image) missing for a conditional
            model or given to an unconditional one, a label outside
            `[0, num_classes)`, or a batch or shape that does not match.
            The message names the argument and echoes the value.
    """
    if labels is not None and model.num_classes is None:
        raise ValueError(
            f"Model {model.name!r} is not class-conditional (num_classes=None), so it takes "
            f"no `labels`. Received: labels={_short(labels)}"
        )
    if small_images is not None and model.small_image_shape is None:
        raise ValueError(
            f"Model {model.name!r} does not condition on a small image, so it takes no "
            f"`small_images`. Received: small_images.shape={np.shape(small_images)}"
        )
    if model.num_classes is not None:
        if labels is None:
            raise ValueError(
                f"Model {model.name!r} is class-conditional (num_classes={model.num_classes}): "
                "give `labels`, one integer in [0, num_classes) per image or one for all. "
                "Received: labels=None"
            )
        return [_check_labels(labels, batch, model.num_classes)]
    if model.small_image_shape is not None:
        if small_images is None:
            raise ValueError(
                f"Model {model.name!r} is conditioned on a small image "
                f"{model.small_image_shape}: give `small_images`. Received: small_images=None"
            )
        small = np.asarray(small_images)
        if small.ndim != 4 or small.shape[1:] != model.small_image_shape:
            raise ValueError(
                f"`small_images` must have shape (batch, {', '.join(map(str, model.small_image_shape))}). "
                f"Received: small_images.shape={small.shape}"
            )
        if len(small) != batch:
            raise ValueError(
                f"`small_images` holds {len(small)} images for a batch of {batch}. "
                f"Received: small_images.shape={small.shape}"
            )
        checked = check_images(small, model.small_image_shape, model.levels, "small_images")
        return [checked.astype(np.float32)]
    return []


def _short(value):
    array = np.asarray(value)
    return repr(value) if array.size <= 8 else f"array of shape {array.shape}"


def _check_labels(labels, batch, num_classes):
    array = np.asarray(labels)
    if array.dtype.kind not in "iu" and not (
        array.dtype.kind == "f" and np.all(np.floor(array) == array)
    ):
        raise ValueError(f"`labels` must be integers. Received: labels={_short(labels)}")
    if array.ndim == 0:
        array = np.full((batch,), array)
    if array.ndim != 1 or len(array) != batch:
        raise ValueError(
            f"`labels` must hold one label per image ({batch}) or one for all. "
            f"Received: labels with shape {np.shape(labels)}"
        )
    bad = array[(array < 0) | (array >= num_classes)]
    if bad.size:
        raise ValueError(
            f"`labels` must lie in [0, {num_classes}) for a model with num_classes="
            f"{num_classes}. Received: label {int(bad[0])} in labels={_short(labels)}"
        )
    return array.astype(np.int32)
