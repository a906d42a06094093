import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from keras_pixelrnn.data import load_images, make_dataset


# Named data sets: tfds split names, aliases and slices.


@pytest.mark.parametrize(
    "name, split, tfds_name, tfds_split",
    [
        pytest.param("mnist", "train", "mnist", "train", id="mnist_train"),
        pytest.param("mnist", "validation", "mnist", "test", id="mnist_validation"),
        pytest.param("mnist", "validation[:50%]", "mnist", "test[:50%]", id="mnist_sliced"),
        pytest.param(
            "binarized_mnist", "validation", "binarized_mnist", "validation", id="binarized"
        ),
        pytest.param("cifar10", "validation", "cifar10", "test", id="cifar10_validation"),
        pytest.param("imagenet32", "test", "downsampled_imagenet/32x32", "validation", id="in32"),
        pytest.param(
            "imagenet64", "train[10:]", "downsampled_imagenet/64x64", "train[10:]", id="in64"
        ),
    ],
)
def test_tfds_split_names(monkeypatch, name, split, tfds_name, tfds_split):
    calls = []

    def fake_load(dataset_name, split, **kwargs):
        calls.append((dataset_name, split))
        return tf.data.Dataset.from_tensors({"image": tf.zeros((8, 8, 1), tf.uint8)})

    monkeypatch.setattr(tfds, "load", fake_load)
    make_dataset(name, split=split)
    assert calls == [(tfds_name, tfds_split)]


@pytest.mark.parametrize("source", ["mnist", "imagenet32", "mnist_5k"])
def test_unknown_split(source):
    with pytest.raises(ValueError, match=r"split='valid'"):
        make_dataset(source, split="valid")


# In-memory slices and limit.


def test_mnist_5k_slices_and_limit():
    train = load_images("mnist_5k")
    np.testing.assert_array_equal(load_images("mnist_5k", split="train[:10%]"), train[:450])
    np.testing.assert_array_equal(load_images("mnist_5k", split="train[-3:]"), train[-3:])
    np.testing.assert_array_equal(load_images("mnist_5k", limit=7), train[:7])
