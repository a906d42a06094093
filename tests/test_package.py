"""`import keras_pixelrnn`: what it offers, and the clear errors without TensorFlow."""

import os
import pathlib
import re
import subprocess
import sys

import keras
import pytest

import keras_pixelrnn


def test_public_api():
    from keras_pixelrnn import (  # noqa: F401
        DiagonalBiLSTM, DiagonalLSTMCell, MaskedConv2D, PixelRNN, RowLSTM, RowLSTMCell,
        receptive_field,
    )

    for name in keras_pixelrnn.__all__:
        assert hasattr(keras_pixelrnn, name), name


@pytest.mark.parametrize(
    "name", ["MaskedConv2D", "RowLSTM", "DiagonalBiLSTM", "RowLSTMCell", "DiagonalLSTMCell",
             "ColorLogits", "PixelRNN", "PixelRNNLoss", "NatsPerImage", "BitsPerDim"],
)
def test_every_saved_class_is_registered(name):
    cls = getattr(keras_pixelrnn, name)
    assert keras.saving.get_registered_object(f"keras_pixelrnn>{name}") is cls


def run_python(code, **env):
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **env),
    )


def test_import_without_tensorflow_says_how_to_install_it():
    done = run_python("import sys; sys.modules['tensorflow'] = None; import keras_pixelrnn")
    assert done.returncode != 0
    assert "keras_pixelrnn needs TensorFlow" in done.stderr
    assert 'pip install "keras-pixelrnn[cpu]"' in done.stderr


@pytest.mark.slow
def test_import_with_another_keras_backend_says_so():
    done = run_python("import keras_pixelrnn", KERAS_BACKEND="numpy")
    assert done.returncode != 0
    assert "needs the TensorFlow backend of Keras" in done.stderr
    assert "'numpy'" in done.stderr


def test_version_is_the_one_setup_py_reads():
    assert keras_pixelrnn.__version__ == "0.3.0"
    setup_py = pathlib.Path(__file__).parents[1] / "setup.py"
    text = (setup_py.parent / "keras_pixelrnn" / "version.py").read_text(encoding="utf-8")
    assert re.search(r'^__version__ = "0\.3\.0"$', text, re.MULTILINE)
    done = subprocess.run(
        [sys.executable, str(setup_py), "--version"], capture_output=True, text=True,
        cwd=setup_py.parent,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == keras_pixelrnn.__version__
