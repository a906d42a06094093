"""Exports of conditional PixelRNNs (class labels, a small image) compared numerically with Keras.

The signatures of a conditional model take its condition input after the
images or noise (`labels` int32 `(B,)`, or `small_images` float32); here
every export is fed through `serving.signature_inputs` and compared with the
model's own `log_prob` and `sample`. Tiny models (4x4 binary images, one
layer, random weights); every expensive artifact is made once per module: the
SavedModels, one fresh Python process that loads them all without this
package, the ONNX conversions.
"""

import functools
import os

import numpy as np
import pytest
import tensorflow as tf

from keras_pixelrnn import PixelRNN, serving
from keras_pixelrnn.serving import onnx_export

from export_helpers import (
    SIGNATURE_OUTPUTS, fresh_process, onnx_sessions, randomized_models, run_onnx, run_script,
)

SHAPE, LEVELS, CLASSES, SMALL = (4, 4, 1), 2, 3, (2, 2, 1)
CASES = {
    "row_lstm-labels": ("row_lstm", {"num_classes": CLASSES}),
    "diagonal_bilstm-labels": ("diagonal_bilstm", {"num_classes": CLASSES}),
    "pixel_cnn-labels": ("pixel_cnn", {"num_classes": CLASSES}),
    "diagonal_bilstm-class_map": ("diagonal_bilstm", {"num_classes": CLASSES, "condition_units": 2}),
    "row_lstm-small": ("row_lstm", {"small_image_shape": SMALL}),
}
BATCH_SIZES = (1, 4)
REJECTED = (TypeError, ValueError, tf.errors.InvalidArgumentError)


def _key(case):
    """The name of a case's condition input."""
    return "labels" if "num_classes" in CASES[case][1] else "small_images"


def _inputs(case, model, seed):
    """The feeds of one case, named `images_B`, `shifted_B` (the same images,
    another condition: each label the next class, the small images' negatives)
    and `noise_B`: `{feed: {input name: array}}`. Labels are `arange(B) % 3`."""
    rng = np.random.default_rng(seed)
    key = _key(case)
    feeds = {}
    for batch in BATCH_SIZES:
        images = rng.integers(0, LEVELS, (batch,) + SHAPE).astype(np.uint8)
        noise = rng.random((batch,) + SHAPE, np.float32)
        if key == "labels":
            condition = np.arange(batch) % CLASSES
            shifted = (condition + 1) % CLASSES
        else:
            condition = rng.integers(0, LEVELS, (batch,) + SMALL).astype(np.float32)
            shifted = LEVELS - 1 - condition
        feed = functools.partial(serving.signature_inputs, model)
        feeds[f"images_{batch}"] = feed("log_prob", images, **{key: condition})
        feeds[f"shifted_{batch}"] = feed("log_prob", images, **{key: shifted})
        feeds[f"noise_{batch}"] = feed("sample", noise, **{key: condition})
    return feeds


def _conditions(feed):
    """The condition inputs of a feed as `PixelRNN` keyword arguments."""
    return {k: v for k, v in feed.items() if k not in ("images", "noise")}


@pytest.fixture(scope="module")
def models(workdir):
    """name -> (model, .keras path, feeds)."""
    return randomized_models(
        workdir, CASES,
        lambda arch, condition: PixelRNN(arch, SHAPE, 1, 4, levels=LEVELS, **condition),
        _inputs,
    )


@pytest.fixture(scope="module")
def fresh(models, saved_models, workdir):
    """All SavedModels loaded and called in ONE new process without keras_pixelrnn."""
    feeds = {name: case_feeds for name, (_, _, case_feeds) in models.items()}
    return fresh_process(saved_models, feeds, workdir)


@pytest.mark.slow
def test_fresh_process_does_not_import_the_package(fresh):
    report, _ = fresh
    assert report["modules"] == []


