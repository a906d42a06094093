"""Serving a PixelRNN: a TF Serving SavedModel and an ONNX model.

Three signatures, each a graph that needs neither Python nor this package:

    log_prob: images uint8 (B, H, W, C)  -> log_prob (B,) float32, nats per image, and
                                            bits_per_dim (B,) float32, -log_prob / (H W C ln 2)
    logits:   images uint8 (B, H, W, C)  -> logits (B, H, W, C, levels) float32
    sample:   noise float32 (B, H, W, C), uniform in [0, 1) -> images uint8 (B, H, W, C)

`sample` is the cached sampler of `keras_pixelrnn.generation.sampling` (one graph, per
sub-pixel only the pixel of every layer that it changes): the same noise
gives the same images as `sampling.generate(model, noise)`. The batch size
is free; the image size is the model's.

`write_saved_model` writes the TF Serving layout `base/<version>/` with the
signatures above and `serving_default` = `log_prob`. Bad input is an error,
never a silent wrong number: the signature's dtype rejects a wrong dtype, and
checks inside every graph (`tf.debugging`) reject a wrong rank or image size
(a loaded signature does not enforce its TensorSpec's shape), an image value
`>= levels` and noise outside `[0, 1)` (NaN included).

`write_onnx` converts `log_prob`, `logits` or `sample` with tf2onnx (opset 17),
and trusts nothing it cannot check: tf2onnx only *logs* an unsupported op and
writes an invalid file, so any logged conversion error fails, the model must
pass `onnx.checker.check_model(full_check=True)`, and ONNX Runtime must
agree with Keras (log_prob within 1e-4 nats plus 1e-6 relative, identical
samples) before the file is renamed into place. ONNX has no assertions: ONNX
Runtime checks the input's dtype, rank and fixed sizes; an image value
`>= levels` fails in its GatherND bounds check ("invalid index"); noise
outside `[0, 1)` is drawn from without complaint (check it in the client).

    python export/saved_model.py --model model.keras --out serving/pixelrnn
    python export/onnx.py --model model.keras --out model.onnx --signature log_prob
"""

import argparse
import io
import logging
import math
import os
import shutil
import sys

import numpy as np

SIGNATURES = ("log_prob", "logits", "sample")
OPSET = 17
LOG_PROB_ATOL = 1e-4  # nats per image; ONNX Runtime vs Keras


