"""`MultiScalePixelRNN`: the paper's multi-scale PixelRNN (section 3.5).

An image `x` of `n x n'` pixels is modelled at two scales:

    s = x[::f, ::f]                       the small image: every f-th pixel (f = 2)
    p(x) = p(s) * p(x outside the grid | s)

1. An unconditional PixelRNN (`small_model`) models the small image `s`.
2. A conditional PixelRNN (`full_model`, built with `small_image_shape`) models
   the whole image given `s`: a small network of convolutions and a
   deconvolution upsamples `s` to a map of `condition_units` channels, and
   every layer adds a learned 1x1 projection of that map to its
   input-to-state pre-activations (`keras_pixelrnn.layers.conditioning`).

The sub-pixels on the grid are `s` itself: given `s` they are known, so the
second term counts only the sub-pixels off the grid, and sampling copies `s`
onto the grid and draws the rest (the cached sampler's image completion).
This makes `log p(s) + log p(x | s)` the exact log-likelihood of `x` under
the model's sampler (the paper leaves this detail open; this is the choice
of this package).

Training is `fit` on `(images, model.targets(images))`: the model has two
outputs, the small model's logits and the full model's (with the grid's
logits made certain of the given values), each with `PixelRNNLoss`, so
Keras reports both terms (`small_loss`, `full_loss`) and their sum.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_pixelrnn.generation import inputs, sampling
from keras_pixelrnn.models import classification, empty_batches, likelihood, loading
from keras_pixelrnn.models.pixel_rnn import PixelRNN
from keras_pixelrnn.models.presets import check_load_weights, multi_scale_preset_config
from keras_pixelrnn.utils import arguments
from keras_pixelrnn.utils.image_checks import check_images, check_noise
from keras_pixelrnn.utils.traced_functions import kept_function

# The constructor arguments of a stage (`small`, `full`): those of PixelRNN
# that are not set by the multi-scale model itself.
STAGE_ARGUMENTS = (
    "architecture", "num_layers", "hidden_units", "output_units", "residual",
    "skip_connections", "dropout", "condition_units",
)


def subsample(images, factor):
    """The small image: every `factor`-th pixel, from `(0, 0)` on (NumPy or TF)."""
    return images[:, ::factor, ::factor]


def grid_mask(image_shape, factor):
    """Bool `(H, W, C)`: the sub-pixels that the small image holds."""
    mask = np.zeros(image_shape, bool)
    mask[::factor, ::factor] = True
    return mask


@keras.saving.register_keras_serializable(package="keras_pixelrnn")
class Subsample(keras.layers.Layer):
    """Images `(B, H, W, C)` -> every `factor`-th pixel `(B, H/f, W/f, C)`."""

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, images):
        return subsample(images, self.factor)

    def compute_output_shape(self, input_shape):
        b, h, w, c = input_shape
        return (b, None if h is None else -(-h // self.factor),
                None if w is None else -(-w // self.factor), c)

    def get_config(self):
        return dict(super().get_config(), factor=self.factor)


@keras.saving.register_keras_serializable(package="keras_pixelrnn")
class GridGiven(keras.layers.Layer):
    """`[logits (B, H, W, C, L), images (B, H, W, C)]` -> the logits with the
    sub-pixels of the grid made certain of their values: their
    log-probability is exactly 0, so a likelihood counts the other
    sub-pixels only."""

    def __init__(self, factor, **kwargs):
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, inputs):
        logits, images = inputs
        shape = tf.shape(images)
        rows = tf.range(shape[1]) % self.factor == 0
        cols = tf.range(shape[2]) % self.factor == 0
        on_grid = tf.logical_and(rows[:, None], cols[None, :])[None, :, :, None, None]
        levels = logits.shape[-1]
        certain = tf.one_hot(tf.cast(images, tf.int32), levels, on_value=0.0, off_value=-1e4,
                             dtype=logits.dtype)
        return tf.where(on_grid, certain, logits)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return dict(super().get_config(), factor=self.factor)


def _stage(config, name):
    config = dict(config or {})
    unknown = sorted(set(config) - set(STAGE_ARGUMENTS))
    if unknown:
        raise ValueError(
            f"`{name}` takes the PixelRNN arguments {STAGE_ARGUMENTS}. Received: {unknown}"
        )
    for required in ("architecture", "num_layers", "hidden_units"):
        if required not in config:
            raise ValueError(
                f"`{name}` must give {required!r}. Received: {name}={config!r}"
            )
    return config


@keras.saving.register_keras_serializable(package="keras_pixelrnn")
class MultiScalePixelRNN(keras.Model):
    """The multi-scale PixelRNN: an unconditional PixelRNN of the image's
    every `factor`-th pixel, and a PixelRNN of the whole image conditioned
    on it (section 3.5 of the paper).

    Args:
        image_shape: `(height, width, colors)`, height and width divisible
            by `factor`.
        small: the small model's PixelRNN arguments (a dict with
            `architecture`, `num_layers`, `hidden_units`, and optionally
            `output_units`, `residual`, `skip_connections`, `dropout`).
        full: the full-size conditional model's, likewise, and optionally
            `condition_units` (channels of the upsampled map; default 2h).
        factor: the subsampling step; the paper's s = n/2 is 2.
        levels: intensity levels per colour (256, or 2 for binary images).
        implementation: passed to both stages (see `PixelRNN`).
        dtype: dtype policy of the layers.

    Call arguments:
        images: `(B, H, W, C)` integer values in `[0, levels)`.

    Returns:
        `[small_logits (B, H/f, W/f, C, L), full_logits (B, H, W, C, L)]`,
        the full logits with the grid's sub-pixels certain (see
        `GridGiven`).

    Example:

    >>> model = MultiScalePixelRNN.from_preset("mnist_multiscale")
    >>> model.compile("adam", loss=[PixelRNNLoss(), PixelRNNLoss()])
    >>> model.fit(images, model.targets(images), epochs=10)
    >>> terms = model.log_prob_terms(images)   # {"small": ..., "full": ...}
    >>> samples = model.sample(16, seed=0)     # both stages, cached
    """

    def __init__(self, image_shape, small, full, factor=2, levels=256, implementation="auto",
                 dtype=None, **kwargs):
        arguments.integer("factor", factor, minimum=2)
        image_shape = arguments.shape("image_shape", image_shape, 3)
        if image_shape[0] % factor or image_shape[1] % factor:
            raise ValueError(
                f"`image_shape` must be (height, width, colors) with height and width "
                f"divisible by factor={factor}. Received: image_shape={image_shape}"
            )
        small, full = _stage(small, "small"), _stage(full, "full")
        small_shape = (image_shape[0] // factor, image_shape[1] // factor, image_shape[2])
        small_model = PixelRNN(
            image_shape=small_shape, levels=levels, implementation=implementation, dtype=dtype,
            name="small",
            **{k: v for k, v in small.items() if k != "condition_units"},
        )
        full_model = PixelRNN(
            image_shape=image_shape, levels=levels, small_image_shape=small_shape,
            implementation=implementation, dtype=dtype, name="full_stage", **full,
        )

        # === Functional graph ===
        images = keras.Input(image_shape, name="images")
        small_images = Subsample(factor, name="subsample")(images)
        small_logits = small_model(small_images)
        full_logits = full_model([images, small_images])
        full_logits = GridGiven(factor, name="full")([full_logits, images])
        kwargs.setdefault("name", "multi_scale_pixel_rnn")
        super().__init__(inputs=images, outputs=[small_logits, full_logits], **kwargs)

        # === Config ===
        self.image_shape = image_shape
        self.small_config, self.full_config = small, full
        self.factor, self.levels, self.implementation = factor, levels, implementation
        self.small_model, self.full_model = small_model, full_model
        self._policy_name = small_model.dtype_policy.name

    def get_config(self):
        return {
            "image_shape": list(self.image_shape),
            "small": dict(self.small_config),
            "full": dict(self.full_config),
            "factor": self.factor,
            "levels": self.levels,
            "implementation": self.implementation,
            "dtype": self._policy_name,
            "name": self.name,
            "trainable": self.trainable,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @classmethod
    def from_preset(cls, preset, load_weights=None, **overrides):
        """One of `MULTI_SCALE_PRESETS` by name, keyword arguments replacing
        its configuration (e.g. `small=dict(...)`).

        `load_weights` has the meaning of `PixelRNN.from_preset`'s: the
        package ships no multi-scale weights, so `None` (default) and `False`
        give a freshly initialised model and `True` is a ValueError."""
        check_load_weights(load_weights)
        config = multi_scale_preset_config(preset, **overrides)
        if load_weights:
            raise ValueError(
                "The package ships no multi-scale weights, so `load_weights=True` cannot load "
                "any (`load_weights=False` builds the model freshly initialised). "
                f"Received: preset={preset!r}, load_weights=True"
            )
        return cls(**config)

    # === Weights and Keras's loops ===

    def load_weights(self, filepath, **kwargs):
        """`keras.Model.load_weights`, all or nothing, as `PixelRNN.load_weights`:
        a ValueError naming the file and the first mismatching variable, and
        the model unchanged, for weights of another model."""
        return loading.load_weights(self, filepath, **kwargs)

    def predict(self, x, *args, **kwargs):
        """`keras.Model.predict`; for 0 images the empty logits of both
        stages, where Keras's loop, running no batch, fails."""
        if empty_batches.is_empty(x):
            return empty_batches.outputs(self, x)
        return super().predict(x, *args, **kwargs)

    # === Likelihood and generation ===

    def conditions(self, batch, **given):
        """The model's condition inputs: none (both stages are inside it)."""
        if given:
            raise ValueError(
                f"A MultiScalePixelRNN takes no conditions. Received: {sorted(given)}"
            )
        return []

    @staticmethod
    def _no_conditions(conditions):
        """The traceable methods take `conditions` as a `PixelRNN`'s do: none here."""
        if conditions:
            raise ValueError(
                "A MultiScalePixelRNN takes no conditions (both stages are inside it). "
                f"Received: {len(conditions)} condition inputs"
            )

    def targets(self, images):
        """The training targets of `images`: `(small images, images)`."""
        return (subsample(images, self.factor), images)

    def log_prob_terms(self, images, batch_size=64):
        """`{"small": log p(s), "full": log p(x | s)}` in nats per image, `(N,)`
        each, where `s` is the subsampled image and the second term counts
        the sub-pixels off the grid."""
        images = check_images(images, self.image_shape, self.levels)
        score = kept_function(self, "log_prob_terms", lambda: _scorer(self))
        terms = [score(tf.constant(images[k : k + batch_size])) for k in range(0, len(images), batch_size)]
        if not terms:
            return {"small": np.zeros((0,), np.float32), "full": np.zeros((0,), np.float32)}
        return {
            name: np.concatenate([t[i].numpy() for t in terms])
            for i, name in enumerate(("small", "full"))
        }

    def score(self, images, conditions=()):
        """Traceable scoring (for `tf.function` and exports): integer-valued
        images `(B, H, W, C)` -> `{"log_prob", "small_log_prob",
        "full_log_prob"}`, each `(B,)` in nats per image, `log_prob` their
        sum. `conditions` must be empty."""
        self._no_conditions(conditions)
        small_logits, full_logits = self(tf.cast(images, tf.float32), training=False)
        small = likelihood.log_prob_from_logits(small_logits, subsample(images, self.factor))
        full = likelihood.log_prob_from_logits(full_logits, images)
        return {"log_prob": small + full, "small_log_prob": small, "full_log_prob": full}

    def log_prob(self, images, batch_size=64):
        """`log p(x) = log p(s) + log p(x | s)` in nats per image, `(N,)`."""
        terms = self.log_prob_terms(images, batch_size=batch_size)
        return terms["small"] + terms["full"]

    def classify(self, images, prior=None, batch_size=64):
        """`PixelRNN.classify`'s API, which needs a class-conditional model:
        a multi-scale one has no `num_classes`, so this raises the
        ValueError that names it."""
        return classification.posterior(self, images, prior=prior, batch_size=batch_size)

    def sample(self, num_samples, seed=None, temperature=1.0, method="cached", noise=None,
               return_small=False, progress=False):
        """Draws `num_samples` images in two stages, each with the sampler of
        `method`: the small image, then the rest of the full one given it.

        One uniform noise array `(N, H, W, C)` drives both: its grid
        `noise[:, ::f, ::f]` draws the small image, the rest the other
        sub-pixels (the exported `sample` signature takes the same noise).

        Args:
            num_samples: number of images, > 0.
            seed: seed of the noise.
            temperature, method, progress: as in `PixelRNN.sample`.
            noise: instead of `seed`, the noise itself.
            return_small: also return the small images.

        Returns:
            uint8 images `(num_samples, H, W, C)` (and the small ones).
        """
        num_samples = inputs.check_num_samples(self, num_samples)
        if noise is None:
            noise = inputs.uniform_noise(self.image_shape, num_samples, seed)
        noise = check_noise(noise, self.image_shape)
        if noise.shape != (num_samples,) + self.image_shape:
            raise ValueError(
                f"`noise` must have shape {(num_samples,) + self.image_shape}. "
                f"Received: noise.shape={noise.shape}"
            )
        small = self.small_model.sample(num_samples, noise=subsample(noise, self.factor),
                                        temperature=temperature, method=method, progress=progress)
        images = self.complete_from_small(small, noise=noise, temperature=temperature,
                                          method=method, progress=progress)
        return (images, small) if return_small else images

    def complete_from_small(self, small_images, seed=None, temperature=1.0, method="cached",
                            noise=None, progress=False):
        """The second stage alone: full images `(N, H, W, C)` whose grid holds
        `small_images` `(N, H/f, W/f, C)` and whose other sub-pixels are
        drawn given them (from `noise` `(N, H, W, C)`, or `seed`)."""
        small = check_images(small_images, self.small_model.image_shape, self.levels,
                             name="small_images")
        values = np.zeros((len(small),) + self.image_shape, np.int32)
        values[:, :: self.factor, :: self.factor] = small
        if noise is None:
            noise = inputs.uniform_noise(self.image_shape, len(small), seed)
        known = np.broadcast_to(grid_mask(self.image_shape, self.factor), values.shape)
        return sampling.generate(
            self.full_model, noise, known=known, values=values, temperature=temperature,
            method=method, progress=progress,
            conditions=self.full_model.conditions(len(small), small_images=small),
        )

    def images_from_noise(self, noise, conditions=(), temperature=1.0):
        """Traceable two-stage sampling (for export): noise `(B, H, W, C)` ->
        uint8 images, as `sample(noise=...)` draws them with the cached
        sampler. `conditions` must be empty (`conditions`)."""
        self._no_conditions(conditions)
        noise = tf.convert_to_tensor(noise, tf.float32)
        f = self.factor
        small = sampling.sampler(self.small_model, "cached").images_from_noise(
            subsample(noise, f), temperature
        )
        # Each small pixel repeated over its f x f block: its value on the grid.
        values = tf.repeat(tf.repeat(tf.cast(small, tf.int32), f, axis=1), f, axis=2)
        known = tf.broadcast_to(tf.constant(grid_mask(self.image_shape, f)), tf.shape(noise))
        return sampling.sampler(self.full_model, "cached").images_from_noise(
            noise, temperature, conditions=(tf.cast(small, tf.float32),), known=known,
            values=values,
        )

def _scorer(model):
    spec = tf.TensorSpec((None,) + model.image_shape, tf.int32, name="images")

    @tf.function(input_signature=[spec])
    def score(images):
        terms = model.score(images)
        return terms["small_log_prob"], terms["full_log_prob"]

    return score
