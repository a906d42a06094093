import keras
from keras import ops

from keras_pixelrnn import checks
from keras_pixelrnn.masks import causal_mask


@keras.saving.register_keras_serializable(package="keras_pixelrnn")
class MaskedConv2D(keras.layers.Conv2D):
    """2D convolution that never looks at the future (PixelCNN/PixelRNN masks).

    A `keras.layers.Conv2D` whose kernel is multiplied by a fixed 0/1 mask in
    every forward pass, so the layer is causal from its first call, before any
    training, and its weights are exactly those of a plain `Conv2D` (the mask
    is re-derived from the config, never stored or assigned).

    The output at pixel `(i, j)` sees input pixels above row `i` and to the
    left of `(i, j)` on row `i`, all colours; at `(i, j)` itself, output
    colour group `g` sees input groups `< g` (mask `"A"`, the first layer,
    which must not see the value it predicts) or `<= g` (mask `"B"`, every
    later layer). Channels form `color_channels` contiguous groups: with
    three colours the first third of the channels is R, then G, then B.

    Reference: van den Oord et al., "Pixel Recurrent Neural Networks",
    ICML 2016, section 3.4.

    Args:
        filters: int, number of output channels; divisible by
            `color_channels`.
        kernel_size: int or tuple of 2 odd ints, e.g. `7`, `(1, 3)`, `1`.
        mask_type: `"A"` or `"B"`. Defaults to `"B"`.
        color_channels: number of colour groups (1 for grey or binary
            images, 3 for RGB). Defaults to 1.
        padding: `"same"` (default and only value) keeps the image size and
            each output on its own pixel.
        **kwargs: any other `keras.layers.Conv2D` argument (`use_bias`,
            `kernel_initializer`, `activation`, ...). `strides` and
            `dilation_rate` must stay 1 and `data_format` channels-last.

    Input shape:
        `(batch, height, width, channels)`, channels divisible by
        `color_channels`.

    Output shape:
        `(batch, height, width, filters)`.

    Example:

    >>> layer = MaskedConv2D(6, 3, mask_type="A", color_channels=3)
    >>> layer(np.zeros((2, 8, 8, 3))).shape
    TensorShape([2, 8, 8, 6])
    """

    def __init__(
        self,
        filters,
        kernel_size,
        mask_type="B",
        color_channels=1,
        padding="same",
        **kwargs,
    ):
        for name in ("strides", "dilation_rate"):
            value = kwargs.get(name, 1)
            if value not in (1, (1, 1), [1, 1]):
                raise ValueError(
                    f"MaskedConv2D supports `{name}`=1 only, since a masked "
                    f"output must sit on its own pixel. Received: {name}={value!r}"
                )
        if not isinstance(padding, str) or padding.lower() != "same":
            raise ValueError(
                "MaskedConv2D supports `padding`='same' only: 'valid' would move "
                "output pixel (i, j) onto input pixel (i + kh//2, j + kw//2), a "
                f"later one. Received: padding={padding!r}"
            )
        if kwargs.get("data_format", "channels_last") != "channels_last":
            raise ValueError(
                "MaskedConv2D supports `data_format`='channels_last' only. "
                f"Received: data_format={kwargs['data_format']!r}"
            )
        if kwargs.get("groups", 1) != 1:
            raise ValueError(
                "MaskedConv2D does not support grouped convolution. "
                f"Received: groups={kwargs['groups']!r}"
            )
        checks.positive_int("color_channels", color_channels)
        checks.divisible("filters", checks.positive_int("filters", filters), color_channels)
        sizes = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
        try:
            sizes = tuple(int(s) for s in sizes)
        except (TypeError, ValueError):
            sizes = ()
        if len(sizes) != 2 or any(s < 1 or s % 2 == 0 for s in sizes):
            raise ValueError(
                "`kernel_size` must be an odd positive int or a tuple of 2 odd "
                f"positive ints. Received: kernel_size={kernel_size!r}"
            )
        checks.mask_type(mask_type)
        checks.mask_sees_something(mask_type, sizes, color_channels)
        super().__init__(filters, sizes, padding=padding, **kwargs)
        self.mask_type = mask_type
        self.color_channels = color_channels

    def build(self, input_shape):
        in_channels = checks.image_shape(
            self.__class__.__name__, input_shape, self.color_channels
        )
        self._mask = causal_mask(
            self.kernel_size,
            in_channels,
            self.filters,
            self.mask_type,
            self.color_channels,
        )
        super().build(input_shape)

    @property
    def mask(self):
        """The 0/1 NumPy mask, shape `(kh, kw, in_channels, filters)`."""
        return self._mask

    def convolution_op(self, inputs, kernel):
        kernel = kernel * ops.cast(self._mask, kernel.dtype)
        return super().convolution_op(inputs, kernel)

    def get_config(self):
        config = super().get_config()
        for name in ("strides", "dilation_rate", "groups", "data_format"):
            config.pop(name, None)
        config.update(
            {"mask_type": self.mask_type, "color_channels": self.color_channels}
        )
        return config
