"""Files written under a temporary name and renamed into place: a reader sees
the old file or the new one, never half of one (a kill, a full disk).

A replace is a replace of the file's contents only: the file keeps its mode
(a private 0600 file stays private), and a symlink stays a symlink, the new
contents landing in the file it points to.
"""

import os
import stat
import tempfile


def _target(path):
    """The file that `path` names: `path` itself, or what its symlinks point to."""
    return os.path.realpath(path) if os.path.islink(path) else path


def _mode_for(path):
    """The mode of the file a replace of `path` writes: the old file's, or for
    a new file the usual one (0666 less the umask)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def save_atomically(path, save):
    """Calls `save(temporary_path)` and renames the result to `path`.

    The temporary file sits in the folder of the file written (so the rename
    is atomic): `path`'s, or, where `path` is a symlink, its target's, which
    is replaced and keeps the link. Its name ends with `path`'s file name (so
    savers that check the suffix, such as Keras' `.keras` and
    `.weights.h5`, accept it). The new file gets the old one's mode. On any
    error, or an interrupt, it is removed and `path` is left as it was.
    """
    path = os.fspath(path)
    target = _target(os.path.abspath(path))
    folder = os.path.dirname(target)
    name = os.path.basename(path)
    os.makedirs(folder, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix="-" + name)
    os.close(handle)
    try:
        save(tmp)
        if os.path.isfile(tmp):  # mkstemp makes it private; give it the target's mode
            os.chmod(tmp, _mode_for(target))
        os.replace(tmp, target)
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
