"""The serving signatures of a PixelRNN and the checks on their inputs.

Four signatures, each a graph that needs neither Python nor this package:

    log_prob: images uint8 (B, H, W, C)  -> log_prob (B,) float32, nats per image, and
                                            bits_per_dim (B,) float32, -log_prob / (H W C ln 2)
    logits:   images uint8 (B, H, W, C)  -> logits (B, H, W, C, levels) float32
    sample:   noise float32 (B, H, W, C), uniform in [0, 1) -> images uint8 (B, H, W, C)
    complete: images uint8 (B, H, W, C), keep_rows int32 (B,) in [0, H],
              noise float32 (B, H, W, C)  -> completions uint8 (B, H, W, C): the
                                            top keep_rows[b] rows of image b as
                                            given, the rest drawn (`PixelRNN.complete`)

A `MultiScalePixelRNN` has `log_prob` (with its two terms too,
`small_log_prob` and `full_log_prob`) and its two-stage `sample` (the noise's
grid draws the small image), not `logits` nor `complete`.

A conditional model's signatures take its condition inputs too, after the
image (or the noise), one input per condition named as the model's input, in
the order of `model.inputs[1:]` (`condition_specs`):

    labels:       int32 (B,), in [0, num_classes)         (a class-conditional model)
    small_images: float32 (B, s, s', C), whole numbers in [0, levels)
                                                          (a multi-scale second stage)

so `log_prob` of a class-conditional model is `log p(x | label)` and its
`sample` draws images of the given labels. `signature_inputs` makes the
inputs of a signature from NumPy arrays, checked, named as the signature's
(and the ONNX model's) inputs.

`sample` is the cached sampler of `keras_pixelrnn.generation.sampling` (one graph, per
sub-pixel only the pixel of every layer that it changes): the same noise
(and conditions) gives the same images as `sampling.generate(model, noise)`.
`complete` is the same sampler with the kept rows copied, not drawn
(`model.images_from_rows`): the same images, rows and noise give what
`PixelRNN.complete` gives with that noise, the kept rows bit for bit. Its
output is `completions`, not `images`: an ONNX graph's names are unique, and
`images` is its input.
The batch size is free; the image size is the model's.

The graphs call the model's public methods only: `score` (the likelihood
terms), `images_from_noise` and `images_from_rows` (the cached sampler) and
the model itself (the logits). A `MultiScalePixelRNN` answers the same methods as a `PixelRNN`.

Bad input is an error, never a silent wrong number: the signature's dtype
rejects a wrong dtype, a missing input is a `TypeError` that names it, and
checks inside every graph (`tf.debugging`) reject a wrong rank or image size
(a loaded signature does not enforce its TensorSpec's shape), an image value
`>= levels`, noise outside `[0, 1)` (NaN included), `keep_rows` outside
`[0, H]` or not one per image, a condition whose batch is
not the images', a label outside `[0, num_classes)`, a small image value
that is not a level, and an empty batch (0 images or noise), which the graphs
cannot compute (TensorFlow's CPU convolution gives an empty batch the wrong
spatial size); the Python methods return empty results for it instead. ONNX
has no assertions; the ONNX export leaves them out.

Device-neutral graphs. An exported graph runs on a machine this process
never sees, so nothing in it depends on the machine that traced it unless
asked for:

* `implementation="portable"` (default): the graphs are traced from a copy
  of the model whose layers compute in the way that runs on any device
  (`keras_pixelrnn.layers.execution.with_implementation`): one batch chain
  in a Row LSTM, the skewed map in a Diagonal BiLSTM. `"auto"` keeps the
  model's own choices as resolved on the machine that exports (batch chains
  on a CPU with 2 cores or more), for a server of the same kind.
* `executor=None` (default): `sample` runs under TensorFlow's default
  executor, which runs anywhere. `"SINGLE_THREADED_EXECUTOR"` runs the
  sampler's hundreds of tiny ops per pixel in line, faster on a
  CPU-only server, and is stored in the graph (the call op keeps it), so it
  is for a SavedModel meant for such a server only.
"""


import numpy as np
import tensorflow as tf

from keras_pixelrnn.layers.execution import device, with_implementation
from keras_pixelrnn.models.likelihood import bits_per_dim, logits_of
from keras_pixelrnn.utils import arguments
from keras_pixelrnn.utils.image_checks import (
    check_images, check_noise, condition_specs, image_shape,
)

