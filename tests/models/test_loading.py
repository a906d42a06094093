"""Models this package writes load with `keras.saving.load_model` alone, in a
fresh process that imported only `keras_pixelrnn`; models of the first
release (plain Functional models) still load and convert."""

import os
import subprocess
import sys

import keras
import numpy as np
import pytest

from keras_pixelrnn import NatsPerImage, PixelRNN, PixelRNNLoss
from keras_pixelrnn.models.likelihood import log_prob

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.join(ROOT, "tests", "fixtures")
ENV = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")

LOAD = r"""
import sys, numpy as np, keras
import keras_pixelrnn
model = keras.saving.load_model(sys.argv[1])
images = np.load(sys.argv[2])
print("CLASS", type(model).__name__, "COMPILED", model.compiled)
print("NATS", " ".join(repr(float(v)) for v in keras_pixelrnn.log_prob(model, images)))
"""


def load_in_fresh_process(path, images, tmp_path):
    np.save(tmp_path / "images.npy", images)
    done = subprocess.run(
        [sys.executable, "-c", LOAD, path, str(tmp_path / "images.npy")],
        capture_output=True, text=True, env=ENV, cwd=str(tmp_path),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines() if " " in line)
    return lines["CLASS"], np.array([float(v) for v in lines["NATS"].split()])


@pytest.mark.slow
@pytest.mark.parametrize("compiled", [False, True], ids=["plain", "compiled"])
def test_model_save_loads_in_a_fresh_process(compiled, tmp_path):
    keras.utils.set_random_seed(0)
    model = PixelRNN("diagonal_bilstm", (4, 5, 1), num_layers=1, hidden_units=4, levels=2)
    if compiled:
        model.compile("adam", loss=PixelRNNLoss(), metrics=[NatsPerImage()])
    path = str(tmp_path / "model.keras")
    model.save(path)
    images = np.random.default_rng(0).integers(0, 2, (3, 4, 5, 1), np.uint8)
    kind, nats = load_in_fresh_process(path, images, tmp_path)
    assert kind.startswith("PixelRNN COMPILED " + str(compiled))
    np.testing.assert_allclose(nats, log_prob(model, images), rtol=1e-6)


@pytest.mark.slow
def test_a_model_trained_by_the_command_line_loads_in_a_fresh_process(tmp_path):
    images = np.random.default_rng(0).integers(0, 2, (8, 4, 5, 1), np.uint8)
    np.save(tmp_path / "train.npy", images)
    out = tmp_path / "run"
    done = subprocess.run(
        [sys.executable, "-m", "keras_pixelrnn.cli", "train", "--architecture", "row_lstm",
         "--layers", "1", "--hidden", "4", "--levels", "2", "--image-shape", "4,5,1",
         "--dataset", str(tmp_path / "train.npy"), "--epochs", "1", "--batch-size", "4",
         "--verbose", "0", "--out", str(out)],
        capture_output=True, text=True, env=ENV, cwd=str(tmp_path),
    )
    assert done.returncode == 0, done.stderr[-3000:]
    kind, nats = load_in_fresh_process(str(out / "model.keras"), images, tmp_path)
    assert kind == "PixelRNN COMPILED True"
    here = keras.saving.load_model(str(out / "model.keras"))
    np.testing.assert_allclose(nats, log_prob(here, images), rtol=1e-6)


def test_a_model_saved_by_the_first_release_still_loads_and_converts():
    """v0.1.0 saved plain Functional models; they load (with the module
    functions working on them) and convert to `PixelRNN` by copying weights."""
    old = keras.saving.load_model(os.path.join(FIXTURES, "v0_1_0_diagonal_bilstm.keras"))
    reference = np.load(os.path.join(FIXTURES, "v0_1_0_diagonal_bilstm.npz"))
    assert type(old) is keras.Model or type(old).__name__ == "Functional"
    np.testing.assert_allclose(log_prob(old, reference["images"]), reference["log_prob"], rtol=1e-6)
    from keras_pixelrnn.generation.sampling import sample

    np.testing.assert_array_equal(sample(old, 2, seed=0), reference["samples"])
    new = PixelRNN("diagonal_bilstm", (6, 5, 1), num_layers=1, hidden_units=4, levels=2)
    new.set_weights(old.get_weights())
    np.testing.assert_allclose(new.log_prob(reference["images"]), reference["log_prob"], rtol=1e-6)
    np.testing.assert_array_equal(new.sample(2, seed=0), reference["samples"])


V0_2_0 = ("diagonal_bilstm_rgb", "row_lstm_conditional", "pixel_cnn")


@pytest.mark.parametrize("name", V0_2_0)
def test_a_model_saved_by_the_release_before_the_redesign_loads_and_scores_the_same(name):
    """v0.2.0 (before the layers took `implementation=`) saved these models
    with random weights, and their log p of three images
    (tests/fixtures/v0_2_0_models.npz); they load as `PixelRNN` with the
    default implementation and score the same."""
    model = keras.saving.load_model(os.path.join(FIXTURES, f"v0_2_0_{name}.keras"))
    saved = np.load(os.path.join(FIXTURES, "v0_2_0_models.npz"))
    assert isinstance(model, PixelRNN)
    labels = saved[f"{name}_labels"] if f"{name}_labels" in saved else None
    nats = model.log_prob(saved[f"{name}_images"], labels=labels)
    np.testing.assert_allclose(nats, saved[f"{name}_nats"], rtol=1e-5)
    assert all(layer.get_config().get("implementation", "auto") == "auto"
               for layer in model.layers)
