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
