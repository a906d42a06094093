"""Your own images: `.npy` / `.npz` files and folders of PNG / JPEG files.

Labels (`with_labels=True`) come only from a `.npz` file that holds, next to the
images, a 1-D integer array named "labels" or "y" with one class per image; a
`.npy` file or a folder has none.
"""

import os
import re
import zipfile

import numpy as np
from PIL import Image

from keras_pixelrnn.data.datasets import DATASETS, NoLabelsError, labelled_names
from keras_pixelrnn.data.splits import parse_split, slice_indices

# Files and folders have one split: all their images.
_PATH_SPLITS = {"splits": ("train",), "split_aliases": {}}
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
_NPZ_KEYS = ("images", "x", "arr_0")
_NPZ_LABEL_KEYS = ("labels", "y")
_GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")


def describe(source):
    """`source` as error messages show it: a name or a path, quoted."""
    return repr(os.fspath(source)) if isinstance(source, (str, os.PathLike)) else repr(source)


def load_array(source, split, image_shape, limit, with_labels=False):
    """The images of a file or folder as a uint8 array (N, H, W, C), and their int32
    labels (N,) when `with_labels`, else None."""
    path = _existing_path(source)
    _, bounds = parse_split(split, **_PATH_SPLITS)
    if os.path.isdir(path):
        if with_labels:
            _no_labels(source, "a folder of images")
        return _load_folder(path, bounds, image_shape, limit), None
    lower = path.lower()
    if lower.endswith((".npy", ".npz")):
        if with_labels and lower.endswith(".npy"):
            _no_labels(source, "a .npy file holds images only")
        images, labels = _read_array_file(path, with_labels)
        images = _to_uint8(source, _with_channels(source, images))
        if with_labels:
            labels = _check_labels(source, labels, len(images))
        keep = slice_indices(len(images), bounds)
        images = np.array(images[keep][:limit], dtype=np.uint8)
        if image_shape is not None and images.shape[1:] != image_shape:
            raise ValueError(
                f"source={describe(source)} holds images of shape {images.shape[1:]}; arrays "
                "are not resized (save them as image files in a folder to have them "
                f"resized). Received: image_shape={image_shape}"
            )
        return images, None if labels is None else labels[keep][:limit]
    raise ValueError(
        "`source` must be a name from DATASETS, a .npy or .npz file, or a folder of PNG / "
        f"JPEG files. Received: source={describe(source)}"
    )


def _existing_path(source):
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            "`source` must be a name from DATASETS or a path (str or os.PathLike). "
            f"Received: source={source!r} of type {type(source).__name__}"
        )
    path = os.fspath(source)
    if os.path.exists(path):
        return path
    # A bare word is more likely a misspelt data set name than a missing file.
    if isinstance(source, str) and not re.search(r"[./\\]", source):
        raise ValueError(
            f"`source` must be one of {DATASETS} or a path. Received: source={source!r}"
        )
    raise FileNotFoundError(
        f"`source` is neither a name from {DATASETS} nor an existing file or folder. "
        f"Received: source={path!r}"
    )


def _read_array_file(path, with_labels):
    """The image array of a `.npy` / `.npz` file, and its label array when
    `with_labels` (None otherwise)."""
    try:
        if path.lower().endswith(".npy"):
            return np.load(path, mmap_mode="r", allow_pickle=False), None
        with np.load(path, allow_pickle=False) as archive:
            keys = archive.files
            image_keys = keys if len(keys) == 1 else [k for k in _NPZ_KEYS if k in keys]
            label_keys = [k for k in _NPZ_LABEL_KEYS if k in keys]
            images = archive[image_keys[0]] if image_keys else None
            labels = archive[label_keys[0]] if with_labels and label_keys else None
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"Cannot read array file {path!r}: {error}") from error
    if images is None:
        raise ValueError(
            f"{path!r} holds several arrays {keys} and none is named "
            f"{' / '.join(repr(k) for k in _NPZ_KEYS)}; name the image array 'images'. "
            f"Received: source={path!r}"
        )
    if with_labels and labels is None:
        _no_labels(
            path,
            f"its arrays {keys} include none named {' / '.join(repr(k) for k in _NPZ_LABEL_KEYS)}",
        )
    return images, labels


