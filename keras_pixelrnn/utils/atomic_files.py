"""Files written under a temporary name and renamed into place: a reader sees
the old file or the new one, never half of one (a kill, a full disk).
"""

import os
import tempfile


def save_atomically(path, save):
    """Calls `save(temporary_path)` and renames the result to `path`.

    The temporary file sits in `path`'s folder (so the rename is atomic) and
    its name ends with `path`'s file name (so savers that check the suffix,
    such as Keras' `.keras` and `.weights.h5`, accept it). On any error, or
    an interrupt, it is removed and `path` is left as it was.
    """
    path = os.fspath(path)
    folder, name = os.path.split(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix="-" + name)
    os.close(handle)
    try:
        save(tmp)
        if os.path.isfile(tmp):  # mkstemp makes it private; give it the usual mode
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def write_atomically(path, write):
    """Calls `write(file)` on a temporary file and renames it to `path`."""

    def save(tmp):
        with open(tmp, "wb") as f:
            write(f)

    save_atomically(path, save)
