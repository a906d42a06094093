"""Exports (keras_pixelrnn.serving, `keras-pixelrnn export`, export/*.py) compared numerically with Keras.

Tiny models (6x5 images, one layer, random weights); every expensive artifact
is made once per module: the six SavedModels, one fresh Python process that
loads them all without this package, the ONNX conversions.
"""

import json
import os
import shutil
import subprocess
import sys

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_pixelrnn import RowLSTM, serving
from keras_pixelrnn.serving import onnx_export
from keras_pixelrnn.models.likelihood import log_prob
from keras_pixelrnn.models.pixel_rnn import build_pixel_rnn
from keras_pixelrnn.generation.sampling import generate

from export_helpers import (
    ROOT, SIGNATURE_OUTPUTS, fresh_process, onnx_sessions, randomized_models, run_onnx, run_script,
)
from waiting import wait_for

CASES = {
    f"{arch}-{kind}": (arch, shape, levels)
    for arch in ("pixel_cnn", "row_lstm", "diagonal_bilstm")
    for kind, shape, levels in (("grey", (6, 5, 1), 2), ("rgb", (6, 5, 3), 8))
}
BATCH_SIZES = (1, 4)
SCRIPTS = ("export/saved_model.py", "export/onnx_model.py")


def _env():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    env.pop("PYTHONPATH", None)  # the installed package, as a user has it
    return env


def _run(args, cwd, **kwargs):
    return subprocess.run(
        [sys.executable] + args, capture_output=True, text=True, env=_env(), cwd=cwd,
        timeout=300, **kwargs,
    )


def _inputs(shape, levels, seed):
    """Images and noise for each batch size, the same in every process."""
    rng = np.random.default_rng(seed)
    out = {}
    for batch in BATCH_SIZES:
        out[f"images_{batch}"] = rng.integers(0, levels, (batch,) + shape).astype(np.uint8)
        out[f"noise_{batch}"] = rng.random((batch,) + shape, np.float32)
    return out


@pytest.fixture(scope="module")
def models(workdir):
    """name -> (model, .keras path, inputs)."""
    return randomized_models(
        workdir, CASES,
        lambda arch, shape, levels: build_pixel_rnn(
            arch, shape, num_layers=1, hidden_units=shape[-1] * 2, levels=levels
        ),
        lambda name, _, seed: _inputs(*CASES[name][1:], seed),
    )


@pytest.fixture(scope="module")
def fresh(models, saved_models, workdir):
    """All SavedModels loaded and called in ONE new process without keras_pixelrnn."""
    feeds = {  # "images_B" -> {"images": ...}, "noise_B" -> {"noise": ...}
        name: {key: {key.split("_")[0]: value} for key, value in inputs.items()}
        for name, (_, _, inputs) in models.items()
    }
    for name, (model, _, inputs) in models.items():
        for batch in BATCH_SIZES:
            feeds[name][f"complete_{batch}"] = _completion_feed(model, inputs, batch)
    return fresh_process(saved_models, feeds, workdir)


@pytest.mark.slow
def test_fresh_process_does_not_import_the_package(fresh):
    report, _ = fresh
    assert report["modules"] == []


