"""The training recipe: schedule, weight averaging (the averaged weights are the
ones validated, saved and exported), the best epoch, a step budget."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_pixelrnn import NatsPerImage, PixelRNN, PixelRNNLoss
from keras_pixelrnn.training import recipe


def test_warm_up_then_cosine_decay():
    schedule = recipe.learning_rate_schedule(1e-2, total_steps=110, warmup_steps=10)
    rates = [float(schedule(step)) for step in (0, 5, 10, 60, 110)]
    np.testing.assert_allclose(rates, [0.0, 5e-3, 1e-2, 5e-3, 0.0], atol=1e-7)
    constant = recipe.learning_rate_schedule(1e-2, total_steps=110, warmup_steps=10,
                                             decay="constant")
    np.testing.assert_allclose([float(constant(s)) for s in (5, 10, 100)], [5e-3, 1e-2, 1e-2],
                               atol=1e-7)
    assert recipe.learning_rate_schedule(1e-2, 100, decay="constant") == 1e-2


@pytest.mark.parametrize(
    "kwargs, match",
    [(dict(decay="linear"), "decay='linear'"), (dict(total_steps=-1), "total_steps=-1"),
     (dict(warmup_steps=1.5), "warmup_steps=1.5")],
)
def test_schedule_rejects(kwargs, match):
    args = dict(learning_rate=1e-3, total_steps=100, warmup_steps=0, decay="cosine")
    with pytest.raises(ValueError, match=match):
        recipe.learning_rate_schedule(**dict(args, **kwargs))


def test_ema_momentum_averages_over_a_tenth_of_the_run():
    assert recipe.ema_momentum(10_000) == pytest.approx(0.999)
    assert recipe.ema_momentum(50) == 0.9  # never below
    assert recipe.ema_momentum(10**7) == 0.9995  # never above
    assert recipe.make_optimizer(total_steps=10_000).ema_momentum == pytest.approx(0.999)
    assert not recipe.make_optimizer(ema=0).use_ema
    with pytest.raises(ValueError, match="ema=1.0"):
        recipe.make_optimizer(ema=1.0)


def tiny_model():
    keras.utils.set_random_seed(0)
    return PixelRNN("row_lstm", (4, 5, 1), num_layers=1, hidden_units=4, levels=2)


def images(n, seed):
    return np.random.default_rng(seed).integers(0, 2, (n, 4, 5, 1)).astype(np.uint8)


class LastRawWeights(keras.callbacks.Callback):
    def on_train_batch_end(self, batch, logs=None):
        self.weights = self.model.get_weights()


@pytest.mark.slow
def test_averaged_weights_are_the_ones_kept_saved_and_exported(tmp_path):
    from keras_pixelrnn.serving import write_saved_model

    model = tiny_model()
    model.compile(recipe.make_optimizer(1e-2, total_steps=12, ema=0.8), loss=PixelRNNLoss())
    x = images(16, 0)
    raw = LastRawWeights()
    model.fit(x.astype("float32"), x, batch_size=4, epochs=3, callbacks=[raw], verbose=0)
    after = model.get_weights()
    assert any(not np.allclose(a, b) for a, b in zip(after, raw.weights)), "no averaging"
    with recipe.averaged(model):  # the model already holds the averages: no change
        np.testing.assert_allclose(model.get_weights()[0], after[0])
    np.testing.assert_array_equal(model.get_weights()[0], after[0])

    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    for a, b in zip(loaded.get_weights(), after):
        np.testing.assert_array_equal(a, b)
    test = images(5, 1)
    served = tf.saved_model.load(write_saved_model(model, str(tmp_path / "serving")))
    got = served.signatures["log_prob"](images=tf.constant(test))["log_prob"].numpy()
    np.testing.assert_allclose(got, model.log_prob(test), rtol=1e-5)


@pytest.mark.slow
def test_averaged_swaps_the_averages_in_and_back():
    model = tiny_model()
    model.compile(recipe.make_optimizer(1e-2, total_steps=100, ema=0.9), loss=PixelRNNLoss())
    x = images(8, 0)
    model.train_on_batch(x.astype("float32"), x)
    model.train_on_batch(x.astype("float32"), x)
    current = model.get_weights()
    averages = recipe.averaged_weights(model)
    assert any(not np.allclose(a, b) for a, b in zip(averages, current))
    for a, b in zip(model.get_weights(), current):
        np.testing.assert_array_equal(a, b)


def test_keep_best_restores_the_best_epoch():
    model = tiny_model()
    model.compile(recipe.make_optimizer(1e-2, total_steps=10, ema=0), loss=PixelRNNLoss())
    keep = recipe.KeepBest()
    keep.set_model(model)
    snapshots = []
    for epoch, value in enumerate([90.0, 85.0, 88.0]):
        model.set_weights([w + epoch for w in tiny_model().get_weights()])
        snapshots.append(model.get_weights())
        keep.on_epoch_end(epoch, {"val_nats_per_image": value})
    keep.on_train_end()
    assert keep.best_epoch == 2 and keep.best == 85.0
    for a, b in zip(model.get_weights(), snapshots[1]):
        np.testing.assert_array_equal(a, b)


def test_keep_best_on_disk_survives_a_resumed_run(tmp_path):
    model = tiny_model()
    model.compile(recipe.make_optimizer(1e-2, total_steps=10, ema=0), loss=PixelRNNLoss())
    first = recipe.KeepBest(folder=str(tmp_path / "best"))
    first.set_model(model)
    best = [w + 1 for w in model.get_weights()]
    model.set_weights(best)
    first.on_epoch_end(0, {"val_nats_per_image": 80.0})
    assert sorted(os.listdir(tmp_path / "best")) == ["best.json", "best.weights.h5"]
    # A new process resumes: worse epochs only, then the end of training.
    resumed = recipe.KeepBest(folder=str(tmp_path / "best"))
    assert (resumed.best, resumed.best_epoch) == (80.0, 1)
    model.set_weights([w + 5 for w in best])
    resumed.set_model(model)
    resumed.on_epoch_end(1, {"val_nats_per_image": 81.0})
    resumed.on_train_end()
    for a, b in zip(model.get_weights(), best):
        np.testing.assert_array_equal(a, b)


@pytest.mark.slow
def test_the_train_command_applies_the_recipe(tmp_path):
    from keras_pixelrnn import cli

    data = tmp_path / "digits.npy"
    np.save(data, images(12, 3))
    out = tmp_path / "run"
    argv = ["train", "--architecture", "row_lstm", "--layers", "1", "--hidden", "4", "--levels",
            "2", "--image-shape", "4,5,1", "--dataset", str(data), "--batch-size", "4", "--steps",
            "5", "--warmup-steps", "2", "--decay", "cosine", "--ema", "0.5", "--dropout", "0.2",
            "--verbose", "0", "--out", str(out)]
    assert cli.main(argv) == 0
    import json

    saved = json.loads((out / "recipe.json").read_text())
    assert (saved["steps"], saved["epochs"], saved["ema"], saved["dropout"]) == (5, 2, 0.5, 0.2)
    model = keras.saving.load_model(str(out / "model.keras"))
    assert model.get_config()["dropout"] == 0.2 and int(model.optimizer.iterations) == 5
    assert cli.main(argv[:-2] + ["--ema", "2", "--out", str(tmp_path / "bad")]) == 2
    assert not os.path.exists(tmp_path / "bad" / "model.keras")


MODEL = dict(architecture="pixel_cnn", image_shape=(6, 5, 1), num_layers=1, hidden_units=4,
             levels=2)


@pytest.mark.parametrize("kwargs, match", [
    pytest.param(dict(learning_rate=float("nan")), "`learning_rate` must be a finite number > 0. "
                 "Received: learning_rate=nan", id="learning_rate"),
    pytest.param(dict(clipnorm=-1.0), "Received: clipnorm=-1.0", id="clipnorm"),
    pytest.param(dict(epochs=0), "`epochs` must be a positive integer. Received: epochs=0",
                 id="epochs"),
    pytest.param(dict(epochs=True), "Received: epochs=True", id="epochs_bool"),
    pytest.param(dict(steps=0), "Received: steps=0", id="steps"),
    pytest.param(dict(ema=1.0), "Received: ema=1.0", id="ema"),
    pytest.param(dict(decay="linear"), "Received: decay='linear'", id="decay"),
    pytest.param(dict(strategy="ps"), "Received: strategy='ps'", id="strategy"),
    pytest.param(dict(val_limit=0), "Received: val_limit=0", id="val_limit"),
])
def test_a_recipe_checks_its_settings(kwargs, match):
    with pytest.raises(ValueError) as error:
        recipe.Recipe(MODEL, "digits.npy", **kwargs)
    assert match in str(error.value)


def test_a_recipe_plans_its_epochs_and_steps():
    assert recipe.Recipe(MODEL, "d", epochs=3).plan(5) == (3, 15, None)
    assert recipe.Recipe(MODEL, "d", steps=12, ema=0.5).plan(5) == (3, 12, 0.5)
    assert recipe.Recipe(MODEL, "d", epochs=3).plan(0) == (3, 0, 0.999)  # unknown size
    with pytest.raises(ValueError, match="--decay cosine needs the number of steps"):
        recipe.Recipe(MODEL, "d", decay="cosine").plan(0)


def test_the_record_holds_what_recipe_json_held_before():
    """The keys of recipe.json, in order: a run folder written before keeps its recipe."""
    model = dict(MODEL, num_classes=3, dropout=0.0)
    record = recipe.Recipe(model, "d.npz", batch_size=8, binarize=True).record(
        epochs=2, steps=12, ema=0.9, workers=1, replicas=2, parameters=100)
    assert list(record) == [
        "architecture", "image_shape", "num_layers", "hidden_units", "levels", "num_classes",
        "dropout", "dataset", "epochs", "steps", "batch_size", "optimizer", "learning_rate",
        "warmup_steps", "decay", "ema", "keep_best", "clipnorm", "multi_scale", "binarize",
        "seed", "strategy", "devices", "workers", "replicas", "per_replica_batch", "limit",
        "parameters",
    ]
    assert (record["num_classes"], record["per_replica_batch"], record["optimizer"]) == (
        3, 4, "adam")
