"""The package version, in one place: `keras_pixelrnn.__version__` imports it,
and `setup.py` reads it from this file as text (without importing TensorFlow)."""

__version__ = "0.3.0"