@pytest.mark.slow
def test_signature_names(fresh, models):
    report, _ = fresh
    for name, (model, _, _) in models.items():
        h, w, c = model.input_shape[1:]
        got = report[name]
        assert got["signatures"] == ["complete", "log_prob", "logits", "sample", "serving_default"]
        images = {"images": ["uint8", [None, h, w, c]]}
        assert got["inputs"]["log_prob"] == images
        assert got["inputs"]["serving_default"] == images
        assert got["inputs"]["logits"] == images
        assert got["inputs"]["sample"] == {"noise": ["float32", [None, h, w, c]]}
        assert got["inputs"]["complete"] == dict(
            images, keep_rows=["int32", [None]], noise=["float32", [None, h, w, c]]
        )
        for signature, outputs in SIGNATURE_OUTPUTS.items():
            assert got["outputs"][signature] == outputs, (name, signature)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_saved_model_matches_keras_in_a_fresh_process(fresh, models, name):
    _, outputs = fresh
    model, _, inputs = models[name]
    got = outputs[name]
    dims = np.prod(model.input_shape[1:])
    for batch in BATCH_SIZES:
        images, noise = inputs[f"images_{batch}"], inputs[f"noise_{batch}"]
        want = log_prob(model, images)
        for signature in ("log_prob", "serving_default"):
            np.testing.assert_allclose(
                got[f"{signature}/log_prob/images_{batch}"], want, atol=1e-4, rtol=0
            )
            np.testing.assert_allclose(
                got[f"{signature}/bits_per_dim/images_{batch}"], -want / (dims * np.log(2)), atol=1e-6
            )
        np.testing.assert_allclose(
            got[f"logits/logits/images_{batch}"],
            model(images.astype("float32"), training=False).numpy(), atol=1e-5,
        )
        sampled = got[f"sample/images/noise_{batch}"]
        assert sampled.dtype == np.uint8
        np.testing.assert_array_equal(sampled, generate(model, noise, method="cached"))


def _completion_feed(model, inputs, batch):
    """The `complete` feed of one batch: the images, each keeping another
    number of rows (0 to H), and the noise."""
    height = model.input_shape[1]
    keep_rows = (np.arange(batch) * 2 + batch) % (height + 1)
    return serving.signature_inputs(
        model, "complete", inputs[f"images_{batch}"], keep_rows=keep_rows,
        noise=inputs[f"noise_{batch}"],
    )


def _completed_by_keras(model, feed):
    """What the cached sampler draws for a `complete` feed: the top
    `keep_rows[b]` rows of image `b` known, the rest drawn from the noise."""
    images, keep_rows, noise = feed["images"], feed["keep_rows"], feed["noise"]
    known = np.arange(images.shape[1])[None, :, None, None] < keep_rows[:, None, None, None]
    known = np.broadcast_to(known, images.shape)
    want = generate(model, noise, known=known, values=images, method="cached")
    np.testing.assert_array_equal(want[known], images[known])  # the kept rows, bit for bit
    return want


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_saved_model_complete_matches_keras_in_a_fresh_process(fresh, models, name):
    _, outputs = fresh
    model, _, inputs = models[name]
    for batch in BATCH_SIZES:
        got = outputs[name][f"complete/completions/complete_{batch}"]
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, _completed_by_keras(model, _completion_feed(model, inputs, batch)))


def test_complete_signature_is_pixel_rnn_complete(models):
    """The same images, rows and noise as `PixelRNN.complete` with a seed
    draws: the same completion."""
    model, _, inputs = models["row_lstm-grey"]
    images = inputs["images_4"]
    want = model.complete(images, keep_rows=3, seed=11)
    noise = np.random.default_rng(11).random(images.shape, np.float32)
    feed = serving.signature_inputs(model, "complete", images, keep_rows=3, noise=noise)
    function = serving.serving_functions(model)["complete"]
    got = function(*[tf.constant(v) for v in feed.values()])["completions"].numpy()
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got[:, :3], images[:, :3])


@pytest.mark.parametrize("keep_rows, message", [
    (7, r"`keep_rows` must be an integer in \[0, 6\]. Received: keep_rows=7"),
    (-1, r"Received: keep_rows=-1"),
    (None, "needs `keep_rows` and `noise`"),
])
def test_complete_inputs_are_checked(models, keep_rows, message):
    model, _, inputs = models["row_lstm-grey"]
    with pytest.raises(ValueError, match=message):
        serving.signature_inputs(
            model, "complete", inputs["images_1"], keep_rows=keep_rows, noise=inputs["noise_1"]
        )


@pytest.mark.slow
def test_complete_signature_rejects_rows_beyond_the_image(loaded):
    images = tf.zeros((2, 6, 5, 1), tf.uint8)
    noise = tf.zeros((2, 6, 5, 1), tf.float32)
    for rows in ([0, 7], [-1, 0], [3]):
        with pytest.raises(REJECTED, match="keep_rows"):
            loaded.signatures["complete"](images=images, keep_rows=tf.constant(rows), noise=noise)


