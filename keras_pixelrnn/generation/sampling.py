"""Drawing images from a PixelRNN, sub-pixel by sub-pixel.

    for i in rows, for j in columns, for c in colours:
        logits = model's logits at (i, j, c), given every sub-pixel drawn so far
        x[i, j, c] = inverse-CDF draw from softmax(logits / temperature) with noise u[i, j, c]

Two methods draw from the same noise `u` (uniform in [0, 1), one number per
sub-pixel) and so return the same images:

* `"naive"`: one full forward pass of the model per sub-pixel
  (`H * W * C` passes), in a compiled loop. The reference.
* `"cached"`: computes, per sub-pixel, only the one pixel of every layer that
  the new sub-pixel changes, through each layer's own one-pixel step
  (`keras_pixelrnn.layers.cached_step`, run by
  `keras_pixelrnn.generation.pixel_graph`): about the work of one forward
  pass per colour in all. Each layer steps in its own compute dtype, as in
  `call`; a mixed-precision model's draws may still differ from naive ones
  where float16 rounding, in another order, moves a CDF boundary across
  the noise.

Samplers are kept with the model (`sampler`): the compiled loop is traced on
the first call and reused for every batch size. In this process the cached
sampler runs under TensorFlow's single-threaded executor on a machine
without a GPU (the choice for the machine that runs it); exported graphs
keep the default executor unless asked otherwise
(`keras_pixelrnn.serving.signatures`).

Given the noise, sampling is deterministic: the inverse CDF maps `u` to the
smallest value `v` with `P(x <= v) > u`. `known` sub-pixels (image
completion) are copied instead of drawn, and later draws condition on them.
"""

import keras
import numpy as np
import tensorflow as tf

from keras_pixelrnn.generation.inputs import (
    broadcast_known,
    check_num_samples,
    check_temperature,
    fixed_image_shape,
    known_rows,
    uniform_noise,
)
from keras_pixelrnn.generation.pixel_graph import PixelGraph
from keras_pixelrnn.layers import execution
from keras_pixelrnn.layers.cached_step import put
from keras_pixelrnn.utils import arguments
from keras_pixelrnn.utils.traced_functions import CountedFunction, kept_function
from keras_pixelrnn.utils.image_checks import (
    check_conditions, check_images, check_noise, condition_specs, image_shape, model_levels,
)

METHODS = ("cached", "naive")


def draw(logits, noise, temperature):
    """Inverse-CDF draw. `logits` `(B, L)`, `noise` `(B,)` in [0, 1).

    Returns the drawn values `(B,)` int32: the smallest `v` with
    `P(x <= v) > noise` under `softmax(logits / temperature)`."""
    probs = tf.nn.softmax(logits / temperature, axis=-1)
    cdf = tf.cumsum(probs, axis=-1)
    levels = tf.shape(logits)[-1]
    # The float32 CDF often ends just below 1; noise scaled to its end never
    # falls past it onto a trailing level of probability 0.
    value = tf.reduce_sum(tf.cast(cdf <= noise[:, None] * cdf[:, -1:], tf.int32), axis=-1)
    return tf.minimum(value, levels - 1)


def _pick(log_probs, value):
    return tf.gather(log_probs, value[:, None], axis=1, batch_dims=1)[:, 0]


