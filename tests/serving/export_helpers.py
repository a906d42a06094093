"""What the export tests share: tiny models with random weights saved as
.keras files, ONE fresh Python process (without this package) that loads and
calls their SavedModels, ONNX Runtime sessions converted once, and the
export/ scripts run in this process. (The `workdir` and `saved_models`
fixtures are in conftest.py.)

Importable as `export_helpers` from the test files next to it: pytest puts
their folder on sys.path.
"""

import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from keras_pixelrnn import serving
from random_weights import randomize

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

# signature -> its sorted output names, conditional model or not.
SIGNATURE_OUTPUTS = {
    "log_prob": ["bits_per_dim", "log_prob"],
    "serving_default": ["bits_per_dim", "log_prob"],
    "logits": ["logits"],
    "sample": ["images"],
    "complete": ["completions"],
}


def randomized_models(workdir, cases, build, inputs):
    """name -> (model, .keras path, inputs) for `cases` (name -> case): the
    n-th model is `build(*case)` after `keras.utils.set_random_seed(n)`, its
    weights `randomize(model, n)`, saved as `workdir/<name>.keras`; its inputs
    `inputs(name, model, 100 + n)`."""
    out = {}
    for n, (name, case) in enumerate(cases.items()):
        keras.utils.set_random_seed(n)
        model = randomize(build(*case), n)
        path = str(workdir / f"{name}.keras")
        model.save(path)
        out[name] = (model, path, inputs(name, model, 100 + n))
    return out


# Each feed `{input name: array}` goes to the signatures that take it: one
# with `keep_rows` to `complete`, one with `noise` to `sample`, any other to `log_prob`, `logits` and
# `serving_default` (those of them the SavedModel has).
FRESH = textwrap.dedent(
    """
    import json, sys
    import numpy as np
    import tensorflow as tf

    jobs = json.loads(sys.argv[1])
    report = {}
    for name, (folder, inputs, out) in jobs.items():
        loaded = tf.saved_model.load(folder)
        feeds = {}
        for key, value in np.load(inputs).items():  # "<feed>/<input name>"
            feed, input_name = key.split("/")
            feeds.setdefault(feed, {})[input_name] = tf.constant(value)
        results = {}
        for feed, kwargs in feeds.items():
            kind = (
                ("complete",) if "keep_rows" in kwargs
                else ("sample",) if "noise" in kwargs
                else ("log_prob", "logits", "serving_default")
            )
            for signature in kind:
                if signature not in loaded.signatures:
                    continue
                for output, value in loaded.signatures[signature](**kwargs).items():
                    results[f"{signature}/{output}/{feed}"] = value.numpy()
        np.savez(out, **results)
        report[name] = {
            "signatures": sorted(loaded.signatures),
            "inputs": {
                s: {k: [v.dtype.name, v.shape.as_list()]
                    for k, v in loaded.signatures[s].structured_input_signature[1].items()}
                for s in loaded.signatures
            },
            "outputs": {
                s: sorted(loaded.signatures[s].structured_outputs) for s in loaded.signatures
            },
        }
    report["modules"] = sorted(m for m in sys.modules if m.startswith("keras_pixelrnn"))
    print(json.dumps(report))
    """
)


def fresh_process(saved_models, feeds, workdir):
    """All SavedModels (name -> folder) loaded and called in ONE new process
    without keras_pixelrnn, on `feeds` (name -> {feed: {input name: array}}).

    Returns (report, outputs): report[name] holds the sorted signature names,
    their inputs (name -> [dtype, shape]) and sorted output names,
    report["modules"] the keras_pixelrnn modules that process imported;
    outputs[name]["<signature>/<output>/<feed>"] the arrays.
    """
    jobs = {}
    for name, folder in saved_models.items():
        path = str(workdir / f"{name}-inputs.npz")
        arrays = {
            f"{feed}/{k}": v for feed, inputs in feeds[name].items() for k, v in inputs.items()
        }
        np.savez(path, **arrays)
        jobs[name] = (folder, path, str(workdir / f"{name}-fresh.npz"))
    script = workdir / "fresh.py"
    script.write_text(FRESH)
    done = subprocess.run(
        [sys.executable, str(script), json.dumps(jobs)], capture_output=True, text=True,
        env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"), cwd=str(workdir), timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    outputs = {name: dict(np.load(jobs[name][2])) for name in saved_models}
    return report, outputs


def onnx_sessions(models):
    """(name, signature) -> (ONNX Runtime session, ModelProto) of
    `models[name][0]`, each converted once."""
    import onnxruntime as ort

    cache = {}

    def get(name, signature):
        if (name, signature) not in cache:
            model = models[name][0]
            function = serving.serving_functions(model, checks=False, executor=None)[signature]
            proto = serving.convert_to_onnx(function)
            session = ort.InferenceSession(
                proto.SerializeToString(), serving.onnx_session_options(),
                providers=["CPUExecutionProvider"],
            )
            cache[name, signature] = session, proto
        return cache[name, signature]

    return get


def run_onnx(session, feed):
    """{output name: array} of one ONNX Runtime run on `feed` (input name -> array)."""
    return dict(zip([o.name for o in session.get_outputs()], session.run(None, feed)))


def run_script(script, args, monkeypatch, capsys):
    """Runs an export/ script in this process (no TensorFlow start-up):
    (exit code, stdout, stderr)."""
    import runpy

    monkeypatch.setattr(sys, "argv", [script] + args)
    monkeypatch.setattr(sys, "path", list(sys.path))
    with pytest.raises(SystemExit) as exit_:
        runpy.run_path(os.path.join(ROOT, script), run_name="__main__")
    out, err = capsys.readouterr()
    return exit_.value.code, out, err