SIGNATURES = ("log_prob", "logits", "sample", "complete")
SINGLE_THREADED_EXECUTOR = "SINGLE_THREADED_EXECUTOR"


def image_spec(model):
    """`((H, W, C), levels)` of a PixelRNN (its image input, the first);
    `ValueError` beyond 256 levels."""
    height, width, colors = image_shape(model)
    levels = int(getattr(model, "levels", None) or model.output_shape[-1])
    if levels > 256:
        raise ValueError(
            f"uint8 images hold at most 256 levels. Received: a model with levels={levels}"
        )
    return (height, width, colors), levels


def signature_names(model):
    """The signatures `serving_functions(model)` makes: `sample` and
    `complete` need a fixed image size."""
    shape, _ = image_spec(model)
    if is_multi_scale(model):
        return ("log_prob", "sample")
    return SIGNATURES if None not in shape else SIGNATURES[:2]


def is_multi_scale(model):
    """A `MultiScalePixelRNN`: two stages, two logits outputs."""
    return callable(getattr(model, "log_prob_terms", None))


def signature_inputs(model, signature, values, keep_rows=None, noise=None, **conditions):
    """The inputs of one signature from NumPy arrays, checked: `{name: array}`.

    The names are those of the SavedModel signature's and of the ONNX
    model's inputs: `images` (uint8) or, for `sample`, `noise` (float32);
    for `complete`, `images`, then `keep_rows` (int32, one per image, or one
    for all) and `noise`, given here by name; then the model's condition
    inputs (see `condition_specs`), given here by name and checked by
    `PixelRNN.conditions` (a missing one is an error that names it; one
    label may stand for every image):

        feed = signature_inputs(model, "log_prob", images, labels=labels)
        session.run(None, feed)                              # ONNX Runtime
        loaded.signatures["log_prob"](**{k: tf.constant(v) for k, v in feed.items()})
        feed = signature_inputs(model, "complete", images, keep_rows=14, noise=noise)
    """
    shape, levels = image_spec(model)
    if signature not in SIGNATURES:
        raise ValueError(f"`signature` must be one of {SIGNATURES}. Received: signature={signature!r}")
    if signature == "sample":
        inputs = {"noise": check_noise(values, shape)}
    else:
        inputs = {"images": check_images(values, shape, levels).astype(np.uint8)}
    if signature == "complete":
        if keep_rows is None or noise is None:
            raise ValueError(
                "The `complete` signature needs `keep_rows` and `noise`. "
                f"Received: keep_rows={keep_rows!r}, noise={'None' if noise is None else '...'}"
            )
        rows = np.broadcast_to(np.asarray(keep_rows), (len(values),))
        for row in rows.tolist():  # Python numbers: the message echoes 7, not np.int64(7)
            arguments.integer("keep_rows", row, minimum=0, maximum=shape[0])
        noise = check_noise(np.asarray(noise), shape)
        if len(noise) != len(values):
            raise ValueError(
                f"`noise` must hold one entry per image ({len(values)}). "
                f"Received: noise.shape={noise.shape}"
            )
        inputs.update(keep_rows=rows.astype(np.int32), noise=noise)
    values = next(iter(inputs.values()))
    checked = model.conditions(len(values), **conditions)
    return dict(inputs, **{spec.name: value for spec, value in zip(model.inputs[1:], checked)})


def _check_size(x, shape, name):
    # The TensorSpec stops a wrong size in Python; this stops it where the
    # spec is not enforced (a server feeding the graph directly).
    rank = len(shape) + 1
    got = tf.shape(x)
    size = tf.concat([got, tf.zeros([rank], tf.int32)], 0)[1:rank]  # any rank
    want = tf.constant([-1 if d is None else d for d in shape], tf.int32)
    ok = tf.logical_and(
        tf.equal(tf.size(got), rank),
        tf.reduce_all(tf.logical_or(tf.equal(size, want), tf.equal(want, -1))),
    )
    dims = "".join(f", {d}" for d in shape) or ","
    return tf.debugging.Assert(ok, [f"`{name}` must have shape (batch{dims}); got", tf.shape(x)])


