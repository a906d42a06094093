"""The web export (`keras_pixelrnn.serving.web`, `export web`, `serve-web`)
and its page in a real browser (headless Chromium through playwright).

The browser tests export the shipped `mnist` preset once for the module,
serve it on 127.0.0.1 on a free port, with the runtime copied from an
onnxruntime-web dist folder (`--runtime`), so nothing reaches the network.
They skip, saying what to install, only where Chromium, playwright or the
runtime are missing (`web_helpers.missing_for_browser`).
"""

import contextlib
import json
import os
import subprocess
import sys
import urllib.request

import keras
import pytest

from keras_pixelrnn import MultiScalePixelRNN, PixelRNN, cli, serving
from keras_pixelrnn.serving import web

from random_weights import randomize
from web_helpers import RUNTIME, Page, launch, missing_for_browser, serving as served



def _tiny(shape=(4, 4, 1), levels=2, **kwargs):
    keras.utils.set_random_seed(0)
    return randomize(PixelRNN("pixel_cnn", shape, 1, 6, levels=levels, **kwargs), 0)


# The runtime and its hashes -------------------------------------------------------------------


@pytest.mark.skipif(not os.path.isdir(RUNTIME), reason=f"no onnxruntime-web dist at {RUNTIME}")
def test_integrity_hashes_are_those_of_the_dist_folder():
    for name, integrity in web.RUNTIME_FILES.items():
        assert web.sri_hash(os.path.join(RUNTIME, name)) == integrity, name
    assert web.check_runtime(RUNTIME) == RUNTIME
    with open(os.path.join(RUNTIME, "..", "package.json"), encoding="utf-8") as f:
        assert json.load(f)["version"] == web.ORT_WEB_VERSION


def test_a_runtime_folder_without_the_wasm_file_is_named(tmp_path):
    for name in ("ort.wasm.min.js", "ort-wasm-simd-threaded.mjs"):
        (tmp_path / name).write_text("x")
    with pytest.raises(web.WebExportError, match="lacks ort-wasm-simd-threaded.wasm"):
        web.check_runtime(tmp_path)
    (tmp_path / "ort-wasm-simd-threaded.wasm").write_text("x")
    with pytest.raises(web.WebExportError, match="not the ort.wasm.min.js of onnxruntime-web 1.30.0"):
        web.check_runtime(tmp_path)
    with pytest.raises(web.WebExportError, match="not a folder"):
        web.check_runtime(tmp_path / "nope")


def test_the_cdn_page_pins_every_file_by_its_hash():
    html = web.page_files(local_runtime=False)["index.html"]
    script = web.ORT_WEB_CDN + "ort.wasm.min.js"
    assert f'src="{script}" integrity="{web.RUNTIME_FILES["ort.wasm.min.js"]}"' in html
    local = web.page_files(local_runtime=True)["index.html"]
    assert 'src="runtime/ort.wasm.min.js"' in local and "cdn." not in local


# Refusals: named errors, exit 2, nothing written -------------------------------------------------


def test_write_web_refuses_a_non_empty_folder(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "keep.txt").write_text("mine")
    with pytest.raises(FileExistsError, match="not empty"):
        serving.write_web(_tiny(), tmp_path / "site")
    assert os.listdir(tmp_path / "site") == ["keep.txt"]


def test_write_web_refuses_a_multi_scale_model(tmp_path):
    model = MultiScalePixelRNN(
        (4, 4, 1), levels=2, small=dict(architecture="row_lstm", num_layers=1, hidden_units=4),
        full=dict(architecture="pixel_cnn", num_layers=1, hidden_units=4),
    )
    with pytest.raises(web.WebExportError, match="MultiScalePixelRNN"):
        serving.write_web(model, tmp_path / "site")
    small = PixelRNN("pixel_cnn", (4, 4, 1), 1, 4, levels=2, small_image_shape=(2, 2, 1))
    with pytest.raises(web.WebExportError, match="conditioned on small_images"):
        serving.write_web(small, tmp_path / "site")
    assert os.listdir(tmp_path) == []


def test_a_failed_export_leaves_nothing_behind(tmp_path, monkeypatch):
    def fails_after_one(model, path, signature, implementation):
        with open(path, "wb") as f:
            f.write(b"half")
        raise serving.ConversionError("ONNX Runtime samples differ from Keras")

    monkeypatch.setattr(web, "write_onnx", fails_after_one)
    with pytest.raises(serving.ConversionError, match="differ from Keras"):
        serving.write_web(_tiny(), tmp_path / "site")
    assert os.listdir(tmp_path) == []
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "index.html").write_text("old site")
    with pytest.raises(serving.ConversionError):
        serving.write_web(_tiny(), tmp_path / "old", overwrite=True)
    assert sorted(os.listdir(tmp_path)) == ["old"]
    assert (tmp_path / "old" / "index.html").read_text() == "old site"


