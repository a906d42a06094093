"""Drawing images from a PixelRNN: naive and cached sampling, completion."""

from keras_pixelrnn.generation.sampling import complete, generate, sample