def _check_not_empty(x, name):
    # After `_check_size`: the batch is the first dimension.
    return tf.debugging.Assert(tf.shape(x)[0] > 0, [
        f"`{name}` must hold at least one image: an exported graph cannot compute an empty "
        f"batch. Received: a batch of", tf.shape(x)[0],
    ])


def serving_functions(model, checks=True, executor=None, implementation="portable"):
    """The signature functions of `model`: `{name: tf.function}`.

    Args:
        model: a PixelRNN `keras.Model` (fixed image size for `sample`).
        checks: put the input checks (`tf.debugging` assertions) into the
            graphs. ONNX has no assertions; the ONNX export leaves them out.
        executor: TensorFlow function executor of the sampler's graph inside
            `sample`. `None` (default, portable): TensorFlow's default.
            `"SINGLE_THREADED_EXECUTOR"`: fastest on a CPU-only server (it runs
            the sampler's hundreds of tiny ops per pixel in line). `"auto"`: the
            cached sampler's own choice for the machine that traces.
            A SavedModel stores it.
        implementation: `"portable"` (default): the layers compute in the
            way that runs on any device; `"auto"`: as the model resolves its
            layers' choices on this machine (see
            `keras_pixelrnn.layers.execution`).

    Returns:
        `{"log_prob", "logits"[, "sample", "complete"]}` -> `tf.function`
        with an input signature: `images` uint8 `(None, H, W, C)` or `noise`
        float32 (`complete`: `images`, `keep_rows` int32 `(None,)`,
        `noise`), then the model's condition inputs (`condition_specs`).
        `sample` and `complete` are there when the image size is fixed.
    """
    model = with_implementation(model, implementation)
    shape, levels = image_spec(model)
    guard = _InputChecks(model, shape, levels, checks)
    multi_scale = is_multi_scale(model)
    images_spec = tf.TensorSpec((None,) + shape, tf.uint8, name="images")
    noise_spec = tf.TensorSpec((None,) + shape, tf.float32, name="noise")

    def signature(function, *specs):
        return tf.function(function, input_signature=[*specs, *guard.specs], autograph=False)

    def log_prob(images, *conditions):
        images = guard.images(images)
        terms = model.score(images, guard.conditions(conditions, images))
        dims = shape if None not in shape else tf.reduce_prod(tf.shape(images)[1:])
        bits = bits_per_dim(-terms["log_prob"], dims)
        return {"log_prob": terms["log_prob"], "bits_per_dim": bits, **terms}

    def logits(images, *conditions):
        images = guard.images(images)
        return {"logits": logits_of(model, images, guard.conditions(conditions, images))}

    functions = {"log_prob": signature(log_prob, images_spec)}
    if not multi_scale:
        functions["logits"] = signature(logits, images_spec)
    if None not in shape:
        functions["sample"] = signature(_sample_function(model, guard, executor), noise_spec)
    if None not in shape and not multi_scale:
        rows_spec = tf.TensorSpec((None,), tf.int32, name="keep_rows")
        complete = _complete_function(model, guard, executor)
        functions["complete"] = signature(complete, images_spec, rows_spec, noise_spec)
    return functions


def _executor(executor):
    """`executor`, with `"auto"` as the cached sampler's own choice on this device."""
    if executor == "auto":
        return None if device() == "gpu" else SINGLE_THREADED_EXECUTOR
    return executor


def _sample_function(model, guard, executor):
    """The `sample` signature's function: checked noise and conditions ->
    `{"images"}`, drawn by `model.images_from_noise`, under `executor`."""
    executor = _executor(executor)
    draw = tf.function(model.images_from_noise, autograph=False)

    def sample(noise, *conditions):
        noise = guard.noise(noise)
        conditions = guard.conditions(conditions, noise)
        if executor is None:
            return {"images": model.images_from_noise(noise, conditions)}
        # Traced under the executor too: the call op keeps it, and the
        # sampler's loops stay functional as that executor needs.
        with tf.experimental.function_executor_type(executor):
            return {"images": draw(noise, conditions)}

    return sample


