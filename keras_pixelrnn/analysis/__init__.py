"""Looking inside a PixelRNN: which inputs each output sees."""

from keras_pixelrnn.analysis.receptive_field import receptive_field
