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
"""

import math

import keras
import numpy as np

from keras_pixelrnn.generation import sampling
from keras_pixelrnn.layers.color_logits import ColorLogits
from keras_pixelrnn.layers.diagonal_bilstm import DiagonalBiLSTM
from keras_pixelrnn.layers.masked_conv2d import MaskedConv2D
from keras_pixelrnn.layers.row_lstm import RowLSTM
from keras_pixelrnn.models import likelihood
from keras_pixelrnn.models import presets as _presets
from keras_pixelrnn.models.presets import DESCRIPTIONS, PRESETS, preset_config

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
    try:
        image_shape = tuple(None if d is None else int(d) for d in image_shape)
    except (TypeError, ValueError):
        image_shape = None
    if image_shape is None or len(image_shape) != 3 or image_shape[-1] not in (1, 3):
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
    return image_shape, output_units


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
        dtype: dtype policy of the layers (e.g. `"mixed_float16"`); the
            logits are float32 in any case. Defaults to Keras' global policy.
        name: model name; default the architecture.

    Call arguments:
        images: `(B, H, W, C)` with integer values `0 .. levels-1`, any real
            dtype.

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
        dtype=None,
        **kwargs,
    ):
        image_shape, outputs = _check_arguments(
            architecture, image_shape, num_layers, hidden_units, levels, output_units
        )
        if isinstance(dropout, bool) or not isinstance(dropout, (int, float)) or not 0 <= dropout < 1:
            raise ValueError(f"`dropout` must be a number in [0, 1). Received: dropout={dropout!r}")
        colors, h = image_shape[-1], hidden_units
        policy = keras.dtype_policies.get(dtype) if dtype is not None else keras.config.dtype_policy()

        def conv(filters, kernel_size, name, mask_type="B", dtype=policy):
            return MaskedConv2D(
                filters, kernel_size, mask_type=mask_type, color_channels=colors, name=name,
                dtype=dtype,
            )

        # === Functional graph ===
        images = keras.Input(image_shape, name="images")
        x = keras.layers.Rescaling(2.0 / (levels - 1), offset=-1.0, name="rescale", dtype=policy)(
            images
        )
        x = conv(2 * h, 7, "input_conv", mask_type="A")(x)
        skips = [conv(2 * h, 1, "skip_0")(x)] if skip_connections else []
        for n in range(1, num_layers + 1):
            block = x
            if architecture == "row_lstm":
                y = RowLSTM(h, color_channels=colors, name=f"block_{n}_row_lstm", dtype=policy)(x)
            elif architecture == "diagonal_bilstm":
                y = DiagonalBiLSTM(
                    h, color_channels=colors, name=f"block_{n}_diagonal_bilstm", dtype=policy
                )(x)
            else:
                y = keras.layers.ReLU(name=f"block_{n}_relu_1", dtype=policy)(x)
                y = conv(h, 1, f"block_{n}_reduce")(y)
                y = keras.layers.ReLU(name=f"block_{n}_relu_2", dtype=policy)(y)
                y = conv(h, 3, f"block_{n}_conv")(y)
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
        super().__init__(inputs=images, outputs=logits, **kwargs)

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
        if load_weights not in (None, True, False):
            raise ValueError(
                f"`load_weights` must be None, True or False. Received: load_weights={load_weights!r}"
            )
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

    def log_prob(self, images, batch_size=64):
        """`log p(x)` in nats per image, a NumPy array `(N,)`.

        Args:
            images: integer images `(N, H, W, C)` in `[0, levels)`.
            batch_size: images per forward pass of the compiled scorer.
        """
        return likelihood.log_prob(self, images, batch_size=batch_size)

    def bits_per_dim(self, images, batch_size=64):
        """Negative log-likelihood in bits per dimension, `(N,)`:
        `-log p(x) / (H * W * C * ln 2)`."""
        nats = -self.log_prob(images, batch_size=batch_size)
        dims = math.prod(np.shape(images)[1:])
        return nats / (dims * math.log(2.0))

    def sample(self, num_samples, seed=None, temperature=1.0, noise=None, method="cached",
               return_log_prob=False, progress=False):
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
        """
        return sampling.sample(
            self, num_samples, seed=seed, temperature=temperature, method=method, noise=noise,
            return_log_prob=return_log_prob, progress=progress,
        )

    def complete(self, images, keep_rows=None, known=None, seed=None, temperature=1.0,
                 method="cached", progress=False):
        """Keeps some sub-pixels of `images` and draws the rest (Figure 1 of the paper).

        Args:
            images: integer images `(N, H, W, C)` in `[0, levels)`.
            keep_rows: keep the top `keep_rows` rows (0 .. H).
            known: or a bool mask `(N, H, W, C)` (or broadcastable) of the
                sub-pixels to keep; combined with `keep_rows` when both are
                given.
            seed, temperature, method, progress: as in `sample`.

        Returns:
            uint8 images `(N, H, W, C)`: the kept sub-pixels as given, the
            others drawn given everything before them.
        """
        return sampling.complete(
            self, images, keep_rows=keep_rows, known=known, seed=seed, temperature=temperature,
            method=method, progress=progress,
        )


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