def _complete_function(model, guard, executor):
    """The `complete` signature's function: checked images, rows and noise
    (and conditions) -> `{"completions"}`, drawn by `model.images_from_rows`,
    under `executor`."""
    executor = _executor(executor)
    draw = tf.function(model.images_from_rows, autograph=False)

    def complete(images, keep_rows, noise, *conditions):
        images, noise = guard.images(images), guard.noise(noise)
        keep_rows = guard.keep_rows(keep_rows, images)
        conditions = guard.conditions(conditions, noise)
        if executor is None:
            return {"completions": model.images_from_rows(images, keep_rows, noise, conditions)}
        with tf.experimental.function_executor_type(executor):
            return {"completions": draw(images, keep_rows, noise, conditions)}

    return complete


class _InputChecks:
    """The checks inside every signature's graph (`tf.debugging`), or none
    (`enabled=False`, for ONNX): the size first (a value check on an input
    of the wrong rank would fail with an obscure message of its own), then
    the values."""

    def __init__(self, model, shape, levels, enabled):
        self.model, self.shape, self.levels, self.enabled = model, shape, levels, enabled
        self.specs = condition_specs(model)

    @staticmethod
    def _after(check, x):
        with tf.control_dependencies([check]):
            return tf.identity(x)

    def images(self, images):
        if not self.enabled:
            return images
        images = self._after(_check_size(images, self.shape, "images"), images)
        images = self._after(_check_not_empty(images, "images"), images)
        if self.levels < 256:
            levels = self.levels
            message = f"`images` values must lie in [0, {levels - 1}] for a model with {levels} levels"
            top = tf.constant(levels, tf.uint8)
            images = self._after(tf.debugging.assert_less(images, top, message), images)
        return images

    def noise(self, noise):
        if not self.enabled:
            return noise
        message = "`noise` must lie in [0, 1)"
        noise = self._after(_check_size(noise, self.shape, "noise"), noise)
        noise = self._after(_check_not_empty(noise, "noise"), noise)
        noise = self._after(tf.debugging.assert_greater_equal(noise, 0.0, message), noise)
        return self._after(tf.debugging.assert_less(noise, 1.0, message), noise)

    def keep_rows(self, keep_rows, images):
        """`keep_rows` after its checks: one per image, each in `[0, H]`."""
        if not self.enabled:
            return keep_rows
        height = self.shape[0]
        message = f"`keep_rows` must hold one integer in [0, {height}] per image"
        keep_rows = self._after(_check_size(keep_rows, [], "keep_rows"), keep_rows)
        batch = tf.debugging.assert_equal(tf.shape(keep_rows)[0], tf.shape(images)[0], message)
        low = tf.debugging.assert_greater_equal(keep_rows, 0, message)
        high = tf.debugging.assert_less_equal(keep_rows, height, message)
        return self._after(tf.group(batch, low, high), keep_rows)

    def conditions(self, conditions, first):
        """The condition inputs after their checks: size, one entry per image
        of `first` (the images or the noise), values."""
        if not self.enabled:
            return tuple(conditions)
        out = []
        for spec, condition in zip(self.specs, conditions):
            condition = self._after(
                _check_size(condition, spec.shape[1:].as_list(), spec.name), condition
            )
            batch = tf.debugging.assert_equal(
                tf.shape(condition)[0], tf.shape(first)[0],
                f"`{spec.name}` must hold one entry per image (the batch of the images or noise)",
            )
            condition = self._after(batch, condition)
            out.append(self._after(self._values(spec, condition), condition))
        return tuple(out)

    def _values(self, spec, condition):
        levels = self.levels
        if spec.dtype.is_integer:  # class labels
            classes = self.model.num_classes
            message = f"`{spec.name}` must lie in [0, {classes}) for a model with num_classes={classes}"
            low = tf.debugging.assert_greater_equal(condition, tf.constant(0, spec.dtype), message)
            with tf.control_dependencies([low]):
                return tf.debugging.assert_less(condition, tf.constant(classes, spec.dtype), message)
        # A small image: whole levels, as the Keras API demands (NaN fails too).
        ok = tf.reduce_all(
            (condition >= 0) & (condition <= levels - 1) & (tf.floor(condition) == condition)
        )
        return tf.debugging.Assert(ok, [
            f"`{spec.name}` values must be whole numbers in [0, {levels - 1}] for a model with "
            f"{levels} levels; got min", tf.reduce_min(condition), "max", tf.reduce_max(condition),
        ])