def _no_labels(source, why):
    raise NoLabelsError(
        f"source={describe(source)} has no labels ({why}); labels come from a .npz "
        "file with a 'labels' or 'y' array of one integer class per image, or from "
        f"the labelled data sets {labelled_names()}. Received: with_labels=True"
    )


def _check_labels(source, labels, count):
    """The `labels` array of a file as int32 `(count,)`: integers >= 0, one per image."""
    if labels.ndim != 1 or len(labels) != count:
        raise ValueError(
            f"source={describe(source)} must hold one label per image ({count} images) in a "
            f"1-D array. Received: labels of shape {labels.shape}"
        )
    if not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(
            f"source={describe(source)} must hold integer class labels. "
            f"Received: labels of dtype {labels.dtype}"
        )
    if labels.size and labels.min() < 0:
        raise ValueError(
            f"source={describe(source)} holds negative labels; class labels are 0, 1, ... "
            f"Received: label {int(labels.min())}"
        )
    return labels.astype(np.int32)


def _with_channels(source, images):
    if images.ndim == 3:
        return images[..., np.newaxis]
    if images.ndim != 4:
        raise ValueError(
            "`source` must hold images of shape (N, H, W) or (N, H, W, C). "
            f"Received: array of shape {images.shape} from source={describe(source)}"
        )
    return images


def _to_uint8(source, images):
    if images.dtype == np.bool_ or images.dtype == np.uint8:
        return images
    if not np.issubdtype(images.dtype, np.integer):
        raise ValueError(
            "`source` must hold integer pixel values in [0, 255] (uint8); floats are "
            f"ambiguous between [0, 1] and [0, 255]. Received: dtype={images.dtype} "
            f"from source={describe(source)}"
        )
    if images.size and images.min() < 0:
        raise ValueError(
            f"source={describe(source)} holds negative pixel values (min "
            f"{int(images.min())}); pixel values must be in [0, 255]."
        )
    if images.size and images.max() > 255:
        raise ValueError(
            f"source={describe(source)} holds pixel values up to {int(images.max())}, which "
            "no model can represent (levels is at most 256, values must be < levels)."
        )
    return images


def _load_folder(path, bounds, image_shape, limit):
    names = sorted(
        name
        for name in os.listdir(path)
        if name.lower().endswith(_IMAGE_SUFFIXES) and os.path.isfile(os.path.join(path, name))
    )
    if not names:
        raise ValueError(
            f"Folder {path!r} contains no PNG or JPEG files ({', '.join(_IMAGE_SUFFIXES)}). "
            f"Received: source={path!r}"
        )
    names = names[slice_indices(len(names), bounds)][:limit]
    pictures = []
    for name in names:
        file = os.path.join(path, name)
        try:
            with Image.open(file) as picture:
                picture.load()
                pictures.append(picture.copy())
        except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
            raise ValueError(f"Cannot read image file {file!r}: {error}") from error

    if image_shape is None:
        channels = 1 if all(p.mode in _GREY_MODES for p in pictures) else 3
        size = pictures[0].size
        for name, picture in zip(names, pictures):
            if picture.size != size:
                raise ValueError(
                    f"Images in {path!r} differ in size: {names[0]!r} is {size[0]}x{size[1]}, "
                    f"{name!r} is {picture.size[0]}x{picture.size[1]} (width x height); pass "
                    "`image_shape` to crop and resize them. Received: image_shape=None"
                )
        height, width = size[1], size[0]
    else:
        height, width, channels = image_shape
        if channels not in (1, 3):
            raise ValueError(
                "`image_shape` must have 1 (grey) or 3 (RGB) channels for a folder of "
                f"images. Received: image_shape={image_shape}"
            )
    mode = "L" if channels == 1 else "RGB"
    arrays = [np.asarray(_fit_picture(p.convert(mode), height, width)) for p in pictures]
    return np.stack(arrays).reshape(len(arrays), height, width, channels).astype(np.uint8)


def _fit_picture(picture, height, width):
    """Centre-crops `picture` to the aspect ratio height:width, then resizes it."""
    cols, rows = picture.size
    if (rows, cols) == (height, width):
        return picture
    crop_cols = min(cols, rows * width / height)
    crop_rows = min(rows, cols * height / width)
    left, top = (cols - crop_cols) / 2, (rows - crop_rows) / 2
    return picture.resize(
        (width, height),
        Image.Resampling.LANCZOS,
        box=(left, top, left + crop_cols, top + crop_rows),
    )
