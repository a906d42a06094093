"""The condition inputs of a conditional `PixelRNN`, checked: class labels or
a small image, one per image (or one for all)."""

import numpy as np

from keras_pixelrnn.utils.image_checks import brief, check_images, check_labels


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
            f"no `labels`. Received: labels={brief(labels)}"
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
        return [check_labels(labels, batch, model.num_classes)]
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