# ONNX --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def onnx_session(models):
    """(name, signature) -> (ONNX Runtime session, ModelProto), each converted once."""
    return onnx_sessions(models)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_onnx_log_prob_matches_keras(models, onnx_session, name):
    model, _, inputs = models[name]
    session, proto = onnx_session(name, "log_prob")
    assert [i.name for i in session.get_inputs()] == ["images"]
    assert sorted(o.name for o in session.get_outputs()) == ["bits_per_dim", "log_prob"]
    assert proto.opset_import[0].version == serving.OPSET
    dims = np.prod(model.input_shape[1:])
    for batch in BATCH_SIZES:
        images = inputs[f"images_{batch}"]
        got = run_onnx(session, {"images": images})
        want = log_prob(model, images)
        np.testing.assert_allclose(got["log_prob"], want, atol=1e-4, rtol=0)
        np.testing.assert_allclose(got["bits_per_dim"], -want / (dims * np.log(2)), atol=1e-6)


@pytest.mark.slow
@pytest.mark.parametrize("name", list(CASES))
def test_onnx_sample_matches_cached_sampler_and_saved_model(models, fresh, onnx_session, name):
    model, _, inputs = models[name]
    session, _ = onnx_session(name, "sample")
    assert [i.name for i in session.get_inputs()] == ["noise"]
    assert [o.name for o in session.get_outputs()] == ["images"]
    for batch in BATCH_SIZES:
        noise = inputs[f"noise_{batch}"]
        (got,) = session.run(None, {"noise": noise})
        assert got.dtype == np.uint8
        want = generate(model, noise, method="cached")
        np.testing.assert_array_equal(got, want)
        np.testing.assert_array_equal(got, fresh[1][name][f"sample/images/noise_{batch}"])


@pytest.mark.slow
@pytest.mark.parametrize("name", ["row_lstm-grey", "diagonal_bilstm-rgb"])
def test_onnx_complete_matches_cached_sampler(models, onnx_session, name):
    model, _, inputs = models[name]
    session, _ = onnx_session(name, "complete")
    assert [i.name for i in session.get_inputs()] == ["images", "keep_rows", "noise"]
    assert [o.name for o in session.get_outputs()] == ["completions"]
    for batch in BATCH_SIZES:
        feed = _completion_feed(model, inputs, batch)
        (got,) = session.run(None, feed)
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, _completed_by_keras(model, feed))


@pytest.mark.slow
def test_onnx_runtime_checks_dtype_rank_and_size_but_not_noise(onnx_session):
    """What the ONNX models reject without assertions (documented in the README)."""
    import onnxruntime as ort

    log_prob_session, _ = onnx_session("row_lstm-grey", "log_prob")
    sample_session, _ = onnx_session("row_lstm-grey", "sample")
    for images, message in (
        (np.zeros((1, 6, 5, 1), np.float32), "data type"),
        (np.zeros((6, 5, 1), np.uint8), "Invalid rank"),
        (np.zeros((1, 7, 5, 1), np.uint8), "invalid dimensions"),
        (np.full((1, 6, 5, 1), 2, np.uint8), "invalid index"),  # a value >= levels: GatherND bounds
    ):
        invalid = (ort.capi.onnxruntime_pybind11_state.InvalidArgument, RuntimeError)
        with pytest.raises(invalid, match=message):
            log_prob_session.run(None, {"images": images})
    # ONNX has no assertions: noise outside [0, 1) is drawn from, not rejected.
    for value in (1.0, -0.5, np.nan):
        (images,) = sample_session.run(None, {"noise": np.full((1, 6, 5, 1), value, np.float32)})
        assert images.dtype == np.uint8 and images.max() <= 1


def test_convert_fails_loudly_on_an_unsupported_op():
    fn = tf.function(
        lambda x: {"y": tf.math.log1p(x)},
        input_signature=[tf.TensorSpec((None, 3), tf.float32, name="x")],
    )
    with pytest.raises(serving.ConversionError, match="(?i)log1p|unsupported|convert"):
        serving.convert_to_onnx(fn)


