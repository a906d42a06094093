"""The exported page of the shipped `mnist_conditional` preset in headless Chromium.

A conditional model's page shows a label picker beside the sample and the
draw buttons. These tests check that the picker offers the model's classes,
that the label reaches every graph (the browser's numbers equal Keras's and
ONNX Runtime's for the same labels), and that the label picked on the page
is the one its buttons use. The site is exported once for the module, with
the runtime copied from a local dist folder, and served on 127.0.0.1.
"""

import numpy as np
import pytest

from keras_pixelrnn import PixelRNN, data

from web_helpers import (
    DIGIT, Page, digit_images, flat, launch, onnx_session, page_test_marks, serving as served,
    write_site,
)

pytestmark = page_test_marks()
SHAPE = DIGIT


@pytest.fixture(scope="module")
def model():
    return PixelRNN.from_preset("mnist_conditional", load_weights=True)


@pytest.fixture(scope="module")
def site(model, tmp_path_factory):
    return write_site(model, "mnist_conditional", tmp_path_factory)


@pytest.fixture(scope="module")
def tab(site):
    """One page for the module: each test only reads from it or sets its
    own controls before it clicks."""
    from playwright.sync_api import sync_playwright

    with served(site) as url, sync_playwright() as playwright:
        chromium = launch(playwright)
        opened = Page(chromium)
        try:
            yield opened.open(url), opened
        finally:
            opened.close()
            chromium.close()


@pytest.fixture(scope="module")
def digits():
    images, labels = data.load_images(
        "mnist_5k", split="validation[:4]", levels=2, binarize=True, with_labels=True
    )
    return images, np.asarray(labels, np.int32)



def _shown(page, container):
    """The binary images that the canvases in `container` show (ink is dark)."""
    reds = page.evaluate(
        """id => Array.from(document.querySelectorAll(`#${id} canvas`), (c) =>
            Array.from(c.getContext("2d").getImageData(0, 0, c.width, c.height).data)
                 .filter((_, k) => k % 4 === 0))""",
        container,
    )
    return digit_images([[1 if red < 128 else 0 for red in image] for image in reds])


def test_the_label_picker_offers_the_model_classes(tab, site):
    page, opened = tab
    assert opened.console == [] and opened.errors == []
    manifest = page.evaluate("window.pixelrnn.manifest")
    assert manifest["num_classes"] == 10 and manifest["labels"] == [str(k) for k in range(10)]
    pickers = page.locator(".label-picker")
    assert pickers.count() == 2 and all(pickers.nth(k).is_visible() for k in range(2))
    for k in range(2):
        options = page.locator(".label-select").nth(k).locator("option").all_text_contents()
        assert options == manifest["labels"]


def test_labels_reach_every_graph_as_in_python(tab, site, model, digits):
    page, _ = tab
    images, labels = digits

    def browser(call, *args):
        return page.evaluate(f"([a, b, c]) => window.pixelrnn.{call}", [*args, None, None][:3])

    # log_prob: the browser equals Keras for the true labels, and the label matters.
    wrong = (labels + 1) % 10
    scores = {}
    for name, given in (("true", labels), ("wrong", wrong)):
        scores[name] = browser("logProb(a, b)", flat(images), given.tolist())["log_prob"]
        want = model.log_prob(images, labels=given)
        np.testing.assert_allclose(scores[name], want, atol=5e-4, rtol=0)
    assert np.mean(scores["true"]) > np.mean(scores["wrong"])
    # sample: seeded noise and per-image labels give ONNX Runtime's and Keras's images.
    noise = np.random.default_rng(0).random((4,) + SHAPE, np.float32)
    asked = np.array([7, 7, 3, 0], np.int32)
    sampled = digit_images(browser("sample(a, b)", flat(noise), asked.tolist()))
    (want,) = onnx_session(site, "sample").run(None, {"noise": noise, "labels": asked})
    np.testing.assert_array_equal(sampled, want)
    np.testing.assert_array_equal(sampled, model.sample(4, noise=noise, labels=asked))
    # complete: the known rows stay, the rest is Keras's completion for the label.
    completed = digit_images(
        browser("complete(a, 14, b, c)", flat(images), flat(noise), labels.tolist())
    )
    np.testing.assert_array_equal(completed[:, :14], images[:, :14])
    want = model.complete(images, keep_rows=14, seed=0, labels=labels)
    np.testing.assert_array_equal(completed, want)


def test_the_picked_label_is_the_one_the_buttons_use(tab, model, digits):
    page, opened = tab
    # Sample: 8 digits of seed 2 with the label 4 picked.
    page.select_option("#sample-count", "8")
    page.fill("#seed", "2")
    page.locator("#sample-section .label-select").select_option("4")
    page.click("#sample-button")
    page.wait_for_function("document.querySelectorAll('#sample-grid canvas').length === 8")
    noise = np.asarray(page.evaluate("window.pixelrnn.noiseFromSeed(2, 8 * 784)"), np.float32)
    want = model.sample(8, noise=noise.reshape((8,) + SHAPE), labels=4)
    np.testing.assert_array_equal(_shown(page, "sample-grid"), want)
    # The surprise map of a drawn digit is scored with the label picked beside the pad.
    images, labels = digits
    page.evaluate("i => window.pixelrnn.setInk(i)", flat(images[0] * 255))
    page.uncheck("#centre")
    for label in (int(labels[0]), (int(labels[0]) + 5) % 10):
        page.locator("#draw-section .label-select").select_option(str(label))
        page.click("#surprise-button")
        page.wait_for_function("n => window.pixelrnn.lastSurprise?.label === n", arg=label)
        seen = page.evaluate("window.pixelrnn.lastSurprise")
        assert f"label {label}" in page.locator("#nll").text_content()
        np.testing.assert_array_equal(digit_images(seen["pixels"])[0], images[0])
        want = -model.log_prob(images[:1], labels=[label])
        np.testing.assert_allclose(seen["nll"], want, atol=5e-4)
    assert opened.console == [] and opened.errors == []