@pytest.mark.slow
def test_signatures_take_the_condition_after_the_images(fresh):
    report, _ = fresh
    image = ["uint8", [None, *SHAPE]]
    noise = ["float32", [None, *SHAPE]]
    for name in CASES:
        got = report[name]
        key = _key(name)
        spec = ["int32", [None]] if key == "labels" else ["float32", [None, *SMALL]]
        assert got["signatures"] == ["complete", "log_prob", "logits", "sample", "serving_default"]
        for signature in ("log_prob", "logits", "serving_default"):
            assert got["inputs"][signature] == {"images": image, key: spec}, (name, signature)
        assert got["inputs"]["sample"] == {"noise": noise, key: spec}, name
        for signature, outputs in SIGNATURE_OUTPUTS.items():
            assert got["outputs"][signature] == outputs, (name, signature)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_saved_model_matches_keras_in_a_fresh_process(fresh, models, name):
    _, outputs = fresh
    model, _, feeds = models[name]
    got = outputs[name]
    dims = np.prod(SHAPE)
    for batch in BATCH_SIZES:
        feed, shifted = feeds[f"images_{batch}"], feeds[f"shifted_{batch}"]
        want = model.log_prob(feed["images"], **_conditions(feed))
        other = model.log_prob(shifted["images"], **_conditions(shifted))
        for signature in ("log_prob", "serving_default"):
            np.testing.assert_allclose(
                got[f"{signature}/log_prob/images_{batch}"], want, atol=1e-4, rtol=0
            )
            np.testing.assert_allclose(
                got[f"{signature}/bits_per_dim/images_{batch}"], -want / (dims * np.log(2)),
                atol=1e-6,
            )
            np.testing.assert_allclose(
                got[f"{signature}/log_prob/shifted_{batch}"], other, atol=1e-4, rtol=0
            )
        # The condition is wired: another label (small image) gives another likelihood.
        assert np.max(np.abs(got[f"log_prob/log_prob/shifted_{batch}"] - want)) > 1e-2
        images = feed["images"].astype("float32")
        np.testing.assert_allclose(
            got[f"logits/logits/images_{batch}"],
            model([images, *_conditions(feed).values()], training=False).numpy(), atol=1e-5,
        )
        feed = feeds[f"noise_{batch}"]
        sampled = got[f"sample/images/noise_{batch}"]
        assert sampled.dtype == np.uint8
        want = model.sample(batch, noise=feed["noise"], **_conditions(feed))
        np.testing.assert_array_equal(sampled, want)


# ONNX --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def onnx_session(models):
    """(name, signature) -> ONNX Runtime session, each converted once."""
    sessions = onnx_sessions(models)
    return lambda name, signature: sessions(name, signature)[0]


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_onnx_log_prob_matches_keras(models, onnx_session, name):
    model, _, feeds = models[name]
    session = onnx_session(name, "log_prob")
    assert [i.name for i in session.get_inputs()] == ["images", _key(name)]
    dims = np.prod(SHAPE)
    for batch in BATCH_SIZES:
        feed, shifted = feeds[f"images_{batch}"], feeds[f"shifted_{batch}"]
        got = run_onnx(session, feed)
        want = model.log_prob(feed["images"], **_conditions(feed))
        np.testing.assert_allclose(got["log_prob"], want, atol=1e-4, rtol=0)
        np.testing.assert_allclose(got["bits_per_dim"], -want / (dims * np.log(2)), atol=1e-6)
        other = run_onnx(session, shifted)["log_prob"]
        np.testing.assert_allclose(
            other, model.log_prob(shifted["images"], **_conditions(shifted)), atol=1e-4, rtol=0
        )
        assert np.max(np.abs(other - want)) > 1e-2


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_onnx_sample_matches_keras_and_saved_model(models, fresh, onnx_session, name):
    model, _, feeds = models[name]
    session = onnx_session(name, "sample")
    assert [i.name for i in session.get_inputs()] == ["noise", _key(name)]
    assert [o.name for o in session.get_outputs()] == ["images"]
    for batch in BATCH_SIZES:
        feed = feeds[f"noise_{batch}"]
        (got,) = session.run(None, feed)
        assert got.dtype == np.uint8
        want = model.sample(batch, noise=feed["noise"], **_conditions(feed))
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(got, fresh[1][name][f"sample/images/noise_{batch}"])


@pytest.mark.slow
def test_write_onnx_feeds_the_labels_to_its_check(models, workdir, monkeypatch):
    """A converted graph that ignores the labels (always class 0) must fail
    the check against Keras: the check feeds several labels."""
    model, _, _ = models["row_lstm-labels"]
    out = workdir / "ignores_labels.onnx"
    real = onnx_export.convert_to_onnx
    function = serving.serving_functions(model, checks=False, executor=None)["log_prob"]
    ignoring = tf.function(
        lambda images, labels: function(images, tf.zeros_like(labels)),
        input_signature=function.input_signature, autograph=False,
    )
    monkeypatch.setattr(
        onnx_export, "convert_to_onnx", lambda fn, opset=serving.OPSET: real(ignoring, opset)
    )
    with pytest.raises(serving.ConversionError, match="differs from Keras"):
        serving.write_onnx(model, str(out), "log_prob")
    assert not out.exists()


# Bad input ---------------------------------------------------------------------------------------


