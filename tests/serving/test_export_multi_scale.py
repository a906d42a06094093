"""Exports of a MultiScalePixelRNN: `log_prob` (with its two terms) and the
two-stage `sample`, in a fresh process from the SavedModel and in ONNX
Runtime, against the model's own `log_prob_terms` and `sample(noise=...)`."""

import keras
import numpy as np
import pytest

from keras_pixelrnn import MultiScalePixelRNN
from keras_pixelrnn.serving import signature_names, write_saved_model
from keras_pixelrnn.serving.onnx_export import write_onnx

from export_helpers import fresh_process, run_onnx
from random_weights import randomize

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
    randomize(model, rng)  # rng then goes on to draw the images and the noise
    folder = tmp_path_factory.mktemp("multi_scale")
    images = rng.integers(0, 2, (3,) + SHAPE).astype(np.uint8)
    noise = rng.random((3,) + SHAPE, np.float32)
    return model, folder, images, noise, write_saved_model(model, str(folder / "serving"))


@pytest.mark.slow
def test_signatures(exported):
    model = exported[0]
    assert signature_names(model) == ("log_prob", "sample")


@pytest.mark.slow
def test_saved_model_in_a_fresh_process(exported):
    model, folder, images, noise, path = exported
    feeds = {"images": {"images": images}, "noise": {"noise": noise}}
    _, outputs = fresh_process({"multi_scale": path}, {"multi_scale": feeds}, folder)
    got = outputs["multi_scale"]
    terms = model.log_prob_terms(images)
    np.testing.assert_allclose(got["log_prob/small_log_prob/images"], terms["small"], atol=1e-4)
    np.testing.assert_allclose(got["log_prob/full_log_prob/images"], terms["full"], atol=1e-4)
    np.testing.assert_allclose(got["log_prob/log_prob/images"], model.log_prob(images), atol=1e-4)
    np.testing.assert_array_equal(np.array(got["sample/images/noise"], np.uint8),
                                  model.sample(3, noise=noise))


@pytest.mark.slow
def test_onnx_runtime(exported, tmp_path):
    import onnxruntime as ort

    model, _, images, noise, _ = exported
    for signature in ("log_prob", "sample"):
        write_onnx(model, str(tmp_path / f"{signature}.onnx"), signature)
    run = ort.InferenceSession(str(tmp_path / "log_prob.onnx"), providers=["CPUExecutionProvider"])
    got = run_onnx(run, {"images": images})
    np.testing.assert_allclose(got["log_prob"], model.log_prob(images), atol=1e-4)
    np.testing.assert_allclose(got["small_log_prob"], model.log_prob_terms(images)["small"],
                               atol=1e-4)
    run = ort.InferenceSession(str(tmp_path / "sample.onnx"), providers=["CPUExecutionProvider"])
    np.testing.assert_array_equal(run.run(None, {"noise": noise})[0], model.sample(3, noise=noise))
    with pytest.raises(ValueError, match="Received: signature='logits'"):
        write_onnx(model, str(tmp_path / "logits.onnx"), "logits")
