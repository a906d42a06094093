"""Training state and checkpoints that survive being killed at any moment.

Keras' own `BackupAndRestore` and `ModelCheckpoint` write their files in
place. A run killed while one is being written (a pre-empted job, a
`kill -9`, a full disk) leaves a truncated HDF5 or `.keras` file, and the
resumed run dies on it with `OSError: bad object header version number`.

* `TrainingBackup` + `BackupCallback`: the state a run resumes from, kept
  by TensorFlow's `tf.train.CheckpointManager` (public API; it serves
  `model.fit` and the multi-worker loop alike).
* `AtomicCheckpoint`: the whole model after every epoch, written under a
  temporary name and renamed into place.
* `EpochHistory`: every epoch's losses and validation NLL, in a JSON file.
* `StopOnNaN`: a loss that is not finite stops the run, before anything of
  it is saved.
"""

import json
import math
import os
import shutil
import tempfile

import keras
import tensorflow as tf

from keras_pixelrnn.training.errors import TrainingError
from keras_pixelrnn.training.recipe import averaged
from keras_pixelrnn.utils.atomic_files import save_atomically, write_atomically


class TrainingBackup:
    """The state a run resumes from, through TensorFlow's public checkpointing.

    A `tf.train.Checkpoint` of the model, the optimizer (its moving averages
    and step count included) and the number of epochs done, kept by a
    `tf.train.CheckpointManager` in `directory`. TensorFlow writes a
    checkpoint's files under temporary names and then records it in the
    folder's `checkpoint` file by an atomic rename, so a run killed at any
    moment leaves the previous checkpoint whole and named; `restore` reads
    the last recorded one.

    The same object serves `model.fit` (`BackupCallback`, and
    `fit(initial_epoch=backup.restore())`) and a custom training loop under
    any `tf.distribute` strategy: every worker of a multi-worker job calls
    `save` (saving takes part in the strategy's collectives), but only the
    chief's lands in `directory`; another worker (`is_chief=False`) writes
    to a temporary folder of its own, which `close` removes.

    Args:
        directory: the backup folder.
        model: the model being trained.
        optimizer: its optimizer; defaults to `model.optimizer`.
        is_chief: whether this process writes the backup (see above).
        scratch: where a worker other than the chief writes (removed by
            `close`); defaults to a new temporary folder.
        max_to_keep: checkpoints kept; the older ones are deleted.
    """

    def __init__(self, directory, model, optimizer=None, is_chief=True, max_to_keep=2,
                 scratch=None):
        optimizer = optimizer if optimizer is not None else model.optimizer
        if optimizer is not None and not optimizer.built:
            optimizer.build(model.trainable_variables)  # its slots exist before a restore
        self.directory, self.is_chief = os.fspath(directory), is_chief
        self.epochs_done = tf.Variable(0, dtype=tf.int64, trainable=False, name="epochs_done")
        trackables = {"model": model, "epochs_done": self.epochs_done}
        if optimizer is not None:
            trackables["optimizer"] = optimizer
        self.checkpoint = tf.train.Checkpoint(**trackables)
        self._scratch = None
        write_to = self.directory
        if not is_chief:
            self._scratch = write_to = scratch or tempfile.mkdtemp(prefix="pixelrnn-worker-backup-")
        self.manager = tf.train.CheckpointManager(self.checkpoint, write_to, max_to_keep)
        # Every worker reads the chief's backup.
        self._latest = tf.train.latest_checkpoint(self.directory)

    def restore(self):
        """Restores the last backup, if any; returns the epochs it had done (0 without one)."""
        if self._latest is None:
            return 0
        self.checkpoint.restore(self._latest).expect_partial()
        return int(self.epochs_done.numpy())

    def save(self, epochs_done):
        """Backs up the state after `epochs_done` epochs."""
        self.epochs_done.assign(epochs_done)
        self.manager.save(checkpoint_number=epochs_done)

    def close(self, delete=False):
        """Removes a non-chief worker's scratch folder; `delete=True` also
        removes the backup itself (a finished run needs none)."""
        if self._scratch:
            shutil.rmtree(self._scratch, ignore_errors=True)
        if delete and self.is_chief:
            shutil.rmtree(self.directory, ignore_errors=True)


