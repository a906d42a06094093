"""What the web export's tests share: where Chromium and onnxruntime-web
are, why a browser test skips, a site served on 127.0.0.1 in a thread, and
a page that records its console errors.

The browser tests run Debian's `chromium` through Python's `playwright`
(`executable_path`; `playwright install` is not needed) and the runtime of
`npm install onnxruntime-web@1.30.0` (`.ci/run` installs both).
"""

import contextlib
import os
import shutil
import threading
import urllib.request

import pytest

from keras_pixelrnn.serving.web_server import web_server
from waiting import wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RUNTIME = os.environ.get(
    "KERAS_PIXELRNN_ORT_WEB", os.path.join(ROOT, ".web", "node_modules", "onnxruntime-web", "dist")
)
DIGIT = (28, 28, 1)  # the shape of the mnist presets' images
CHROMIUM = os.environ.get("KERAS_PIXELRNN_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


def browser_tests(missing):
    """The mark of the browser tests: skip, saying what to install, where
    something is `missing`; where `KERAS_PIXELRNN_BROWSER_TESTS=required`
    (CI, `.ci/run`), fail instead."""
    import pytest

    if missing and os.environ.get("KERAS_PIXELRNN_BROWSER_TESTS") == "required":
        pytest.fail(f"the browser tests are required here but need: {missing}", pytrace=False)
    return pytest.mark.skipif(missing is not None, reason=f"the browser tests need: {missing}")


def page_test_marks():
    """The marks of a module of page tests: slow, and the browser tests' skip."""
    return [pytest.mark.slow, browser_tests(missing_for_browser())]


def write_site(model, preset, tmp_path_factory):
    """The web export of the shipped `preset` (its `model`), with the local
    runtime: nothing reaches the network."""
    from keras_pixelrnn import serving as exports

    folder = tmp_path_factory.mktemp("web") / "site"
    return exports.write_web(model, folder, runtime=RUNTIME, preset=preset)


def digit_images(values):
    """The page's flat pixel values as uint8 digits `(N, 28, 28, 1)`."""
    import numpy as np

    return np.asarray(values, np.uint8).reshape((-1,) + DIGIT)


def missing_for_browser():
    """Why the browser tests cannot run here (what to install), or None."""
    missing = []
    if not os.path.isfile(CHROMIUM):
        missing.append("Chromium (apt-get install chromium, or set KERAS_PIXELRNN_CHROMIUM)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("playwright (pip install playwright; no `playwright install` needed)")
    if not os.path.isfile(os.path.join(RUNTIME, "ort.wasm.min.js")):
        missing.append(
            "onnxruntime-web (npm install --prefix .web onnxruntime-web@1.30.0, or set "
            f"KERAS_PIXELRNN_ORT_WEB to its dist folder; looked in {RUNTIME})"
        )
    return "; ".join(missing) or None


@contextlib.contextmanager
def serving(folder, isolated=True):
    """Serves `folder` on 127.0.0.1 on a free port in a thread; yields its
    URL once the port answers."""
    server = web_server(folder, 0, isolated=isolated)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        wait_for(lambda: _answers(url), within=30, what=f"the server at {url}")
        yield url
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _answers(url):
    try:
        with urllib.request.urlopen(url + "model.json", timeout=5) as response:
            return response.status in (200, 404)
    except urllib.error.HTTPError:
        return True
    except OSError:
        return False


def onnx_session(site, name):
    """Python's ONNX Runtime (one thread) on the site's graph `name`."""
    import onnxruntime as ort

    from keras_pixelrnn import serving as exports

    return ort.InferenceSession(
        os.path.join(site, f"{name}.onnx"), exports.onnx_session_options(threads=1),
        providers=["CPUExecutionProvider"],
    )


def flat(array):
    """An array as the flat list that the page's functions take."""
    import numpy as np

    return np.asarray(array).ravel().tolist()


def launch(playwright):
    """Headless Chromium; SharedArrayBuffer needs no flag in an isolated page."""
    return playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])


class Page:
    """A playwright page and the errors it logged: `console` (console
    errors) and `errors` (uncaught page errors). `options` go to
    `browser.new_context` (for example `has_touch=True`)."""

    def __init__(self, browser, viewport=None, **options):
        self.context = browser.new_context(
            viewport=viewport or {"width": 1100, "height": 1500}, **options
        )
        self.page = self.context.new_page()
        self.console, self.errors = [], []
        self.page.on("console", lambda m: m.type == "error" and self.console.append(m.text))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, url, ready=True):
        """Goes to `url`; with `ready`, waits for `pixelrnn.ready` (or for a
        visible error, which fails the wait with its text)."""
        self.page.goto(url)
        if ready:
            self.page.wait_for_function(
                "document.body.dataset.ready === 'true' || !document.getElementById('error').hidden",
                timeout=180_000,
            )
            error = self.page.locator("#error")
            assert error.is_hidden(), error.text_content()
        return self.page

    def close(self):
        self.context.close()
