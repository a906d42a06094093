"""`--preset NAME` in place of `--model PATH`: sample, complete, evaluate, export.

In-process `cli.main`, with a temporary weights folder holding weights of the
`small` preset in place of the package's."""

import json
import os

import numpy as np
import pytest

from keras_pixelrnn import cli
from keras_pixelrnn.models import presets
from keras_pixelrnn.models.pixel_rnn import PixelRNN

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def shipped(tmp_path_factory):
    """(weights folder, the saved `small` model, a .npy file of binary 28x28 digits)."""
    folder = tmp_path_factory.mktemp("weights")
    model = PixelRNN.from_preset("small", load_weights=False)
    rng = np.random.default_rng(0)
    for weight in model.weights:
        weight.assign(rng.uniform(-0.5, 0.5, weight.shape).astype(weight.dtype))
    model.save_weights(str(folder / "small.weights.h5"))
    (folder / "small.json").write_text(json.dumps({"preset": "small", "data": "a test"}))
    digits = tmp_path_factory.mktemp("data") / "digits.npy"
    np.save(digits, (rng.random((5, 28, 28)) > 0.5).astype("uint8"))
    return str(folder), model, str(digits)


@pytest.fixture
def weights_dir(shipped, monkeypatch):
    monkeypatch.setattr(presets, "WEIGHTS_DIR", shipped[0])
    return shipped


@pytest.mark.slow
def test_sample_with_a_preset_writes_a_png_of_its_weights(weights_dir, tmp_path):
    _, saved, _ = weights_dir
    out = tmp_path / "x.png"
    assert cli.main(["sample", "--preset", "small", "--num", "2", "--out", str(out)]) == 0
    assert out.read_bytes().startswith(PNG)
    out = tmp_path / "x.npy"
    assert cli.main(["sample", "--preset", "small", "--num", "2", "--seed", "3",
                     "--out", str(out)]) == 0
    np.testing.assert_array_equal(np.load(out), saved.sample(2, seed=3))


@pytest.mark.slow
def test_evaluate_with_a_preset_prints_nats_of_its_weights(weights_dir, capsys):
    _, saved, digits = weights_dir
    capsys.readouterr()
    assert cli.main(["evaluate", "--preset", "small", "--dataset", digits, "--json"]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert "nats/image" in lines[-2]
    result = json.loads(lines[-1])
    assert result["num_images"] == 5
    expected = -saved.log_prob(np.load(digits)[..., None])
    np.testing.assert_allclose(result["nats_per_image"], expected.mean(), rtol=1e-4)


@pytest.mark.slow
def test_complete_with_a_preset_writes_a_png(weights_dir, tmp_path):
    _, _, digits = weights_dir
    out = tmp_path / "c.png"
    code = cli.main(["complete", "--preset", "small", "--images", digits, "--num", "2",
                     "--keep-rows", "26", "--out", str(out)])
    assert code == 0 and out.read_bytes().startswith(PNG)


@pytest.mark.slow
def test_export_saved_model_with_a_preset_writes_version_1(weights_dir, tmp_path, capsys):
    import tensorflow as tf

    _, saved, digits = weights_dir
    base = tmp_path / "serving" / "small"
    assert cli.main(["export", "saved-model", "--preset", "small", "--out", str(base)]) == 0
    assert "wrote" in capsys.readouterr().out
    assert sorted(os.listdir(base)) == ["1"] and (base / "1" / "saved_model.pb").is_file()
    images = np.load(digits)[..., None]
    served = tf.saved_model.load(str(base / "1")).signatures["log_prob"]
    got = served(images=tf.constant(images, tf.uint8))["log_prob"].numpy()
    np.testing.assert_allclose(got, saved.log_prob(images), rtol=1e-4)


def _command(name, out):
    digits = os.path.join(os.path.dirname(out), "digits.npy")
    return {
        "sample": ["sample", "--out", out],
        "complete": ["complete", "--images", digits, "--keep-rows", "14", "--out", out],
        "evaluate": ["evaluate", "--dataset", digits],
        "export saved-model": ["export", "saved-model", "--out", out],
        "export onnx": ["export", "onnx", "--out", out],
    }[name]


COMMANDS = ["sample", "complete", "evaluate", "export saved-model", "export onnx"]


@pytest.mark.parametrize("command", COMMANDS)
def test_a_preset_without_weights_exits_2_and_writes_nothing(weights_dir, tmp_path, capsys,
                                                             command):
    suffix = {"export saved-model": "", "export onnx": ".onnx"}.get(command, ".png")
    out = str(tmp_path / f"out{suffix}")
    np.save(tmp_path / "digits.npy", np.zeros((2, 28, 28), "uint8"))
    capsys.readouterr()
    code = cli.main(_command(command, out) + ["--preset", "mnist_pixel_cnn"])
    assert code == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "'mnist_pixel_cnn'" in err and "['small']" in err
    assert sorted(os.listdir(tmp_path)) == ["digits.npy"]


@pytest.mark.parametrize("command", COMMANDS)
def test_model_and_preset_are_exclusive_and_one_is_required(tmp_path, capsys, command):
    out = str(tmp_path / "out.png")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(_command(command, out) + ["--model", "m.keras", "--preset", "small"])
    assert exit_info.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_info:
        cli.main(_command(command, out))
    assert exit_info.value.code == 2
    assert "one of the arguments --model --preset is required" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_an_unknown_preset_lists_the_known_ones(weights_dir, tmp_path, capsys):
    code = cli.main(["sample", "--preset", "cifar100", "--out", str(tmp_path / "x.png")])
    assert code == 2
    err = capsys.readouterr().err
    assert "preset='cifar100'" in err and "'mnist'" in err
    assert os.listdir(tmp_path) == []