class _Sampler:
    """Shared driver: `init(batch, conditions)` and `rows(state, noise, known,
    values, temperature, start, stop)` where state = (image, log_prob,
    caches, conditions).

    `rows` is compiled once for every batch size: its `input_signature`
    leaves the batch axis of each argument free. `traces` counts its traces.
    """

    def __init__(self, model, jit_compile):
        self.model = model
        self.height, self.width, self.colors = image_shape(model)
        self.levels = model_levels(model)
        self._compiled_rows = CountedFunction(
            self._rows, self._rows_signature(), jit_compile=jit_compile
        )
        self.executor = None

    @property
    def traces(self):
        """How many times the compiled `rows` has been traced."""
        return self._compiled_rows.traces

    def _rows_signature(self):
        """The `tf.TensorSpec`s of `rows`'s arguments, batch axis None.

        Each cache keeps the batch on its own axis; `init` traced with a
        symbolic batch size gives the state's specs without knowing which."""
        state = tf.function(self.init, autograph=False).get_concrete_function(
            tf.TensorSpec([], tf.int32), condition_specs(self.model)
        ).structured_outputs
        images = (None, self.height, self.width, self.colors)
        return (
            tf.nest.map_structure(lambda t: tf.TensorSpec(t.shape, t.dtype), state),
            tf.TensorSpec(images, tf.float32, name="noise"),
            tf.TensorSpec(images, tf.bool, name="known"),
            tf.TensorSpec(images, tf.int32, name="values"),
            tf.TensorSpec([], tf.float32, name="temperature"),
            tf.TensorSpec([], tf.int32, name="start"),
            tf.TensorSpec([], tf.int32, name="stop"),
        )

    def rows(self, state, noise, known, values, temperature, start, stop):
        """Draws rows `start` to `stop` (tensors) into `state`; compiled."""
        if self.executor is None:
            return self._compiled_rows(state, noise, known, values, temperature, start, stop)
        with tf.experimental.function_executor_type(self.executor):
            return self._compiled_rows(state, noise, known, values, temperature, start, stop)

    def images_from_noise(self, noise, temperature=1.0, conditions=(), known=None, values=None):
        """Traceable core (for `tf.function` and export): uniform noise
        `(B, H, W, C)` (and the model's condition inputs, e.g. labels `(B,)`)
        -> uint8 images, the whole image in one graph. `known` (bool) and
        `values` (int32), both `(B, H, W, C)`: sub-pixels copied, not drawn."""
        noise = tf.convert_to_tensor(noise, tf.float32)
        state = self.init(tf.shape(noise)[0], conditions)
        if known is None:
            known = tf.zeros(tf.shape(noise), tf.bool)
            values = tf.zeros(tf.shape(noise), tf.int32)
        image, *_ = self._rows(
            state, noise, known, values, tf.cast(temperature, tf.float32),
            tf.constant(0), tf.constant(self.height),
        )
        return tf.cast(tf.round(image), tf.uint8)

    def _finish_subpixel(self, logits, noise, known, values, temperature):
        value = draw(logits, noise, temperature)
        value = tf.where(known, values, value)
        log_prob = _pick(tf.nn.log_softmax(logits, axis=-1), value)
        return value, log_prob


class NaiveSampler(_Sampler):
    """One forward pass of the whole model per sub-pixel."""

    def init(self, batch, conditions=()):
        return (
            tf.zeros((batch, self.height, self.width, self.colors), tf.float32),
            tf.zeros((batch,), tf.float32),
            (),
            tuple(tf.convert_to_tensor(c) for c in conditions),
        )

    def _rows(self, state, noise, known, values, temperature, start, stop):
        image, total, caches, conditions = state
        colors, width = self.colors, self.width
        batch = tf.shape(image)[0]
        steps = (stop - start) * width * colors

        def body(t, image, total):
            t_abs = start * width * colors + t
            i, rest = t_abs // (width * colors), t_abs % (width * colors)
            j, c = rest // colors, rest % colors
            inputs = [image, *conditions] if conditions else image
            logits = self.model(inputs, training=False)[:, i, j, c]
            value, log_prob = self._finish_subpixel(
                logits, noise[:, i, j, c], known[:, i, j, c], values[:, i, j, c], temperature
            )
            index = tf.stack(
                [tf.range(batch), tf.fill([batch], i), tf.fill([batch], j), tf.fill([batch], c)], 1
            )
            image = tf.tensor_scatter_nd_update(image, index, tf.cast(value, image.dtype))
            return t + 1, image, total + log_prob

        _, image, total = tf.while_loop(
            lambda t, *_: t < steps, body, (tf.constant(0), image, total),
            maximum_iterations=steps,
        )
        return image, total, caches, conditions


