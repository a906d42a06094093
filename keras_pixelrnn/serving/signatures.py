"""The serving signatures of a PixelRNN and the checks on their inputs.

Three signatures, each a graph that needs neither Python nor this package:

    log_prob: images uint8 (B, H, W, C)  -> log_prob (B,) float32, nats per image, and
                                            bits_per_dim (B,) float32, -log_prob / (H W C ln 2)
    logits:   images uint8 (B, H, W, C)  -> logits (B, H, W, C, levels) float32
    sample:   noise float32 (B, H, W, C), uniform in [0, 1) -> images uint8 (B, H, W, C)

`sample` is the cached sampler of `keras_pixelrnn.generation.sampling` (one graph, per
sub-pixel only the pixel of every layer that it changes): the same noise
gives the same images as `sampling.generate(model, noise)`. The batch size
is free; the image size is the model's.

Bad input is an error, never a silent wrong number: the signature's dtype
rejects a wrong dtype, and checks inside every graph (`tf.debugging`) reject
a wrong rank or image size (a loaded signature does not enforce its
TensorSpec's shape), an image value `>= levels` and noise outside `[0, 1)`
(NaN included). ONNX has no assertions; the ONNX export leaves them out.

Device-neutral graphs. An exported graph runs on a machine this process
never sees, so nothing in it depends on the machine that traced it unless
asked for:

* `batch_chains=1` (default): every signature is traced inside
  `keras_pixelrnn.layers.recurrence.fixed_chains(batch_chains)`. In this
  process a recurrent layer splits the batch into as many independent chains
  as suit *this* machine (2 on a CPU-only one, 1 with a GPU). One chain is
  the portable choice: it is what a GPU runs fastest, and a CPU server still
  gets the right numbers; 2 is faster only on a CPU with at least 2 cores.
* `executor=None` (default): `sample` runs under TensorFlow's default
  executor, which runs anywhere. `"SINGLE_THREADED_EXECUTOR"` runs the
  sampler's hundreds of tiny ops per pixel in line, 2-3x faster on a
  CPU-only server, and is stored in the graph (the call op keeps it), so it
  is for a SavedModel meant for such a server only.
"""

import functools
import math

SIGNATURES = ("log_prob", "logits", "sample")
SINGLE_THREADED_EXECUTOR = "SINGLE_THREADED_EXECUTOR"


def image_spec(model):
    """`((H, W, C), levels)` of a PixelRNN; `ValueError` beyond 256 levels."""
    height, width, colors = model.input_shape[1:]
    levels = int(model.output_shape[-1])
    if levels > 256:
        raise ValueError(
            f"uint8 images hold at most 256 levels. Received: a model with levels={levels}"
        )
    return (height, width, colors), levels


def signature_names(model):
    """The signatures `serving_functions(model)` makes: `sample` needs a
    fixed image size."""
    shape, _ = image_spec(model)
    return SIGNATURES if None not in shape else SIGNATURES[:2]


def _check_size(x, shape, name):
    import tensorflow as tf

    # The TensorSpec stops a wrong size in Python; this stops it where the
    # spec is not enforced (a server feeding the graph directly).
    got = tf.shape(x)
    size = tf.concat([got, tf.zeros([4], tf.int32)], 0)[1:4]  # any rank
    want = [-1 if d is None else d for d in shape]
    ok = tf.logical_and(
        tf.equal(tf.size(got), 4),
        tf.reduce_all(tf.logical_or(tf.equal(size, want), tf.equal(want, -1))),
    )
    return tf.debugging.Assert(
        ok, [f"`{name}` must have shape (batch, {', '.join(map(str, shape))}); got", tf.shape(x)]
    )


def _traced_with_chains(function, batch_chains):
    """`function` whose every trace runs inside `fixed_chains(batch_chains)`
    (whoever traces it, whenever: ExportArchive, tf2onnx, a retrace)."""
    from keras_pixelrnn.layers.recurrence import fixed_chains

    @functools.wraps(function)
    def traced(*args):
        with fixed_chains(batch_chains):
            return function(*args)

    return traced


