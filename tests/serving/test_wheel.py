"""The export commands from an installed, non-editable wheel, run from outside the repository.

The wheel is built from this checkout and installed (`--no-deps`) into a fresh
virtual environment that reaches this environment's dependencies (TensorFlow,
Keras, tf2onnx, ...) through a `.pth` file, so nothing is downloaded. The
editable install of this environment lives in a `.pth` hook of its own
site-packages, which a path listed in another `.pth` file does not run: the
fresh environment sees keras_pixelrnn only once the wheel is installed.
"""

import json
import os
import subprocess
import sys
import sysconfig

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


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


@pytest.mark.slow
def test_export_commands_from_an_installed_wheel(tmp_path):
    from keras_pixelrnn.models.pixel_rnn import build_pixel_rnn

    # The wheel. setuptools builds in build/ and writes *.egg-info next to
    # setup.py; DIST_EXTRA_CONFIG moves both into tmp_path, so the checkout
    # stays as it is and no stale build/lib of an earlier build gets in.
    config = tmp_path / "setuptools.cfg"
    config.write_text(f"[build]\nbuild_base = {tmp_path / 'build'}\n[egg_info]\negg_base = {tmp_path}\n")
    dist = tmp_path / "dist"
    _ok(_run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-q", "-w", dist, ROOT],
        cwd=tmp_path, env=dict(_env(), DIST_EXTRA_CONFIG=str(config)),
    ))
    (wheel,) = dist.glob("keras_pixelrnn-*.whl")

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

    probe = (
        "import json, sysconfig, keras_pixelrnn; "
        "print(json.dumps([keras_pixelrnn.__file__, sysconfig.get_paths()['purelib']]))"
    )
    done = _ok(_run([python, "-c", probe], cwd=work))
    found, purelib = json.loads(done.stdout.strip().splitlines()[-1])
    assert os.path.commonpath([found, purelib]) == purelib
    assert os.path.commonpath([found, str(venv)]) == str(venv)
    assert os.path.commonpath([found, ROOT]) != ROOT