@pytest.mark.slow
def test_write_onnx_checks_against_keras_before_writing(models, workdir, monkeypatch):
    model, _, _ = models["pixel_cnn-grey"]
    other, _, _ = models["row_lstm-grey"]
    out = workdir / "checked.onnx"
    # A converter that hands back another model's graph: the parity check must catch it.
    real = onnx_export.convert_to_onnx
    wrong = serving.serving_functions(other, checks=False, executor=None)["log_prob"]
    monkeypatch.setattr(
        onnx_export, "convert_to_onnx", lambda fn, opset=serving.OPSET: real(wrong, opset)
    )
    with pytest.raises(serving.ConversionError, match="differs from Keras"):
        serving.write_onnx(model, str(out), "log_prob")
    assert not out.exists()
    assert not [p for p in os.listdir(workdir) if ".tmp-" in p]


# Serving-time input checks ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def loaded(saved_models):
    return tf.saved_model.load(saved_models["row_lstm-grey"])


REJECTED = (TypeError, ValueError, tf.errors.InvalidArgumentError)
BAD = {
    "wrong dtype": ("images", np.zeros((1, 6, 5, 1), np.float32), "uint8"),
    "wrong size": ("images", np.zeros((1, 7, 5, 1), np.uint8), r"must have shape \(batch, 6, 5, 1\)"),
    "wrong rank": ("images", np.zeros((6, 5, 1), np.uint8), r"must have shape \(batch, 6, 5, 1\)"),
    "value >= levels": ("images", np.full((1, 6, 5, 1), 2, np.uint8), r"values must lie in \[0, 1\]"),
    "noise = 1": ("noise", np.ones((1, 6, 5, 1), np.float32), r"must lie in \[0, 1\)"),
    "noise < 0": ("noise", np.full((1, 6, 5, 1), -0.1, np.float32), r"must lie in \[0, 1\)"),
    "noise NaN": ("noise", np.full((1, 6, 5, 1), np.nan, np.float32), r"must lie in \[0, 1\)"),
    "noise dtype": ("noise", np.zeros((1, 6, 5, 1), np.float64), "float"),
    "noise size": ("noise", np.zeros((1, 6, 4, 1), np.float32), r"must have shape \(batch, 6, 5, 1\)"),
    "no images": ("images", np.zeros((0, 6, 5, 1), np.uint8),
                  r"`images` must hold at least one image.*a batch of\W+0\b"),
    "no noise": ("noise", np.zeros((0, 6, 5, 1), np.float32),
                 r"`noise` must hold at least one image.*a batch of\W+0\b"),
}


@pytest.mark.slow
@pytest.mark.parametrize(
    "signature, case",
    [
        (signature, case)
        for case, (kind, _, _) in BAD.items()
        for signature in (("sample",) if kind == "noise" else ("log_prob", "logits", "serving_default"))
    ],
)
def test_signatures_reject_bad_inputs(loaded, signature, case):
    kind, value, message = BAD[case]
    with pytest.raises(REJECTED, match=message):
        loaded.signatures[signature](**{kind: tf.constant(value)})


@pytest.mark.slow
@pytest.mark.parametrize("signature", ["log_prob", "sample"])
def test_size_is_checked_inside_the_graph(models, signature):
    """Where nothing enforces the TensorSpec (a server feeding the graph), the
    graph itself rejects a wrong image size."""
    model, _, _ = models["row_lstm-grey"]
    fn = serving.serving_functions(model)[signature]
    dtype = fn.input_signature[0].dtype
    loose = tf.function(
        fn.python_function, input_signature=[tf.TensorSpec((None,) * 4, dtype)], autograph=False
    )
    with pytest.raises(tf.errors.InvalidArgumentError, match="must have shape"):
        loose(tf.zeros((1, 7, 5, 1), dtype))


# Device-neutral graphs ---------------------------------------------------------------------------


def _batch_splits(graph):
    """Split ops along axis 0 in `graph` (not in its loops): a Row LSTM that
    runs its batch as more than one chain splits the batch before its loop."""
    count = 0
    for op in graph.get_operations():
        if op.type in ("Split", "SplitV"):
            axis = op.inputs[0] if op.type == "Split" else op.inputs[2]
            count += int(tf.get_static_value(axis) == 0)
    return count