class BackupCallback(keras.callbacks.Callback):
    """Saves a `TrainingBackup` at the end of every epoch of `model.fit`;
    with `delete_when_done`, removes it when training ends normally.

    Resume with `model.fit(..., initial_epoch=backup.restore())`.
    """

    def __init__(self, backup, delete_when_done=True):
        super().__init__()
        self.backup, self.delete_when_done = backup, delete_when_done

    def on_epoch_end(self, epoch, logs=None):
        self.backup.save(epoch + 1)

    def on_train_end(self, logs=None):
        self.backup.close(delete=self.delete_when_done)


class AtomicCheckpoint(keras.callbacks.Callback):
    """Saves the whole model at the end of every epoch, renamed into place,
    with the averaged weights when the optimizer keeps a moving average.

    Args:
        filepath: a `.keras` path, formatted with `epoch` (1-based) and the
            epoch's logs, e.g. `"checkpoints/epoch_{epoch:03d}.keras"`.
    """

    def __init__(self, filepath):
        super().__init__()
        if not str(filepath).endswith(".keras"):
            raise ValueError(f"`filepath` must end in '.keras'. Received: filepath={filepath!r}")
        self.filepath = os.fspath(filepath)

    def on_epoch_end(self, epoch, logs=None):
        path = self.filepath.format(epoch=epoch + 1, **(logs or {}))
        with averaged(self.model):  # the averaged weights, when the optimizer keeps them
            save_atomically(path, lambda tmp: self.model.save(tmp, overwrite=True))


class EpochHistory(keras.callbacks.Callback):
    """Keeps every epoch's logs (the losses, metrics and validation NLL) in a
    JSON file, rewritten under a temporary name and renamed into place after
    each epoch. A resumed run appends to the epochs already recorded.

    The file holds `{"epochs": [{"epoch": 1, "loss": ..., "val_nats_per_image": ...}, ...]}`.
    """

    def __init__(self, path):
        super().__init__()
        self.path = os.fspath(path)
        self.epochs = []
        if os.path.exists(self.path):
            with open(self.path) as f:
                self.epochs = json.load(f)["epochs"]

    def on_epoch_end(self, epoch, logs=None):
        record = {"epoch": epoch + 1}
        record.update({name: float(value) for name, value in (logs or {}).items()})
        self.epochs = [e for e in self.epochs if e["epoch"] < epoch + 1] + [record]
        text = json.dumps({"epochs": self.epochs}, indent=1).encode()
        write_atomically(self.path, lambda f: f.write(text))


class StopOnNaN(keras.callbacks.Callback):
    """Stops training at the first batch whose loss is NaN or infinite, by
    raising a `TrainingError` that says at which optimizer step, and what
    was kept.

    Keras' `TerminateOnNaN` stops as if training had ended: the callbacks
    then save the NaN weights (the epoch's checkpoint, the backup, the final
    model) over the good ones. Raised from the batch's end, the error skips
    every later save: the backup and the checkpoints stay those of the last
    epoch that ended well. Put it first among the callbacks.

    Args:
        folder: the run folder, whose last checkpoint and backup the message
            names.
    """

    def __init__(self, folder):
        super().__init__()
        self.folder = os.fspath(folder)

    def on_train_batch_end(self, batch, logs=None):
        loss = (logs or {}).get("loss")
        if loss is None or math.isfinite(float(loss)):
            return
        step = int(self.model.optimizer.iterations.numpy())
        checkpoints = os.path.join(self.folder, "checkpoints")
        kept = sorted(name for name in os.listdir(checkpoints) if name.endswith(".keras")) if (
            os.path.isdir(checkpoints)) else []
        if kept:
            detail = (f"the last good checkpoint is {os.path.join(checkpoints, kept[-1])}, and "
                      f"{os.path.join(self.folder, 'backup')} resumes from it")
        else:
            detail = "no epoch had ended before it, so no checkpoint was kept"
        raise TrainingError(
            f"the loss became {float(loss)} at step {step}; {detail}. Try a lower learning "
            "rate, or gradient clipping"
        )
