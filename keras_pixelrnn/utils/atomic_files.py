"""Files written under a temporary name and renamed into place: a reader sees
the old file or the new one, never half of one (a kill, a full disk).

A replace is a replace of the file's contents only: the file keeps its mode
(a private 0600 file stays private), and a symlink stays a symlink, the new
contents landing in the file it points to.
"""

import os
import shutil
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


def replace_folder(source, path):
    """Renames the folder `source` to `path`. An existing `path` is moved
    aside first (and back, if the rename fails), then removed: a reader sees
    the old folder or the new one, never a mix."""
    if not os.path.exists(path):
        os.rename(source, path)
        return
    aside = tempfile.mkdtemp(dir=os.path.dirname(os.path.abspath(path)), prefix=".old-")
    old = os.path.join(aside, os.path.basename(path))
    os.rename(path, old)
    try:
        os.rename(source, path)
    except OSError:
        os.rename(old, path)
        raise
    finally:
        if os.path.exists(path):
            shutil.rmtree(aside, ignore_errors=True)


def write_folder_atomically(path, write):
    """Calls `write(folder)` on a new folder beside `path` (made with the
    usual mode, 0777 less the umask), then renames it to `path` with
    `replace_folder`. On any error, or an interrupt, the new folder is
    removed and `path` is left as it was. Returns `path`."""
    path = os.path.abspath(os.fspath(path))
    parent, name = os.path.split(path)
    os.makedirs(parent, exist_ok=True)
    tmp = os.path.join(parent, f".tmp-{name}-{os.getpid()}-{os.urandom(4).hex()}")
    os.mkdir(tmp)
    try:
        write(tmp)
        replace_folder(tmp, path)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return path