def load_pixelrnn(path):
    """Loads a PixelRNN `.keras` file; `ValueError` for anything else.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a loadable Keras model, or not a PixelRNN (a model
            from images `(B, H, W, C)` to logits `(B, H, W, C, levels)`).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--model {path!r}: no such file")
    import keras

    import keras_pixelrnn.models.likelihood  # noqa: F401  (registers the losses and metrics)
    import keras_pixelrnn.models.pixel_rnn  # noqa: F401  (registers every layer of a PixelRNN)

    try:
        model = keras.saving.load_model(path)
    except Exception as error:  # a corrupt or foreign file
        raise ValueError(f"--model {path!r} is not a loadable Keras model: {error}") from None
    inputs = getattr(model, "input_shape", None)
    outputs = getattr(model, "output_shape", None)
    if (
        not isinstance(inputs, tuple) or len(inputs) != 4
        or not isinstance(outputs, tuple) or len(outputs) != 5
        or tuple(outputs[1:4]) != tuple(inputs[1:4])
    ):
        raise ValueError(
            f"--model {path!r} is not a PixelRNN model (it must map images "
            "(batch, H, W, C) to logits (batch, H, W, C, levels)); got input "
            f"{inputs} and output {outputs}"
        )
    return model


def _spec(model):
    height, width, colors = model.input_shape[1:]
    levels = int(model.output_shape[-1])
    if levels > 256:
        raise ValueError(
            f"uint8 images hold at most 256 levels. Received: a model with levels={levels}"
        )
    return (height, width, colors), levels


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


def serving_functions(model, checks=True, executor="auto"):
    """The signature functions of `model`: `{name: tf.function}`.

    Args:
        model: a PixelRNN `keras.Model` (fixed image size for `sample`).
        checks: put the input checks (`tf.debugging` assertions) into the
            graphs. ONNX has no assertions; the ONNX export leaves them out.
        executor: TensorFlow function executor of the sampler's graph inside
            `sample`; `"auto"`: the cached sampler's own choice (on a CPU the
            single-threaded executor, 2-3x faster on its hundreds of tiny ops
            per pixel). Stored in the SavedModel; `None` for the default.

    Returns:
        `{"log_prob", "logits"[, "sample"]}` -> `tf.function` with an input
        signature: `images` uint8 `(None, H, W, C)` or `noise` float32.
        `sample` is there when the image size is fixed.
    """
    import tensorflow as tf

    from keras_pixelrnn.models.likelihood import log_prob_from_logits
    from keras_pixelrnn.generation.sampling import sampler

    shape, levels = _spec(model)
    dims = math.prod(d or 0 for d in shape)
    images_spec = tf.TensorSpec((None,) + shape, tf.uint8, name="images")
    noise_spec = tf.TensorSpec((None,) + shape, tf.float32, name="noise")

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

    functions = {
        "log_prob": tf.function(log_prob, input_signature=[images_spec], autograph=False),
        "logits": tf.function(logits, input_signature=[images_spec], autograph=False),
    }
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

        functions["sample"] = tf.function(sample, input_signature=[noise_spec], autograph=False)
    return functions


def next_version(base):
    """1 for a new model folder, else one more than its highest version."""
    versions = [int(n) for n in os.listdir(base) if n.isdigit()] if os.path.isdir(base) else []
    return max(versions, default=0) + 1


def write_saved_model(model, base, version=None, overwrite=False):
    """Writes the TF Serving layout `base/<version>/` and returns its path.

    The SavedModel is written to a hidden temporary folder in `base` (TF
    Serving ignores names that are not integers) and renamed into place, so
    a server never sees half a version.

    Args:
        model: a PixelRNN `keras.Model`.
        base: the model's folder, `<model_base_path>/<model_name>`.
        version: positive integer; default `next_version(base)`.
        overwrite: replace an existing `base/<version>`; without it an
            existing version is never touched (`FileExistsError`).
    """
    import keras

    if version is None:
        version = next_version(base)
    if isinstance(version, bool) or not isinstance(version, (int, np.integer)) or version < 1:
        raise ValueError(f"`version` must be a positive integer. Received: version={version!r}")
    final = os.path.join(base, str(int(version)))
    if os.path.exists(final) and not overwrite:
        raise FileExistsError(
            f"{final} exists: version {version} is already exported. "
            "Pass --overwrite to replace it, or leave out --version for the next one."
        )
    os.makedirs(base, exist_ok=True)
    archive = keras.export.ExportArchive()
    archive.track(model)
    for name, function in serving_functions(model).items():
        function.get_concrete_function()
        archive.add_endpoint(name, function)
    tmp = os.path.join(base, f".tmp-{version}-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        archive.write_out(tmp, verbose=False)
        if os.path.exists(final):  # overwrite
            old = os.path.join(base, f".old-{version}-{os.getpid()}")
            os.rename(final, old)
            try:
                os.rename(tmp, final)
            except OSError:
                os.rename(old, final)
                raise
            shutil.rmtree(old)
        else:
            os.rename(tmp, final)  # fails (never replaces) if a version appeared meanwhile
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return final


class ConversionError(RuntimeError):
    """tf2onnx, the ONNX checker or ONNX Runtime rejected an export."""


def _conv2d_as_matmul(ctx, node, name, args):
    """tf2onnx handler: a 1x1 NHWC `Conv2D` becomes a MatMul over channels.

    tf2onnx turns every Conv2D into an NCHW Conv between two Transposes; the
    transposes of a PixelRNN's many 1x1 convolutions (input-to-state,
    projections, skips, outputs) cannot all cancel around the recurrences,
    and moving whole feature maps costs more than the convolutions.
    """
    from tf2onnx import utils
    from tf2onnx.onnx_opset.nn import ConvOp

    def text(attr, default):
        value = node.get_attr_value(attr, default)
        return value.decode() if isinstance(value, bytes) else value

    kernel = ctx.get_shape(node.input[1])
    ones = [1, 1, 1, 1]
    if (
        kernel is not None and len(kernel) == 4 and kernel[:2] == [1, 1] and -1 not in kernel
        and list(node.get_attr_value("strides", ones)) == ones
        and list(node.get_attr_value("dilations", ones)) == ones
        and text("padding", "") in ("SAME", "VALID")
        and text("data_format", "NHWC") == "NHWC"
    ):
        shape = ctx.make_const(
            utils.make_name(f"{name}_kernel_shape"), np.array(kernel[2:], np.int64)
        )
        matrix = ctx.make_node("Reshape", [node.input[1], shape.output[0]])
        ctx.replace_input(node, node.input[1], matrix.output[0], 1)
        bias = node.input[2] if len(node.input) > 2 else None  # a fused BiasAdd
        if bias is not None:
            ctx.remove_input(node, bias, 2)
        node.attr.clear()
        node.type = "MatMul"
        if bias is not None:
            output = node.output[0]
            add = ctx.insert_new_node_on_output("Add", output, name=utils.make_name(f"{name}_bias"))
            ctx.replace_inputs(add, [output, bias])
            ctx.set_dtype(add.output[0], ctx.get_dtype(output))
            ctx.set_shape(add.output[0], ctx.get_shape(output))
    else:
        ConvOp.version_13(ctx, node)


def _reverse_as_slice(ctx, node, name, args):
    """tf2onnx handler: `tf.reverse` as a Slice with step -1.

    tf2onnx's own ReverseV2 is a ReverseSequence between two Transposes per
    axis, and needs the input's rank, which is lost inside nested loops.
    """
    from tf2onnx import utils

    axes = node.inputs[1].get_tensor_value(as_list=True)
    axes = [axes] if isinstance(axes, int) else axes

    def const(label, values):
        value = np.array(values, np.int64)
        return ctx.make_const(utils.make_name(f"{name}_{label}"), value).output[0]

    n = len(axes)
    inputs = [
        node.input[0], const("starts", [-1] * n), const("ends", [np.iinfo(np.int64).min] * n),
        const("axes", axes), const("steps", [-1] * n),
    ]
    ctx.replace_inputs(node, inputs)
    node.attr.clear()
    node.type = "Slice"


ONNX_OP_HANDLERS = {"Conv2D": (_conv2d_as_matmul, []), "ReverseV2": (_reverse_as_slice, [])}


def convert_to_onnx(function, opset=OPSET):
    """Converts a `tf.function` with an input signature; returns the ModelProto.

    Uses tf2onnx with `ONNX_OP_HANDLERS` (1x1 convolutions as MatMul,
    reverses as Slice). Raises `ConversionError` with tf2onnx's own messages
    when it logs an error (an unsupported op, a node it failed to convert)
    and when the result fails `onnx.checker.check_model(full_check=True)`.
    """
    import onnx
    import tf2onnx

    buffer = io.StringIO()
    handler = logging.StreamHandler(buffer)
    handler.setLevel(logging.ERROR)
    logger = logging.getLogger("tf2onnx")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(min(level or logging.ERROR, logging.ERROR))
    try:
        proto, _ = tf2onnx.convert.from_function(
            function, input_signature=function.input_signature, opset=opset,
            custom_op_handlers=ONNX_OP_HANDLERS,
        )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    errors = buffer.getvalue().strip()
    if errors:
        raise ConversionError(f"tf2onnx could not convert every op:\n{errors}")
    try:
        onnx.checker.check_model(proto, full_check=True)
    except Exception as error:
        raise ConversionError(f"the converted model is invalid (onnx.checker): {error}") from None
    return proto


def onnx_session_options(spinning=False, threads=0):
    """`onnxruntime.SessionOptions` for a PixelRNN: thread-pool spinning off.

    A PixelRNN graph is mostly Loops of small ops; with spinning on (ONNX
    Runtime's default) the pool's threads busy-wait between them. Turning it
    off pays on a CPU shared with other processes and at batch 1; on an idle
    CPU the defaults give more throughput for batches (see
    `benchmarks/export.py`).
    `threads`: intra-op threads, 0 for ONNX Runtime's choice (one per core).
    """
    import onnxruntime as ort

    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    if not spinning:
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def _parity_inputs(signature, shape, levels, batch, seed):
    rng = np.random.default_rng(seed)
    if signature == "sample":
        return rng.random((batch,) + shape, np.float32)
    return rng.integers(0, levels, (batch,) + shape).astype(np.uint8)


def check_onnx(model, proto, signature, batch_sizes=(1, 3), seed=0):
    """Runs the ONNX model in ONNX Runtime and compares it with Keras.

    `log_prob` and `bits_per_dim` within `LOG_PROB_ATOL` (plus 1e-6 relative),
    logits within 1e-4, `sample` identical to `sampling.generate(model, noise)`
    (the cached sampler). Returns the largest log_prob difference (0 for
    samples); raises `ConversionError` on a mismatch.
    """
    import onnxruntime as ort

    from keras_pixelrnn.models.likelihood import log_prob
    from keras_pixelrnn.generation.sampling import generate

    shape, levels = _spec(model)
    session = ort.InferenceSession(
        proto.SerializeToString(), onnx_session_options(), providers=["CPUExecutionProvider"]
    )
    worst = 0.0
    for batch in batch_sizes:
        x = _parity_inputs(signature, shape, levels, batch, seed + batch)
        names = [o.name for o in session.get_outputs()]
        got = dict(zip(names, session.run(None, {session.get_inputs()[0].name: x})))
        if signature == "sample":
            want = generate(model, x, method="cached")
            if got["images"].dtype != np.uint8 or not np.array_equal(got["images"], want):
                raise ConversionError(
                    f"ONNX Runtime samples differ from Keras at batch {batch}: "
                    f"{int(np.sum(got['images'] != want))} of {want.size} sub-pixels"
                )
            continue
        if signature == "logits":
            want = model(x.astype(np.float32), training=False).numpy()
            diff = float(np.max(np.abs(got["logits"] - want)))
            if not diff <= 1e-4:
                raise ConversionError(
                    f"ONNX Runtime logits differ from Keras by {diff} at batch {batch}"
                )
            worst = max(worst, diff)
            continue
        want = log_prob(model, x)
        dims = math.prod(shape)
        for name, ref in (("log_prob", want), ("bits_per_dim", -want / (dims * math.log(2.0)))):
            diff = float(np.max(np.abs(got[name] - ref)))
            if not diff <= LOG_PROB_ATOL + 1e-6 * float(np.max(np.abs(ref))):
                raise ConversionError(
                    f"ONNX Runtime {name} differs from Keras by {diff:.3g} at batch {batch}"
                )
            if name == "log_prob":
                worst = max(worst, diff)
    return worst


def write_onnx(model, path, signature="log_prob", opset=OPSET):
    """Converts one signature to ONNX, checks it, and writes it to `path`.

    The file is written to a temporary name next to `path` and renamed only
    after tf2onnx logged no error, the ONNX checker passed and ONNX Runtime
    agreed with Keras (`check_onnx`). Returns the largest log_prob
    difference found (nats; 0 for `sample`).
    """
    import onnx

    from keras_pixelrnn.utils.images import save_atomically

    functions = serving_functions(model, checks=False, executor=None)
    if signature not in functions:
        raise ValueError(
            f"`signature` must be one of {tuple(functions)} for this model. "
            f"Received: signature={signature!r}"
        )
    proto = convert_to_onnx(functions[signature], opset)
    worst = check_onnx(model, proto, signature)
    save_atomically(path, lambda tmp: onnx.save(proto, tmp))
    return worst


def _quiet():
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _fail(message):
    print(f"error: {message}", file=sys.stderr)
    return 2


def saved_model_main(argv=None):
    """`python export/saved_model.py --model M.keras --out BASE/NAME [--version N]
    [--overwrite]`."""
    parser = argparse.ArgumentParser(
        prog="export/saved_model.py",
        description="Writes a PixelRNN .keras model as a TF Serving SavedModel "
        "BASE/NAME/<version>/ with the signatures log_prob (serving_default), logits and sample.",
    )
    parser.add_argument("--model", required=True, help="a PixelRNN .keras file")
    parser.add_argument("--out", required=True, help="the model folder BASE/NAME")
    parser.add_argument("--version", type=int, help="version number (default: next free)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing version")
    args = parser.parse_args(argv)
    _quiet()
    if args.version is not None and args.version < 1:
        return _fail(f"--version must be a positive integer, got {args.version}")
    try:
        model = load_pixelrnn(args.model)
        path = write_saved_model(model, args.out, args.version, args.overwrite)
    except (OSError, ValueError) as error:
        return _fail(error)
    shape, levels = _spec(model)
    names = ", ".join(SIGNATURES if None not in shape else SIGNATURES[:2])
    print(
        f"wrote {path}  (images {shape}, {levels} levels; signatures {names}, "
        "serving_default=log_prob)"
    )
    return 0


def onnx_main(argv=None):
    """`python export/onnx.py --model M.keras --out M.onnx --signature log_prob|sample`."""
    parser = argparse.ArgumentParser(
        prog="export/onnx.py",
        description="Converts one signature of a PixelRNN .keras model to ONNX (tf2onnx), "
        "checks it with onnx.checker and against Keras in ONNX Runtime, then writes it.",
    )
    parser.add_argument("--model", required=True, help="a PixelRNN .keras file")
    parser.add_argument("--out", required=True, help="the .onnx file to write")
    parser.add_argument("--signature", default="log_prob", choices=SIGNATURES)
    parser.add_argument("--opset", type=int, default=OPSET)
    args = parser.parse_args(argv)
    _quiet()
    try:
        model = load_pixelrnn(args.model)
        worst = write_onnx(model, args.out, args.signature, args.opset)
    except (OSError, ValueError, ConversionError) as error:
        return _fail(error)
    detail = "identical samples" if args.signature == "sample" else f"max |diff| {worst:.2g}"
    print(
        f"wrote {args.out}  ({args.signature}, opset {args.opset}; "
        f"ONNX Runtime == Keras, {detail})"
    )
    return 0