class CachedSampler(_Sampler):
    """Per sub-pixel, only the pixel of every layer that it changes."""

    def __init__(self, model, jit_compile):
        self.graph = PixelGraph(model, image_shape(model)[1])  # before `init` is traced
        super().__init__(model, jit_compile)
        # A pixel is hundreds of tiny ops. On a CPU, TensorFlow's default
        # executor spends more time handing them from thread to thread than
        # running them; the single-threaded one runs them in line (faster; see
        # the benchmark docs; kernels keep their own threads). Its loops must stay
        # functional, so tracing happens under it too.
        if not jit_compile and execution.device() != "gpu":
            self.executor = "SINGLE_THREADED_EXECUTOR"

    def init(self, batch, conditions=()):
        return (
            tf.zeros((batch, self.height, self.width, self.colors), tf.float32),
            tf.zeros((batch,), tf.float32),
            self.graph.init(batch),
            self.graph.conditions([tf.convert_to_tensor(c) for c in conditions]),
        )

    def _rows(self, state, noise, known, values, temperature, start, stop):
        image, total, caches, conditions = state
        colors = self.colors
        weights = self.graph.step_weights()
        # (H, W, B, C): one pixel of every image is a slice on the leading axes.
        pixels, noise, known, values = (
            tf.transpose(a, (1, 2, 0, 3)) for a in (image, noise, known, values)
        )

        def row(i, pixels, total, caches):
            row_noise, row_known, row_values = (tf.gather(a, i) for a in (noise, known, values))

            def column(j, row_pixels, total, caches):
                u, keep, kept = (
                    tf.unstack(tf.gather(a, j), colors, axis=-1)
                    for a in (row_noise, row_known, row_values)
                )
                drawn, unknown = [], [tf.zeros_like(u[0])] * colors
                for c in range(colors):
                    pixel = tf.stack(drawn + unknown[c:], axis=-1)
                    # Only the last colour's caches are kept (TensorFlow
                    # prunes the writes of the others).
                    logits, new_caches = self.graph.evaluate(
                        weights, caches, conditions, i, j, pixel
                    )
                    value, log_prob = self._finish_subpixel(
                        tf.cast(logits[:, c], tf.float32), u[c], keep[c], kept[c], temperature
                    )
                    drawn.append(tf.cast(value, tf.float32))
                    total += log_prob
                pixel = tf.stack(drawn, axis=-1)
                caches = self.graph.commit(weights, caches, new_caches, conditions, i, j, pixel)
                return j + 1, put(row_pixels, j, pixel), total, caches

            _, row_pixels, total, caches = tf.while_loop(
                lambda j, *_: j < self.width, column,
                (tf.constant(0), tf.gather(pixels, i), total, caches),
                maximum_iterations=self.width,
            )
            return i + 1, put(pixels, i, row_pixels), total, self.graph.end_row(weights, caches)

        _, pixels, total, caches = tf.while_loop(
            lambda i, *_: i < stop, row, (start, pixels, total, caches),
            maximum_iterations=stop - start,
        )
        return tf.transpose(pixels, (2, 0, 1, 3)), total, caches, conditions


def sampler(model, method="cached", jit_compile=False):
    """The `NaiveSampler` or `CachedSampler` of `model`, kept with the model:
    its compiled loop is traced once for every batch size, not at every
    call (its `traces` attribute counts the traces)."""
    if method not in METHODS:
        raise ValueError(f"`method` must be one of {METHODS}. Received: method={method!r}")
    fixed_image_shape(model)
    cls = CachedSampler if method == "cached" else NaiveSampler
    return kept_function(model, ("sampler", method, bool(jit_compile)), lambda: cls(model, jit_compile))


def generate(model, noise, known=None, values=None, temperature=1.0, method="cached",
             return_log_prob=False, progress=False, jit_compile=False, conditions=None):
    """Draws images from given noise; the core of `sample` and `complete`.

    Args:
        model: a `PixelRNN` (or a model loaded from `.keras`).
        noise: float array `(N, H, W, C)`, uniform in [0, 1).
        known: optional bool array `(N, H, W, C)`: sub-pixels to keep.
        values: the kept sub-pixels' values (same shape; read where `known`).
        temperature: > 0; divides the logits before the draw.
        method: `"cached"` (fast) or `"naive"` (reference).
        return_log_prob: also return `log p(x)` in nats of each image,
            summed from the untempered log-probabilities of the draws.
        progress: print a progress bar, one step per row.
        conditions: the model's condition inputs after the image (a list in
            the order of `model.inputs[1:]`, e.g. `[labels]` with labels
            `(N,)`), for a conditional model.

    Returns:
        uint8 images `(N, H, W, C)` (and their log-probabilities). An empty
        batch (`N = 0`) gives empty arrays, after the checks.

    Raises:
        ValueError: for a bad argument (see `image_checks.check_noise`,
            `check_images`, `check_conditions`), naming it.
    """
    temperature = check_temperature(temperature)
    run = sampler(model, method, jit_compile)
    shape = (run.height, run.width, run.colors)
    noise = check_noise(noise, shape)
    if known is None:
        known = np.zeros(noise.shape, bool)
        values = np.zeros(noise.shape, np.int32)
    else:
        known = broadcast_known(known, noise.shape)
        if values is None:
            raise ValueError("`values` must be given with `known`. Received: values=None")
        values = check_images(values, shape, run.levels, name="values")
        if values.shape != noise.shape:
            raise ValueError(
                f"`values` must have the shape of `noise`, {noise.shape}. "
                f"Received: values.shape={values.shape}"
            )
    conditions = check_conditions(model, conditions, len(noise))
    if not len(noise):  # nothing to draw (a compiled loop cannot scatter into 0 images)
        images = np.zeros(noise.shape, np.uint8)
        return (images, np.zeros((0,), np.float32)) if return_log_prob else images
    state = run.init(len(noise), [tf.constant(c) for c in conditions])
    args = (
        tf.constant(noise), tf.constant(known), tf.constant(values, tf.int32),
        tf.constant(temperature, tf.float32),
    )
    bar = None
    if progress:
        bar = keras.utils.Progbar(run.height, unit_name="row")
    step = 1 if progress else run.height
    for start in range(0, run.height, step):
        stop = min(start + step, run.height)
        state = run.rows(state, *args, tf.constant(start), tf.constant(stop))
        if bar is not None:
            bar.update(stop)
    images = state[0].numpy().round().astype(np.uint8)
    if return_log_prob:
        return images, state[1].numpy()
    return images


