"""Exports of a MultiScalePixelRNN: `log_prob` (with its two terms) and the
two-stage `sample`, in a fresh process from the SavedModel and in ONNX
Runtime, against the model's own `log_prob_terms` and `sample(noise=...)`."""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from keras_pixelrnn import MultiScalePixelRNN
from keras_pixelrnn.serving import signature_names, write_saved_model
from keras_pixelrnn.serving.onnx_export import write_onnx

SHAPE = (4, 6, 1)


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    keras.utils.set_random_seed(0)
    model = MultiScalePixelRNN(
        SHAPE, levels=2,
        small=dict(architecture="row_lstm", num_layers=1, hidden_units=4),
        full=dict(architecture="diagonal_bilstm", num_layers=1, hidden_units=4),
    )
    rng = np.random.default_rng(1)
    for weight in model.weights:
        weight.assign(rng.uniform(-0.5, 0.5, weight.shape).astype(weight.dtype))
    folder = tmp_path_factory.mktemp("multi_scale")
    images = rng.integers(0, 2, (3,) + SHAPE).astype(np.uint8)
    noise = rng.random((3,) + SHAPE, np.float32)
    np.save(folder / "images.npy", images)
    np.save(folder / "noise.npy", noise)
    return model, folder, images, noise, write_saved_model(model, str(folder / "serving"))


def test_signatures(exported):
    model = exported[0]
    assert signature_names(model) == ("log_prob", "sample")


@pytest.mark.slow
def test_saved_model_in_a_fresh_process(exported):
    model, folder, images, noise, path = exported
    script = textwrap.dedent("""
        import json, sys, numpy as np, tensorflow as tf
        path, images, noise = sys.argv[1], np.load(sys.argv[2]), np.load(sys.argv[3])
        loaded = tf.saved_model.load(path)
        out = {k: v.numpy().tolist() for k, v in
               loaded.signatures["log_prob"](images=tf.constant(images)).items()}
        out["images"] = loaded.signatures["sample"](noise=tf.constant(noise))["images"].numpy().tolist()
        print(json.dumps(out))
    """)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    argv = [path, str(folder / "images.npy"), str(folder / "noise.npy")]
    done = subprocess.run([sys.executable, "-c", script, *argv], capture_output=True, text=True,
                          env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    terms = model.log_prob_terms(images)
    np.testing.assert_allclose(got["small_log_prob"], terms["small"], atol=1e-4)
    np.testing.assert_allclose(got["full_log_prob"], terms["full"], atol=1e-4)
    np.testing.assert_allclose(got["log_prob"], model.log_prob(images), atol=1e-4)
    np.testing.assert_array_equal(np.array(got["images"], np.uint8),
                                  model.sample(3, noise=noise))


@pytest.mark.slow
def test_onnx_runtime(exported, tmp_path):
    import onnxruntime as ort

    model, _, images, noise, _ = exported
    for signature in ("log_prob", "sample"):
        write_onnx(model, str(tmp_path / f"{signature}.onnx"), signature)
    run = ort.InferenceSession(str(tmp_path / "log_prob.onnx"), providers=["CPUExecutionProvider"])
    names = [o.name for o in run.get_outputs()]
    got = dict(zip(names, run.run(None, {"images": images})))
    np.testing.assert_allclose(got["log_prob"], model.log_prob(images), atol=1e-4)
    np.testing.assert_allclose(got["small_log_prob"], model.log_prob_terms(images)["small"],
                               atol=1e-4)
    run = ort.InferenceSession(str(tmp_path / "sample.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_array_equal(run.run(None, {"noise": noise})[0], model.sample(3, noise=noise))
    with pytest.raises(ValueError, match="Received: signature='logits'"):
        write_onnx(model, str(tmp_path / "logits.onnx"), "logits")
