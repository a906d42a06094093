import keras
from keras import ops


@keras.saving.register_keras_serializable(package="keras_pixelrnn")
class ColorLogits(keras.layers.Layer):
    """Splits `(B, H, W, C * levels)` logits into `(B, H, W, C, levels)`.

    The last masked convolution of a PixelRNN gives each colour a contiguous
    group of `levels` channels (R first); this view puts the colour on its own
    axis so that `logits[..., c, :]` is the categorical distribution of colour
    `c`, ready for `keras.losses.SparseCategoricalCrossentropy(from_logits=True)`
    against the image itself.

    It acts on each pixel alone (`pixelwise`), so the cached sampler runs
    it on one pixel at a time.

    Args:
        color_channels: number of colours `C`.
    """

    pixelwise = True

    def __init__(self, color_channels, **kwargs):
        super().__init__(**kwargs)
        self.color_channels = color_channels

    def call(self, inputs):
        shape = ops.shape(inputs)
        levels = inputs.shape[-1] // self.color_channels
        return ops.reshape(
            inputs, (shape[0], shape[1], shape[2], self.color_channels, levels)
        )

    def compute_output_shape(self, input_shape):
        levels = input_shape[-1] // self.color_channels
        return tuple(input_shape[:-1]) + (self.color_channels, levels)

    def get_config(self):
        config = super().get_config()
        config["color_channels"] = self.color_channels
        return config
