"""The paper's PixelRNN configurations (section 5, Table 1), by name.

A preset is a configuration of `PixelRNN` (its constructor arguments) and a
short description; `PixelRNN.from_preset(name, **overrides)` builds one and
`PixelRNN.presets` lists them.
"""

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


DESCRIPTIONS = {
    "small": "2-layer Diagonal BiLSTM, h=16, binary 28x28 (the quick start)",
    "mnist": "the paper's binarized-MNIST Diagonal BiLSTM: 7 layers, h=16",
    "mnist_row_lstm": "Row LSTM counterpart of `mnist`: 7 layers, h=16",
    "mnist_pixel_cnn": "PixelCNN counterpart of `mnist`: 7 blocks, h=16",
    "cifar10_row_lstm": "the paper's CIFAR-10 Row LSTM: 12 layers, h=128 (129 for 3 colours)",
    "cifar10_diagonal_bilstm": "the paper's CIFAR-10 Diagonal BiLSTM: 12 layers, h=128 (129)",
    "cifar10_pixel_cnn": "the paper's CIFAR-10 PixelCNN: 15 blocks, h=128 (129)",
    "imagenet32": "the paper's ImageNet 32x32 Row LSTM: 12 layers, h=384",
    "imagenet64": "the paper's ImageNet 64x64 Row LSTM: 4 layers, h=512 (513), no residuals",
}


def preset_config(preset, **overrides):
    """The `PixelRNN` arguments of `preset`, with `overrides` applied."""
    if not isinstance(preset, str) or preset not in PRESETS:
        raise ValueError(
            f"`preset` must be one of {sorted(PRESETS)}. Received: preset={preset!r}"
        )
    unknown = sorted(set(overrides) - set(OVERRIDABLE))
    if unknown:
        raise ValueError(
            f"`from_preset` overrides must be among {OVERRIDABLE}. Received: {unknown}"
        )
    config = dict(PRESETS[preset], **overrides)
    config.setdefault("name", preset)
    return config


OVERRIDABLE = (
    "architecture", "image_shape", "num_layers", "hidden_units", "levels", "output_units",
    "residual", "skip_connections", "name", "dtype", "trainable",
)
