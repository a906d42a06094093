"""The Functional graph of a `PixelRNN` (Table 1 of the paper), and the checks
of the arguments that shape it.

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

A conditional model (`num_classes`, or `small_image_shape` for the second
stage of the multi-scale PixelRNN) has a second input, the condition: one
integer label per image, one-hot encoded (and, with `condition_units`, turned
into a learned map per class), or a small image upsampled by
(de)convolutions to a map of `condition_units` channels. The 7x7 input layer,
every recurrent layer (PixelCNN: every block's 3x3 convolution) adds a
learned 1x1 projection of it to its input-to-state pre-activations
(`keras_pixelrnn.layers.conditioning`).
"""

import keras
import numpy as np

from keras_pixelrnn.layers.color_logits import ColorLogits
from keras_pixelrnn.layers.conditioning import OneHotLabels
from keras_pixelrnn.layers.diagonal_bilstm import DiagonalBiLSTM
from keras_pixelrnn.layers.masked_conv2d import MaskedConv2D
from keras_pixelrnn.layers.row_lstm import RowLSTM
from keras_pixelrnn.utils import arguments

ARCHITECTURES = ("pixel_cnn", "row_lstm", "diagonal_bilstm")


def check_arguments(architecture, image_shape, num_layers, hidden_units, levels, output_units):
    if architecture not in ARCHITECTURES:
        raise ValueError(
            f"`architecture` must be one of {ARCHITECTURES}. "
            f"Received: architecture={architecture!r}"
        )
    image_shape = arguments.shape("image_shape", image_shape, 3, allow_unknown=True)
    if image_shape[-1] not in (1, 3):
        raise ValueError(
            "`image_shape` must be (height, width, colors) with 1 or 3 colors. "
            f"Received: image_shape={image_shape}"
        )
    arguments.integer("num_layers", num_layers)
    arguments.integer("hidden_units", hidden_units)
    arguments.integer("levels", levels, minimum=2, maximum=256, why="Images are uint8.")
    colors = image_shape[-1]
    output_units = arguments.integer("output_units", output_units, allow_none=True) or 2 * hidden_units
    for arg, value in (("hidden_units", hidden_units), ("output_units", output_units)):
        if value % colors:
            raise ValueError(
                f"`{arg}` must be divisible by the number of colours ({colors}). "
                f"Received: {arg}={value}"
            )
    return image_shape, output_units


def check_condition_arguments(image_shape, hidden_units, num_classes, small_image_shape,
                               condition_units):
    arguments.integer("num_classes", num_classes, minimum=2, allow_none=True)
    arguments.integer("condition_units", condition_units, allow_none=True)
    if small_image_shape is None:
        if num_classes is None or condition_units is None:
            return None, None  # no map: an unconditional model, or one-hot labels
        if image_shape[0] is None or image_shape[1] is None:
            raise ValueError(
                "A learned map per class (`condition_units` with `num_classes`) needs a "
                f"fixed image height and width. Received: image_shape={image_shape}"
            )
        return None, condition_units
    if num_classes is not None:
        raise ValueError(
            "A model conditions on either class labels or a small image, not both. "
            f"Received: num_classes={num_classes!r}, small_image_shape={small_image_shape!r}"
        )
    small = arguments.shape("small_image_shape", small_image_shape, 3)
    height, width, colors = image_shape
    if (
        len(small) != 3
        or small[-1] != colors
        or height is None
        or width is None
        or min(small[:2]) < 1
        or height % small[0]
        or width % small[1]
    ):
        raise ValueError(
            "`small_image_shape` must be (s, s', colors) with the image's colours and a "
            f"height and width that divide the image's {image_shape}. "
            f"Received: small_image_shape={small_image_shape!r}"
        )
    return small, 2 * hidden_units if condition_units is None else condition_units


