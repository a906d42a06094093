"""Multi-worker training on 127.0.0.1: the same weights as one process, one
writer, and a job that survives a worker killed mid-epoch.

Each job starts real worker processes (20-40 s of TensorFlow start-up each
here), so one job serves several assertions.
"""

import json
import os
import signal
import sys
import threading

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_pixelrnn import PixelRNN
from keras_pixelrnn.models.likelihood import BitsPerDim, NatsPerImage, PixelRNNLoss
from keras_pixelrnn.training.launch import Job

from waiting import wait_for

HERE = os.path.dirname(os.path.abspath(__file__))
# Every worker trains on its CPU, on a GPU machine too: the workers of one
# machine would otherwise share its GPU.
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="-1")
SETUP = {"architectures": ["row_lstm", "diagonal_bilstm"], "batch_size": 8, "epochs": 2,
         "validation": 12, "learning_rate": 1e-2,
         "model": {"num_layers": 1, "hidden_units": 4, "levels": 2}}
LOG = []


class Lines:
    """A file-like sink for the workers' prefixed output, kept for messages."""

    def __init__(self):
        self.text = []

    def write(self, text):
        self.text.append(text)

    def flush(self):
        pass

    def __str__(self):
        return "".join(self.text)[-4000:]


@pytest.fixture(scope="module")
def equivalence_job(tmp_path_factory):
    out = tmp_path_factory.mktemp("equivalence")
    rng = np.random.default_rng(0)
    # 28 images in global batches of 8: three full batches and a last one of 4.
    images = (rng.random((28, 6, 5, 1)) < 0.4).astype("int32")
    np.savez(out / "data.npz", images=images)
    (out / "setup.json").write_text(json.dumps(SETUP))
    lines = Lines()
    code = Job([os.path.join(HERE, "multi_worker_equivalence.py"), str(out)], workers=2,
               restarts=0, env=ENV, out=lines, program=[sys.executable]).run()
    assert code == 0, str(lines)
    return out, images


def single_process(architecture, images, initial):
    """The same training in one process, through `model.fit`, on the CPU
    (where the workers train, whatever else this machine has)."""

    def batches(x):
        return tf.data.Dataset.from_tensor_slices(x).batch(SETUP["batch_size"]).map(
            lambda a: (tf.cast(a, tf.float32), a))

    with tf.device("/CPU:0"):
        keras.utils.set_random_seed(0)
        model = PixelRNN(image_shape=images.shape[1:], architecture=architecture, **SETUP["model"])
        model.set_weights(initial)
        model.compile(keras.optimizers.Adam(SETUP["learning_rate"]), loss=PixelRNNLoss(),
                      metrics=[NatsPerImage(), BitsPerDim()])
        history = model.fit(batches(images), epochs=SETUP["epochs"], shuffle=False, verbose=0,
                            validation_data=batches(images[:SETUP["validation"]]))
    return model, history.history


@pytest.mark.slow
@pytest.mark.parametrize("architecture", SETUP["architectures"])
def test_two_workers_train_the_weights_of_one_process(equivalence_job, architecture):
    out, images = equivalence_job
    saved = np.load(out / f"{architecture}.npz")
    count = len([k for k in saved.files if k.startswith("initial_")])
    initial = [saved[f"initial_{i}"] for i in range(count)]
    trained = [saved[f"trained_{i}"] for i in range(count)]
    assert int(saved["steps"]) == SETUP["epochs"] * 4
    model, history = single_process(architecture, images, initial)
    moved = max(float(np.abs(a - b).max()) for a, b in zip(trained, initial))
    assert moved > 1e-2  # the comparison below is not between untrained weights
    for mine, theirs in zip(model.get_weights(), trained):
        np.testing.assert_allclose(theirs, mine, atol=2e-5, rtol=1e-4)
    for name in ("loss", "nats_per_image", "bits_per_dim", "val_loss", "val_nats_per_image"):
        np.testing.assert_allclose(saved[f"log_{name}"], history[name], rtol=1e-5, err_msg=name)


TRAIN = ["train", "--strategy", "multi-worker", "--architecture", "diagonal_bilstm", "--layers", "1",
         "--hidden", "4", "--levels", "2", "--image-shape", "6,5,1", "--batch-size", "8",
         "--epochs", "12", "--verbose", "2"]


@pytest.mark.slow
def test_a_killed_worker_rejoins_and_the_job_resumes_with_one_writer(tmp_path):
    rng = np.random.default_rng(0)
    images = (rng.random((48, 6, 5)) > 0.5).astype("uint8")
    np.save(tmp_path / "digits.npy", images)
    out, scratch = tmp_path / "run", tmp_path / "tmp"
    scratch.mkdir()
    lines = Lines()
    job = Job(TRAIN + ["--dataset", str(tmp_path / "digits.npy"), "--out", str(out)], workers=2,
              restarts=1, env=dict(ENV, TMPDIR=str(scratch)), out=lines)
    killed = []

    def kill_worker_1_during_epoch_4():
        # Epoch 3's checkpoint exists, so its backup is whole (BackupCallback
        # saves before the checkpoint appears) and epoch 4 is the one to run:
        # the kill lands before epoch 4's backup, whatever the machine's speed.
        try:
            wait_for((out / "checkpoints" / "epoch_003.keras").exists, 240, "epoch 3's checkpoint")
        except TimeoutError as error:  # the job runs on unkilled, and the test fails below
            killed.append(str(error))
            return
        killed.append(os.path.exists(out / "checkpoints" / "epoch_004.keras"))
        job.processes[1].send_signal(signal.SIGKILL)

    threading.Thread(target=kill_worker_1_during_epoch_4, daemon=True).start()
    assert job.run() == 0, str(lines)
    text = "".join(lines.text)  # all of it: str(lines) is the tail, for messages
    assert killed == [False], "the worker was not killed mid-epoch 4"
    assert "[launch] worker 1 was killed (signal 9)" in text
    assert "[worker 0] lost a peer" in text  # the chief restarted itself in place
    assert "[worker 0] resuming after epoch 3 (step 18)" in text
    assert "Epoch 1/12" not in text.split("resuming after epoch 3")[1]
    # One writer: a single checkpoint series, model, history and log folder,
    # all in the chief's --out; the other worker's scratch folders are gone.
    assert sorted(os.listdir(out / "checkpoints")) == [f"epoch_{e:03d}.keras" for e in range(1, 13)]
    assert sorted(os.listdir(out)) == ["checkpoints", "history.json", "logs", "model.keras",
                                       "recipe.json"]
    assert [name for name in os.listdir(scratch) if name.startswith("pixelrnn-")] == []
    history = json.loads((out / "history.json").read_text())["epochs"]
    assert [e["epoch"] for e in history] == list(range(1, 13))
    recipe = json.loads((out / "recipe.json").read_text())
    assert (recipe["strategy"], recipe["workers"], recipe["replicas"], recipe["per_replica_batch"]) == (
        "multi-worker", 2, 2, 4)
    model = keras.saving.load_model(out / "model.keras")
    assert int(model.optimizer.iterations.numpy()) == 12 * 6  # no step lost or repeated
    assert np.isfinite(history[-1]["loss"]) and history[-1]["loss"] < history[0]["loss"]
