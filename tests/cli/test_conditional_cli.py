import json

import keras
import numpy as np
import pytest
from PIL import Image

from keras_pixelrnn import cli
from keras_pixelrnn.generation import sampling
from keras_pixelrnn.models.pixel_rnn import PixelRNN
from keras_pixelrnn.utils.image_grid import grid

CLASSES = 3
MODEL = ["train", "--architecture", "pixel_cnn", "--layers", "1", "--hidden", "4",
         "--levels", "2", "--batch-size", "8", "--verbose", "2"]
TRAIN = MODEL + ["--image-shape", "6,5,1"]  # for data given as a path


@pytest.fixture(scope="module")
def labelled(tmp_path_factory):
    """48 binary 6x5 images with labels 0 .. 2 in a .npz file; the same images
    without labels in a .npy file."""
    folder = tmp_path_factory.mktemp("data")
    rng = np.random.default_rng(0)
    labels = rng.integers(0, CLASSES, 48)
    images = (rng.random((48, 6, 5)) > 0.5).astype("uint8")
    images[:, 0, :] = labels[:, None] == np.arange(5)  # the class shows in row 0
    np.savez(folder / "digits.npz", images=images, labels=labels)
    np.save(folder / "digits.npy", images)
    return folder / "digits.npz", folder / "digits.npy", images[..., None], labels


@pytest.fixture(scope="module")
def trained(labelled, tmp_path_factory):
    """A class-conditional model trained by `train --num-classes 3`, and its run folder."""
    npz = labelled[0]
    out = tmp_path_factory.mktemp("run")
    code = cli.main(TRAIN + ["--dataset", str(npz), "--num-classes", str(CLASSES),
                             "--epochs", "1", "--out", str(out)])
    assert code == 0
    return out / "model.keras", out


@pytest.fixture(scope="module")
def unconditional(tmp_path_factory):
    path = tmp_path_factory.mktemp("plain") / "model.keras"
    PixelRNN("pixel_cnn", (6, 5, 1), 1, 4, levels=2).save(path)
    return path


def _fails(args, capsys, match):
    capsys.readouterr()
    assert cli.main(args) == 2
    error = capsys.readouterr().err
    assert error.startswith("error: ")
    assert match in error, error
    return error


# Training.


def test_train_num_classes_records_them_and_builds_a_conditional_model(trained):
    path, out = trained
    recipe = json.loads((out / "recipe.json").read_text())
    assert recipe["num_classes"] == CLASSES
    model = keras.saving.load_model(path)
    assert model.num_classes == CLASSES
    assert [tensor.name for tensor in model.inputs] == ["images", "labels"]


@pytest.mark.slow
def test_train_without_num_classes_records_none(labelled, tmp_path):
    npy = labelled[1]
    assert cli.main(TRAIN + ["--dataset", str(npy), "--steps", "1", "--out", str(tmp_path)]) == 0
    assert json.loads((tmp_path / "recipe.json").read_text())["num_classes"] is None
    assert keras.saving.load_model(tmp_path / "model.keras").num_classes is None


@pytest.mark.slow
def test_train_condition_units_builds_a_map_per_class(labelled, tmp_path):
    npz = labelled[0]
    args = TRAIN + ["--dataset", str(npz), "--num-classes", str(CLASSES), "--condition-units",
                    "2", "--steps", "1", "--out", str(tmp_path)]
    assert cli.main(args) == 0
    assert json.loads((tmp_path / "recipe.json").read_text())["condition_units"] == 2
    model = keras.saving.load_model(tmp_path / "model.keras")
    assert (model.num_classes, model.condition_units) == (CLASSES, 2)
    assert model.get_layer("condition_map").output.shape == (None, 6, 5, 2)


@pytest.mark.parametrize(
    "extra, match",
    [
        pytest.param(["--num-classes", "3", "--condition-units", "0"],
                     "--condition-units must be a positive integer. Received: --condition-units 0",
                     id="zero"),
        pytest.param(["--condition-units", "4"],
                     "this one is unconditional. Received: --condition-units 4",
                     id="unconditional"),
    ],
)
def test_train_bad_condition_units(labelled, tmp_path, capsys, extra, match):
    args = TRAIN + ["--dataset", str(labelled[0]), "--out", str(tmp_path)] + extra
    _fails(args, capsys, match)
    assert not (tmp_path / "model.keras").exists()


