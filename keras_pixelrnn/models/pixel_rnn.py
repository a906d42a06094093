"""`PixelRNN`: the model of the paper (Table 1) as a Functional `keras.Model`.

The graph is built by `keras_pixelrnn.models.builder`; this module is the
model: its configuration, its presets, and what it computes (likelihoods,
samples, completions), through `likelihood` and `keras_pixelrnn.generation`.
"""


import keras
import numpy as np
import tensorflow as tf

from keras_pixelrnn.generation import inputs, sampling
from keras_pixelrnn.models import classification, empty_batches, likelihood, loading
from keras_pixelrnn.models.builder import (
    ARCHITECTURES, build_graph, check_arguments, check_condition_arguments,
)
from keras_pixelrnn.models.conditions import model_conditions
from keras_pixelrnn.models import presets as _presets
from keras_pixelrnn.models.presets import DESCRIPTIONS, PRESETS, preset_config
from keras_pixelrnn.utils import arguments
from keras_pixelrnn.utils.image_checks import check_images


class _ClassProperty:
    def __init__(self, getter):
        self.getter = getter

    def __get__(self, instance, owner):
        return self.getter(owner)


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
        implementation: how the recurrent layers compute, `"auto"`
            (default: the fastest way on the device that runs the graph) or
            `"portable"` (a way that runs on any device, for exports), passed
            to every `RowLSTM` or `DiagonalBiLSTM` (see their docstrings and
            `keras_pixelrnn.layers.execution`). The numbers are the same.
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
    >>> digits = PixelRNN.from_preset("mnist_conditional")      # p(x | label), 10 labels
    >>> sevens = digits.sample(16, labels=7)
    >>> posterior = digits.classify(images)                    # (N, 10) p(label | x)
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
        implementation="auto",
        dtype=None,
        **kwargs,
    ):
        image_shape, outputs = check_arguments(
            architecture, image_shape, num_layers, hidden_units, levels, output_units
        )
        small_image_shape, condition_units = check_condition_arguments(
            image_shape, hidden_units, num_classes, small_image_shape, condition_units
        )
        arguments.number("dropout", dropout, minimum=0, below=1)
        arguments.one_of("implementation", implementation, ("auto", "portable"))
        policy = keras.dtype_policies.get(dtype) if dtype is not None else keras.config.dtype_policy()
        config = dict(
            architecture=architecture, image_shape=image_shape, num_layers=num_layers,
            hidden_units=hidden_units, levels=levels, output_units=outputs, residual=residual,
            skip_connections=skip_connections, dropout=dropout, num_classes=num_classes,
            small_image_shape=small_image_shape, condition_units=condition_units,
            implementation=implementation,
        )
        inputs, logits = build_graph(config, policy)
        kwargs.setdefault("name", architecture)
        super().__init__(inputs=inputs if len(inputs) > 1 else inputs[0], outputs=logits, **kwargs)

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
        self.implementation = implementation
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
            "implementation": self.implementation,
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
        path = _presets.weights_to_load(preset, load_weights)
        model = cls(**config)
        if path is None or not _presets.weights_fit(
            preset, load_weights, model.get_config(), overrides
        ):
            return model
        try:  # a fresh model, dropped if the file does not load: no twin needed
            keras.Model.load_weights(model, path)
        except Exception as error:  # a truncated or foreign file
            raise ValueError(
                f"the weights {path!r} of preset {preset!r} do not load: {error}"
            ) from None
        return model

    # === Weights and Keras's loops ===

    def load_weights(self, filepath, **kwargs):
        """`keras.Model.load_weights`, all or nothing: every variable of the
        file is checked, shape included, before any is assigned (see
        `keras_pixelrnn.models.loading.load_weights`).

        Raises:
            ValueError: a file of another architecture (or a truncated one),
                naming the file and the first mismatching variable with both
                shapes; the model keeps its weights.
        """
        return loading.load_weights(self, filepath, **kwargs)

    def predict(self, x, *args, **kwargs):
        """`keras.Model.predict`; for 0 images (arrays or tensors) the empty
        logits `(0, H, W, C, levels)`, where Keras's loop, running no batch,
        fails (`keras_pixelrnn.models.empty_batches`)."""
        if empty_batches.is_empty(x):
            return empty_batches.outputs(self, x)
        return super().predict(x, *args, **kwargs)

    # === Likelihood and generation ===

    def conditions(self, batch, labels=None, small_images=None):
        """The model's condition inputs for `batch` images, checked (see
        `keras_pixelrnn.models.conditions.model_conditions`): `[]`,
        `[labels]` or `[small_images]`; a ValueError that names the
        argument for anything missing, extra, out of range or mis-shaped."""
        return model_conditions(self, batch, labels, small_images)

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
        images = check_images(images, self.image_shape, self.levels)
        conditions = self.conditions(len(images), labels, small_images)
        return likelihood.log_prob(self, images, batch_size=batch_size, conditions=conditions)

    def classify(self, images, prior=None, batch_size=64):
        """A class-conditional model as a classifier: `p(label | x)` of each
        image, float64 `(N, num_classes)`, rows summing to 1, by Bayes' rule
        `softmax_y(log p(x | y) + log p(y))` (`keras_pixelrnn.models.classification`).
        It costs `num_classes` scoring passes over `images` (a batched
        `log_prob` per label).

        Args:
            images: integer images `(N, H, W, C)` in `[0, levels)`.
            prior: `p(y)`, `num_classes` numbers `>= 0` summing to 1; None
                (default) for uniform.
            batch_size: images per forward pass.

        Raises:
            ValueError: an unconditional model (naming `num_classes`), a bad
                `prior`, or images that do not fit the model.

        Example:

        >>> digits = PixelRNN.from_preset("mnist_conditional", load_weights=True)
        >>> predicted = digits.classify(images).argmax(axis=-1)   # (N,)
        """
        return classification.posterior(self, images, prior=prior, batch_size=batch_size)

    def score(self, images, conditions=()):
        """Traceable scoring (for `tf.function` and exports): integer-valued
        images `(B, H, W, C)` (any dtype) and the condition inputs (tensors,
        in the order of `inputs[1:]`) -> `{"log_prob": (B,)}` in nats per
        image. The NumPy API, checked and batched, is `log_prob`."""
        logits = likelihood.logits_of(self, images, conditions)
        return {"log_prob": likelihood.log_prob_from_logits(logits, images)}

    def images_from_noise(self, noise, conditions=(), temperature=1.0):
        """Traceable sampling (for `tf.function` and exports): uniform noise
        `(B, H, W, C)` in `[0, 1)` and the condition inputs -> uint8 images,
        the cached sampler in one graph, as `sample(noise=...)` draws them."""
        run = sampling.sampler(self, "cached")
        return run.images_from_noise(noise, temperature, conditions=tuple(conditions))

    def images_from_rows(self, images, keep_rows, noise, conditions=(), temperature=1.0):
        """Traceable completion (for `tf.function` and exports): integer
        images `(B, H, W, C)`, `keep_rows` int `(B,)` (rows kept per image),
        uniform noise `(B, H, W, C)` in `[0, 1)` and the condition inputs ->
        uint8 images: the top `keep_rows[b]` rows of image `b` as given, the
        rest drawn by the cached sampler in one graph, as `complete` draws
        them from the same noise."""
        run = sampling.sampler(self, "cached")
        noise = tf.convert_to_tensor(noise, tf.float32)
        known = inputs.known_rows(keep_rows, tf.shape(noise))
        values = tf.cast(images, tf.int32)
        return run.images_from_noise(
            noise, temperature, conditions=tuple(conditions), known=known, values=values
        )

    def bits_per_dim(self, images, batch_size=64, labels=None, small_images=None):
        """Negative log-likelihood in bits per dimension, `(N,)`:
        `-log p(x) / (H * W * C * ln 2)`."""
        nats = -self.log_prob(images, batch_size=batch_size, labels=labels,
                              small_images=small_images)
        return likelihood.bits_per_dim(nats, np.shape(images)[1:])

    def sample(self, num_samples, seed=None, temperature=1.0, noise=None, method="cached",
               return_log_prob=False, progress=False, labels=None, small_images=None):
        """Draws `num_samples` images, uint8 `(num_samples, H, W, C)`.

        Args:
            num_samples: number of images, > 0 (0 is a ValueError, as is a
                batch too large for this machine's memory).
            seed: seed of the noise, None or an integer >= 0; the same seed
                gives the same images, with either method.
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
        num_samples = inputs.check_num_samples(self, num_samples)
        conditions = self.conditions(num_samples, labels, small_images)
        return sampling.sample(
            self, num_samples, seed=seed, temperature=temperature, method=method, noise=noise,
            return_log_prob=return_log_prob, progress=progress, conditions=conditions,
        )

    def complete(self, images, keep_rows=None, known=None, seed=None, temperature=1.0,
                 method="cached", progress=False, labels=None, small_images=None):
        """Keeps some sub-pixels of `images` and draws the rest (Figure 1 of the paper).

        Args:
            images: integer images `(N, H, W, C)` in `[0, levels)`; `N` may
                be 0 (an empty result).
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
        images = check_images(images, self.image_shape, self.levels)
        conditions = self.conditions(len(images), labels, small_images)
        return sampling.complete(
            self, images, keep_rows=keep_rows, known=known, seed=seed, temperature=temperature,
            method=method, progress=progress, conditions=conditions,
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
