"""The paper's PixelRNN configurations (section 5, Table 1), by name.

A preset is a configuration of `PixelRNN` (its constructor arguments), a
short description and, for some presets, pretrained weights shipped in the
package: `weights/<preset>.weights.h5` (written by `model.save_weights`)
beside its model card `weights/<preset>.json` (what data, recipe and score).
`PixelRNN.from_preset(name, load_weights=None, **overrides)` builds one and
`PixelRNN.presets` lists them.
"""

import json
import os

# The shipped weights and model cards (package data of keras_pixelrnn.models).
WEIGHTS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "weights")

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
    "mnist_conditional": dict(
        architecture="diagonal_bilstm", image_shape=(28, 28, 1), num_layers=7,
        hidden_units=16, levels=2, output_units=32, num_classes=10, condition_units=16,
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
    "mnist_conditional": "`mnist` given the digit: p(x | label), 10 classes, a learned "
                         "16-map per class",
    "cifar10_row_lstm": "the paper's CIFAR-10 Row LSTM: 12 layers, h=128 (129 for 3 colours)",
    "cifar10_diagonal_bilstm": "the paper's CIFAR-10 Diagonal BiLSTM: 12 layers, h=128 (129)",
    "cifar10_pixel_cnn": "the paper's CIFAR-10 PixelCNN: 15 blocks, h=128 (129)",
    "imagenet32": "the paper's ImageNet 32x32 Row LSTM: 12 layers, h=384",
    "imagenet64": "the paper's ImageNet 64x64 Row LSTM: 4 layers, h=512 (513), no residuals",
}


def _check_preset(preset):
    if not isinstance(preset, str) or preset not in PRESETS:
        raise ValueError(
            f"`preset` must be one of {sorted(PRESETS)}. Received: preset={preset!r}"
        )


def check_load_weights(load_weights):
    """`from_preset`'s `load_weights`: None, True or False, else a ValueError."""
    if load_weights not in (None, True, False):
        raise ValueError(
            f"`load_weights` must be None, True or False. Received: load_weights={load_weights!r}"
        )


def preset_config(preset, **overrides):
    """The `PixelRNN` arguments of `preset`, with `overrides` applied."""
    _check_preset(preset)
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
    "residual", "skip_connections", "dropout", "num_classes", "small_image_shape",
    "condition_units", "name", "dtype", "trainable",
)

# The constructor arguments the weights depend on (with the constructor's
# defaults), besides the number of colours of `image_shape`. Height and width,
# dropout (no weights), name, dtype and trainable leave them as they are.
STRUCTURAL = {
    "architecture": None, "num_layers": None, "hidden_units": None, "levels": 256,
    "output_units": None, "residual": True, "skip_connections": True,
    "num_classes": None, "small_image_shape": None, "condition_units": None,
}


def weights_path(preset):
    """The shipped weights file of `preset`, or None when it has none."""
    _check_preset(preset)
    path = os.path.join(WEIGHTS_DIR, f"{preset}.weights.h5")
    return path if os.path.isfile(path) else None


def presets_with_weights():
    """The names of the presets with shipped weights, sorted."""
    return [name for name in sorted(PRESETS) if weights_path(name) is not None]


def model_card(preset):
    """The model card of `preset`'s shipped weights (a dict), or None.

    A card says how the weights were made and how good they are: "preset",
    "data", "binarization", "recipe" (dict), "steps", "epochs",
    "validation_nats_per_image", "validation_nats_stderr", "check"
    (`{"images": ..., "nats_per_image": ...}`), "package_version", "date".

    Raises:
        ValueError: the card is not a JSON object naming `preset`.
    """
    _check_preset(preset)
    path = os.path.join(WEIGHTS_DIR, f"{preset}.json")
    if not os.path.isfile(path):
        return None
    try:
        with open(path, encoding="utf-8") as f:
            card = json.load(f)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ValueError(f"the model card {path!r} of preset {preset!r} is not JSON: {error}") from None
    if not isinstance(card, dict) or card.get("preset") != preset:
        named = card.get("preset") if isinstance(card, dict) else None
        raise ValueError(
            f"the model card {path!r} must be a JSON object with \"preset\": {preset!r}. "
            f"Received: preset={named!r}"
        )
    return card


