"""The exported page of the shipped `mnist` preset in headless Chromium.

The site is exported once for the module (`--runtime` from an
onnxruntime-web dist folder: nothing reaches the network) and served on
127.0.0.1 on a free port. Each test calls the page's `window.pixelrnn`, the
functions its buttons call, or clicks and draws with the mouse, and
compares with Python: Keras and ONNX Runtime on the same graphs.
"""

import json
import os
import shutil

import numpy as np
import pytest

from keras_pixelrnn import PixelRNN, data
from keras_pixelrnn.serving import web

from web_helpers import (
    DIGIT, RUNTIME, Page, digit_images, flat, launch, onnx_session, page_test_marks,
    serving as served, write_site,
)

pytestmark = page_test_marks()
SHAPE = DIGIT


@pytest.fixture(scope="module")
def model():
    return PixelRNN.from_preset("mnist", load_weights=True)


@pytest.fixture(scope="module")
def site(model, tmp_path_factory):
    return write_site(model, "mnist", tmp_path_factory)


@pytest.fixture(scope="module")
def url(site):
    with served(site) as address:
        yield address


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = launch(playwright)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    opened = Page(browser)
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def digits():
    return data.load_images("mnist_5k", split="validation[:8]", levels=2, binarize=True)



def test_the_page_loads_without_an_error(page, url, site):
    tab = page.open(url)
    assert page.console == [] and page.errors == []
    assert tab.evaluate("self.crossOriginIsolated") is True
    assert tab.evaluate("window.pixelrnn.threads") >= 1
    assert tab.locator("#status").text_content() == "Ready."
    assert "mnist" in tab.locator("#model-name").text_content()
    assert tab.locator("#card-section").is_visible()
    assert tab.locator(".label-picker").first.is_hidden()  # unconditional
    manifest = json.loads(open(os.path.join(site, "model.json")).read())
    assert manifest["preset"] == "mnist" and manifest["image_shape"] == list(SHAPE)
    assert manifest["levels"] == 2 and manifest["labels"] is None
    assert manifest["card"]["validation_nats_per_image"] > 0


def test_log_prob_equals_python(page, url, site, model, digits):
    tab = page.open(url)
    got = tab.evaluate("p => window.pixelrnn.logProb(p)", flat(digits))
    scorer = onnx_session(site, "log_prob")
    (onnx, bits) = scorer.run(["log_prob", "bits_per_dim"], {"images": digits})
    np.testing.assert_allclose(got["log_prob"], onnx, atol=5e-4, rtol=0)
    np.testing.assert_allclose(got["log_prob"], model.log_prob(digits), atol=5e-4, rtol=0)
    np.testing.assert_allclose(got["bits_per_dim"], bits, atol=5e-4 / (784 * np.log(2)), rtol=0)


def test_seeded_noise_gives_the_samples_of_python(page, url, site, model):
    tab = page.open(url)
    noise = np.random.default_rng(0).random((4,) + SHAPE, np.float32)
    got = digit_images(tab.evaluate("n => window.pixelrnn.sample(n)", flat(noise)))
    (want,) = onnx_session(site, "sample").run(None, {"noise": noise})
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(got, model.sample(4, noise=noise))
    # The page's own seeded noise (its button's path) is uniform in [0, 1).
    page_noise = np.asarray(tab.evaluate("window.pixelrnn.noiseFromSeed(3, 3136)"), np.float32)
    assert page_noise.min() >= 0 and page_noise.max() < 1 and len(set(page_noise.tolist())) > 3000


def test_a_completion_keeps_the_rows_and_equals_python(page, url, site, model, digits):
    tab = page.open(url)
    images = digits[:4]
    noise = np.random.default_rng(5).random(images.shape, np.float32)
    got = digit_images(tab.evaluate(
        "([i, n]) => window.pixelrnn.complete(i, 14, n)", [flat(images), flat(noise)]
    ))
    np.testing.assert_array_equal(got[:, :14], images[:, :14])
    np.testing.assert_array_equal(got, model.complete(images, keep_rows=14, seed=5))
    rows = np.array([0, 7, 20, 28], np.int32)
    feed = {"images": images, "keep_rows": rows, "noise": noise}
    (want,) = onnx_session(site, "complete").run(None, feed)
    got = digit_images(tab.evaluate(
        "([i, r, n]) => window.pixelrnn.complete(i, r, n)",
        [flat(images), rows.tolist(), flat(noise)],
    ))
    np.testing.assert_array_equal(got, want)
    for image, keep, original in zip(got, rows, images):
        np.testing.assert_array_equal(image[:keep], original[:keep])


def _cell_centre(tab, row, col):
    box = tab.locator("#pad").bounding_box()
    return box["x"] + (col + 0.5) * box["width"] / 28, box["y"] + (row + 0.5) * box["height"] / 28


