"""The PixelRNN model builder (Table 1 of the paper) and the paper's presets.

    images (values 0 .. levels-1)
      -> Rescaling to [-1, 1]
      -> 7x7 masked conv, mask A, 2h maps                         "input_conv"
      -> num_layers residual blocks                               "block_{n}_*"
           Row LSTM:        RowLSTM(h, 1x3)  -> 1x1 mask B to 2h -> + input
           Diagonal BiLSTM: DiagonalBiLSTM(h) -> 1x1 mask B to 2h -> + input
           PixelCNN:        ReLU, 1x1 (h), ReLU, 3x3 (h), ReLU, 1x1 (2h) -> + input
      -> skip connections: a learnable 1x1 mask-B conv of every layer's output, summed
      -> ReLU, 1x1 mask B (output_units), ReLU, 1x1 mask B (C * levels)
      -> logits (B, H, W, C, levels)

Every convolution keeps the colour groups (R, G, B) of `color_channels`, so
the logits of colour `c` at pixel `(i, j)` depend only on pixels before
`(i, j)` and on the colours `< c` of `(i, j)` itself.
"""

import keras

from keras_pixelrnn.layers.color_logits import ColorLogits
from keras_pixelrnn.layers.diagonal_bilstm import DiagonalBiLSTM
from keras_pixelrnn.layers.masked_conv2d import MaskedConv2D
from keras_pixelrnn.layers.row_lstm import RowLSTM

ARCHITECTURES = ("pixel_cnn", "row_lstm", "diagonal_bilstm")

# The paper's sizes (section 5). Widths with 3 colours are rounded up to a
# multiple of 3 so that R, G and B get equal contiguous groups.
PRESETS = {
    "small": dict(
        architecture="diagonal_bilstm", image_shape=(28, 28, 1), num_layers=2,
        hidden_units=16, levels=2, output_units=32,
    ),
    "mnist": dict(
        architecture="diagonal_bilstm", image_shape=(28, 28, 1), num_layers=7,
        hidden_units=16, levels=2, output_units=32,
    ),
    "mnist_row_lstm": dict(
        architecture="row_lstm", image_shape=(28, 28, 1), num_layers=7,
        hidden_units=16, levels=2, output_units=32,
    ),
    "mnist_pixel_cnn": dict(
        architecture="pixel_cnn", image_shape=(28, 28, 1), num_layers=7,
        hidden_units=16, levels=2, output_units=32,
    ),
    "cifar10_row_lstm": dict(
        architecture="row_lstm", image_shape=(32, 32, 3), num_layers=12,
        hidden_units=129, levels=256, output_units=1026,
    ),
    "cifar10_diagonal_bilstm": dict(
        architecture="diagonal_bilstm", image_shape=(32, 32, 3), num_layers=12,
        hidden_units=129, levels=256, output_units=1026,
    ),
    "cifar10_pixel_cnn": dict(
        architecture="pixel_cnn", image_shape=(32, 32, 3), num_layers=15,
        hidden_units=129, levels=256, output_units=1026,
    ),
    "imagenet32": dict(
        architecture="row_lstm", image_shape=(32, 32, 3), num_layers=12,
        hidden_units=384, levels=256, output_units=1026,
    ),
    "imagenet64": dict(
        architecture="row_lstm", image_shape=(64, 64, 3), num_layers=4,
        hidden_units=513, levels=256, output_units=1026, residual=False,
    ),
}