def structural_changes(preset, config):
    """The arguments of `config` (a `PixelRNN` configuration, e.g. of
    `preset_config` or `model.get_config()`) whose values give weights of
    another structure than `preset`'s, sorted: `[]` when its weights fit."""
    _check_preset(preset)
    base = dict(STRUCTURAL, **PRESETS[preset])
    new = dict(STRUCTURAL, **{k: v for k, v in config.items() if k in STRUCTURAL})
    for c in (base, new):  # a shape from a config is a list
        if isinstance(c["small_image_shape"], list):
            c["small_image_shape"] = tuple(c["small_image_shape"])

    def outputs(c):
        return c["output_units"] or 2 * c["hidden_units"]

    changed = [
        key for key in STRUCTURAL
        if key != "output_units" and new[key] != base[key]
    ]
    try:
        if outputs(new) != outputs(base):
            changed.append("output_units")
    except TypeError:  # not numbers: the constructor says what is wrong
        changed.append("output_units")
    try:
        colors = int(tuple(config.get("image_shape", base["image_shape"]))[-1])
    except (TypeError, ValueError, IndexError):
        colors = None  # not a shape: the constructor says what is wrong
    if colors is not None and colors != base["image_shape"][-1]:
        changed.append("image_shape")
    return sorted(changed)


def _stage(preset, **changes):
    config = {k: v for k, v in PRESETS[preset].items() if k not in ("image_shape", "levels")}
    return dict(config, **changes)


# The multi-scale PixelRNN (section 3.5): the small model and the full-size
# conditional one, each one of the single-scale presets' structures.
MULTI_SCALE_PRESETS = {
    "mnist_multiscale": dict(
        image_shape=(28, 28, 1), levels=2, factor=2,
        small=_stage("mnist"), full=_stage("mnist", condition_units=32),
    ),
    "imagenet64_multiscale": dict(
        image_shape=(64, 64, 3), levels=256, factor=2,
        small=_stage("imagenet32"), full=_stage("imagenet64", condition_units=129),
    ),
}

MULTI_SCALE_DESCRIPTIONS = {
    "mnist_multiscale": "binarized MNIST at two scales: a 14x14 `mnist` Diagonal BiLSTM, then "
                        "the 28x28 one given it",
    "imagenet64_multiscale": "the paper's ImageNet 64x64 multi-scale Row LSTM: the 32x32 "
                             "`imagenet32` model, then the 64x64 `imagenet64` one given it",
}


def multi_scale_preset_config(preset, **overrides):
    """The `MultiScalePixelRNN` arguments of a multi-scale preset, with
    `overrides` (`image_shape`, `levels`, `factor`, `small`, `full`, `name`,
    `dtype`) replacing its own."""
    if not isinstance(preset, str) or preset not in MULTI_SCALE_PRESETS:
        raise ValueError(
            f"`preset` must be one of {sorted(MULTI_SCALE_PRESETS)}. Received: preset={preset!r}"
        )
    allowed = ("image_shape", "levels", "factor", "small", "full", "name", "dtype", "trainable")
    unknown = sorted(set(overrides) - set(allowed))
    if unknown:
        raise ValueError(f"Multi-scale preset overrides must be among {allowed}. Received: {unknown}")
    config = dict(MULTI_SCALE_PRESETS[preset], **overrides)
    config.setdefault("name", preset)
    return config


def weights_to_load(preset, load_weights):
    """The shipped weights file that `from_preset(preset, load_weights)`
    would load, or None for fresh weights (`load_weights=False`, or None
    for a preset without weights; with `load_weights=True` that is a
    ValueError)."""
    path = weights_path(preset) if load_weights is not False else None
    if load_weights and path is None:
        shipped = presets_with_weights()
        raise ValueError(
            f"Preset {preset!r} has no pretrained weights in this package, so "
            "`load_weights=True` cannot load any (`load_weights=False` builds it freshly "
            f"initialised). Presets with weights: {shipped or 'none'}. "
            f"Received: preset={preset!r}"
        )
    return path


def weights_fit(preset, load_weights, config, overrides):
    """Whether `preset`'s shipped weights fit a model of `config` (its
    `get_config()`), built with `overrides`: False where the overrides change
    their structure, which with `load_weights=True` is a ValueError."""
    changed = structural_changes(preset, config)
    if changed and load_weights:
        received = ", ".join(f"{key}={overrides[key]!r}" for key in changed if key in overrides)
        raise ValueError(
            f"The overrides {received} change the structure of the weights of preset "
            f"{preset!r}, so `load_weights=True` cannot load them; use "
            "`load_weights=False` (or None) for fresh weights, or override only "
            "height and width, dropout, name, dtype or trainable."
        )
    return not changed
