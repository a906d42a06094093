import json
import os
import signal
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_pixelrnn import cli
from keras_pixelrnn.models.likelihood import log_prob
from keras_pixelrnn.models.pixel_rnn import build_pixel_rnn

from waiting import wait_for

ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONUNBUFFERED="1")
TRAIN = ["train", "--architecture", "pixel_cnn", "--layers", "1", "--hidden", "4",
         "--levels", "2", "--image-shape", "6,5,1", "--batch-size", "8", "--verbose", "2"]


@pytest.fixture(scope="module")
def digits(tmp_path_factory):
    path = tmp_path_factory.mktemp("data") / "digits.npy"
    rng = np.random.default_rng(0)
    images = (rng.random((48, 6, 5)) > 0.5).astype("uint8")
    images[:, :, 2] = 1
    np.save(path, images)
    return path


def run_cli(args, env=ENV, **kwargs):
    return subprocess.run([sys.executable, "-m", "keras_pixelrnn.cli", *args], env=env,
                          capture_output=True, text=True, timeout=300, **kwargs)


def devices_env(count):
    """ENV for a run on `count` local devices: this machine's GPUs where it
    has that many, else the CPU split into `count` logical devices (GPUs
    hidden where there are fewer than `count`, which `--devices` refuses)."""
    gpus = len(tf.config.list_physical_devices("GPU"))
    return ENV if gpus == 0 or gpus >= count else dict(ENV, CUDA_VISIBLE_DEVICES="-1")


