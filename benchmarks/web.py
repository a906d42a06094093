"""The web page (ONNX Runtime Web in headless Chromium) vs Python's ONNX Runtime.

    python benchmarks/web.py [--site DIR] [--runtime DIR] [--rounds 5]

Exports the `mnist` preset with `write_web` (or takes the site `--site`, an
export with `--runtime`), serves it on 127.0.0.1 twice, plain (the page
runs 1 thread) and with the COOP/COEP headers (cross-origin isolated, 2
threads), and times, in one run:

* `sample(4)` and `log_prob(8)`: the page's `window.pixelrnn` (timed in the
  page, `performance.now()`) against the same ONNX files in Python's ONNX
  Runtime with 1 intra-op thread, and their ratio (browser / Python);
* the time from the start of the page's navigation to the end of its first
  `sample(4)` (runtime and four graphs loaded, one sample drawn).

Warm figures are medians of `--rounds`, the contenders interleaved round by
round, so that load from other processes hits them alike. The inputs are
the same everywhere: seeded noise, 8 validation digits of mnist_5k.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.join(ROOT, "tests", "serving"))
sys.path.insert(0, os.path.join(ROOT, "tests"))

import numpy as np  # noqa: E402

from keras_pixelrnn import PixelRNN, data, serving  # noqa: E402
from web_helpers import RUNTIME, Page, launch, serving as served  # noqa: E402

SHAPE = (28, 28, 1)

TIMED = """async ([name, args]) => {
  const started = performance.now();
  await window.pixelrnn[name](...args);
  return (performance.now() - started) / 1000;
}"""
FIRST_SAMPLE = """async (noise) => {
  await window.pixelrnn.ready;
  await window.pixelrnn.sample(noise);
  return performance.now() / 1000;  // since the navigation started
}"""


def _python_sessions(site):
    import onnxruntime as ort

    options = serving.onnx_session_options(threads=1)
    return {
        name: ort.InferenceSession(os.path.join(site, f"{name}.onnx"), options,
                                   providers=["CPUExecutionProvider"])
        for name in ("sample", "log_prob")
    }


def _timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run(site, rounds):
    from playwright.sync_api import sync_playwright

    noise = np.random.default_rng(0).random((4,) + SHAPE, np.float32)
    digits = data.load_images("mnist_5k", split="validation[:8]", levels=2, binarize=True)
    jobs = {"sample(4)": ("sample", [noise.ravel().tolist()]),
            "log_prob(8)": ("logProb", [digits.ravel().tolist()])}
    sessions = _python_sessions(site)
    python = {"sample(4)": lambda: sessions["sample"].run(None, {"noise": noise}),
              "log_prob(8)": lambda: sessions["log_prob"].run(None, {"images": digits})}
    times = {key: {"python 1 thread": []} for key in jobs}
    first = {}
    with served(site, isolated=False) as plain, served(site) as isolated, \
            sync_playwright() as playwright:
        browser = launch(playwright)
        pages = {}
        for label, url in (("browser 1 thread", plain), ("browser 2 threads", isolated + "?threads=2")):
            pages[label] = Page(browser)
            tab = pages[label].page
            tab.goto(url)
            first[label] = tab.evaluate(FIRST_SAMPLE, noise.ravel().tolist())
            threads = tab.evaluate("window.pixelrnn.threads")
            assert threads == (1 if "1 thread" in label else 2), (label, threads)
            for key in jobs:
                times[key][label] = []
        for key in jobs:
            python[key]()  # warm
        for _ in range(rounds):
            for key, (name, args) in jobs.items():
                times[key]["python 1 thread"].append(_timed(python[key]))
                for label, opened in pages.items():
                    times[key][label].append(opened.page.evaluate(TIMED, [name, args]))
        browser.close()
    return times, first


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--site", help="an `export web --runtime` site (default: export mnist now)")
    parser.add_argument("--runtime", default=RUNTIME, help="onnxruntime-web's dist folder")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    site = args.site
    if site is None:
        site = os.path.join(tempfile.mkdtemp(prefix="web-bench-"), "site")
        print("exporting the mnist preset ...", flush=True)
        serving.write_web(PixelRNN.from_preset("mnist", load_weights=True), site,
                          runtime=args.runtime, preset="mnist")
    times, first = run(site, args.rounds)
    print(f"\nmedians of {args.rounds} rounds, seconds (ratio: browser / Python ONNX Runtime 1 thread)")
    for key, contenders in times.items():
        base = statistics.median(contenders["python 1 thread"])
        for label, values in contenders.items():
            median = statistics.median(values)
            print(f"  {key:12s} {label:18s} {median:7.3f} s   x{median / base:.2f}")
    for label, seconds in first.items():
        print(f"  page load to first sample(4), {label}: {seconds:.2f} s")


if __name__ == "__main__":
    main()
