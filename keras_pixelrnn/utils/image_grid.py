"""Image grids written as PNG (or NumPy) files, atomically."""

import numpy as np
from PIL import Image

from keras_pixelrnn.utils.atomic_files import write_atomically


def to_display(images, levels):
    """Integer images `(N, H, W, C)` in `[0, levels)` -> uint8 in `[0, 255]`."""
    images = np.asarray(images, np.float64)
    return np.round(images * (255.0 / (levels - 1))).astype(np.uint8)


def grid(images, levels=256, columns=None, padding=1):
    """Tiles `(N, H, W, C)` images into one `(rows*H', columns*W', C)` uint8 image."""
    images = to_display(images, levels)
    count, height, width, colors = images.shape
    columns = columns or int(np.ceil(np.sqrt(count)))
    rows = int(np.ceil(count / columns))
    out = np.full(
        (rows * (height + padding) + padding, columns * (width + padding) + padding, colors),
        128, np.uint8,
    )
    for n, image in enumerate(images):
        r, c = divmod(n, columns)
        top, left = padding + r * (height + padding), padding + c * (width + padding)
        out[top : top + height, left : left + width] = image
    return out


def write_png(array, path, scale=1):
    """Writes a uint8 `(H, W, C)` array as a PNG, atomically; `scale` enlarges it."""
    array = np.asarray(array, np.uint8)
    if array.shape[-1] == 1:
        array = array[..., 0]
    picture = Image.fromarray(array)
    if scale > 1:
        picture = picture.resize((picture.width * scale, picture.height * scale), Image.NEAREST)
    write_atomically(path, lambda tmp: picture.save(tmp, format="PNG"))


def write_npy(array, path):
    """Writes a NumPy array to `path` atomically."""
    write_atomically(path, lambda tmp: np.save(tmp, array))