@pytest.mark.parametrize(
    "dataset, num_classes, match",
    [
        pytest.param("npy", "3", "error: --num-classes 3 trains on labelled images: source='",
                     id="no_labels_file"),
        pytest.param("binarized_mnist", "3",
                     "--num-classes 3 trains on labelled images: source='binarized_mnist' has "
                     "no labels", id="no_labels_data_set"),
        pytest.param("mnist", "5", "source='mnist' has labels 0 .. 9, which a model with "
                     "num_classes=5 cannot represent", id="too_few_classes"),
        pytest.param("npz", "2", "holds labels 2, which a model with num_classes=2 cannot "
                     "represent", id="label_beyond"),
        pytest.param("npz", "1", "--num-classes must be an integer >= 2. "
                     "Received: --num-classes 1", id="one_class"),
    ],
)
def test_train_num_classes_bad_data(labelled, tmp_path, capsys, dataset, num_classes, match):
    npz, npy = labelled[:2]
    paths = {"npz": str(npz), "npy": str(npy)}
    # Named data sets are refused before anything is read or downloaded.
    args = TRAIN if dataset in paths else MODEL
    dataset = paths.get(dataset, dataset)
    args = args + ["--dataset", dataset, "--num-classes", num_classes, "--out", str(tmp_path)]
    error = _fails(args, capsys, match)
    if dataset == str(npy):
        assert f"source={str(npy)!r} has no labels" in error
    assert not (tmp_path / "model.keras").exists()


# Sampling.


@pytest.mark.slow
def test_sample_label(trained, tmp_path):
    path, _ = trained
    model = keras.saving.load_model(path)
    out = tmp_path / "sevens.npy"
    assert cli.main(["sample", "--model", str(path), "--label", "2", "--num", "4",
                     "--out", str(out)]) == 0
    images = np.load(out)
    assert images.shape == (4, 6, 5, 1)
    np.testing.assert_array_equal(images, sampling.sample(model, 4, seed=0, conditions=[[2] * 4]))
    # The label is used: another class gives other images from the same noise.
    assert not np.array_equal(images, sampling.sample(model, 4, seed=0, conditions=[[0] * 4]))


@pytest.mark.slow
def test_sample_labels_one_per_image_or_repeated(trained, tmp_path):
    path, _ = trained
    model = keras.saving.load_model(path)
    for extra, expected in ((["--num", "6"], [0, 1, 2, 0, 1, 2]), ([], [2, 0])):
        labels = ",".join(map(str, expected[:3] if extra else expected))
        out = tmp_path / "labels.npy"
        assert cli.main(["sample", "--model", str(path), "--labels", labels, *extra,
                         "--out", str(out)]) == 0
        images = np.load(out)
        assert len(images) == len(expected)
        np.testing.assert_array_equal(
            images, sampling.sample(model, len(expected), seed=0, conditions=[expected])
        )


@pytest.mark.slow
def test_sample_per_class_grid_has_a_row_per_class(trained, tmp_path):
    path, _ = trained
    model = keras.saving.load_model(path)
    expected = sampling.sample(model, 2 * CLASSES, seed=0,
                               conditions=[np.repeat(np.arange(CLASSES), 2)])
    out = tmp_path / "classes.npy"
    assert cli.main(["sample", "--model", str(path), "--per-class", "2", "--out", str(out)]) == 0
    np.testing.assert_array_equal(np.load(out), expected)

    png = tmp_path / "classes.png"
    assert cli.main(["sample", "--model", str(path), "--per-class", "2", "--out", str(png)]) == 0
    picture = np.asarray(Image.open(png))
    # 3 rows of 6-pixel images, 2 columns of 5-pixel ones, 1-pixel padding, scaled 4x.
    assert picture.shape == (4 * (CLASSES * 7 + 1), 4 * (2 * 6 + 1))
    np.testing.assert_array_equal(picture[::4, ::4], grid(expected, 2, columns=2)[..., 0])