def _pb(folder):
    with open(os.path.join(folder, "saved_model.pb"), "rb") as f:
        return f.read()


def _auto_splits():
    """Batch splits of a Row LSTM whose `"auto"` is resolved on this machine."""
    return int(RowLSTM.IMPLEMENTATIONS.resolve("auto") == "batch_chains")


def test_signatures_run_the_portable_implementation_unless_asked(models):
    """An export runs one batch chain whatever machine traced it; with
    `implementation="auto"`, what this machine resolves (batch chains on a
    CPU with 2 threads or more)."""
    model, _, _ = models["row_lstm-grey"]
    for name in ("log_prob", "logits"):
        one = serving.serving_functions(model)[name].get_concrete_function().graph
        assert _batch_splits(one) == 0, name
        auto = serving.serving_functions(model, implementation="auto")[name]
        assert _batch_splits(auto.get_concrete_function().graph) == _auto_splits(), name
    with pytest.raises(ValueError, match="Received: implementation='bands'"):
        serving.serving_functions(model, implementation="bands")


@pytest.mark.slow
def test_default_saved_model_is_device_neutral(saved_models):
    """No executor stored (TensorFlow's default runs anywhere) and one batch chain."""
    for name, folder in saved_models.items():
        assert b"SINGLE_THREADED_EXECUTOR" not in _pb(folder), name
    loaded = tf.saved_model.load(saved_models["row_lstm-grey"])
    for name in ("log_prob", "logits"):
        (function,) = getattr(loaded, name).concrete_functions
        assert _batch_splits(function.graph) == 0, name


@pytest.mark.slow
def test_onnx_log_prob_runs_one_batch_chain(onnx_session):
    _, proto = onnx_session("row_lstm-grey", "log_prob")
    splits = [
        node for node in proto.graph.node if node.op_type == "Split"
        and any(a.name == "axis" and a.i == 0 for a in node.attribute)
    ]
    assert not splits


@pytest.mark.slow
def test_saved_model_script_options_for_a_cpu_server(models, workdir, monkeypatch, capsys):
    """--single-threaded-sampler stores the executor; --implementation auto
    keeps this machine's choice (batch chains on a CPU with 2 threads)."""
    model, path, inputs = models["row_lstm-grey"]
    base = str(workdir / "cpu_server" / "grey")
    args = ["--model", path, "--out", base, "--single-threaded-sampler", "--implementation", "auto"]
    code, out, err = run_script("export/saved_model.py", args, monkeypatch, capsys)
    assert code == 0, err
    folder = os.path.join(base, "1")
    assert b"SINGLE_THREADED_EXECUTOR" in _pb(folder)
    loaded = tf.saved_model.load(folder)
    (function,) = loaded.log_prob.concrete_functions
    assert _batch_splits(function.graph) == _auto_splits()
    images, noise = inputs["images_4"], inputs["noise_4"]
    got = loaded.signatures["log_prob"](images=tf.constant(images))["log_prob"]
    np.testing.assert_allclose(got, log_prob(model, images), atol=1e-4, rtol=0)
    sampled = loaded.signatures["sample"](noise=tf.constant(noise))["images"]
    np.testing.assert_array_equal(sampled, generate(model, noise, method="cached"))


@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_reject_a_bad_implementation(workdir, script, monkeypatch, capsys):
    out = str(workdir / "rejected_chains" / "out")
    args = ["--model", str(workdir / "nope.keras"), "--out", out, "--implementation", "fast"]
    code, _, err = run_script(script, args, monkeypatch, capsys)
    assert code == 2 and "invalid choice: 'fast'" in err
    assert not os.path.exists(out)


# Layout and scripts -------------------------------------------------------------------------------


