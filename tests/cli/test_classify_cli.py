"""`keras-pixelrnn classify`, and `sample --label/--per-class`, with the shipped
class-conditional preset `mnist_conditional` (in-process `cli.main`)."""

import json

import numpy as np
import pytest

from keras_pixelrnn import cli, data
from keras_pixelrnn.models.pixel_rnn import PixelRNN

PRESET = ["--preset", "mnist_conditional"]


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    """Six validation digits (thresholded) with their labels: a .npy of the
    images, a .npy of the labels, a .npz of both; and the arrays."""
    folder = tmp_path_factory.mktemp("digits")
    images, labels = data.load_images("mnist_5k", split="validation[:6]", levels=2,
                                      binarize=True, with_labels=True)
    np.save(folder / "x.npy", images)
    np.save(folder / "y.npy", labels)
    np.savez(folder / "xy.npz", images=images, labels=labels)
    np.save(folder / "far.npy", np.full(6, 12, np.int64))
    return {name: str(folder / name) for name in ("x.npy", "y.npy", "xy.npz", "far.npy")}, \
        images, labels


@pytest.fixture(scope="module")
def model():
    return PixelRNN.from_preset("mnist_conditional", load_weights=True)


def _fails(args, capsys, match):
    capsys.readouterr()
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and match in err, err


@pytest.mark.slow
def test_classify_prints_counts_and_accuracy_and_writes_the_posteriors(digits, model, tmp_path,
                                                                       capsys):
    files, images, labels = digits
    out = tmp_path / "posterior.npy"
    capsys.readouterr()
    code = cli.main(["classify", *PRESET, "--images", files["x.npy"], "--labels-from",
                     files["y.npy"], "--out", str(out), "--json"])
    assert code == 0
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    posterior = np.load(out)
    assert posterior.shape == (6, 10) and posterior.dtype == np.float32
    np.testing.assert_allclose(posterior, model.classify(images), rtol=1e-4, atol=1e-6)
    predicted = posterior.argmax(axis=-1)
    assert result["counts"] == np.bincount(predicted, minlength=10).tolist()
    assert result["accuracy"] == pytest.approx(float((predicted == labels).mean()))
    assert any(line.startswith("accuracy ") for line in lines)


@pytest.mark.slow
def test_classify_reads_the_labels_of_a_npz_or_a_data_set(digits, capsys):
    files, _, _ = digits
    for images in (files["xy.npz"], "mnist_5k"):
        capsys.readouterr()
        assert cli.main(["classify", *PRESET, "--images", images, "--limit", "3", "--json"]) == 0
        result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
        assert result["num_images"] == 3 and result["accuracy"] is not None


@pytest.mark.slow
def test_classify_without_labels_prints_counts_only(digits, capsys):
    files, _, _ = digits
    capsys.readouterr()
    assert cli.main(["classify", *PRESET, "--images", files["x.npy"], "--limit", "2",
                     "--json"]) == 0
    out = capsys.readouterr().out
    assert "counts only" in out and json.loads(out.strip().splitlines()[-1])["accuracy"] is None


@pytest.mark.parametrize("extra, match", [
    (["--prior", "0.5,0.5"], "--prior must be 10 finite numbers >= 0 that sum to 1"),
    (["--prior", "a,b"], "--prior must be numbers separated by commas"),
    (["--labels-from", "y.npy", "--limit", "2"], "gives 6 labels for the 2 images"),
    (["--labels-from", "x.npy"], "must hold a 1-D integer array"),
    (["--labels-from", "far.npy"], "--labels-from must lie in [0, 10)"),
    (["--labels-from", "missing.npz"], "--labels-from is neither a name"),
    (["--out", "posterior.png"], "--out must end in .npy"),
    (["--out", "x.npy/posterior.npy"], "which is a file, not a folder"),
    (["--limit", "0"], "--limit must be a positive integer"),
], ids=["prior-length", "prior-text", "labels-length", "labels-images", "labels-range",
        "labels-missing", "out", "out-under-a-file", "limit"])
def test_classify_rejects_bad_input(digits, capsys, extra, match):
    files, _, _ = digits
    extra = [files["x.npy"] + e[5:] if e.startswith("x.npy/") else files.get(e, e) for e in extra]
    _fails(["classify", *PRESET, "--images", files["x.npy"], *extra], capsys, match)


def test_classify_an_unconditional_model_names_num_classes(digits, capsys):
    files, _, _ = digits
    _fails(["classify", "--preset", "mnist", "--images", files["x.npy"]], capsys,
           "not class-conditional (num_classes=None)")


@pytest.mark.slow
def test_sample_the_preset_by_label_and_per_class(model, tmp_path):
    out = tmp_path / "sevens.npy"
    assert cli.main(["sample", *PRESET, "--label", "7", "--num", "2", "--out", str(out)]) == 0
    np.testing.assert_array_equal(np.load(out), model.sample(2, seed=0, labels=7))
    out = tmp_path / "classes.npy"
    assert cli.main(["sample", *PRESET, "--per-class", "1", "--out", str(out)]) == 0
    np.testing.assert_array_equal(np.load(out),
                                  model.sample(10, seed=0, labels=np.arange(10)))
    png = tmp_path / "classes.png"
    assert cli.main(["sample", *PRESET, "--per-class", "1", "--out", str(png)]) == 0
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.parametrize("extra, match", [
    (["--label", "10"], "--label must lie in [0, 10)"),
    (["--per-class", "0"], "--per-class must be a positive integer"),
    (["--num", "4"], "give the classes to draw with --label"),
], ids=["label-range", "per-class", "no-label"])
def test_sample_the_preset_rejects_bad_labels(tmp_path, capsys, extra, match):
    _fails(["sample", *PRESET, *extra, "--out", str(tmp_path / "x.npy")], capsys, match)