def test_condition_specs():
    labels = PixelRNN("pixel_cnn", SHAPE, 1, 4, levels=LEVELS, num_classes=CLASSES)
    small = PixelRNN("pixel_cnn", SHAPE, 1, 4, levels=LEVELS, small_image_shape=SMALL)
    plain = PixelRNN("pixel_cnn", SHAPE, 1, 4, levels=LEVELS)
    assert serving.condition_specs(labels) == [tf.TensorSpec((None,), tf.int32, name="labels")]
    assert serving.condition_specs(small) == [
        tf.TensorSpec((None, *SMALL), tf.float32, name="small_images")
    ]
    assert serving.condition_specs(plain) == []
    specs = serving.serving_functions(plain)["log_prob"].input_signature
    assert [(s.name, s.dtype) for s in specs] == [("images", tf.uint8)]


def test_signature_inputs_name_a_missing_or_foreign_condition():
    labels = PixelRNN("pixel_cnn", SHAPE, 1, 4, levels=LEVELS, num_classes=CLASSES)
    small = PixelRNN("pixel_cnn", SHAPE, 1, 4, levels=LEVELS, small_image_shape=SMALL)
    plain = PixelRNN("pixel_cnn", SHAPE, 1, 4, levels=LEVELS)
    images = np.zeros((2, *SHAPE), np.uint8)
    noise = np.zeros((2, *SHAPE), np.float32)
    for signature, x in (("log_prob", images), ("logits", images), ("sample", noise)):
        with pytest.raises(ValueError, match=r"give `labels`.*Received: labels=None"):
            serving.signature_inputs(labels, signature, x)
        with pytest.raises(ValueError, match=r"give `small_images`.*Received: small_images=None"):
            serving.signature_inputs(small, signature, x)
    with pytest.raises(ValueError, match=r"`labels` must lie in \[0, 3\).*in labels=\[0, 3\]"):
        serving.signature_inputs(labels, "log_prob", images, labels=[0, 3])
    with pytest.raises(ValueError, match=r"takes no `labels`. Received: labels=\[0, 1\]"):
        serving.signature_inputs(plain, "log_prob", images, labels=[0, 1])
    message = r"`noise` must lie in \[0, 1\). Received: min=1.0, max=1.0"
    with pytest.raises(ValueError, match=message):
        serving.signature_inputs(labels, "sample", np.ones_like(noise), labels=0)
    with pytest.raises(ValueError, match="Received: signature='bits'"):
        serving.signature_inputs(labels, "bits", images, labels=0)
    one = serving.signature_inputs(labels, "sample", noise, labels=2)  # one label for all
    assert list(one) == ["noise", "labels"] and one["labels"].tolist() == [2, 2]
    assert one["labels"].dtype == np.int32


BAD_MODELS = ("row_lstm-labels", "row_lstm-small")


@pytest.fixture(scope="module")
def loaded(saved_models):
    return {name: tf.saved_model.load(saved_models[name]) for name in BAD_MODELS}


BAD = {
    # case: (model, {input: value}, error message)
    "no labels": ("row_lstm-labels", {}, "labels"),
    "label = num_classes": (
        "row_lstm-labels", {"labels": np.array([0, 3], np.int32)}, r"`labels` must lie in \[0, 3\)"
    ),
    "label < 0": (
        "row_lstm-labels", {"labels": np.array([-1, 0], np.int32)}, r"`labels` must lie in \[0, 3\)"
    ),
    "labels dtype": ("row_lstm-labels", {"labels": np.zeros(2, np.float32)}, "int32"),
    "labels batch": (
        "row_lstm-labels", {"labels": np.array([0, 1, 2], np.int32)},
        "`labels` must hold one entry per image",
    ),
    "no small images": ("row_lstm-small", {}, "small_images"),
    "small image value": (
        "row_lstm-small", {"small_images": np.full((2, *SMALL), 0.5, np.float32)},
        r"`small_images` values must be whole numbers in \[0, 1\]",
    ),
    "small image NaN": (
        "row_lstm-small", {"small_images": np.full((2, *SMALL), np.nan, np.float32)},
        r"`small_images` values must be whole numbers in \[0, 1\]",
    ),
    "small images batch": (
        "row_lstm-small", {"small_images": np.zeros((1, *SMALL), np.float32)},
        "`small_images` must hold one entry per image",
    ),
}