@pytest.mark.slow
def test_version_folders_and_overwrite(models, workdir):
    model, _, inputs = models["pixel_cnn-grey"]
    other, _, _ = models["row_lstm-grey"]
    base = str(workdir / "layout" / "pixelrnn")
    assert serving.write_saved_model(model, base) == os.path.join(base, "1")
    assert serving.write_saved_model(model, base) == os.path.join(base, "2")
    assert serving.write_saved_model(model, base, version=7) == os.path.join(base, "7")
    assert serving.write_saved_model(model, base) == os.path.join(base, "8")
    assert sorted(os.listdir(base)) == ["1", "2", "7", "8"]  # no temporary folder left
    for version in ("1", "8"):
        assert os.path.isfile(os.path.join(base, version, "saved_model.pb"))
    with pytest.raises(FileExistsError, match="--overwrite"):
        serving.write_saved_model(other, base, version=2)
    images = tf.constant(inputs["images_4"])
    before = tf.saved_model.load(os.path.join(base, "2")).signatures["log_prob"](images=images)
    np.testing.assert_allclose(before["log_prob"], log_prob(model, inputs["images_4"]), atol=1e-4)
    serving.write_saved_model(other, base, version=2, overwrite=True)
    after = tf.saved_model.load(os.path.join(base, "2")).signatures["log_prob"](images=images)
    np.testing.assert_allclose(after["log_prob"], log_prob(other, inputs["images_4"]), atol=1e-4)
    assert sorted(os.listdir(base)) == ["1", "2", "7", "8"]


@pytest.mark.slow
def test_scripts_end_to_end(models, workdir):
    """Both scripts in a new process, as a user runs them (from another folder)."""
    model, path, inputs = models["diagonal_bilstm-rgb"]
    base = str(workdir / "scripts" / "rgb")
    done = _run([os.path.join(ROOT, "export", "saved_model.py"), "--model", path, "--out", base],
                cwd=str(workdir))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "wrote" in done.stdout and os.listdir(base) == ["1"]
    out = str(workdir / "scripts" / "rgb.onnx")
    done = _run([os.path.join(ROOT, "export", "onnx_model.py"), "--model", path, "--out", out,
                 "--signature", "log_prob"], cwd=str(workdir))
    assert done.returncode == 0, done.stderr[-2000:]
    assert "ONNX Runtime == Keras" in done.stdout
    import onnxruntime as ort

    session = ort.InferenceSession(out, providers=["CPUExecutionProvider"])
    got = run_onnx(session, {"images": inputs["images_4"]})
    np.testing.assert_allclose(got["log_prob"], log_prob(model, inputs["images_4"]), atol=1e-4)
    assert sorted(os.listdir(workdir / "scripts")) == ["rgb", "rgb.onnx"]  # no temporary file left


@pytest.mark.slow
def test_saved_model_script_never_replaces_a_version_without_overwrite(
    models, workdir, monkeypatch, capsys
):
    _, path, _ = models["pixel_cnn-grey"]
    base = str(workdir / "script_versions" / "grey")

    def script(*extra):
        args = ["--model", path, "--out", base, *extra]
        return run_script("export/saved_model.py", args, monkeypatch, capsys)

    assert script()[0] == 0
    stamp = os.path.getmtime(os.path.join(base, "1", "saved_model.pb"))
    code, _, err = script("--version", "1")
    assert code != 0 and "already exported" in err and "--overwrite" in err
    assert os.path.getmtime(os.path.join(base, "1", "saved_model.pb")) == stamp
    assert script("--version", "1", "--overwrite")[0] == 0
    assert script()[0] == 0
    assert sorted(os.listdir(base)) == ["1", "2"]
    code, _, err = script("--version", "0")
    assert code != 0 and "positive integer" in err


@pytest.mark.parametrize("script", SCRIPTS)
def test_scripts_reject_a_missing_file_and_a_foreign_model(workdir, script, monkeypatch, capsys):
    out = str(workdir / "rejected" / "out")

    def run(model):
        return run_script(script, ["--model", str(model), "--out", out], monkeypatch, capsys)

    code, _, err = run(workdir / "nope.keras")
    assert code != 0 and "no such file" in err
    foreign = workdir / "dense.keras"
    if not foreign.exists():
        inputs = keras.Input((4,))
        keras.Model(inputs, keras.layers.Dense(2)(inputs)).save(str(foreign))
    code, _, err = run(foreign)
    assert code != 0 and "not a PixelRNN model" in err
    (workdir / "garbage.keras").write_bytes(b"not a zip file")
    code, _, err = run(workdir / "garbage.keras")
    assert code != 0 and "not a loadable Keras model" in err
    assert not os.path.exists(out)


