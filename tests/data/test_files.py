import numpy as np
import pytest
from PIL import Image

from keras_pixelrnn.data import load_images, make_dataset


def write_png(path, pixels):
    Image.fromarray(np.asarray(pixels, np.uint8)).save(path)


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


def test_folder_png_and_jpeg_converted_and_resized(tmp_path, batches_of):
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