@pytest.mark.parametrize(
    "args, match",
    [
        pytest.param([], "The model is class-conditional (num_classes=3): give the classes to "
                     "draw with --label L, --labels L1,L2,... or --per-class N. "
                     "Received: none of them", id="no_labels"),
        pytest.param(["--label", "3"], "--label must lie in [0, 3) for a model with "
                     "num_classes=3. Received: --label 3 (outside: 3)", id="label_beyond"),
        pytest.param(["--labels", "0,-1,7"], "Received: --labels 0,-1,7 (outside: -1, 7)",
                     id="labels_beyond"),
        pytest.param(["--labels", "0,one"], "--labels must be integers separated by commas, "
                     "e.g. 0,1,2. Received: --labels 0,one", id="labels_not_integers"),
        pytest.param(["--labels", "0,1,2", "--num", "2"], "--labels gives 3 labels for --num 2 "
                     "images", id="more_labels_than_images"),
        pytest.param(["--per-class", "2", "--num", "4"], "--per-class 2 draws 2 images of each "
                     "of the 3 classes; leave out --num. Received: --num 4", id="per_class_num"),
        pytest.param(["--per-class", "0"], "--per-class must be a positive integer. "
                     "Received: --per-class 0", id="per_class_zero"),
    ],
)
def test_sample_bad_labels_for_a_conditional_model(trained, tmp_path, capsys, args, match):
    out = tmp_path / "x.npy"
    _fails(["sample", "--model", str(trained[0]), *args, "--out", str(out)], capsys, match)
    assert not out.exists()


@pytest.mark.parametrize(
    "args", [["--label", "1"], ["--labels", "0,1"], ["--per-class", "2"]],
    ids=["label", "labels", "per_class"],
)
def test_sample_labels_for_an_unconditional_model(unconditional, tmp_path, capsys, args):
    match = (f"{args[0]} gives labels, but the model is not class-conditional "
             f"(num_classes=None) and takes none. Received: {args[0]} {args[1]}")
    _fails(["sample", "--model", str(unconditional), *args, "--out", str(tmp_path / "x.npy")],
           capsys, match)


def test_sample_label_options_exclude_each_other(trained, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["sample", "--model", str(trained[0]), "--label", "1", "--per-class", "2",
                  "--out", str(tmp_path / "x.npy")])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


# Evaluation and completion with the data set's labels.


def test_evaluate_scores_with_the_data_sets_labels(trained, labelled, capsys):
    path, _ = trained
    npz, _, images, labels = labelled
    capsys.readouterr()
    assert cli.main(["evaluate", "--model", str(path), "--dataset", str(npz), "--json",
                     "--batch-size", "16"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    model = keras.saving.load_model(path)
    expected = -model.log_prob(images, labels=labels)
    assert result["num_images"] == 48
    np.testing.assert_allclose(result["nats_per_image"], expected.mean(), rtol=1e-5)
    # With other labels the score is another: the labels are used.
    other = -model.log_prob(images, labels=(labels + 1) % CLASSES)
    assert abs(other.mean() - expected.mean()) > 1e-3


@pytest.mark.slow
def test_complete_uses_each_images_label(trained, labelled, tmp_path):
    path, _ = trained
    npz, _, images, labels = labelled
    out = tmp_path / "completions.png"
    assert cli.main(["complete", "--model", str(path), "--images", str(npz), "--num", "4",
                     "--keep-rows", "2", "--out", str(out)]) == 0
    model = keras.saving.load_model(path)
    completed = model.complete(images[:4], keep_rows=2, seed=0, labels=labels[:4])
    occluded = images[:4].copy()
    occluded[:, 2:] = 0
    expected = grid(np.concatenate([images[:4], occluded, completed]), 2, columns=4)[..., 0]
    np.testing.assert_array_equal(np.asarray(Image.open(out))[::4, ::4], expected)


@pytest.mark.parametrize("command", ["evaluate", "complete"])
def test_conditional_model_needs_labelled_data(trained, labelled, tmp_path, capsys, command):
    npy = labelled[1]
    if command == "evaluate":
        args = ["evaluate", "--model", str(trained[0]), "--dataset", str(npy)]
        what = f"scores each image given its label, so --dataset {npy} needs labels"
    else:
        args = ["complete", "--model", str(trained[0]), "--images", str(npy), "--keep-rows",
                "2", "--out", str(tmp_path / "c.png")]
        what = f"completes each image given its label, so --images {npy} needs labels"
    error = _fails(args, capsys, "The model is class-conditional (num_classes=3) and ")
    assert what in error
    assert f"source={str(npy)!r} has no labels (a .npy file holds images only)" in error


def test_evaluate_conditional_model_labels_beyond_its_classes(trained, tmp_path, capsys):
    bad = tmp_path / "bad.npz"
    np.savez(bad, images=np.zeros((4, 6, 5), np.uint8), labels=np.array([0, 1, 5, 2]))
    _fails(["evaluate", "--model", str(trained[0]), "--dataset", str(bad)], capsys,
           "holds labels 5, which a model with num_classes=3 cannot represent")
