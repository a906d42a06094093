"""PixelRNN (van den Oord et al., 2016) layers and models for Keras 3."""

from keras_pixelrnn.layers.diagonal_bilstm import DiagonalBiLSTM
from keras_pixelrnn.layers.diagonal_lstm_cell import DiagonalLSTMCell
from keras_pixelrnn.layers.masked_conv2d import MaskedConv2D
from keras_pixelrnn.layers.masks import causal_mask
from keras_pixelrnn.analysis.receptive_field import receptive_field
from keras_pixelrnn.layers.row_lstm import RowLSTM
from keras_pixelrnn.layers.row_lstm_cell import RowLSTMCell

__version__ = "0.1.0"

__all__ = [
    "DiagonalBiLSTM",
    "DiagonalLSTMCell",
    "MaskedConv2D",
    "RowLSTM",
    "RowLSTMCell",
    "causal_mask",
    "receptive_field",
]
