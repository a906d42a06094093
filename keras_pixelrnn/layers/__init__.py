"""The PixelRNN layers: causal masks, the masked convolution, the two LSTM layers and their cells.

Every layer here is causal from its first call and owns its one-pixel step
(`init_cache`, `call_with_cache`, `end_row`; see `cached_step`), which the
cached sampler of `keras_pixelrnn.generation` runs.
"""

from keras_pixelrnn.layers.color_logits import ColorLogits
from keras_pixelrnn.layers.diagonal_bilstm import DiagonalBiLSTM
from keras_pixelrnn.layers.diagonal_lstm_cell import DiagonalLSTMCell
from keras_pixelrnn.layers.masked_conv2d import MaskedConv2D
from keras_pixelrnn.layers.masks import causal_mask
from keras_pixelrnn.layers.row_lstm import RowLSTM
from keras_pixelrnn.layers.row_lstm_cell import RowLSTMCell