def serving_functions(model, checks=True, executor=None, batch_chains=1):
    """The signature functions of `model`: `{name: tf.function}`.

    Args:
        model: a PixelRNN `keras.Model` (fixed image size for `sample`).
        checks: put the input checks (`tf.debugging` assertions) into the
            graphs. ONNX has no assertions; the ONNX export leaves them out.
        executor: TensorFlow function executor of the sampler's graph inside
            `sample`. `None` (default, portable): TensorFlow's default.
            `"SINGLE_THREADED_EXECUTOR"`: fastest on a CPU-only server (2-3x
            on the sampler's hundreds of tiny ops per pixel). `"auto"`: the
            cached sampler's own choice for the machine that traces.
            A SavedModel stores it.
        batch_chains: batch chains of the recurrent layers in every graph
            (traced inside `recurrence.fixed_chains(batch_chains)`); 1
            (default) is portable, 2 is faster on a CPU with 2 or more cores.

    Returns:
        `{"log_prob", "logits"[, "sample"]}` -> `tf.function` with an input
        signature: `images` uint8 `(None, H, W, C)` or `noise` float32.
        `sample` is there when the image size is fixed.
    """
    import tensorflow as tf

    from keras_pixelrnn.generation.sampling import sampler
    from keras_pixelrnn.layers.recurrence import fixed_chains
    from keras_pixelrnn.models.likelihood import log_prob_from_logits

    with fixed_chains(batch_chains):  # rejects a bad value now, not at the first trace
        pass
    shape, levels = image_spec(model)
    dims = math.prod(d or 0 for d in shape)
    images_spec = tf.TensorSpec((None,) + shape, tf.uint8, name="images")
    noise_spec = tf.TensorSpec((None,) + shape, tf.float32, name="noise")

    def signature(function, spec):
        return tf.function(
            _traced_with_chains(function, batch_chains), input_signature=[spec], autograph=False
        )

    def after(check, x):
        with tf.control_dependencies([check]):
            return tf.identity(x)

    # The size first: a value check on an input of the wrong rank would fail
    # with an obscure message of its own.
    def checked_images(images):
        if not checks:
            return images
        images = after(_check_size(images, shape, "images"), images)
        if levels < 256:
            message = (
                f"`images` values must lie in [0, {levels - 1}] for a model with {levels} levels"
            )
            top = tf.constant(levels, tf.uint8)
            images = after(tf.debugging.assert_less(images, top, message), images)
        return images

    def logits_of(images):
        return tf.cast(model(tf.cast(images, tf.float32), training=False), tf.float32)

    def log_prob(images):
        images = checked_images(images)
        nats = log_prob_from_logits(logits_of(images), images)
        per_dim = tf.cast(dims or tf.reduce_prod(tf.shape(images)[1:]), tf.float32)
        return {"log_prob": nats, "bits_per_dim": -nats / (per_dim * math.log(2.0))}

    def logits(images):
        return {"logits": logits_of(checked_images(images))}

    functions = {"log_prob": signature(log_prob, images_spec), "logits": signature(logits, images_spec)}
    if None not in shape:
        run = sampler(model, "cached")
        if executor == "auto":
            executor = getattr(run, "executor", None)
        draw = tf.function(run.images_from_noise, autograph=False)

        def sample(noise):
            if checks:
                message = "`noise` must lie in [0, 1)"
                noise = after(_check_size(noise, shape, "noise"), noise)
                noise = after(tf.debugging.assert_greater_equal(noise, 0.0, message), noise)
                noise = after(tf.debugging.assert_less(noise, 1.0, message), noise)
            if executor is None:
                return {"images": run.images_from_noise(noise)}
            # Traced under the executor too: the call op keeps it, and the
            # sampler's loops stay functional as that executor needs.
            with tf.experimental.function_executor_type(executor):
                return {"images": draw(noise)}

        functions["sample"] = signature(sample, noise_spec)
    return functions
