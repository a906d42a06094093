"""PixelRNN (van den Oord et al., 2016) layers and models for Keras 3.

    from keras_pixelrnn import PixelRNN, MaskedConv2D, RowLSTM, DiagonalBiLSTM

Importing the package registers every class that a saved PixelRNN holds
(layers, `ColorLogits`, `OneHotLabels`, `PixelRNN`, `MultiScalePixelRNN`
and its `Subsample` and `GridGiven`, the loss and the metrics), so
`keras.saving.load_model(path)` needs no `custom_objects`.
"""

import os as _os

try:
    import tensorflow as _tf  # noqa: F401
except ImportError as _error:
    raise ImportError(
        "keras_pixelrnn needs TensorFlow, which is not installed. Install the package with "
        'its CPU or GPU build: pip install "keras-pixelrnn[cpu]" (or "keras-pixelrnn[gpu]").'
    ) from _error


def _wrong_backend(backend):
    return ImportError(
        "keras_pixelrnn needs the TensorFlow backend of Keras (its layers run tf.while_loop "
        f"recurrences); the backend is {backend!r}. Set KERAS_BACKEND=tensorflow, or "
        '"backend": "tensorflow" in ~/.keras/keras.json.'
    )


# Checked before Keras is imported: importing Keras with another backend may
# fail on that backend's own missing package first.
if _os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
    raise _wrong_backend(_os.environ["KERAS_BACKEND"])

import keras as _keras  # noqa: E402

if _keras.backend.backend() != "tensorflow":
    raise _wrong_backend(_keras.backend.backend())

from keras_pixelrnn.analysis.receptive_field import receptive_field  # noqa: E402
from keras_pixelrnn.layers.color_logits import ColorLogits  # noqa: E402
from keras_pixelrnn.layers.conditioning import OneHotLabels  # noqa: E402
from keras_pixelrnn.layers.diagonal_bilstm import DiagonalBiLSTM  # noqa: E402
from keras_pixelrnn.layers.diagonal_lstm_cell import DiagonalLSTMCell  # noqa: E402
from keras_pixelrnn.layers.masked_conv2d import MaskedConv2D  # noqa: E402
from keras_pixelrnn.layers.masks import causal_mask  # noqa: E402
from keras_pixelrnn.layers.row_lstm import RowLSTM  # noqa: E402
from keras_pixelrnn.layers.row_lstm_cell import RowLSTMCell  # noqa: E402
from keras_pixelrnn.models.likelihood import (  # noqa: E402
    BitsPerDim,
    NatsPerImage,
    PixelRNNLoss,
    log_prob,
)
from keras_pixelrnn.models.multi_scale import MultiScalePixelRNN  # noqa: E402
from keras_pixelrnn.models.pixel_rnn import PixelRNN  # noqa: E402
from keras_pixelrnn.version import __version__  # noqa: E402

__all__ = [
    "BitsPerDim",
    "ColorLogits",
    "DiagonalBiLSTM",
    "DiagonalLSTMCell",
    "MaskedConv2D",
    "MultiScalePixelRNN",
    "NatsPerImage",
    "OneHotLabels",
    "PixelRNN",
    "PixelRNNLoss",
    "RowLSTM",
    "RowLSTMCell",
    "causal_mask",
    "log_prob",
    "receptive_field",
]
