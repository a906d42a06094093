"""A PixelRNN as a static web page: sample, complete and score in the browser.

`write_web(model, directory)` writes a folder that any static file server
can serve, with no framework and no build step:

    index.html, app.js, style.css   the page (package data, `web_page/`)
    sample.onnx                     noise -> images            (write_onnx, checked)
    complete.onnx                   images, keep_rows, noise -> completions
    log_prob.onnx                   images -> log_prob, bits_per_dim
    logits.onnx                     images -> logits (the surprise map)
    model.json                      image shape, levels, class labels, preset,
                                    model card figures, runtime
    runtime/                        onnxruntime-web's files, with `runtime=`

The page runs the graphs with ONNX Runtime Web (its WebAssembly backend).
With `runtime=` (an onnxruntime-web `dist` folder, e.g. after
`npm install onnxruntime-web@1.30.0`), the files it needs are copied into
`runtime/` and the site works offline; without it, the page loads that
pinned version from a public CDN, each file checked against its
Subresource Integrity hash (`RUNTIME_FILES`). Either way the bytes are those
of version `ORT_WEB_VERSION`: a copied file with another hash is an error.

The graphs are the ONNX exports of `keras_pixelrnn.serving.onnx_export`
(portable layers, each checked against Keras before it is written), so the
page's samples are those of `PixelRNN.sample` from the same noise, bit for
bit, and its likelihoods those of `PixelRNN.log_prob`.

The page needs WebAssembly and an HTTP server (not `file://`). Served with
the COOP/COEP headers (`keras-pixelrnn serve-web`, or `serve`), it is
cross-origin isolated and runs several threads; otherwise it falls back to
one.

What the page can draw with: a binary grey model (MNIST) gets a pen; any
other (RGB, or more levels) gets an "upload an image" field instead, scaled
to the model's size. A multi-scale model, or one conditioned on a small
image, is refused (`WebExportError`): the page has nothing to draw the
small image with.

    keras-pixelrnn export web --preset mnist --out site
    keras-pixelrnn serve-web site
"""

import base64
import hashlib
import json
import os
import shutil
from importlib import resources

from keras_pixelrnn.serving.onnx_export import write_onnx
from keras_pixelrnn.serving.signatures import image_spec, is_multi_scale
from keras_pixelrnn.utils.atomic_files import write_folder_atomically
from keras_pixelrnn.utils.image_checks import condition_specs

ORT_WEB_VERSION = "1.30.0"
ORT_WEB_CDN = f"https://cdn.jsdelivr.net/npm/onnxruntime-web@{ORT_WEB_VERSION}/dist/"

# The files of onnxruntime-web 1.30.0 that the page loads (its WebAssembly
# build: the script, the module it imports, the wasm binary) and their
# Subresource Integrity hashes, the bytes that the CDN serves for that version.
RUNTIME_FILES = {
    "ort.wasm.min.js": "sha384-Bw6URI+Gvoadw0do7/QrSHUC9D1vCYYK5OSqChFyhyV5mzPL4oe2rOAFljAnS8Sq",
    "ort-wasm-simd-threaded.mjs":
        "sha384-XcXA/MtAf0WpB8e023xQH9CM7RIjiugakT7x99DIwpFf7k56BIFFcAPerIF7FDad",
    "ort-wasm-simd-threaded.wasm":
        "sha384-vjBJ1z7qrhkTyYsNqKeF6c7N+nOJSU94czEo+tvZcu8G75JparGq9kB+kTnEUNVM",
}
PAGE_FILES = ("index.html", "app.js", "style.css")
GRAPHS = ("sample", "complete", "log_prob", "logits")
BINARIZE_THRESHOLD = 128  # as `load_images(..., binarize=True)`
CARD_FIGURES = (
    "description", "data", "binarization", "steps", "epochs", "validation_nats_per_image",
    "validation_nats_stderr", "validation_images", "check", "date", "package_version",
)


class WebExportError(ValueError):
    """A model or runtime folder that the web export cannot use."""


def sri_hash(path):
    """The Subresource Integrity value (`sha384-<base64>`) of a file."""
    digest = hashlib.sha384()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return "sha384-" + base64.b64encode(digest.digest()).decode("ascii")


def check_runtime(runtime):
    """`runtime`, an onnxruntime-web `dist` folder, if it holds every file
    of `RUNTIME_FILES` with its hash; `WebExportError` naming the first
    missing file, or else the first with other bytes, otherwise."""
    runtime = os.fspath(runtime)
    if not os.path.isdir(runtime):
        raise WebExportError(
            f"`runtime` must be an onnxruntime-web dist folder (npm install "
            f"onnxruntime-web@{ORT_WEB_VERSION}). Received: runtime={runtime!r}, not a folder"
        )
    for name in RUNTIME_FILES:
        path = os.path.join(runtime, name)
        if not os.path.isfile(path):
            raise WebExportError(
                f"the runtime folder {runtime!r} lacks {name}, a file of onnxruntime-web "
                f"{ORT_WEB_VERSION} that the page needs (npm install onnxruntime-web@{ORT_WEB_VERSION}"
                " and pass its node_modules/onnxruntime-web/dist)"
            )
    for name, integrity in RUNTIME_FILES.items():  # every file there first, then the bytes
        path = os.path.join(runtime, name)
        if sri_hash(path) != integrity:
            raise WebExportError(
                f"{path} is not the {name} of onnxruntime-web {ORT_WEB_VERSION} (its sha384 "
                "differs): the page is tested with that version only"
            )
    return runtime


