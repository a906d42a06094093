"""Writing image grids as PNG files (written to a temporary file, then renamed)."""

import os
import tempfile

import numpy as np
from PIL import Image


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


def save_atomically(path, save):
    """Calls `save(temporary_path)` and renames the result to `path`.

    The temporary file sits in `path`'s folder (so the rename is atomic) and
    its name ends with `path`'s file name (so savers that check the suffix,
    such as Keras' `.keras` and `.weights.h5`, accept it). On any error, or
    an interrupt, it is removed and `path` is left as it was.
    """
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix="-" + name)
    os.close(handle)
    try:
        save(tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_atomically(path, write):
    """Calls `write(file)` on a temporary file and renames it to `path`."""

    def save(tmp):
        with open(tmp, "wb") as f:
            write(f)

    save_atomically(path, save)
