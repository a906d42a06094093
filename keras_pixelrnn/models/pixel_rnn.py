"""`PixelRNN`: the model of the paper (Table 1) as a Functional `keras.Model`.

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

import math

import keras
import numpy as np

from keras_pixelrnn.generation import sampling
from keras_pixelrnn.layers.conditioning import OneHotLabels
from keras_pixelrnn.layers.color_logits import ColorLogits
from keras_pixelrnn.layers.diagonal_bilstm import DiagonalBiLSTM
from keras_pixelrnn.layers.masked_conv2d import MaskedConv2D
from keras_pixelrnn.layers.row_lstm import RowLSTM
from keras_pixelrnn.models import likelihood
from keras_pixelrnn.models import presets as _presets
from keras_pixelrnn.models.presets import DESCRIPTIONS, PRESETS, preset_config
from keras_pixelrnn.utils import arguments

ARCHITECTURES = ("pixel_cnn", "row_lstm", "diagonal_bilstm")


class _ClassProperty:
    def __init__(self, getter):
        self.getter = getter

    def __get__(self, instance, owner):
        return self.getter(owner)


def _check_arguments(architecture, image_shape, num_layers, hidden_units, levels, output_units):
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


def _check_condition_arguments(image_shape, hidden_units, num_classes, small_image_shape,
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


@keras.saving.register_keras_serializable(package="keras_pixelrnn")
class PixelRNN(keras.Model):
    """A PixelRNN (or PixelCNN): a distribution over images, one sub-pixel at a time.

    The model factorises an image `x` of `H x W` pixels with `C` colours in
    raster order, and inside a pixel colour by colour (R, then G given R,
    then B given R and G):

        p(x) = prod_{i, j, c} p(x[i, j, c] | x[< (i, j)], x[i, j, < c])

    Each factor is a `levels`-way softmax. Called on a batch of images, the
    model returns all the factors' logits at once, `(B, H, W, C, levels)`;
    its masked layers make sure the logits of `x[i, j, c]` never see it or
    anything after it. Training maximises `log p(x)`: compile with
    `PixelRNNLoss` and fit on `(images, images)`.

    Sampling goes the other way, one sub-pixel at a time:

        for i in rows, for j in columns, for c in colours:
            logits = the model's logits at (i, j, c) given everything drawn so far
            x[i, j, c] = draw from softmax(logits / temperature)

    `sample` runs this with each layer's cached one-pixel step
    (Ramachandran et al. 2017): per sub-pixel, only the pixel of every layer
    that it changes is computed.

    The architectures are those of the paper [1]: a 7x7 mask-A convolution,
    `num_layers` residual blocks of Row LSTMs (section 3.1), Diagonal
    BiLSTMs (section 3.2) or masked 3x3 convolutions (PixelCNN), learnable
    skip connections, and two 1x1 output layers (Table 1).

    References:
        [1] A. van den Oord, N. Kalchbrenner, K. Kavukcuoglu. Pixel Recurrent
            Neural Networks. ICML 2016.
        [2] P. Ramachandran et al. Fast Generation for Convolutional
            Autoregressive Models. ICLR workshop 2017.

    Args:
        architecture: `"row_lstm"`, `"diagonal_bilstm"` or `"pixel_cnn"`.
        image_shape: `(height, width, colors)`, colors 1 or 3; height and
            width may be `None` (any size; sampling needs them fixed).
        num_layers: residual blocks after the 7x7 input layer.
        hidden_units: `h`; the residual stream has `2h` maps. Divisible by
            the number of colours.
        levels: intensity levels per colour: 256 for 8-bit images, 2 for
            binary ones. Defaults to 256.
        output_units: maps of the two 1x1 output layers; default `2h`.
            Divisible by the number of colours.
        residual: add each block's input to its output (the paper drops it
            for ImageNet 64x64 only). Defaults to True.
        skip_connections: sum learnable 1x1 projections of every layer's
            output into the output stack. Defaults to True.
        dropout: rate of the dropout on each block's output before the
            residual sum, in training only (a regulariser for small data
            sets). It has no weights: a model trained with it loads into
            one without. Defaults to 0 (none).
        num_classes: a class-conditional model `p(x | label)` with labels
            `0 .. num_classes-1` (>= 2); the model takes `[images, labels]`
            with labels int `(B,)`. Defaults to None (unconditional).
        small_image_shape: the conditional stage of a multi-scale PixelRNN
            (section 3.5 of the paper): `p(x | small)` given a small image
            `(s, s', colors)` whose height and width divide the image's; the
            model takes `[images, small_images]`. Defaults to None.
        condition_units: channels of the conditioning map: the map
            upsampled from the small image (default `2h`), or, with
            `num_classes`, a learned map per class (the location-dependent
            conditioning of Conditional PixelCNN; needs a fixed height and
            width). Defaults to None: with `num_classes`, the one-hot label
            itself, the same at every position.
        dtype: dtype policy of the layers (e.g. `"mixed_float16"`); the
            logits are float32 in any case. Defaults to Keras' global policy.
        name: model name; default the architecture.

    Call arguments:
        images: `(B, H, W, C)` with integer values `0 .. levels-1`, any real
            dtype; `[images, labels]` or `[images, small_images]` for a
            conditional model.

    Returns:
        Logits `(B, H, W, C, levels)`.

    Example:

    >>> model = PixelRNN.from_preset("mnist")                  # 7-layer Diagonal BiLSTM
    >>> model.compile("adam", loss=PixelRNNLoss(), metrics=[NatsPerImage()])
    >>> model.fit(images, images, epochs=10)                   # binary uint8 (N, 28, 28, 1)
    >>> nats = -model.log_prob(images)                         # (N,) nats per image
    >>> samples = model.sample(16, seed=0)                     # uint8 (16, 28, 28, 1)
    >>> filled = model.complete(images[:8], keep_rows=14)      # the paper's Figure 1
    """

    def __init__(
        self,
        architecture,
        image_shape,
        num_layers,
        hidden_units,
        levels=256,
        output_units=None,
        residual=True,
        skip_connections=True,
        dropout=0.0,
        num_classes=None,
        small_image_shape=None,
        condition_units=None,
        dtype=None,
        **kwargs,
    ):
        image_shape, outputs = _check_arguments(
            architecture, image_shape, num_layers, hidden_units, levels, output_units
        )
        small_image_shape, condition_units = _check_condition_arguments(
            image_shape, hidden_units, num_classes, small_image_shape, condition_units
        )
        arguments.number("dropout", dropout, minimum=0, below=1)
        colors, h = image_shape[-1], hidden_units
        policy = keras.dtype_policies.get(dtype) if dtype is not None else keras.config.dtype_policy()

        def conv(filters, kernel_size, name, mask_type="B", dtype=policy):
            return MaskedConv2D(
                filters, kernel_size, mask_type=mask_type, color_channels=colors, name=name,
                dtype=dtype,
            )

        # === Functional graph ===
        images = keras.Input(image_shape, name="images")
        inputs, condition = [images], None
        if num_classes is not None:
            labels = keras.Input((), dtype="int32", name="labels")
            inputs.append(labels)
            condition = OneHotLabels(num_classes, name="one_hot_labels", dtype=policy)(labels)
            if condition_units is not None:
                condition = _class_map_network(condition, image_shape, condition_units, policy)
        elif small_image_shape is not None:
            small = keras.Input(small_image_shape, name="small_images")
            inputs.append(small)
            condition = _upsampling_network(
                small, image_shape, levels, condition_units, policy
            )

        def conditioned(x):
            return x if condition is None else [x, condition]

        x = keras.layers.Rescaling(2.0 / (levels - 1), offset=-1.0, name="rescale", dtype=policy)(
            images
        )
        x = conv(2 * h, 7, "input_conv", mask_type="A")(conditioned(x))
        skips = [conv(2 * h, 1, "skip_0")(x)] if skip_connections else []
        for n in range(1, num_layers + 1):
            block = x
            if architecture == "row_lstm":
                y = RowLSTM(h, color_channels=colors, name=f"block_{n}_row_lstm", dtype=policy)(
                    conditioned(x)
                )
            elif architecture == "diagonal_bilstm":
                y = DiagonalBiLSTM(
                    h, color_channels=colors, name=f"block_{n}_diagonal_bilstm", dtype=policy
                )(conditioned(x))
            else:
                y = keras.layers.ReLU(name=f"block_{n}_relu_1", dtype=policy)(x)
                y = conv(h, 1, f"block_{n}_reduce")(y)
                y = keras.layers.ReLU(name=f"block_{n}_relu_2", dtype=policy)(y)
                y = conv(h, 3, f"block_{n}_conv")(conditioned(y))
                y = keras.layers.ReLU(name=f"block_{n}_relu_3", dtype=policy)(y)
            y = conv(2 * h, 1, f"block_{n}_project")(y)
            if dropout:
                y = keras.layers.Dropout(dropout, name=f"block_{n}_dropout", dtype=policy)(y)
            if residual:
                x = keras.layers.Add(name=f"block_{n}_residual", dtype=policy)([block, y])
            else:
                x = y
            if skip_connections:
                skips.append(conv(2 * h, 1, f"skip_{n}")(x))
        if skip_connections:
            x = keras.layers.Add(name="skip_sum", dtype=policy)(skips)
        x = keras.layers.ReLU(name="output_relu_1", dtype=policy)(x)
        x = conv(outputs, 1, "output_conv_1")(x)
        x = keras.layers.ReLU(name="output_relu_2", dtype=policy)(x)
        x = conv(colors * levels, 1, "output_conv_2", dtype="float32")(x)
        logits = ColorLogits(colors, name="logits", dtype="float32")(x)
        kwargs.setdefault("name", architecture)
        super().__init__(inputs=inputs if len(inputs) > 1 else images, outputs=logits, **kwargs)

        # === Config ===
        self.architecture = architecture
        self.image_shape = image_shape
        self.num_layers = num_layers
        self.hidden_units = hidden_units
        self.levels = levels
        self.output_units = output_units
        self.residual = residual
        self.skip_connections = skip_connections
        self.dropout = dropout
        self.num_classes = num_classes
        self.small_image_shape = small_image_shape
        self.condition_units = condition_units
        self._policy_name = policy.name

    def get_config(self):
        return {
            "architecture": self.architecture,
            "image_shape": list(self.image_shape),
            "num_layers": self.num_layers,
            "hidden_units": self.hidden_units,
            "levels": self.levels,
            "output_units": self.output_units,
            "residual": self.residual,
            "skip_connections": self.skip_connections,
            "dropout": self.dropout,
            "num_classes": self.num_classes,
            "small_image_shape": (
                None if self.small_image_shape is None else list(self.small_image_shape)
            ),
            "condition_units": self.condition_units,
            "dtype": self._policy_name,
            "name": self.name,
            "trainable": self.trainable,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    # === Presets ===

    @_ClassProperty
    def presets(cls):
        """`{name: {"description", "config", "weights", "card"}}`: the
        configurations of `from_preset`; `weights` says whether the package
        ships pretrained weights for it, `card` is their model card (a dict:
        data, recipe, validation score, ...) or None."""
        return {
            name: {
                "description": DESCRIPTIONS[name],
                "config": dict(config),
                "weights": _presets.weights_path(name) is not None,
                "card": _presets.model_card(name),
            }
            for name, config in PRESETS.items()
        }

    @classmethod
    def from_preset(cls, preset, load_weights=None, **overrides):
        """Builds one of `PixelRNN.presets` by name, with its pretrained
        weights where the package ships them.

        Keyword arguments (`num_layers`, `hidden_units`, `image_shape`, ...)
        override the configuration. The weights fit whatever height, width,
        `dropout`, `name`, `dtype` or `trainable`; the other arguments
        (`architecture`, `num_layers`, `hidden_units`, `levels`,
        `output_units`, `residual`, `skip_connections`, the number of colours
        of `image_shape`) change their structure.

        Args:
            preset: a name of `PixelRNN.presets`.
            load_weights: `None` (default) loads the shipped weights when the
                preset has them and the overrides keep their structure, and
                initialises afresh otherwise; `True` insists on them (a
                ValueError when there are none or the overrides do not fit
                them); `False` always initialises afresh.
            **overrides: constructor arguments that replace the preset's.

        Example:

        >>> model = PixelRNN.from_preset("mnist")
        >>> tiny = PixelRNN.from_preset("cifar10_row_lstm", num_layers=2, hidden_units=6)
        >>> trained = PixelRNN.from_preset("small", load_weights=True)  # if shipped
        """
        _presets.check_load_weights(load_weights)
        config = preset_config(preset, **overrides)
        path = _presets.weights_path(preset) if load_weights is not False else None
        if load_weights and path is None:
            shipped = _presets.presets_with_weights()
            raise ValueError(
                f"Preset {preset!r} has no pretrained weights in this package, so "
                "`load_weights=True` cannot load any (`load_weights=False` builds it freshly "
                f"initialised). Presets with weights: {shipped or 'none'}. "
                f"Received: preset={preset!r}"
            )
        model = cls(**config)
        if path is None:
            return model
        changed = _presets.structural_changes(preset, model.get_config())
        if changed:
            if load_weights:
                received = ", ".join(
                    f"{key}={overrides[key]!r}" for key in changed if key in overrides
                )
                raise ValueError(
                    f"The overrides {received} change the structure of the weights of preset "
                    f"{preset!r}, so `load_weights=True` cannot load them; use "
                    "`load_weights=False` (or None) for fresh weights, or override only "
                    "height and width, dropout, name, dtype or trainable."
                )
            return model
        try:
            model.load_weights(path)
        except Exception as error:  # a truncated or foreign file
            raise ValueError(
                f"the weights {path!r} of preset {preset!r} do not load: {error}"
            ) from None
        return model

    # === Likelihood and generation ===

    def conditions(self, batch, labels=None, small_images=None):
        """The condition inputs for `batch` images, checked: `[]`, `[labels]`
        (int32 `(batch,)`; one label is repeated) or `[small_images]`.

        Raises:
            ValueError: labels (or a small image) missing for a conditional
                model or given to an unconditional one, a label outside
                `[0, num_classes)`, or a batch or shape that does not match.
                The message names the argument and echoes the value.
        """
        if labels is not None and self.num_classes is None:
            raise ValueError(
                f"Model {self.name!r} is not class-conditional (num_classes=None), so it takes "
                f"no `labels`. Received: labels={_short(labels)}"
            )
        if small_images is not None and self.small_image_shape is None:
            raise ValueError(
                f"Model {self.name!r} does not condition on a small image, so it takes no "
                f"`small_images`. Received: small_images.shape={np.shape(small_images)}"
            )
        if self.num_classes is not None:
            if labels is None:
                raise ValueError(
                    f"Model {self.name!r} is class-conditional (num_classes={self.num_classes}): "
                    "give `labels`, one integer in [0, num_classes) per image or one for all. "
                    "Received: labels=None"
                )
            return [_check_labels(labels, batch, self.num_classes)]
        if self.small_image_shape is not None:
            if small_images is None:
                raise ValueError(
                    f"Model {self.name!r} is conditioned on a small image "
                    f"{self.small_image_shape}: give `small_images`. Received: small_images=None"
                )
            small = np.asarray(small_images)
            if small.ndim != 4 or small.shape[1:] != self.small_image_shape:
                raise ValueError(
                    f"`small_images` must have shape (batch, {', '.join(map(str, self.small_image_shape))}). "
                    f"Received: small_images.shape={small.shape}"
                )
            if len(small) != batch:
                raise ValueError(
                    f"`small_images` holds {len(small)} images for a batch of {batch}. "
                    f"Received: small_images.shape={small.shape}"
                )
            from keras_pixelrnn.utils.image_checks import check_images

            return [check_images(small, self.small_image_shape, self.levels, "small_images")
                    .astype(np.float32)]
        return []

    def log_prob(self, images, batch_size=64, labels=None, small_images=None):
        """`log p(x)` in nats per image, a NumPy array `(N,)`; `log p(x | y)`
        for a conditional model.

        Args:
            images: integer images `(N, H, W, C)` in `[0, levels)`.
            batch_size: images per forward pass of the compiled scorer.
            labels: a class-conditional model's labels, int `(N,)` in
                `[0, num_classes)` (or one label for all).
            small_images: a multi-scale second stage's small images.
        """
        conditions = self.conditions(len(np.asarray(images)), labels, small_images)
        return likelihood.log_prob(self, images, batch_size=batch_size, conditions=conditions)

    def bits_per_dim(self, images, batch_size=64, labels=None, small_images=None):
        """Negative log-likelihood in bits per dimension, `(N,)`:
        `-log p(x) / (H * W * C * ln 2)`."""
        nats = -self.log_prob(images, batch_size=batch_size, labels=labels,
                              small_images=small_images)
        dims = math.prod(np.shape(images)[1:])
        return nats / (dims * math.log(2.0))

    def sample(self, num_samples, seed=None, temperature=1.0, noise=None, method="cached",
               return_log_prob=False, progress=False, labels=None, small_images=None):
        """Draws `num_samples` images, uint8 `(num_samples, H, W, C)`.

        Args:
            num_samples: number of images, > 0.
            seed: seed of the noise; the same seed gives the same images,
                with either method.
            temperature: > 0; below 1 sharpens the distributions, above 1
                flattens them.
            noise: instead of `seed`, the uniform noise `(N, H, W, C)` in
                `[0, 1)` itself.
            method: `"cached"` (default, fast) or `"naive"` (one forward
                pass per sub-pixel; the reference).
            return_log_prob: also return `log p(x)` of each image in nats.
            progress: show a progress bar, a step per row.
            labels: a class-conditional model's label, one for all samples
                or one per sample (`(num_samples,)`).
            small_images: a multi-scale second stage's small images.
        """
        conditions = self.conditions(num_samples, labels, small_images) if isinstance(
            num_samples, (int, np.integer)
        ) else None
        return sampling.sample(
            self, num_samples, seed=seed, temperature=temperature, method=method, noise=noise,
            return_log_prob=return_log_prob, progress=progress, conditions=conditions,
        )

    def complete(self, images, keep_rows=None, known=None, seed=None, temperature=1.0,
                 method="cached", progress=False, labels=None, small_images=None):
        """Keeps some sub-pixels of `images` and draws the rest (Figure 1 of the paper).

        Args:
            images: integer images `(N, H, W, C)` in `[0, levels)`.
            keep_rows: keep the top `keep_rows` rows (0 .. H).
            known: or a bool mask `(N, H, W, C)` (or broadcastable) of the
                sub-pixels to keep; combined with `keep_rows` when both are
                given.
            seed, temperature, method, progress, labels, small_images: as
                in `sample`.

        Returns:
            uint8 images `(N, H, W, C)`: the kept sub-pixels as given, the
            others drawn given everything before them.
        """
        conditions = self.conditions(len(np.asarray(images)), labels, small_images)
        return sampling.complete(
            self, images, keep_rows=keep_rows, known=known, seed=seed, temperature=temperature,
            method=method, progress=progress, conditions=conditions,
        )


def _short(value):
    array = np.asarray(value)
    return repr(value) if array.size <= 8 else f"array of shape {array.shape}"


def _check_labels(labels, batch, num_classes):
    array = np.asarray(labels)
    if array.dtype.kind not in "iu" and not (
        array.dtype.kind == "f" and np.all(np.floor(array) == array)
    ):
        raise ValueError(f"`labels` must be integers. Received: labels={_short(labels)}")
    if array.ndim == 0:
        array = np.full((batch,), array)
    if array.ndim != 1 or len(array) != batch:
        raise ValueError(
            f"`labels` must hold one label per image ({batch}) or one for all. "
            f"Received: labels with shape {np.shape(labels)}"
        )
    bad = array[(array < 0) | (array >= num_classes)]
    if bad.size:
        raise ValueError(
            f"`labels` must lie in [0, {num_classes}) for a model with num_classes="
            f"{num_classes}. Received: label {int(bad[0])} in labels={_short(labels)}"
        )
    return array.astype(np.int32)

def build_pixel_rnn(architecture, image_shape, num_layers, hidden_units, levels=256,
                    output_units=None, residual=True, skip_connections=True, name=None):
    """`PixelRNN(...)` under the name of the first release (same arguments)."""
    return PixelRNN(
        architecture, image_shape, num_layers, hidden_units, levels=levels,
        output_units=output_units, residual=residual, skip_connections=skip_connections,
        name=name or architecture,
    )


def build_preset(preset, **overrides):
    """`PixelRNN.from_preset(preset, **overrides)` under the name of the first release."""
    return PixelRNN.from_preset(preset, **overrides)