@pytest.mark.slow
@pytest.mark.parametrize(
    "signature, case", [(s, case) for case in BAD for s in ("log_prob", "logits", "sample")]
)
def test_saved_model_signatures_reject_bad_conditions(loaded, signature, case):
    name, conditions, message = BAD[case]
    kwargs = {k: tf.constant(v) for k, v in conditions.items()}
    if signature == "sample":
        kwargs["noise"] = tf.zeros((2, *SHAPE), tf.float32)
    else:
        kwargs["images"] = tf.zeros((2, *SHAPE), tf.uint8)
    with pytest.raises(REJECTED, match=message):
        loaded[name].signatures[signature](**kwargs)


@pytest.mark.slow
def test_condition_size_is_checked_inside_the_graph(models):
    """Where nothing enforces the TensorSpec (a server feeding the graph), the
    graph itself rejects a condition of the wrong rank or size."""
    # A loose spec Keras still traces: labels (B, 1) it squeezes, a map of any size.
    for name, loose_shape, value, message in (
        ("row_lstm-labels", (None, 1), tf.zeros((2, 1), tf.int32),
         r"`labels` must have shape \(batch,\)"),
        ("row_lstm-small", (None, None, None, 1), tf.zeros((2, 4, 4, 1)),
         r"`small_images` must have shape \(batch, 2, 2, 1\)"),
    ):
        fn = serving.serving_functions(models[name][0])["log_prob"]
        images, condition = fn.input_signature
        loose = tf.function(
            fn.python_function, autograph=False,
            input_signature=[images, tf.TensorSpec(loose_shape, condition.dtype)],
        )
        with pytest.raises(tf.errors.InvalidArgumentError, match=message):
            loose(tf.zeros((2, *SHAPE), tf.uint8), value)


@pytest.mark.slow
def test_onnx_runtime_names_a_missing_condition(onnx_session):
    """ONNX has no assertions: a missing input is ONNX Runtime's error; a label
    outside [0, num_classes) is not rejected (check it in the client)."""
    session = onnx_session("row_lstm-labels", "log_prob")
    images = np.zeros((2, *SHAPE), np.uint8)
    with pytest.raises((ValueError, RuntimeError), match="labels"):
        session.run(None, {"images": images})
    labels = np.array([0, 3], np.int32)
    (log_prob,) = session.run(["log_prob"], {"images": images, "labels": labels})
    assert np.all(np.isfinite(log_prob))


# Scripts -----------------------------------------------------------------------------------------


@pytest.mark.slow
def test_scripts_export_a_conditional_model(models, workdir, monkeypatch, capsys):
    """export/saved_model.py and export/onnx_model.py (its check against Keras
    feeds labels) on a class-conditional .keras file."""
    model, path, feeds = models["pixel_cnn-labels"]
    base = str(workdir / "scripts" / "labels")
    args = ["--model", path, "--out", base]
    code, out, err = run_script("export/saved_model.py", args, monkeypatch, capsys)
    assert code == 0, err
    assert "images (4, 4, 1), labels int32 (None,), 2 levels" in out
    feed = feeds["images_4"]
    got = tf.saved_model.load(os.path.join(base, "1")).signatures["log_prob"](
        **{k: tf.constant(v) for k, v in feed.items()}
    )
    np.testing.assert_allclose(got["log_prob"], model.log_prob(feed["images"], **_conditions(feed)),
                               atol=1e-4, rtol=0)
    for signature in ("log_prob", "sample"):
        onnx_path = str(workdir / "scripts" / f"labels-{signature}.onnx")
        args = ["--model", path, "--out", onnx_path, "--signature", signature]
        code, out, err = run_script("export/onnx_model.py", args, monkeypatch, capsys)
        assert code == 0, err
        assert "ONNX Runtime == Keras" in out and os.path.isfile(onnx_path)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["row_lstm-labels", "row_lstm-small"])
def test_onnx_complete_is_pixel_rnn_complete_given_the_condition(models, onnx_session, name):
    """The ONNX `complete` of a conditional model, fed the images, rows,
    noise and condition: what `PixelRNN.complete` draws with that noise's
    seed and that condition, the kept rows bit for bit."""
    model, _, feeds = models[name]
    session = onnx_session(name, "complete")
    assert [i.name for i in session.get_inputs()] == ["images", "keep_rows", "noise", _key(name)]
    feed = feeds["images_4"]
    noise = np.random.default_rng(7).random(feed["images"].shape, np.float32)
    complete = serving.signature_inputs(
        model, "complete", feed["images"], keep_rows=2, noise=noise, **_conditions(feed)
    )
    (got,) = session.run(None, complete)
    want = model.complete(feed["images"], keep_rows=2, seed=7, **_conditions(feed))
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got[:, :2], feed["images"][:, :2])