def _stroke(tab, row, first, last):
    tab.mouse.move(*_cell_centre(tab, row, first))
    tab.mouse.down()
    tab.mouse.move(*_cell_centre(tab, row, last), steps=12)
    tab.mouse.up()


def _pen_line(row, first, last):
    """The pen's mark of a stroke along `row`: a plus-shaped stamp per cell."""
    ink = np.zeros(SHAPE, np.uint8)
    for col in range(first, last + 1):
        for dr, dc in ((0, 0), (-1, 0), (1, 0), (0, -1), (0, 1)):
            ink[row + dr, col + dc] = 1
    return ink


def test_a_mouse_stroke_reaches_the_model_as_the_expected_pixels(page, url, model):
    tab = page.open(url)
    _stroke(tab, 10, 5, 20)
    tab.uncheck("#centre")
    tab.click("#surprise-button")
    tab.wait_for_function("window.pixelrnn.lastSurprise !== undefined")
    seen = tab.evaluate("window.pixelrnn.lastSurprise")
    expected = _pen_line(10, 5, 20)
    np.testing.assert_array_equal(digit_images(seen["pixels"])[0], expected)
    np.testing.assert_allclose(seen["nll"], -model.log_prob(expected[None]), atol=5e-4)
    assert "nats" in tab.locator("#nll").text_content()
    # The eraser takes the ink away again, and Clear all of it.
    tab.click("#eraser")
    _stroke(tab, 10, 5, 12)
    ink = digit_images(tab.evaluate("window.pixelrnn.drawnPixels(false)"))[0]
    assert ink[9:12, 4:14].sum() == 0 and ink[10, 15:21].all()
    tab.click("#clear")
    assert sum(tab.evaluate("window.pixelrnn.drawnPixels(false)")) == 0
    assert page.console == [] and page.errors == []


def _touch_stroke(tab, row, first, last, steps=12):
    """A one-finger stroke along `row`, as a touch screen sends it (Chrome's
    DevTools protocol: touchStart, touchMove..., touchEnd)."""
    session = tab.context.new_cdp_session(tab)
    (x0, y), (x1, _) = _cell_centre(tab, row, first), _cell_centre(tab, row, last)
    for k, kind in [(0, "touchStart")] + [(k, "touchMove") for k in range(1, steps + 1)]:
        x = x0 + (x1 - x0) * k / steps
        session.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [{"x": x, "y": y}]})
    session.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    session.detach()


def test_a_touch_stroke_on_a_phone_width_screen_draws_the_same_pixels(browser, url):
    phone = Page(browser, viewport={"width": 390, "height": 844}, has_touch=True, is_mobile=True)
    try:
        tab = phone.open(url)
        # The page fits the phone's width: nothing scrolls sideways, the pad is whole.
        assert tab.evaluate("document.documentElement.scrollWidth") <= 390
        box = tab.locator("#pad").bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390 and box["width"] >= 200
        tab.locator("#pad").scroll_into_view_if_needed()
        scrolled = tab.evaluate("window.scrollY")
        _touch_stroke(tab, 10, 5, 20)
        ink = digit_images(tab.evaluate("window.pixelrnn.drawnPixels(false)"))[0]
        np.testing.assert_array_equal(ink, _pen_line(10, 5, 20))
        assert tab.evaluate("window.scrollY") == scrolled  # the stroke drew, it did not scroll
        assert phone.console == [] and phone.errors == []
    finally:
        phone.close()


def test_the_surprise_map_sums_to_the_page_nll(page, url, digits):
    tab = page.open(url)
    for image in digits[:3]:
        scored = tab.evaluate("p => window.pixelrnn.surprise(p)", flat(image))
        assert len(scored["map"]) == 784 and min(scored["map"]) >= 0
        assert abs(sum(scored["map"]) - scored["nll"]) <= 5e-4
        assert abs(scored["bits_per_dim"] - scored["nll"] / (784 * np.log(2))) <= 1e-6


def test_centre_like_mnist_fits_the_ink_into_20_by_20_around_its_centre_of_mass(page, url):
    tab = page.open(url)
    ink = np.zeros((28, 28), np.uint8)
    ink[2:8, 1:4] = 255  # a small blob in the top-left corner
    out = np.asarray(tab.evaluate("i => window.pixelrnn.centred(i)", flat(ink))).reshape(28, 28)
    rows, cols = np.nonzero(out > 0)
    assert rows.max() - rows.min() + 1 == 20  # the taller side fills the box
    mass = out.sum()
    centre = ((out.sum(1) * (np.arange(28) + 0.5)).sum() / mass,
              (out.sum(0) * (np.arange(28) + 0.5)).sum() / mass)
    assert abs(centre[0] - 14) <= 0.5 and abs(centre[1] - 14) <= 0.5