@pytest.mark.slow
def test_train_then_evaluate_json(digits, tmp_path, capsys):
    out = tmp_path / "run"
    assert cli.main(TRAIN + ["--dataset", str(digits), "--epochs", "2", "--out", str(out)]) == 0
    assert (out / "model.keras").is_file()
    assert sorted(os.listdir(out / "checkpoints")) == ["epoch_001.keras", "epoch_002.keras"]
    assert os.listdir(out / "logs")  # TensorBoard
    recipe = json.loads((out / "recipe.json").read_text())
    assert recipe["epochs"] == 2 and recipe["architecture"] == "pixel_cnn"
    capsys.readouterr()
    assert cli.main(["evaluate", "--model", str(out / "model.keras"), "--dataset", str(digits), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["num_images"] == 48
    images = np.load(digits)[..., None]
    expected = -log_prob(keras.saving.load_model(out / "model.keras"), images)
    np.testing.assert_allclose(result["nats_per_image"], expected.mean(), rtol=1e-4)
    np.testing.assert_allclose(result["bits_per_dim"], expected.mean() / (30 * np.log(2)), rtol=1e-4)
    np.testing.assert_allclose(result["nats_per_image_stderr"],
                               expected.std(ddof=1) / np.sqrt(48), rtol=1e-3)


@pytest.mark.slow
def test_interrupted_training_resumes_from_the_saved_epoch(digits, tmp_path):
    out = tmp_path / "run"
    args = recurrent(TRAIN, "row_lstm") + ["--dataset", str(digits), "--out", str(out)]
    first = subprocess.Popen([sys.executable, "-m", "keras_pixelrnn.cli", *args, "--epochs", "200"],
                             env=ENV, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: (out / "checkpoints" / "epoch_002.keras").exists() or first.poll() is not None,
                 240, "epoch 2's checkpoint")
        assert first.poll() is None, "training ended before epoch 2"
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait()
    names = os.listdir(out / "checkpoints")
    done = max(int(name[6:9]) for name in names if name.startswith("epoch_"))
    assert not (out / "model.keras").exists()
    # The backup of epoch done + 1 may be written before its checkpoint: run
    # to done + 2 so that at least one epoch remains either way.
    second = run_cli(args + ["--epochs", str(done + 2)])
    assert second.returncode == 0, second.stderr[-2000:]
    assert f"Epoch {done + 2}/{done + 2}" in second.stdout
    assert "Epoch 1/" not in second.stdout  # resumed, not restarted
    assert (out / "model.keras").is_file()


def recurrent(args, architecture):
    """`args` with `architecture` in place of TRAIN's PixelCNN."""
    args = list(args)
    args[args.index("pixel_cnn")] = architecture
    return args


@pytest.mark.slow
@pytest.mark.parametrize("architecture", ["row_lstm", "diagonal_bilstm"])
def test_train_on_two_devices_with_mirrored_strategy(digits, tmp_path, architecture):
    out = tmp_path / "run"
    result = run_cli(recurrent(TRAIN, architecture) + [
        "--dataset", str(digits), "--epochs", "2", "--strategy", "mirrored", "--devices", "2",
        "--out", str(out)], env=devices_env(2))
    assert result.returncode == 0, result.stderr[-2000:]
    recipe = json.loads((out / "recipe.json").read_text())
    assert (recipe["strategy"], recipe["replicas"], recipe["per_replica_batch"]) == ("mirrored", 2, 4)
    history = json.loads((out / "history.json").read_text())["epochs"]
    assert [e["epoch"] for e in history] == [1, 2] and history[1]["loss"] < history[0]["loss"]
    model = keras.saving.load_model(out / "model.keras")
    assert model.get_config()["architecture"] == architecture
    assert int(model.optimizer.iterations.numpy()) == 2 * 6


@pytest.mark.slow
def test_a_global_batch_that_does_not_split_over_the_devices(digits, tmp_path):
    result = run_cli(TRAIN + ["--dataset", str(digits), "--devices", "2", "--batch-size", "7",
                              "--out", str(tmp_path / "run")], env=devices_env(2))
    assert result.returncode == 2
    assert "divisible by the number of replicas (2). Received: --batch-size 7" in result.stderr


def test_missing_model_file(tmp_path, capsys):
    assert cli.main(["evaluate", "--model", str(tmp_path / "nope.keras"),
                     "--dataset", "mnist_5k"]) == 2
    assert "no such file" in capsys.readouterr().err


def test_not_a_pixelrnn_model(tmp_path, capsys):
    path = tmp_path / "dense.keras"
    inputs = keras.Input((4,))
    keras.Model(inputs, keras.layers.Dense(2)(inputs)).save(path)
    assert cli.main(["evaluate", "--model", str(path), "--dataset", "mnist_5k"]) == 2
    assert "not a PixelRNN model" in capsys.readouterr().err


def test_corrupt_model_file(tmp_path, capsys):
    path = tmp_path / "broken.keras"
    path.write_bytes(b"not a zip file")
    assert cli.main(["evaluate", "--model", str(path), "--dataset", "mnist_5k"]) == 2
    assert "not a loadable Keras model" in capsys.readouterr().err


def test_evaluate_rejects_values_beyond_the_model_levels(tmp_path, capsys):
    model = build_pixel_rnn("pixel_cnn", (6, 5, 1), 1, 2, levels=4)
    model.save(tmp_path / "m.keras")
    data = np.full((4, 6, 5), 7, "uint8")
    np.save(tmp_path / "bad.npy", data)
    code = cli.main(["evaluate", "--model", str(tmp_path / "m.keras"), "--dataset", str(tmp_path / "bad.npy")])
    assert code == 2
    assert "levels" in capsys.readouterr().err


def test_train_on_an_empty_folder_fails_cleanly(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    code = cli.main(TRAIN + ["--dataset", str(tmp_path / "empty"), "--epochs", "1", "--out", str(tmp_path / "run")])
    assert code == 2
    assert "empty" in capsys.readouterr().err.lower()
    assert not (tmp_path / "run" / "model.keras").exists()


def test_export_commands_are_wired(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["export", "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    assert "saved-model" in out and "onnx" in out
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["export", "saved-model", "--help"])
    out = capsys.readouterr().out
    assert "--implementation" in out and "--single-threaded-sampler" in out and "--overwrite" in out
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["export", "onnx", "--help"])
    out = capsys.readouterr().out
    assert "--implementation" in out and "--opset" in out and "--single-threaded-sampler" not in out


@pytest.mark.parametrize("target", ["saved-model", "onnx"])
def test_export_rejects_bad_input_with_exit_code_2(tmp_path, capsys, target):
    out = str(tmp_path / "out")
    code = cli.main(["export", target, "--model", str(tmp_path / "nope.keras"), "--out", out])
    assert code == 2 and "no such file" in capsys.readouterr().err
    model = str(tmp_path / "m.keras")
    build_pixel_rnn("pixel_cnn", (4, 5, 1), 1, 2, levels=2).save(model)
    with pytest.raises(SystemExit) as exit_info:  # argparse: not a choice
        cli.main(["export", target, "--model", model, "--out", out, "--implementation", "two"])
    assert exit_info.value.code == 2
    assert not os.path.exists(out)