def sample(model, num_samples, seed=None, temperature=1.0, method="cached",
           noise=None, return_log_prob=False, progress=False, conditions=None):
    """Draws `num_samples` images from `model`.

    Args:
        model: a `PixelRNN` (or a model loaded from `.keras`).
        num_samples: number of images, > 0 (a ValueError for 0, and for a
            batch that would not fit in this machine's memory:
            `check_num_samples`).
        seed: seed of the noise, None or an integer >= 0; the same seed
            gives the same images, with either method.
        temperature: > 0; below 1 sharpens the distributions (towards the
            most probable path), above 1 flattens them.
        method: `"cached"` (default, fast) or `"naive"` (one full forward
            pass per sub-pixel; the reference).
        noise: instead of `seed`, the uniform noise `(N, H, W, C)` itself.
        return_log_prob: also return `log p(x)` of each image in nats.
        progress: show a progress bar.
        conditions: a conditional model's condition inputs (see `generate`).

    Returns:
        uint8 images `(num_samples, H, W, C)`.

    Example:

    >>> images = sample(model, 16, seed=0)
    """
    num_samples = check_num_samples(model, num_samples)
    if noise is None:
        noise = uniform_noise(image_shape(model), num_samples, seed)
    elif np.ndim(noise) == 4 and len(noise) != num_samples:
        raise ValueError(
            f"`noise` holds {len(noise)} images but num_samples={num_samples}. "
            f"Received: noise.shape={np.shape(noise)}"
        )
    return generate(model, noise, temperature=temperature, method=method,
                    return_log_prob=return_log_prob, progress=progress, conditions=conditions)


def complete(model, images, keep_rows=None, known=None, seed=None, temperature=1.0,
             method="cached", progress=False, conditions=None):
    """Image completion (the paper's Figure 1): keeps some sub-pixels, samples the rest.

    Args:
        model: a PixelRNN.
        images: integer images `(N, H, W, C)` in `[0, levels)`.
        keep_rows: keep the top `keep_rows` rows (0 .. H) of each image.
        known: or a bool mask `(N, H, W, C)` (or broadcastable) of the
            sub-pixels to keep; combined with `keep_rows` when both are given.
        seed, temperature, method, progress, conditions: as in `sample`.

    Returns:
        uint8 images `(N, H, W, C)`: the kept sub-pixels exactly as given,
        the others drawn conditioned on everything before them (`(0, H, W,
        C)` for no images).
    """
    shape = fixed_image_shape(model)
    images = check_images(images, shape, model_levels(model))
    height = shape[0]
    mask = np.zeros(images.shape, bool)
    if keep_rows is not None:
        arguments.integer("keep_rows", keep_rows, minimum=0, maximum=height)
        mask = known_rows(np.full(len(images), keep_rows), images.shape).numpy()
    if known is not None:
        mask |= broadcast_known(known, images.shape)
    noise = uniform_noise(shape, len(images), seed)
    return generate(model, noise, known=mask, values=images, temperature=temperature,
                    method=method, progress=progress, conditions=conditions)