def _upsampling_network(small, image_shape, levels, units, policy):
    """The multi-scale model's conditioning network (section 3.5): a small
    image `(B, s, s', C)` -> a map `(B, H, W, units)`. Unmasked: the small
    image is given, the network may see all of it."""
    factors = (image_shape[0] // small.shape[1], image_shape[1] // small.shape[2])
    x = keras.layers.Rescaling(
        2.0 / (levels - 1), offset=-1.0, name="condition_rescale", dtype=policy
    )(small)
    x = keras.layers.Conv2D(
        units, 3, padding="same", activation="relu", name="condition_conv", dtype=policy
    )(x)
    return _upsample(x, factors, units, policy)


def _upsample(x, factors, units, policy):
    """A coarse map `(B, H / f, W / f', units)` -> the conditioning map
    `(B, H, W, units)`: a deconvolution (where `factors` is not 1) and a 3x3
    convolution."""
    if factors != (1, 1):
        x = keras.layers.Conv2DTranspose(
            units, tuple(2 * f for f in factors), strides=factors, padding="same",
            activation="relu", name="condition_upsample", dtype=policy,
        )(x)
    return keras.layers.Conv2D(units, 3, padding="same", name="condition_map", dtype=policy)(x)


def _class_map_network(one_hot, image_shape, units, policy):
    """A learned map per class (the location-dependent conditioning of
    Conditional PixelCNN, van den Oord et al. 2016b, section 2.3): a one-hot
    label `(B, K)` -> a coarse map, a quarter of the image's height and width
    where they divide by 4 (else a half, else full size) -> the
    conditioning map `(B, H, W, units)`. A spatially constant bias cannot
    say *where* a class's strokes are; this map can. Unmasked, like every
    condition: it never reads the image."""
    height, width = image_shape[0], image_shape[1]
    factor = next(f for f in (4, 2, 1) if height % f == 0 and width % f == 0)
    coarse = (height // factor, width // factor, units)
    x = keras.layers.Dense(
        int(np.prod(coarse)), activation="relu", name="class_embedding", dtype=policy
    )(one_hot)
    x = keras.layers.Reshape(coarse, name="class_coarse_map", dtype=policy)(x)
    return _upsample(x, (factor, factor), units, policy)


def build_graph(config, policy):
    """The model's inputs and logits, `([images, *conditions], logits)`,
    for a checked configuration (`config`: the `PixelRNN` arguments, with
    `output_units` and `condition_units` resolved)."""
    c = config
    colors, h = c["image_shape"][-1], c["hidden_units"]

    def conv(filters, kernel_size, name, mask_type="B", dtype=policy):
        return MaskedConv2D(
            filters, kernel_size, mask_type=mask_type, color_channels=colors, name=name,
            dtype=dtype,
        )

    inputs, condition = _inputs(c, policy)

    def conditioned(x):
        return x if condition is None else [x, condition]

    x = keras.layers.Rescaling(
        2.0 / (c["levels"] - 1), offset=-1.0, name="rescale", dtype=policy
    )(inputs[0])
    x = conv(2 * h, 7, "input_conv", mask_type="A")(conditioned(x))
    skips = [conv(2 * h, 1, "skip_0")(x)] if c["skip_connections"] else []
    for n in range(1, c["num_layers"] + 1):
        y = _block(c, n, x, conditioned, conv, policy)
        x = keras.layers.Add(name=f"block_{n}_residual", dtype=policy)([x, y]) if c["residual"] else y
        if c["skip_connections"]:
            skips.append(conv(2 * h, 1, f"skip_{n}")(x))
    if c["skip_connections"]:
        x = keras.layers.Add(name="skip_sum", dtype=policy)(skips)
    x = keras.layers.ReLU(name="output_relu_1", dtype=policy)(x)
    x = conv(c["output_units"], 1, "output_conv_1")(x)
    x = keras.layers.ReLU(name="output_relu_2", dtype=policy)(x)
    x = conv(colors * c["levels"], 1, "output_conv_2", dtype="float32")(x)
    return inputs, ColorLogits(colors, name="logits", dtype="float32")(x)


def _inputs(c, policy):
    """`([images, *conditions], condition map or vector or None)`."""
    images = keras.Input(c["image_shape"], name="images")
    if c["num_classes"] is not None:
        labels = keras.Input((), dtype="int32", name="labels")
        condition = OneHotLabels(c["num_classes"], name="one_hot_labels", dtype=policy)(labels)
        if c["condition_units"] is not None:
            condition = _class_map_network(condition, c["image_shape"], c["condition_units"], policy)
        return [images, labels], condition
    if c["small_image_shape"] is not None:
        small = keras.Input(c["small_image_shape"], name="small_images")
        condition = _upsampling_network(
            small, c["image_shape"], c["levels"], c["condition_units"], policy
        )
        return [images, small], condition
    return [images], None


def _block(c, n, x, conditioned, conv, policy):
    """Residual block `n`'s output before the residual sum."""
    colors, h, architecture = c["image_shape"][-1], c["hidden_units"], c["architecture"]
    if architecture == "row_lstm":
        y = RowLSTM(
            h, color_channels=colors, implementation=c["implementation"],
            name=f"block_{n}_row_lstm", dtype=policy,
        )(conditioned(x))
    elif architecture == "diagonal_bilstm":
        y = DiagonalBiLSTM(
            h, color_channels=colors, implementation=c["implementation"],
            name=f"block_{n}_diagonal_bilstm", dtype=policy,
        )(conditioned(x))
    else:
        y = keras.layers.ReLU(name=f"block_{n}_relu_1", dtype=policy)(x)
        y = conv(h, 1, f"block_{n}_reduce")(y)
        y = keras.layers.ReLU(name=f"block_{n}_relu_2", dtype=policy)(y)
        y = conv(h, 3, f"block_{n}_conv")(conditioned(y))
        y = keras.layers.ReLU(name=f"block_{n}_relu_3", dtype=policy)(y)
    y = conv(2 * h, 1, f"block_{n}_project")(y)
    if c["dropout"]:
        y = keras.layers.Dropout(c["dropout"], name=f"block_{n}_dropout", dtype=policy)(y)
    return y
