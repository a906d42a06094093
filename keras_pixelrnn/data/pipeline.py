"""`load_images` and `make_dataset`: every source as checked uint8 images, with their
class labels when asked (`with_labels=True`)."""

import functools
import typing

import numpy as np
import tensorflow as tf

from keras_pixelrnn.data import datasets, files
from keras_pixelrnn.data.files import describe
from keras_pixelrnn.data.splits import base_name
from keras_pixelrnn.utils import arguments

_SHUFFLE_BUFFER = 10_000


def load_images(
    source,
    split="train",
    image_shape=None,
    levels=256,
    binarize=False,
    limit=None,
    with_labels=False,
    num_classes=None,
):
    """Loads images into one uint8 NumPy array: for small data sets and your own images.

    Args:
        source: a name from `DATASETS`, or a path to a `.npy` / `.npz` file or to a
            folder of PNG / JPEG files (see the `keras_pixelrnn.data` docstring).
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
        with_labels: also return the class label of each image, for a
            class-conditional model (`PixelRNN(..., num_classes=K)`). Only
            "mnist", "cifar10", "mnist_5k" and `.npz` files with a "labels" (or
            "y") array have labels; other sources raise a `NoLabelsError` (a
            ValueError) naming the source. Defaults to False.
        num_classes: with `with_labels`, the number of classes the model
            represents; any label `>= num_classes` raises a ValueError (a named
            data set's classes must all fit). Defaults to None (no check).

    Returns:
        A uint8 array of shape `(N, H, W, C)`; with `with_labels=True`, the pair
        `(images, labels)`, labels int32 `(N,)` with the label of `images[n]` at
        `labels[n]`.
    """
    image_shape, levels, limit = _check_arguments(image_shape, levels, limit)
    _check_label_arguments(source, with_labels, num_classes)
    images, labels = _load_array(source, split, image_shape, limit, with_labels)
    _check_classes(source, labels, num_classes)
    if binarize:
        _check_grey(source, images.shape[-1])
        if images.max() > 1:
            images = (images >= 128).astype(np.uint8)
    _check_levels(source, images, levels)
    return (images, labels) if with_labels else images


