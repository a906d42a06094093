"""Checks of the layers' own arguments: masks, colour groups, input shapes.

Numbers are checked by `keras_pixelrnn.utils.arguments`; each check here
names the argument and echoes the value.
"""

import keras


def divisible(name, value, color_channels):
    if value % color_channels:
        raise ValueError(
            f"`{name}` must be divisible by `color_channels`={color_channels} so "
            f"that each colour gets a contiguous group. Received: {name}={value!r}"
        )
    return value


def mask_type(value):
    if value not in ("A", "B"):
        raise ValueError(f"`mask_type` must be 'A' or 'B'. Received: mask_type={value!r}")
    return value


def mask_sees_something(mask_type, kernel_size, color_channels):
    """Mask A on a 1x1 kernel with one colour removes its only tap: refuse it early."""
    if mask_type == "A" and tuple(kernel_size) == (1, 1) and color_channels == 1:
        raise ValueError(
            "mask_type='A' on a 1x1 kernel with color_channels=1 masks every tap: "
            f"the layer would see nothing. Received: mask_type='A', "
            f"kernel_size={tuple(kernel_size)}, color_channels=1"
        )


def image_shape(layer, input_shape, color_channels):
    """Checks a `(batch, height, width, channels)` input shape; returns channels."""
    input_shape = tuple(input_shape)
    if len(input_shape) != 4:
        raise ValueError(
            f"{layer} expects inputs of rank 4 (batch, height, width, channels). "
            f"Received: input_shape={input_shape}"
        )
    channels = input_shape[-1]
    if channels is None:
        raise ValueError(
            f"{layer} needs a known channel dimension. Received: input_shape={input_shape}"
        )
    if channels % color_channels:
        raise ValueError(
            f"{layer}: the input channels must be divisible by `color_channels`="
            f"{color_channels}. Received: input_shape={input_shape}"
        )
    return channels


def floating_inputs(layer, inputs):
    """A ValueError for integer (or bool) inputs, which `keras.layers.Conv2D`
    refuses too: Keras casts floating inputs to a layer's compute dtype,
    never integers (an image of uint8 levels is cast by the model, whose
    input is float32, or by the caller)."""
    dtype = keras.backend.standardize_dtype(inputs.dtype)
    if not keras.backend.is_float_dtype(dtype):
        raise ValueError(
            f"Layer {layer.name!r} ({layer.__class__.__name__}) takes floating-point inputs; "
            f"cast them first, e.g. `x.astype('float32')`. Received: inputs.dtype={dtype}"
        )
