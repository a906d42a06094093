"""The export commands from an installed, non-editable wheel, run from outside the repository.

The wheel also ships the pretrained preset weights and their model cards
(`keras_pixelrnn/models/weights/*.weights.h5` and `*.json`, package data),
and each of them loads with `PixelRNN.from_preset(NAME, load_weights=True)`.

The wheel is built from this checkout and installed (`--no-deps`) into a fresh
virtual environment that reaches this environment's dependencies (TensorFlow,
Keras, tf2onnx, ...) through a `.pth` file, so nothing is downloaded. The
editable install of this environment lives in a `.pth` hook of its own
site-packages, which a path listed in another `.pth` file does not run: the
fresh environment sees keras_pixelrnn only once the wheel is installed.
"""

import json
import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WEIGHTS = "keras_pixelrnn/models/weights"


def _weight_files(root):
    """The files of the weights folder under `root` that the wheel must ship."""
    folder = os.path.join(root, *WEIGHTS.split("/"))
    names = os.listdir(folder) if os.path.isdir(folder) else []
    return {n for n in names if n.endswith(".weights.h5") or n.endswith(".json")}


def _wheel_weight_files(wheel):
    """Every file of the wheel inside the weights folder (whatever its name)."""
    with zipfile.ZipFile(wheel) as archive:
        return {
            name[len(WEIGHTS) + 1:] for name in archive.namelist()
            if name.startswith(WEIGHTS + "/")
        }


def _env():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", PYTHONNOUSERSITE="1")
    for name in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"):
        env.pop(name, None)
    return env


def _run(args, cwd, timeout=120, env=None):
    return subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, cwd=str(cwd),
        env=env or _env(), timeout=timeout,
    )


def _ok(done):
    assert done.returncode == 0, f"{done.args}\n{done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done


def _build_wheel(source, tmp_path):
    """The wheel of the checkout `source`, built in `tmp_path`.

    setuptools builds in build/ and writes *.egg-info next to setup.py;
    DIST_EXTRA_CONFIG moves both into tmp_path, so the checkout stays as it
    is and no stale build/lib of an earlier build gets in.
    """
    config = tmp_path / "setuptools.cfg"
    config.write_text(f"[build]\nbuild_base = {tmp_path / 'build'}\n[egg_info]\negg_base = {tmp_path}\n")
    dist = tmp_path / "dist"
    _ok(_run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-q", "-w", dist, source],
        cwd=tmp_path, env=dict(_env(), DIST_EXTRA_CONFIG=str(config)),
    ))
    (wheel,) = dist.glob("keras_pixelrnn-*.whl")
    return wheel


@pytest.mark.slow
def test_the_wheel_ships_the_weights_and_cards_of_the_weights_folder(tmp_path):
    # A copy of the checkout with weights in its weights folder (this
    # checkout may ship none yet): exactly the *.weights.h5 and *.json files
    # get into the wheel, not the README nor anything else.
    source = tmp_path / "source"
    source.mkdir()
    for name in ("setup.py", "README.md"):
        shutil.copy(os.path.join(ROOT, name), source / name)
    shutil.copytree(
        os.path.join(ROOT, "keras_pixelrnn"), source / "keras_pixelrnn",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    folder = source.joinpath(*WEIGHTS.split("/"))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    for name in ("small.weights.h5", "small.json", "mnist.weights.h5", "mnist.json",
                 "README.md", "notes.txt", "small.h5"):
        (folder / name).write_bytes(b"placeholder")
    build = tmp_path / "build_area"
    build.mkdir()
    wheel = _build_wheel(str(source), build)
    expected = {"small.weights.h5", "small.json", "mnist.weights.h5", "mnist.json"}
    assert _weight_files(str(source)) == expected
    assert _wheel_weight_files(wheel) == expected


@pytest.mark.slow
def test_export_commands_from_an_installed_wheel(tmp_path):
    from keras_pixelrnn.models.pixel_rnn import build_pixel_rnn

    wheel = _build_wheel(ROOT, tmp_path)
    shipped = _weight_files(ROOT)
    assert _wheel_weight_files(wheel) == shipped

    # A fresh environment on this one's dependencies, without keras_pixelrnn.
    venv = tmp_path / "venv"
    _ok(_run([sys.executable, "-m", "venv", "--without-pip", venv], cwd=tmp_path))
    python, bin_ = venv / "bin" / "python", venv / "bin"
    where = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = _ok(_run([python, "-c", where], cwd=tmp_path)).stdout.strip()
    with open(os.path.join(site, "test_environment.pth"), "w") as f:
        f.write(sysconfig.get_paths()["purelib"] + "\n")
    missing = _run([python, "-c", "import keras_pixelrnn"], cwd=tmp_path)
    assert missing.returncode != 0 and "No module named 'keras_pixelrnn'" in missing.stderr
    # pip comes from this environment too; --ignore-installed: the editable
    # install's metadata (visible, not importable) is not touched.
    _ok(_run(
        [python, "-m", "pip", "install", "--no-deps", "--no-index", "--ignore-installed", "-q",
         wheel],
        cwd=tmp_path,
    ))
    assert (bin_ / "keras-pixelrnn").is_file()

    model = build_pixel_rnn("row_lstm", (4, 5, 1), num_layers=1, hidden_units=4, levels=2)
    path = str(tmp_path / "tiny.keras")
    model.save(path)
    work = tmp_path / "elsewhere"
    work.mkdir()

    onnx_file = work / "tiny.onnx"
    done = _ok(_run(
        [bin_ / "keras-pixelrnn", "export", "onnx", "--model", path, "--out", onnx_file,
         "--signature", "log_prob"],
        cwd=work,
    ))
    assert "ONNX Runtime == Keras" in done.stdout and onnx_file.is_file()

    base = work / "serving" / "tiny"
    done = _ok(_run(
        [python, os.path.join(ROOT, "export", "saved_model.py"), "--model", path, "--out", base],
        cwd=work,
    ))
    assert "wrote" in done.stdout and (base / "1" / "saved_model.pb").is_file()

    # Every preset whose weights the checkout ships loads them from the wheel.
    presets = sorted(n[: -len(".weights.h5")] for n in shipped if n.endswith(".weights.h5"))
    for preset in presets:
        load = (
            "from keras_pixelrnn import PixelRNN; "
            f"model = PixelRNN.from_preset({preset!r}, load_weights=True); "
            "print(model.name, PixelRNN.presets[model.name]['weights'])"
        )
        done = _ok(_run([python, "-c", load], cwd=work, timeout=300))
        assert done.stdout.strip().splitlines()[-1] == f"{preset} True"

    probe = (
        "import json, sysconfig, keras_pixelrnn; "
        "print(json.dumps([keras_pixelrnn.__file__, sysconfig.get_paths()['purelib']]))"
    )
    done = _ok(_run([python, "-c", probe], cwd=work))
    found, purelib = json.loads(done.stdout.strip().splitlines()[-1])
    assert os.path.commonpath([found, purelib]) == purelib
    assert os.path.commonpath([found, str(venv)]) == str(venv)
    assert os.path.commonpath([found, ROOT]) != ROOT