def make_dataset(
    source, split="train", batch_size=32, image_shape=None, levels=256, binarize=False,
    shuffle=True, seed=None, repeat=False, drop_remainder=False, limit=None, with_labels=False,
    num_classes=None, replicas=1,
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
        with_labels: yield each batch with its class labels, ready for `fit` of a
            class-conditional model: `((images, labels), images)`, the inputs
            `[images, labels]` and the images again as the target. Shuffling keeps
            every label with its image, and the target is the (binarized) input
            itself. Sources as in `load_images`. Defaults to False.
        num_classes: with `with_labels`, the number of classes the model
            represents, checked as in `load_images`. Defaults to None.
        replicas: the replicas a `tf.distribute` strategy splits each batch
            over. A last batch of fewer images, which would leave a replica
            none, is dropped (its images, others each epoch where shuffled,
            sit out that epoch); the number of batches stays known. Defaults to 1.

    Returns:
        A `tf.data.Dataset` of uint8 tensors `(batch, H, W, C)`; with
        `with_labels=True`, of `((images, labels), images)`, labels int32
        `(batch,)`.

    Example, a class-conditional model:

    >>> from keras_pixelrnn import PixelRNN, PixelRNNLoss
    >>> train = make_dataset("mnist_5k", batch_size=32, binarize=True, seed=0,
    ...                      with_labels=True)
    >>> model = PixelRNN("pixel_cnn", (28, 28, 1), 2, 16, levels=2, num_classes=10)
    >>> model.compile("adam", loss=PixelRNNLoss())
    >>> history = model.fit(train, epochs=1)
    """
    image_shape, levels, limit = _check_arguments(image_shape, levels, limit)
    arguments.integer("batch_size", batch_size)
    replicas = arguments.integer("replicas", replicas)
    seed = arguments.integer("seed", seed, minimum=0, allow_none=True)
    _check_label_arguments(source, with_labels, num_classes)
    if datasets.is_tfds_name(source):
        images = _streamed(source, split, image_shape, binarize, shuffle, seed, limit, with_labels)
    else:
        images = _in_memory(source, split, image_shape, levels, binarize, limit, with_labels,
                            num_classes)
        if drop_remainder and not repeat and batch_size > images.size:
            raise ValueError(
                f"`batch_size`={batch_size} is larger than the {images.size} images of "
                f"source={describe(source)} split={split!r}, so drop_remainder=True "
                f"would leave no batch. Received: batch_size={batch_size}"
            )
    batches = _batched(images, source, split, batch_size, levels, binarize, shuffle, seed,
                       repeat, drop_remainder, with_labels)
    if replicas > 1 and not (repeat or drop_remainder):
        batches = _whole_replicas(batches, images.dataset, batch_size, replicas)
    return batches


def _whole_replicas(batches, unbatched, batch_size, replicas):
    """`batches` without a last batch of fewer than `replicas` images: the
    batches but the last where the number of images is known (it stays known),
    else those of at least `replicas` images."""
    count = int(unbatched.cardinality())
    if count < 0:  # unknown: look at each batch
        return batches.filter(
            lambda *batch: tf.shape(tf.nest.flatten(batch)[0])[0] >= replicas
        )
    if 0 <= count < replicas:
        raise ValueError(
            f"The {count} images are fewer than the {replicas} replicas that share each "
            f"batch, which would leave a replica none. Received: replicas={replicas}"
        )
    if 0 < count % batch_size < replicas:
        return batches.take(count // batch_size)
    return batches


class _Images(typing.NamedTuple):
    """A source's images, unbatched, and what the pipeline needs to know of them."""

    dataset: tf.data.Dataset  # of images, or of (image, label) pairs
    size: int  # images to shuffle among at once: all of them, or a buffer's worth
    binary: bool  # already in {0, 1}: nothing to binarize
    levels_unchecked: bool  # streamed: the pixel values are checked batch by batch


def _streamed(source, split, image_shape, binarize, shuffle, seed, limit, with_labels):
    """A tfds data set, streamed (its files shuffled when all of them are read)."""
    shape = datasets.check_image_shape(source, image_shape)
    if binarize:
        _check_grey(source, shape[-1])
    dataset = datasets.tfds_images(
        source, split, shuffle_files=shuffle and limit is None, seed=seed, with_labels=with_labels
    )
    if limit is not None:
        dataset = dataset.take(limit)
    return _Images(dataset, limit or _SHUFFLE_BUFFER, source == "binarized_mnist", True)


def _in_memory(source, split, image_shape, levels, binarize, limit, with_labels, num_classes):
    """The "mnist_5k" data set, a file or a folder, read into memory and checked."""
    images, labels = _load_array(source, split, image_shape, limit, with_labels)
    _check_classes(source, labels, num_classes)
    if binarize:
        _check_grey(source, images.shape[-1])
    else:
        _check_levels(source, images, levels)
    elements = images if labels is None else (images, labels)
    dataset = tf.data.Dataset.from_tensor_slices(elements)
    return _Images(dataset, len(images), images.max() <= 1, False)


def _batched(images, source, split, batch_size, levels, binarize, shuffle, seed, repeat,
             drop_remainder, with_labels):
    """The `_Images` shuffled, repeated, binarized, batched, checked and prefetched,
    as `make_dataset` describes."""
    dataset = images.dataset
    if shuffle:
        dataset = dataset.shuffle(images.size, seed=seed, reshuffle_each_iteration=True)
    if repeat:
        dataset = dataset.repeat()
    if binarize and not images.binary:
        dataset = _binarize_dynamically(
            dataset, seed, afresh=base_name(split) == "train", with_labels=with_labels
        )
    dataset = dataset.batch(
        batch_size, drop_remainder=drop_remainder, num_parallel_calls=tf.data.AUTOTUNE
    )
    if images.levels_unchecked and levels < 256:
        dataset = dataset.map(
            functools.partial(_assert_levels, source=source, levels=levels),
            num_parallel_calls=tf.data.AUTOTUNE,
        )
    if with_labels:
        dataset = dataset.map(lambda batch, labels: ((batch, labels), batch))
    return dataset.prefetch(tf.data.AUTOTUNE)


def _load_array(source, split, image_shape, limit, with_labels=False):
    """Every source as an unchecked-levels uint8 array (N, H, W, C), and its int32
    labels (N,) when `with_labels` (None otherwise)."""
    if datasets.is_name(source):
        images, labels = datasets.load_array(source, split, image_shape, limit, with_labels)
    else:
        images, labels = files.load_array(source, split, image_shape, limit, with_labels)
    if len(images) == 0:
        raise ValueError(f"source={describe(source)} has no images in split={split!r}.")
    return images, labels


def _binarize_dynamically(dataset, seed, afresh, with_labels):
    """Bernoulli pixels of the images of `dataset` (elements `image` or
    `(image, label)`), the labels passed through."""
    seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=afresh)

    def draw(element, draw_seed):
        image = element[0] if with_labels else element
        noise = tf.random.stateless_uniform(
            tf.shape(image), seed=tf.stack([draw_seed, tf.constant(0, tf.int64)])
        )
        binary = tf.cast(noise * 255.0 < tf.cast(image, tf.float32), tf.uint8)
        return (binary, element[1]) if with_labels else binary

    return tf.data.Dataset.zip(dataset, seeds).map(draw, num_parallel_calls=tf.data.AUTOTUNE)


