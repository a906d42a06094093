"""`keras-pixelrnn train --multi-scale`, then evaluate (both terms), sample and export."""

import json

import keras
import numpy as np
import pytest

from keras_pixelrnn import MultiScalePixelRNN, cli


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    out = tmp_path_factory.mktemp("multi_scale_cli")
    rng = np.random.default_rng(0)
    np.save(out / "digits.npy", (rng.random((24, 8, 8)) < 0.3).astype(np.uint8))
    code = cli.main([
        "train", "--multi-scale", "--architecture", "row_lstm", "--layers", "1", "--hidden", "4",
        "--levels", "2", "--dataset", str(out / "digits.npy"), "--image-shape", "8,8,1",
        "--epochs", "2", "--batch-size", "8", "--verbose", "0", "--out", str(out / "run"),
    ])
    assert code == 0
    return out


@pytest.mark.slow
def test_train_evaluate_sample_export(trained, capsys):
    model = keras.saving.load_model(str(trained / "run" / "model.keras"))
    assert isinstance(model, MultiScalePixelRNN)
    recipe = json.loads((trained / "run" / "recipe.json").read_text())
    assert recipe["multi_scale"] is True
    capsys.readouterr()
    assert cli.main(["evaluate", "--model", str(trained / "run" / "model.keras"), "--dataset",
                     str(trained / "digits.npy"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    images = np.load(trained / "digits.npy")[..., None]
    terms = model.log_prob_terms(images)
    np.testing.assert_allclose(result["small_nats_per_image"], -terms["small"].mean(), rtol=1e-5)
    np.testing.assert_allclose(result["full_nats_per_image"], -terms["full"].mean(), rtol=1e-5)
    np.testing.assert_allclose(result["nats_per_image"], -model.log_prob(images).mean(), rtol=1e-5)
    assert cli.main(["sample", "--model", str(trained / "run" / "model.keras"), "--num", "3",
                     "--seed", "1", "--out", str(trained / "s.npy")]) == 0
    np.testing.assert_array_equal(np.load(trained / "s.npy"), model.sample(3, seed=1))
    assert cli.main(["export", "saved-model", "--model", str(trained / "run" / "model.keras"),
                     "--out", str(trained / "serving")]) == 0
    assert cli.main(["complete", "--model", str(trained / "run" / "model.keras"), "--images",
                     str(trained / "digits.npy"), "--keep-rows", "4",
                     "--out", str(trained / "c.png")]) == 2
    assert "multi-scale model" in capsys.readouterr().err


def test_multi_scale_with_num_classes_is_refused(tmp_path, capsys):
    code = cli.main(["train", "--multi-scale", "--num-classes", "10", "--out", str(tmp_path)])
    assert code == 2
    assert "Received: --multi-scale --num-classes 10" in capsys.readouterr().err