@pytest.mark.slow
def test_saved_model_cli(models, saved_models, workdir):
    model, _, inputs = models["row_lstm-grey"]
    folder = saved_models["row_lstm-grey"]
    np.save(workdir / "cli_images.npy", inputs["images_4"])
    np.save(workdir / "cli_noise.npy", inputs["noise_4"])
    np.save(workdir / "cli_bad.npy", np.full((1, 6, 5, 1), 3, np.uint8))
    cli = shutil.which("saved_model_cli")
    cli = cli or os.path.join(os.path.dirname(sys.executable), "saved_model_cli")
    for signature, arg in (("log_prob", "images=cli_images.npy"), ("sample", "noise=cli_noise.npy")):
        outdir = workdir / f"cli_{signature}"
        done = subprocess.run(
            [cli, "run", "--dir", folder, "--tag_set", "serve", "--signature_def", signature,
             "--inputs", arg, "--outdir", str(outdir)],
            capture_output=True, text=True, env=_env(), cwd=str(workdir), timeout=300,
        )
        assert done.returncode == 0, done.stderr[-2000:]
        if signature == "log_prob":
            want = log_prob(model, inputs["images_4"])
            np.testing.assert_allclose(np.load(outdir / "log_prob.npy"), want, atol=1e-4)
        else:
            want = generate(model, inputs["noise_4"])
            np.testing.assert_array_equal(np.load(outdir / "images.npy"), want)
    done = subprocess.run(
        [cli, "run", "--dir", folder, "--tag_set", "serve", "--signature_def", "log_prob",
         "--inputs", "images=cli_bad.npy"],
        capture_output=True, text=True, env=_env(), cwd=str(workdir), timeout=300,
    )
    assert done.returncode != 0 and "values must lie in [0, 1]" in done.stderr


@pytest.mark.skipif(
    shutil.which("tensorflow_model_server") is None, reason="tensorflow_model_server is not on PATH"
)
def test_tensorflow_model_server(models, saved_models, workdir):
    import socket
    import urllib.request

    model, _, inputs = models["row_lstm-rgb"]
    base = os.path.dirname(saved_models["row_lstm-rgb"])
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        ["tensorflow_model_server", f"--rest_api_port={port}", "--port=0", "--model_name=pixelrnn",
         f"--model_base_path={base}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )

    def predict(body):
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/v1/models/pixelrnn:predict", json.dumps(body).encode(),
            {"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status, json.loads(response.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read())

    def ready():
        """The model's status endpoint answers AVAILABLE (or the server has exited)."""
        if server.poll() is not None:
            return True
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models/pixelrnn",
                                        timeout=5) as response:
                return "AVAILABLE" in response.read().decode()
        except OSError:  # not listening yet, or the model not loaded yet (404)
            return False

    try:
        wait_for(ready, 120, "tensorflow_model_server serving the model")
        assert server.poll() is None, f"tensorflow_model_server exited ({server.returncode})"
        images, noise = inputs["images_4"], inputs["noise_4"]
        status, body = predict({"signature_name": "log_prob", "instances": images.tolist()})
        assert status == 200, body
        got = np.array([p["log_prob"] for p in body["predictions"]])
        np.testing.assert_allclose(got, log_prob(model, images), atol=1e-4)
        status, body = predict({"signature_name": "sample", "instances": noise.tolist()})
        assert status == 200, body
        np.testing.assert_array_equal(np.array(body["predictions"], np.uint8), generate(model, noise))
        too_big = np.full_like(images, 9).tolist()
        status, body = predict({"signature_name": "log_prob", "instances": too_big})
        assert status >= 400 and "values must lie" in body["error"]
        status, body = predict({"signature_name": "sample", "instances": np.ones_like(noise).tolist()})
        assert status >= 400 and "[0, 1)" in body["error"]
    finally:
        server.terminate()
        server.wait(30)
