import os
import signal
import subprocess
import sys
import textwrap
import time

import keras
import numpy as np
import pytest

from keras_pixelrnn.training.callbacks import AtomicCheckpoint, BackupCallback, TrainingBackup

from waiting import wait_for


def tiny_model():
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile("adam", "mse")
    model.fit(np.ones((4, 3)), np.ones((4, 2)), verbose=0)  # builds the optimizer
    return model


def die_while_writing(filepath, *args, **kwargs):
    """What a kill in the middle of a save leaves: a truncated file."""
    with open(filepath, "wb") as f:
        f.write(b"\x89HDF\r\n\x1a\n truncated")
    raise KeyboardInterrupt("killed")


def save_then_die_in_the_second_save(callback, model, saver):
    """Epoch 1 is saved whole; the save of epoch 2 is killed mid-write."""
    callback.set_model(model)
    callback.on_epoch_end(0)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(model, saver, die_while_writing)
        with pytest.raises(KeyboardInterrupt):
            callback.on_epoch_end(1)


def test_stock_backup_is_corrupted_by_a_kill_mid_write(tmp_path):
    """The failure the atomic callback exists for: Keras' own one breaks."""
    backup = keras.callbacks.BackupAndRestore(str(tmp_path))
    save_then_die_in_the_second_save(backup, tiny_model(), "save_weights")
    resumed = keras.callbacks.BackupAndRestore(str(tmp_path))
    resumed.set_model(tiny_model())
    with pytest.raises(OSError):
        resumed.on_train_begin()


KILLED_WHILE_SAVING = textwrap.dedent("""
    import sys
    import keras, numpy as np
    from keras_pixelrnn.training.callbacks import TrainingBackup

    model = keras.Sequential([keras.Input((512,)), keras.layers.Dense(512), keras.layers.Dense(512)])
    model.compile("adam", "mse")
    backup = TrainingBackup(sys.argv[1], model)
    epoch = 0
    while True:  # every weight holds the number of the epoch being saved
        epoch += 1
        model.set_weights([np.full(w.shape, epoch, w.dtype) for w in model.get_weights()])
        backup.save(epoch)
        print(epoch, flush=True)
""")


@pytest.mark.slow
def test_backup_survives_a_kill_at_any_moment(tmp_path):
    """A process saving backups as fast as it can is killed (SIGKILL) while
    a save is being written (TensorFlow writes it in a `ckpt-N_temp` folder
    first): the backup restores whole, the weights of the very epoch it
    records."""
    folder = tmp_path / "backup"
    worker = subprocess.Popen([sys.executable, "-c", KILLED_WHILE_SAVING, str(folder)],
                              stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    deadline = time.time() + 120
    saved = 0
    while saved < 3:  # a few whole saves first
        line = worker.stdout.readline()
        assert line and time.time() < deadline, "the worker did not save"
        saved = int(line)
    try:
        wait_for(lambda: any(name.endswith("_temp") for name in os.listdir(folder)), 120,
                 "a save in progress")
    finally:
        worker.send_signal(signal.SIGKILL)
        worker.wait()
    model = keras.Sequential([keras.Input((512,)), keras.layers.Dense(512), keras.layers.Dense(512)])
    model.compile("adam", "mse")
    epochs = TrainingBackup(str(folder), model).restore()
    assert epochs >= 3
    for weight in model.get_weights():
        np.testing.assert_array_equal(weight, np.full(weight.shape, epochs, weight.dtype))


def test_backup_resumes_model_fit(tmp_path):
    x, y = np.linspace(0, 1, 24).reshape(8, 3), np.zeros((8, 2))
    model = tiny_model()
    backup = TrainingBackup(str(tmp_path), model)
    model.fit(x, y, epochs=2, callbacks=[BackupCallback(backup, delete_when_done=False)], verbose=0)
    fresh = tiny_model()
    resumed = TrainingBackup(str(tmp_path), fresh)
    assert resumed.restore() == 2
    for got, want in zip(fresh.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)
    assert int(fresh.optimizer.iterations.numpy()) == int(model.optimizer.iterations.numpy())
    for got, want in zip(fresh.optimizer.variables, model.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(got), np.asarray(want))  # Adam's moments too
    history = fresh.fit(x, y, epochs=3, initial_epoch=2, verbose=0,
                        callbacks=[BackupCallback(resumed)])
    assert history.epoch == [2]
    assert not os.path.exists(tmp_path)  # a finished run removes its backup


def test_no_backup_restores_nothing(tmp_path):
    model = tiny_model()
    before = [w.copy() for w in model.get_weights()]
    assert TrainingBackup(str(tmp_path / "none"), model).restore() == 0
    for got, want in zip(model.get_weights(), before):
        np.testing.assert_array_equal(got, want)


def test_only_the_chief_writes_the_backup(tmp_path):
    chief_model, worker_model = tiny_model(), tiny_model()
    chief = TrainingBackup(str(tmp_path / "backup"), chief_model, is_chief=True)
    worker = TrainingBackup(str(tmp_path / "backup"), worker_model, is_chief=False)
    chief.save(1)
    worker.save(1)
    scratch = worker.manager.directory
    assert os.path.isdir(scratch) and not scratch.startswith(str(tmp_path))
    assert sorted(os.listdir(tmp_path)) == ["backup"]
    worker.close()
    assert not os.path.exists(scratch)
    # A restarted worker reads the chief's backup.
    restarted = TrainingBackup(str(tmp_path / "backup"), tiny_model(), is_chief=False)
    assert restarted.restore() == 1
    restarted.close()


def test_checkpoint_survives_a_kill_mid_write(tmp_path):
    model = tiny_model()
    checkpoint = AtomicCheckpoint(str(tmp_path / "epoch_{epoch:03d}.keras"))
    save_then_die_in_the_second_save(checkpoint, model, "save")
    assert os.listdir(tmp_path) == ["epoch_001.keras"]
    loaded = keras.saving.load_model(tmp_path / "epoch_001.keras")
    for got, want in zip(loaded.get_weights(), model.get_weights()):
        np.testing.assert_array_equal(got, want)


def test_checkpoint_rejects_a_path_that_is_not_keras(tmp_path):
    with pytest.raises(ValueError, match=r"filepath.*epoch\.h5"):
        AtomicCheckpoint(str(tmp_path / "epoch.h5"))