def web_manifest(model, preset=None, local_runtime=False):
    """The page's `model.json`: what it needs to know about the model and
    the runtime (a dict, JSON-ready)."""
    from keras_pixelrnn.models import presets

    shape, levels = image_spec(model)
    num_classes = getattr(model, "num_classes", None)
    card = presets.model_card(preset) if preset is not None else None
    return {
        "format": 1,
        "preset": preset,
        "name": model.name,
        "architecture": getattr(model, "architecture", None),
        "image_shape": list(shape),
        "levels": levels,
        "num_classes": num_classes,
        "labels": [str(k) for k in range(num_classes)] if num_classes else None,
        "binarize_threshold": BINARIZE_THRESHOLD if levels == 2 and shape[-1] == 1 else None,
        "draw": "pen" if levels == 2 and shape[-1] == 1 else "upload",
        "graphs": {name: f"{name}.onnx" for name in GRAPHS},
        "card": {k: card[k] for k in CARD_FIGURES if k in card} if card else None,
        "runtime": {
            "version": ORT_WEB_VERSION,
            "base": "runtime/" if local_runtime else ORT_WEB_CDN,
            "integrity": dict(RUNTIME_FILES),
        },
    }


def check_web_model(model):
    """`WebExportError` for a model the page cannot run: multi-scale, a
    condition other than class labels, or no fixed image size."""
    if is_multi_scale(model):
        raise WebExportError(
            "the web export runs a single-stage PixelRNN; a MultiScalePixelRNN needs a "
            "small image drawn first, which the page does not do. Export its stages with "
            "`keras-pixelrnn export onnx` instead. Received: a MultiScalePixelRNN"
        )
    shape, _ = image_spec(model)
    if None in shape:
        raise WebExportError(
            f"the web export needs a fixed image size. Received: image_shape={shape}"
        )
    others = [spec.name for spec in condition_specs(model) if not spec.dtype.is_integer]
    if others:
        raise WebExportError(
            "the web page can pick a class label, not draw a small image. "
            f"Received: a model conditioned on {', '.join(others)}"
        )


def page_files(local_runtime):
    """The page's files, `{name: text}`: `index.html` loads the runtime's
    script from `runtime/` (`local_runtime`) or from the CDN, with its hash;
    `app.js` fetches the module and the wasm binary with theirs (from
    `model.json`) and hands them to the runtime."""
    page = resources.files("keras_pixelrnn.serving").joinpath("web_page")
    files = {name: page.joinpath(name).read_text(encoding="utf-8") for name in PAGE_FILES}
    files["index.html"] = _index_html(files["index.html"], local_runtime)
    return files


def _index_html(template, local):
    base = "runtime/" if local else ORT_WEB_CDN
    script = "ort.wasm.min.js"
    tag = (
        f'<script src="{base}{script}" integrity="{RUNTIME_FILES[script]}" '
        'crossorigin="anonymous" onerror="window.pixelrnnRuntimeFailed = true"></script>'
    )
    return template.replace("<!-- runtime -->", tag)


def _write_site(model, folder, runtime, preset):
    """Every file of the site into `folder` (which exists and is empty)."""
    for name, text in page_files(runtime is not None).items():
        with open(os.path.join(folder, name), "w", encoding="utf-8") as f:
            f.write(text)
    if runtime is not None:
        os.makedirs(os.path.join(folder, "runtime"))
        for name in RUNTIME_FILES:
            shutil.copyfile(os.path.join(runtime, name), os.path.join(folder, "runtime", name))
    for name in GRAPHS:
        write_onnx(model, os.path.join(folder, f"{name}.onnx"), name, implementation="portable")
    manifest = web_manifest(model, preset, local_runtime=runtime is not None)
    with open(os.path.join(folder, "model.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2)
        f.write("\n")


def write_web(model, directory, runtime=None, overwrite=False, preset=None):
    """Writes the static site of `model` into `directory` and returns its path.

    Everything is written into a temporary folder next to `directory` and
    renamed into place at the end, so `directory` never holds half a site.

    Args:
        model: a `PixelRNN` with a fixed image size, unconditional or
            class-conditional (the page gets a label picker).
        directory: the site's folder; it must be missing or empty, unless
            `overwrite`.
        runtime: an onnxruntime-web `dist` folder whose files the page
            needs are copied into the site (works offline); None (default):
            the page loads them from the CDN, checked by their hashes.
        overwrite: replace a non-empty `directory`.
        preset: the preset's name, for the page's title and its model
            card's figures (`PixelRNN.presets[preset]["card"]`).

    Raises:
        FileExistsError: `directory` is not empty and `overwrite` is False.
        WebExportError: a model the page cannot run (see
            `check_web_model`), or a `runtime` folder that lacks a file or
            holds another version.
        ConversionError: a graph failed its checks against Keras.
    """
    final = os.path.abspath(os.fspath(directory))
    if os.path.exists(final) and not os.path.isdir(final):
        raise FileExistsError(f"{final} exists and is not a folder")
    if os.path.isdir(final) and os.listdir(final) and not overwrite:
        raise FileExistsError(
            f"{final} is not empty. Pass --overwrite (overwrite=True) to replace it, "
            "or choose an empty folder."
        )
    check_web_model(model)
    if runtime is not None:
        runtime = check_runtime(runtime)
    return write_folder_atomically(final, lambda tmp: _write_site(model, tmp, runtime, preset))