def build_pixel_rnn(
    architecture,
    image_shape,
    num_layers,
    hidden_units,
    levels=256,
    output_units=None,
    residual=True,
    skip_connections=True,
    name=None,
):
    """Builds a PixelRNN or PixelCNN as a Functional `keras.Model`.

    Args:
        architecture: `"row_lstm"`, `"diagonal_bilstm"` or `"pixel_cnn"`.
        image_shape: `(height, width, colors)`, colors 1 or 3; height and
            width may be `None` (any size).
        num_layers: number of residual blocks (recurrent layers, or 3x3
            convolution blocks for PixelCNN) after the 7x7 input layer.
        hidden_units: `h`; the residual stream has `2h` maps. Divisible by
            the number of colours.
        levels: number of intensity levels per colour (256 for 8-bit images,
            2 for binary ones); the output is a `levels`-way softmax.
        output_units: maps of the two 1x1 output layers; default `2h`.
            Divisible by the number of colours.
        residual: add each block's input to its output (the paper drops it
            for ImageNet 64x64 only).
        skip_connections: sum learnable 1x1 projections of every layer's
            output into the output stack.
        name: model name; default `"{architecture}"`.

    Returns:
        A `keras.Model` from images `(B, H, W, C)` with integer values
        `0 .. levels-1` (any real dtype) to logits `(B, H, W, C, levels)`.

    Example:

    >>> model = build_pixel_rnn("row_lstm", (8, 8, 3), num_layers=2, hidden_units=6)
    >>> model.compile("adam", loss=PixelRNNLoss(), metrics=[BitsPerDim()])
    >>> model.fit(images, images, epochs=1)  # images: uint8 (N, 8, 8, 3)
    """
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"`architecture` must be one of {ARCHITECTURES}. "
            f"Received: architecture={architecture!r}"
        )
    image_shape = tuple(image_shape)
    if len(image_shape) != 3 or image_shape[-1] not in (1, 3):
        raise ValueError(
            "`image_shape` must be (height, width, colors) with 1 or 3 colors. "
            f"Received: image_shape={image_shape}"
        )
    for arg, value in (("num_layers", num_layers), ("hidden_units", hidden_units)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"`{arg}` must be a positive integer. Received: {arg}={value!r}")
    if isinstance(levels, bool) or not isinstance(levels, int) or levels < 2:
        raise ValueError(f"`levels` must be an integer >= 2. Received: levels={levels!r}")
    colors = image_shape[-1]
    output_units = output_units or 2 * hidden_units
    for arg, value in (("hidden_units", hidden_units), ("output_units", output_units)):
        if value % colors:
            raise ValueError(
                f"`{arg}` must be divisible by the number of colours ({colors}). "
                f"Received: {arg}={value}"
            )
    h = hidden_units

    def conv(filters, kernel_size, layer_name, mask_type="B", **kwargs):
        return MaskedConv2D(
            filters, kernel_size, mask_type=mask_type, color_channels=colors,
            name=layer_name, **kwargs,
        )

    # The functional graph.
    images = keras.Input(image_shape, name="images")
    x = keras.layers.Rescaling(2.0 / (levels - 1), offset=-1.0, name="rescale")(images)
    x = conv(2 * h, 7, "input_conv", mask_type="A")(x)
    skips = [conv(2 * h, 1, "skip_0")(x)] if skip_connections else []
    for n in range(1, num_layers + 1):
        block = x
        if architecture == "row_lstm":
            y = RowLSTM(h, color_channels=colors, name=f"block_{n}_row_lstm")(x)
        elif architecture == "diagonal_bilstm":
            y = DiagonalBiLSTM(h, color_channels=colors, name=f"block_{n}_diagonal_bilstm")(x)
        else:
            y = keras.layers.ReLU(name=f"block_{n}_relu_1")(x)
            y = conv(h, 1, f"block_{n}_reduce")(y)
            y = keras.layers.ReLU(name=f"block_{n}_relu_2")(y)
            y = conv(h, 3, f"block_{n}_conv")(y)
            y = keras.layers.ReLU(name=f"block_{n}_relu_3")(y)
        y = conv(2 * h, 1, f"block_{n}_project")(y)
        x = keras.layers.Add(name=f"block_{n}_residual")([block, y]) if residual else y
        if skip_connections:
            skips.append(conv(2 * h, 1, f"skip_{n}")(x))
    if skip_connections:
        x = keras.layers.Add(name="skip_sum")(skips)
    x = keras.layers.ReLU(name="output_relu_1")(x)
    x = conv(output_units, 1, "output_conv_1")(x)
    x = keras.layers.ReLU(name="output_relu_2")(x)
    x = conv(colors * levels, 1, "output_conv_2", dtype="float32")(x)
    logits = ColorLogits(colors, name="logits", dtype="float32")(x)
    return keras.Model(images, logits, name=name or architecture)


def build_preset(preset, **overrides):
    """Builds one of `PRESETS` by name; keyword arguments override its sizes.

    `"mnist"` is the paper's binarized-MNIST Diagonal BiLSTM (7 layers,
    h=16); `"mnist_row_lstm"` and `"mnist_pixel_cnn"` are its counterparts;
    `"small"` is a 2-layer version for quick runs; `"cifar10_*"`,
    `"imagenet32"` and `"imagenet64"` are the paper's natural-image models.
    """
    if preset not in PRESETS:
        raise ValueError(
            f"`preset` must be one of {sorted(PRESETS)}. Received: preset={preset!r}"
        )
    config = dict(PRESETS[preset], **overrides)
    config.setdefault("name", preset)
    return build_pixel_rnn(**config)
