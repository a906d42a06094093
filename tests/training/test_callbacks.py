import json
import os

import keras
import numpy as np
import pytest

from keras_pixelrnn.training.callbacks import AtomicBackupAndRestore, AtomicCheckpoint


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


def test_backup_survives_a_kill_mid_write(tmp_path):
    model = tiny_model()
    saved = [w.copy() for w in model.get_weights()]

    class ChangesBetweenEpochs(AtomicBackupAndRestore):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                model.set_weights([w + 1 for w in saved])  # what epoch 2 trained
            super().on_epoch_end(epoch, logs)

    save_then_die_in_the_second_save(ChangesBetweenEpochs(str(tmp_path)), model, "save_weights")
    assert sorted(os.listdir(tmp_path)) == ["latest.weights.h5", "training_metadata.json"]
    assert json.loads((tmp_path / "training_metadata.json").read_text())["epoch"] == 1

    fresh = tiny_model()
    resumed = AtomicBackupAndRestore(str(tmp_path))
    resumed.set_model(fresh)
    resumed.on_train_begin()
    assert fresh._initial_epoch == 1
    for got, want in zip(fresh.get_weights(), saved):
        np.testing.assert_array_equal(got, want)


def test_backup_resumes_model_fit(tmp_path):
    x, y = np.ones((8, 3)), np.zeros((8, 2))
    model = tiny_model()
    backup = AtomicBackupAndRestore(str(tmp_path), delete_checkpoint=False)
    model.fit(x, y, epochs=2, callbacks=[backup], verbose=0)
    history = tiny_model().fit(x, y, epochs=3, verbose=0,
                               callbacks=[AtomicBackupAndRestore(str(tmp_path))])
    assert history.epoch == [2]


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
