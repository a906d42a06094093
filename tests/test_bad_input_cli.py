"""Bad input to the command line (issue 29): every case a named row of one table.

Each row runs `keras-pixelrnn` in this process and asserts the exit status
(2 for bad input), that the message names the option and echoes the value,
and that nothing on disk changed (the checksums of every file there before,
and no new file). The cases fail before any training, so the table is fast;
the runs that do train (overwrite, resume, NaN, the ragged last batch) follow.
"""

import hashlib
import json
import os
import sys

import numpy as np
import pytest

from keras_pixelrnn import cli
from keras_pixelrnn.cli import common
from keras_pixelrnn.data import datasets, make_dataset
from keras_pixelrnn.models.pixel_rnn import build_pixel_rnn
from keras_pixelrnn.training.callbacks import StopOnNaN
from keras_pixelrnn.training.errors import TrainingError

TRAIN = ["train", "--architecture", "pixel_cnn", "--layers", "1", "--hidden", "4",
         "--levels", "2", "--image-shape", "6,5,1", "--batch-size", "8", "--verbose", "0"]


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A folder with what the cases point at: digits, a model, a truncated
    model, a finished run (another learning rate), a file, a folder."""
    root = tmp_path_factory.mktemp("bad_input")
    rng = np.random.default_rng(0)
    np.save(root / "digits.npy", (rng.random((20, 6, 5)) > 0.5).astype("uint8"))
    model = build_pixel_rnn("pixel_cnn", (6, 5, 1), 1, 4, levels=2)
    model.save(root / "model.keras")
    whole = (root / "model.keras").read_bytes()
    (root / "truncated.keras").write_bytes(whole[: len(whole) // 2])
    finished = root / "finished"
    (finished / "checkpoints").mkdir(parents=True)
    (finished / "model.keras").write_bytes(whole)
    (finished / "checkpoints" / "epoch_001.keras").write_bytes(whole)
    argv = TRAIN + ["--dataset", str(root / "digits.npy"), "--out", str(finished)]
    options = cli.train.TrainOptions.parse(cli.parser().parse_args(argv))
    record = cli.train.make_recipe(options).record(1, 3, 0.9, 1, 1, 10)
    (finished / "recipe.json").write_text(json.dumps(record))
    (root / "existing.onnx").write_bytes(b"an older export")
    (root / "a_file").write_text("not a folder")
    (root / "a_folder").mkdir()
    return root


def checksums(root):
    """Every file under `root` and its SHA-256."""
    found = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            with open(path, "rb") as f:
                found[os.path.relpath(path, root)] = hashlib.sha256(f.read()).hexdigest()
    return found


def _no_network(monkeypatch, tmp_path):
    monkeypatch.setenv("TFDS_DATA_DIR", str(tmp_path / "empty_tfds"))
    monkeypatch.setattr(datasets, "can_download", lambda name, timeout=0: False)


def _no_tf2onnx(monkeypatch, tmp_path):
    monkeypatch.setitem(sys.modules, "tf2onnx", None)  # `import tf2onnx` raises ImportError


def _no_write_permission(monkeypatch, tmp_path):
    real = os.access
    monkeypatch.setattr(common.os, "access", lambda path, mode: False if mode & os.W_OK else
                        real(path, mode))


SAMPLE = ["sample", "--model", "{ws}/model.keras", "--num", "2"]
COMPLETE = ["complete", "--model", "{ws}/model.keras", "--images", "{ws}/digits.npy",
            "--keep-rows", "2", "--num", "2"]
ONNX = ["export", "onnx", "--model", "{ws}/model.keras"]
DIGITS = ["--dataset", "{ws}/digits.npy"]

# (argv, exit status, what the message must hold, set-up of the case)
CASES = {
    # A finished run is never trained into by accident.
    "train_into_a_finished_run": (
        TRAIN + DIGITS + ["--out", "{ws}/finished"], 2,
        ["--out holds a finished run", "--overwrite", "--resume", "Received: --out {ws}/finished"],
        None),
    "train_resume_with_another_recipe": (
        TRAIN + DIGITS + ["--out", "{ws}/finished", "--resume", "--learning-rate", "0.5"], 2,
        ["--learning-rate 0.001 in the run, 0.5 here", "Received: --out {ws}/finished"], None),
    "train_resume_nothing": (
        TRAIN + DIGITS + ["--out", "{ws}/a_folder", "--resume"], 2,
        ["--resume goes on with the run in --out, which holds none",
         "Received: --out {ws}/a_folder"], None),
    "train_overwrite_and_resume": (
        TRAIN + DIGITS + ["--out", "{ws}/finished", "--overwrite", "--resume"], 2,
        ["--resume: not allowed with argument --overwrite"], None),
    # Numbers, checked by the Recipe, in the options' words.
    "train_learning_rate_nan": (
        TRAIN + DIGITS + ["--out", "{ws}/new", "--learning-rate", "nan"], 2,
        ["--learning-rate must be a finite number > 0. Received: --learning-rate nan"], None),
    "train_learning_rate_zero": (
        TRAIN + DIGITS + ["--out", "{ws}/new", "--learning-rate", "0"], 2,
        ["--learning-rate must be a finite number > 0. Received: --learning-rate 0.0"], None),
    "train_clipnorm_negative": (
        TRAIN + DIGITS + ["--out", "{ws}/new", "--clipnorm", "-1"], 2,
        ["--clipnorm must be a finite number > 0. Received: --clipnorm -1.0"], None),
    "train_epochs_negative": (
        TRAIN + DIGITS + ["--out", "{ws}/new", "--epochs", "-1"], 2,
        ["--epochs must be a positive integer. Received: --epochs -1"], None),
    "train_steps_zero": (
        TRAIN + DIGITS + ["--out", "{ws}/new", "--steps", "0"], 2,
        ["--steps must be a positive integer. Received: --steps 0"], None),
    "train_max_restarts_negative": (
        TRAIN + DIGITS + ["--out", "{ws}/new", "--max-restarts", "-1"], 2,
        ["--max-restarts must be a non-negative integer. Received: --max-restarts -1"], None),
    "train_image_shape_text": (
        TRAIN + DIGITS + ["--out", "{ws}/new", "--image-shape", "a,b,c"], 2,
        ["--image-shape must be H,W,C: three positive integers", "Received: --image-shape a,b,c"],
        None),
    "train_image_shape_zero": (
        TRAIN + DIGITS + ["--out", "{ws}/new", "--image-shape", "0,5,1"], 2,
        ["--image-shape must be H,W,C: three positive integers", "Received: --image-shape 0,5,1"],
        None),
    "train_path_without_image_shape": (
        ["train", "--dataset", "{ws}/digits.npy", "--out", "{ws}/new"], 2,
        ["--image-shape H,W,C is needed", "Received: --dataset {ws}/digits.npy"], None),
    # Output paths, checked before any work.
    "train_out_is_a_file": (
        TRAIN + DIGITS + ["--out", "{ws}/a_file"], 2,
        ["--out is a file", "Received: --out {ws}/a_file"], None),
    "train_out_under_a_file": (
        TRAIN + DIGITS + ["--out", "{ws}/a_file/run"], 2,
        ["--out lies under {ws}/a_file, which is a file", "Received: --out {ws}/a_file/run"],
        None),
    "sample_out_is_a_folder": (
        SAMPLE + ["--out", "{ws}/a_folder"], 2,
        ["--out must end in .png or .npy", "Received: --out {ws}/a_folder"], None),
    "sample_out_is_a_folder_named_png": (
        SAMPLE + ["--out", "{ws}/a_folder.png"], 2,
        ["--out is a folder", "Received: --out {ws}/a_folder.png"], "folder_png"),
    "sample_out_under_a_file": (
        SAMPLE + ["--out", "{ws}/a_file/s.png"], 2,
        ["--out lies under {ws}/a_file, which is a file", "Received: --out {ws}/a_file/s.png"],
        None),
    "sample_out_unwritable": (
        SAMPLE + ["--out", "{ws}/s.png"], 2,
        ["--out cannot be written: no permission to write in {ws}", "Received: --out {ws}/s.png"],
        _no_write_permission),
    "complete_out_under_a_file": (
        COMPLETE + ["--out", "{ws}/a_file/c.png"], 2,
        ["--out lies under {ws}/a_file", "Received: --out {ws}/a_file/c.png"], None),
    "export_onnx_onto_an_existing_file": (
        ONNX + ["--out", "{ws}/existing.onnx"], 2,
        ["--out exists; pass --overwrite to replace it", "Received: --out {ws}/existing.onnx"],
        None),
    "export_onnx_opset_too_low": (
        ONNX + ["--out", "{ws}/new.onnx", "--opset", "1"], 2,
        ["--opset must be an integer in [12, ", "Received: --opset 1"], None),
    "export_onnx_opset_too_high": (
        ONNX + ["--out", "{ws}/new.onnx", "--opset", "99"], 2,
        ["--opset must be an integer in [12, ", "Received: --opset 99"], None),
    "export_onnx_without_the_extra": (
        ONNX + ["--out", "{ws}/new.onnx"], 2,
        ["tf2onnx", 'pip install "keras-pixelrnn[export]"'], _no_tf2onnx),
    "export_saved_model_out_is_a_file": (
        ["export", "saved-model", "--model", "{ws}/model.keras", "--out", "{ws}/a_file"], 2,
        ["--out is a file", "Received: --out {ws}/a_file"], None),
    "export_saved_model_version_zero": (
        ["export", "saved-model", "--model", "{ws}/model.keras", "--out", "{ws}/serving",
         "--version", "0"], 2,
        ["--version must be a positive integer. Received: --version 0"], None),
    # Models and data that cannot be read.
    "evaluate_a_truncated_keras_file": (
        ["evaluate", "--model", "{ws}/truncated.keras", "--dataset", "{ws}/digits.npy"], 2,
        ["--model '{ws}/truncated.keras' is not a valid .keras file"], None),
    "train_tfds_offline": (
        ["train", "--architecture", "pixel_cnn", "--layers", "1", "--hidden", "4",
         "--dataset", "cifar10", "--out", "{ws}/new"], 2,
        ["source='cifar10' is not prepared", "tfds build cifar10", "mnist_5k", ".npy",
         "Received: --dataset 'cifar10'"], _no_network),
}


@pytest.mark.parametrize("argv, status, expected, setup", list(CASES.values()), ids=list(CASES))
def test_bad_input(workspace, tmp_path, monkeypatch, capsys, argv, status, expected, setup):
    if setup == "folder_png":
        (workspace / "a_folder.png").mkdir(exist_ok=True)
    elif setup is not None:
        setup(monkeypatch, tmp_path)
    before = checksums(workspace)
    argv = [word.format(ws=workspace) for word in argv]
    try:
        code = cli.main(argv)
    except SystemExit as exit_:  # argparse's own errors
        code = exit_.code
    error = capsys.readouterr().err
    assert code == status, error
    assert error.startswith("error: ") or "error: " in error.splitlines()[-1]
    assert "Traceback" not in error
    for words in expected:
        assert words.format(ws=workspace) in error
    assert checksums(workspace) == before
    assert not (workspace / "new").exists()


def test_the_table_has_every_case():
    assert len(CASES) == 28


# What the table's cases cannot show: runs that train.


@pytest.fixture
def digits(tmp_path):
    path = tmp_path / "digits.npy"
    np.save(path, (np.random.default_rng(0).random((17, 6, 5)) > 0.5).astype("uint8"))
    return path


def _train(digits, out, *extra):
    return cli.main(TRAIN + ["--dataset", str(digits), "--out", str(out), *extra])


@pytest.mark.slow
def test_overwrite_replaces_a_finished_run_only_once_the_new_one_is_saved(digits, tmp_path):
    out = tmp_path / "run"
    assert _train(digits, out, "--epochs", "1") == 0
    before = checksums(out)
    bad = tmp_path / "bad.npy"
    np.save(bad, np.ones((4, 7, 5), "uint8"))  # not of --image-shape 6,5,1
    assert cli.main(TRAIN + ["--dataset", str(bad), "--out", str(out), "--overwrite"]) == 2
    assert checksums(out) == before  # the failed overwrite left the old run
    assert sorted(os.listdir(tmp_path)) == ["bad.npy", "digits.npy", "run"]
    assert _train(digits, out, "--epochs", "2", "--overwrite") == 0
    assert sorted(os.listdir(out / "checkpoints")) == ["epoch_001.keras", "epoch_002.keras"]
    assert json.loads((out / "recipe.json").read_text())["epochs"] == 2
    assert sorted(os.listdir(tmp_path)) == ["bad.npy", "digits.npy", "run"]


@pytest.mark.slow
def test_resume_trains_a_finished_run_on(digits, tmp_path, capsys):
    out = tmp_path / "run"
    assert _train(digits, out, "--epochs", "1") == 0
    before = checksums(out)
    assert _train(digits, out, "--epochs", "1", "--resume") == 0  # nothing left to train
    assert "nothing to train" in capsys.readouterr().out
    assert checksums(out) == before
    assert _train(digits, out, "--epochs", "2", "--resume") == 0
    assert "resuming after epoch 1" in capsys.readouterr().out
    history = json.loads((out / "history.json").read_text())["epochs"]
    assert [e["epoch"] for e in history] == [1, 2]
    import keras

    model = keras.saving.load_model(out / "model.keras")
    assert int(model.optimizer.iterations.numpy()) == 2 * 3  # 17 images, batches of 8


@pytest.mark.slow
def test_a_loss_that_becomes_nan_stops_the_run(digits, tmp_path, capsys):
    out = tmp_path / "run"
    assert _train(digits, out, "--epochs", "3", "--learning-rate", "1e30", "--ema", "0") == 1
    error = capsys.readouterr().err
    assert error.startswith("error: the loss became ") and " at step " in error
    assert not (out / "model.keras").exists()


def test_stop_on_nan_names_the_step_and_keeps_the_last_checkpoint(tmp_path):
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "epoch_001.keras").write_bytes(b"kept")
    callback = StopOnNaN(tmp_path)
    callback.set_model(build_pixel_rnn("pixel_cnn", (4, 4, 1), 1, 2, levels=2))
    callback.model.compile("adam", loss="mse")
    callback.model.optimizer.build(callback.model.trainable_variables)
    callback.on_train_batch_end(0, {"loss": 1.5})  # finite: nothing happens
    with pytest.raises(TrainingError, match="at step 0; the last good checkpoint is "
                       + str(tmp_path / "checkpoints" / "epoch_001.keras")):
        callback.on_train_batch_end(1, {"loss": float("nan")})
    assert (tmp_path / "checkpoints" / "epoch_001.keras").read_bytes() == b"kept"


def test_evaluate_json_is_valid_json_for_a_nan_model(tmp_path, capsys):
    model = build_pixel_rnn("pixel_cnn", (6, 5, 1), 1, 4, levels=2)
    model.set_weights([np.full_like(w, np.nan) for w in model.get_weights()])
    model.save(tmp_path / "nan.keras")
    np.save(tmp_path / "d.npy", np.ones((3, 6, 5), "uint8"))
    assert cli.main(["evaluate", "--model", str(tmp_path / "nan.keras"), "--dataset",
                     str(tmp_path / "d.npy"), "--json"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[-1]
    result = json.loads(line, parse_constant=lambda name: pytest.fail(f"not JSON: {name}"))
    assert result["nats_per_image"] is None and result["num_images"] == 3


def test_a_failed_run_removes_the_folder_it_created(tmp_path, monkeypatch, capsys):
    from keras_pixelrnn.training import run

    def fail(*args, **kwargs):
        os.makedirs(tmp_path / "run" / "logs")  # as far as a run gets before it fails
        raise ValueError("bad data")

    monkeypatch.setattr(run, "_fit", fail)
    np.save(tmp_path / "d.npy", np.ones((3, 6, 5), "uint8"))
    assert cli.main(TRAIN + ["--dataset", str(tmp_path / "d.npy"),
                             "--out", str(tmp_path / "run")]) == 2
    assert "bad data" in capsys.readouterr().err
    assert sorted(os.listdir(tmp_path)) == ["d.npy"]


@pytest.mark.parametrize("images, replicas, batches", [
    pytest.param(17, 2, [16], id="one_left_over_two_replicas"),
    pytest.param(18, 2, [16, 2], id="two_left_over_two_replicas"),
    pytest.param(17, 1, [16, 1], id="one_replica_keeps_all"),
])
def test_a_last_batch_smaller_than_the_replicas_is_dropped(tmp_path, images, replicas, batches):
    np.save(tmp_path / "d.npy", np.ones((images, 6, 5), "uint8"))
    dataset = make_dataset(str(tmp_path / "d.npy"), batch_size=16, image_shape=(6, 5, 1),
                           levels=2, shuffle=True, seed=0, replicas=replicas)
    assert int(dataset.cardinality()) == len(batches)
    assert [len(batch) for batch in dataset] == batches


def test_fewer_images_than_replicas_is_an_error(tmp_path):
    np.save(tmp_path / "d.npy", np.ones((1, 6, 5), "uint8"))
    with pytest.raises(ValueError, match="The 1 images are fewer than the 2 replicas"):
        make_dataset(str(tmp_path / "d.npy"), batch_size=16, image_shape=(6, 5, 1), levels=2,
                     replicas=2)


def test_tfds_offline_fails_before_any_download(tmp_path, monkeypatch):
    _no_network(monkeypatch, tmp_path)
    import tensorflow_datasets as tfds

    def download(*args, **kwargs):
        raise AssertionError("tried to download")

    monkeypatch.setattr(tfds.core.DatasetBuilder, "download_and_prepare", download)
    with pytest.raises(datasets.NotPreparedError, match="source='binarized_mnist' is not "
                       "prepared in the TFDS data folder"):
        make_dataset("binarized_mnist", batch_size=4)



@pytest.mark.slow
def test_two_devices_train_with_a_last_batch_of_one_image(tmp_path):
    import subprocess

    import tensorflow as tf

    np.save(tmp_path / "d.npy", (np.random.default_rng(0).random((17, 6, 5)) > 0.5).astype("uint8"))
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    if 0 < len(tf.config.list_physical_devices("GPU")) < 2:
        env["CUDA_VISIBLE_DEVICES"] = "-1"  # two logical CPU devices instead
    argv = [word for word in TRAIN if word not in ("--batch-size", "8")]
    done = subprocess.run(
        [sys.executable, "-m", "keras_pixelrnn.cli", *argv, "--dataset", str(tmp_path / "d.npy"),
         "--devices", "2", "--batch-size", "16", "--limit", "17", "--epochs", "1",
         "--out", str(tmp_path / "run")], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "run" / "recipe.json").read_text())["steps"] == 1