@pytest.mark.parametrize("case", ["non-empty out", "runtime without wasm", "multi-scale"])
def test_export_web_command_rejects_bad_input(tmp_path, capsys, case):
    out = tmp_path / "site"
    args = ["export", "web", "--preset", "mnist", "--out", str(out)]
    if case == "non-empty out":
        out.mkdir()
        (out / "index.html").write_text("old")
        match = "is not empty; pass --overwrite"
    elif case == "runtime without wasm":
        runtime = tmp_path / "dist"
        runtime.mkdir()
        (runtime / "ort.wasm.min.js").write_text("x")
        args += ["--runtime", str(runtime)]
        match = "lacks ort-wasm-simd-threaded.mjs"
    else:
        model = MultiScalePixelRNN(
            (4, 4, 1), levels=2, small=dict(architecture="pixel_cnn", num_layers=1, hidden_units=4),
            full=dict(architecture="pixel_cnn", num_layers=1, hidden_units=4),
        )
        model.save(tmp_path / "two.keras")
        args[2:4] = ["--model", str(tmp_path / "two.keras")]
        match = "MultiScalePixelRNN"
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and match in err, err
    if case == "non-empty out":
        assert os.listdir(out) == ["index.html"] and (out / "index.html").read_text() == "old"
    else:
        assert not out.exists()
    assert not [p for p in os.listdir(tmp_path) if p.startswith((".tmp-", ".old-"))]


# The server -------------------------------------------------------------------------------------


def test_web_server_sends_the_isolation_headers(tmp_path):
    (tmp_path / "index.html").write_text("<p>hi</p>")
    (tmp_path / "m.wasm").write_bytes(b"\0asm")
    with served(tmp_path) as url:
        with urllib.request.urlopen(url + "index.html") as response:
            assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
            assert response.headers["Cross-Origin-Embedder-Policy"] == "require-corp"
        with urllib.request.urlopen(url + "m.wasm") as response:
            assert response.headers["Content-Type"] == "application/wasm"
    with served(tmp_path, isolated=False) as url:
        with urllib.request.urlopen(url + "index.html") as response:
            assert "Cross-Origin-Opener-Policy" not in response.headers


@pytest.mark.slow
def test_serve_web_command_prints_its_random_port(tmp_path):
    (tmp_path / "index.html").write_text("<p>hi</p>")
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    process = subprocess.Popen(
        [sys.executable, "-m", "keras_pixelrnn.cli", "serve-web", str(tmp_path), "--port", "0"],
        stdout=subprocess.PIPE, text=True, env=env,
    )
    try:
        line = process.stdout.readline()  # the first line, printed once the port is bound
        assert line.startswith("serving ") and "http://127.0.0.1:" in line, line
        url = line.split()[3]
        with urllib.request.urlopen(url + "index.html") as response:
            assert response.read() == b"<p>hi</p>"
            assert response.headers["Cross-Origin-Embedder-Policy"] == "require-corp"
    finally:
        process.terminate()
        process.wait(timeout=60)


def test_serve_web_rejects_a_folder_without_a_site(tmp_path, capsys):
    assert cli.main(["serve-web", str(tmp_path), "--port", "0"]) == 2
    assert "has no index.html" in capsys.readouterr().err
    assert cli.main(["serve-web", str(tmp_path), "--port", "70000"]) == 2


# A tiny RGB model: the page's upload fallback ---------------------------------------------------


@pytest.mark.slow
def test_an_rgb_256_level_model_gets_an_upload_field(tmp_path):
    model = _tiny((3, 3, 3), levels=256)
    path = serving.write_web(model, tmp_path / "rgb")
    assert sorted(os.listdir(path)) == sorted(
        list(web.PAGE_FILES) + [f"{g}.onnx" for g in web.GRAPHS] + ["model.json"]
    )
    manifest = json.loads((tmp_path / "rgb" / "model.json").read_text())
    assert manifest["draw"] == "upload" and manifest["binarize_threshold"] is None
    assert manifest["image_shape"] == [3, 3, 3] and manifest["levels"] == 256
    assert manifest["runtime"]["base"] == web.ORT_WEB_CDN
    if missing_for_browser() is None:  # and the page runs it
        local = serving.write_web(model, tmp_path / "rgb_local", runtime=RUNTIME)
        with served(local) as url, _browser() as browser:
            page = Page(browser)
            tab = page.open(url)
            assert tab.locator("#upload").is_visible() and tab.locator("#pad").is_visible()
            tab.click("#sample-button")
            tab.wait_for_function("document.querySelectorAll('#sample-grid canvas').length === 8")
            assert page.console == [] and page.errors == []
            page.close()


@contextlib.contextmanager
def _browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()
