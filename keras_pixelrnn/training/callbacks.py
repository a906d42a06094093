"""Training callbacks that survive being killed at any moment.

Keras' own `BackupAndRestore` and `ModelCheckpoint` write their files in
place. A run killed while one is being written (a pre-empted job, a
`kill -9`, a full disk) leaves a truncated HDF5 or `.keras` file, and the
resumed run dies on it with `OSError: bad object header version number`.
These two write every file under a temporary name in the same folder and
rename it into place, so a reader only ever sees a whole file: the previous
one or the new one.
"""

import json
import os
import shutil

import keras

from keras_pixelrnn.training.recipe import averaged
from keras_pixelrnn.utils.atomic_files import save_atomically, write_atomically


class AtomicBackupAndRestore(keras.callbacks.BackupAndRestore):
    """`keras.callbacks.BackupAndRestore` whose backup is never half-written.

    The weights are renamed into place before the epoch count is, so after a
    kill between the two renames the resumed run repeats one epoch from the
    newer weights; it never starts from a truncated file.

    Args:
        backup_dir: the folder that holds the backup.
        **kwargs: the other arguments of `keras.callbacks.BackupAndRestore`.
    """

    def _save_model(self):
        if self.double_checkpoint:
            for path in (self._weights_path, self._training_metadata_path):
                if os.path.exists(path):
                    save_atomically(path + ".bkp", lambda tmp, src=path: shutil.copyfile(src, tmp))
        save_atomically(
            self._weights_path, lambda tmp: self.model.save_weights(tmp, overwrite=True)
        )
        metadata = {"epoch": self._current_epoch, "batch": self._last_batch_seen}
        write_atomically(
            self._training_metadata_path, lambda f: f.write(json.dumps(metadata).encode())
        )


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