def test_a_missing_model_file_is_a_visible_error(page, url):
    page.page.route("**/logits.onnx", lambda route: route.fulfill(status=404, body="gone"))
    tab = page.open(url, ready=False)
    error = tab.locator("#error")
    error.wait_for(state="visible", timeout=120_000)
    assert "model file missing: logits.onnx (HTTP 404)" in error.text_content()


def test_a_browser_without_webassembly_is_told_so(page, url):
    page.page.add_init_script("delete window.WebAssembly")
    tab = page.open(url, ready=False)
    error = tab.locator("#error")
    error.wait_for(state="visible", timeout=120_000)
    assert "no WebAssembly" in error.text_content()


def test_without_isolation_the_page_runs_one_thread(browser, site, model):
    with served(site, isolated=False) as plain:
        opened = Page(browser)
        try:
            tab = opened.open(plain)
            assert tab.evaluate("[self.crossOriginIsolated, window.pixelrnn.threads]") == [False, 1]
            noise = np.random.default_rng(1).random((2,) + SHAPE, np.float32)
            got = digit_images(tab.evaluate("n => window.pixelrnn.sample(n)", flat(noise)))
            np.testing.assert_array_equal(got, model.sample(2, noise=noise))
            assert "1 thread" in tab.locator("#runtime-note").text_content()
            assert opened.console == [] and opened.errors == []
        finally:
            opened.close()


def _cdn_site(site, folder):
    """The site as the export writes it without `runtime`: the page loads
    onnxruntime-web from the CDN."""
    shutil.copytree(site, folder, ignore=shutil.ignore_patterns("runtime"))
    with open(os.path.join(folder, "index.html"), "w", encoding="utf-8") as f:
        f.write(web.page_files(local_runtime=False)["index.html"])
    manifest = json.loads(open(os.path.join(folder, "model.json")).read())
    manifest["runtime"]["base"] = web.ORT_WEB_CDN
    with open(os.path.join(folder, "model.json"), "w", encoding="utf-8") as f:
        json.dump(manifest, f)
    return folder


def _cdn_route(tampered=None):
    """Answers the CDN's URLs from the dist folder (as the CDN would, with
    CORS), one file's bytes changed if asked: the network is never used."""

    def answer(route):
        name = route.request.url.rsplit("/", 1)[-1]
        with open(os.path.join(RUNTIME, name), "rb") as f:
            body = f.read()
        if name == tampered:
            body = body[:-1] + bytes([body[-1] ^ 1])
        kind = "application/wasm" if name.endswith(".wasm") else "text/javascript"
        route.fulfill(status=200, body=body, headers={
            "Content-Type": kind, "Access-Control-Allow-Origin": "*",
            "Cross-Origin-Resource-Policy": "cross-origin",
        })

    return answer


@pytest.mark.parametrize("tampered", [None, *web.RUNTIME_FILES])
def test_the_cdn_runtime_is_checked_by_its_hashes(browser, site, tmp_path, tampered):
    folder = _cdn_site(site, str(tmp_path / "cdn"))
    with served(folder) as address:
        opened = Page(browser)
        try:
            opened.context.route(web.ORT_WEB_CDN + "*", _cdn_route(tampered))
            if tampered is None:
                tab = opened.open(address)
                assert tab.evaluate("window.pixelrnn.threads") >= 1
                return
            tab = opened.open(address, ready=False)
            error = tab.locator("#error")
            error.wait_for(state="visible", timeout=120_000)
            assert "ONNX Runtime Web" in error.text_content() and "failed to load" in error.text_content()
        finally:
            opened.close()


def test_screenshot_of_the_demo(browser, url, digits, tmp_path):
    """A full-page picture of samples, a drawn digit's completions and its
    surprise map, written to tmp_path so that a test run leaves the checkout
    unchanged. docs/web_demo.png is this picture: to redraw it, run this test
    with `-p no:xdist --basetemp=/tmp/shots` and copy
    /tmp/shots/test_screenshot_of_the_demo0/web_demo.png into docs/."""
    opened = Page(browser, viewport={"width": 1000, "height": 1100})
    try:
        tab = opened.open(url)
        tab.evaluate("i => window.pixelrnn.setInk(i)", flat(digits[3] * 255))
        tab.click("#sample-button")
        tab.wait_for_function("document.querySelectorAll('#sample-grid canvas').length === 8")
        tab.click("#complete-button")
        tab.wait_for_function("document.querySelectorAll('#completions canvas').length === 4")
        tab.click("#surprise-button")
        tab.wait_for_function("document.getElementById('nll').textContent.includes('nats')")
        path = str(tmp_path / "web_demo.png")
        tab.screenshot(path=path, full_page=True)
        assert os.path.getsize(path) > 10_000
        assert opened.console == [] and opened.errors == []
    finally:
        opened.close()
