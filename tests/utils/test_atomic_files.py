import os

import pytest

from keras_pixelrnn.utils.atomic_files import save_atomically, write_atomically


def test_save_atomically_keeps_the_file_name_at_the_end(tmp_path):
    seen = []

    def save(tmp):
        seen.append(os.path.basename(tmp))
        with open(tmp, "w") as f:
            f.write("new")

    save_atomically(tmp_path / "latest.weights.h5", save)
    assert seen[0].startswith(".tmp-") and seen[0].endswith("-latest.weights.h5")
    assert os.listdir(tmp_path) == ["latest.weights.h5"]
    assert (tmp_path / "latest.weights.h5").read_text() == "new"


@pytest.mark.parametrize("error", [OSError("disk full"), KeyboardInterrupt()])
def test_a_failed_write_leaves_the_old_file_and_no_temporary(tmp_path, error):
    path = tmp_path / "recipe.json"
    path.write_text("old")

    def write(f):
        f.write(b"half")
        raise error

    with pytest.raises(type(error)):
        write_atomically(path, write)
    assert os.listdir(tmp_path) == ["recipe.json"]
    assert path.read_text() == "old"


def test_a_replace_keeps_the_mode_of_the_file(tmp_path):
    path = tmp_path / "secret.json"
    path.write_text("old")
    os.chmod(path, 0o600)
    write_atomically(path, lambda f: f.write(b"new"))
    assert path.read_text() == "new"
    assert os.stat(path).st_mode & 0o777 == 0o600


def test_a_replace_writes_through_a_symlink(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.json"
    target.write_text("old")
    os.chmod(target, 0o640)
    link = tmp_path / "model.json"
    link.symlink_to(target)
    write_atomically(link, lambda f: f.write(b"new"))
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new"
    assert os.stat(target).st_mode & 0o777 == 0o640
    assert sorted(os.listdir(tmp_path / "real")) == ["model.json"]


def test_a_new_file_gets_the_usual_mode(tmp_path):
    umask = os.umask(0o022)
    try:
        write_atomically(tmp_path / "new.json", lambda f: f.write(b"{}"))
    finally:
        os.umask(umask)
    assert os.stat(tmp_path / "new.json").st_mode & 0o777 == 0o644


def test_a_folder_written_atomically_replaces_the_old_one_only_when_done(tmp_path):
    from keras_pixelrnn.utils.atomic_files import write_folder_atomically

    site = tmp_path / "site"
    site.mkdir()
    (site / "old.txt").write_text("old")

    def fail(folder):
        open(os.path.join(folder, "half.txt"), "w").close()
        raise RuntimeError("stopped half-way")

    with pytest.raises(RuntimeError, match="half-way"):
        write_folder_atomically(site, fail)
    assert os.listdir(tmp_path) == ["site"]  # no temporary folder left
    assert os.listdir(site) == ["old.txt"]

    def write(folder):
        with open(os.path.join(folder, "new.txt"), "w") as f:
            f.write("new")

    assert write_folder_atomically(site, write) == str(site)
    assert os.listdir(site) == ["new.txt"]
    assert os.listdir(tmp_path) == ["site"]
