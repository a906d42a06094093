"""Causal convolution masks of PixelRNN, section 3.4 (pure NumPy, no TensorFlow).

An image is generated in raster order and, inside a pixel, colour by colour
(R, then G given R, then B given R and G). A masked convolution must therefore
let the output at pixel (i, j) see:

* every input position *before* the kernel centre in raster order, all colours;
* nothing *after* the centre;
* at the centre itself, only some colour groups: with mask ``"A"`` an output in
  colour group ``g`` sees input groups ``< g``; with mask ``"B"`` it sees groups
  ``<= g``.

Feature maps are split into ``color_channels`` *contiguous* groups: with ``n``
channels and 3 colours, channels ``[0, n/3)`` are R, ``[n/3, 2n/3)`` are G and
``[2n/3, n)`` are B. With one colour, mask A removes the centre tap and mask B
keeps it.
"""

import numpy as np

MASK_TYPES = ("A", "B")


def color_groups(channels, color_channels):
    """Colour group index of each of `channels` channels (contiguous groups).

    Example: ``color_groups(6, 3)`` is ``[0, 0, 1, 1, 2, 2]``.
    """
    if color_channels < 1:
        raise ValueError(
            "`color_channels` must be a positive integer. "
            f"Received: color_channels={color_channels}"
        )
    if channels % color_channels:
        raise ValueError(
            f"The number of channels must be divisible by `color_channels`="
            f"{color_channels} so that each colour gets a contiguous group. "
            f"Received: channels={channels}"
        )
    return np.arange(channels) // (channels // color_channels)


def causal_mask(
    kernel_size, in_channels, out_channels, mask_type="B", color_channels=1
):
    """Returns the 0/1 mask of a causal convolution kernel.

    Args:
        kernel_size: `(height, width)` of the kernel, both odd (the centre must
            be a tap), e.g. `(7, 7)`, `(1, 3)` or `(1, 1)`.
        in_channels: number of input channels, divisible by `color_channels`.
        out_channels: number of output channels, divisible by `color_channels`.
        mask_type: `"A"` (first layer: the centre sees earlier colours only)
            or `"B"` (later layers: the centre sees its own colour too).
        color_channels: number of colour groups, 1 (grey or binary) or 3 (RGB).

    Returns:
        A float32 array of shape `(height, width, in_channels, out_channels)`
        to multiply with a kernel of the same shape.
    """
    kernel_height, kernel_width = kernel_size
    for name, size in (("height", kernel_height), ("width", kernel_width)):
        if size < 1 or size % 2 == 0:
            raise ValueError(
                f"`kernel_size` must be odd and positive in {name} so that the "
                f"kernel has a centre tap. Received: kernel_size={tuple(kernel_size)}"
            )
    if mask_type not in MASK_TYPES:
        raise ValueError(
            f"`mask_type` must be 'A' or 'B'. Received: mask_type={mask_type!r}"
        )
    in_groups = color_groups(in_channels, color_channels)
    out_groups = color_groups(out_channels, color_channels)

    center_row, center_col = kernel_height // 2, kernel_width // 2
    mask = np.zeros(
        (kernel_height, kernel_width, in_channels, out_channels), np.float32
    )
    # Rows above the centre, then the centre row left of the centre.
    mask[:center_row] = 1.0
    mask[center_row, :center_col] = 1.0
    if mask_type == "A":
        center = in_groups[:, None] < out_groups[None, :]
    else:
        center = in_groups[:, None] <= out_groups[None, :]
    mask[center_row, center_col] = center
    if not mask.any():
        raise ValueError(
            f"mask_type={mask_type!r} with kernel_size={tuple(kernel_size)} and "
            f"color_channels={color_channels} masks every tap: the layer would "
            "see nothing. Use mask 'B', or a kernel larger than the centre."
        )
    return mask