def _check_arguments(image_shape, levels, limit):
    if image_shape is not None:
        image_shape = arguments.shape("image_shape", image_shape, 3)
    levels = arguments.integer("levels", levels, minimum=2, maximum=256, why="Images are uint8.")
    limit = arguments.integer("limit", limit, allow_none=True)
    return image_shape, levels, limit


def _check_label_arguments(source, with_labels, num_classes):
    """`num_classes` goes with `with_labels`; a named data set must have labels that
    fit it (files are checked once read, by `_check_classes`)."""
    if num_classes is not None:
        arguments.integer("num_classes", num_classes, minimum=2)
        if not with_labels:
            raise ValueError(
                "`num_classes` checks labels, which only `with_labels=True` reads. "
                f"Received: num_classes={num_classes!r}, with_labels={with_labels!r}"
            )
    if with_labels and datasets.is_name(source):
        datasets.check_labelled(source, num_classes)


def _check_classes(source, labels, num_classes):
    if num_classes is None or labels is None:
        return
    bad = np.unique(labels[labels >= num_classes])
    if bad.size:
        shown = ", ".join(str(label) for label in bad[:8]) + (", ..." if bad.size > 8 else "")
        raise ValueError(
            f"source={describe(source)} holds labels {shown}, which a model with "
            f"num_classes={num_classes} cannot represent (labels must be < num_classes). "
            f"Received: num_classes={num_classes}"
        )


def _check_grey(source, channels):
    if channels != 1:
        raise ValueError(
            "`binarize=True` needs grey images (1 channel); "
            f"source={describe(source)} has {channels} channels. Received: binarize=True"
        )


def _check_levels(source, images, levels):
    largest = int(images.max())
    if largest >= levels:
        raise ValueError(
            f"source={describe(source)} holds pixel values up to {largest}, which a model "
            f"with levels={levels} cannot represent (values must be < levels). "
            f"Received: levels={levels}"
        )


def _assert_levels(batch, *labels, source, levels):
    """`batch` (and its labels, when the data set has them) after checking the
    pixel values of `batch` against `levels`."""
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
        batch = tf.identity(batch)
    return (batch, *labels) if labels else batch
