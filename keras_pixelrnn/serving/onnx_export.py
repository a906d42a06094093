"""A PixelRNN signature as a checked ONNX model (tf2onnx).

`write_onnx` converts `log_prob`, `logits`, `sample` or `complete` (see
`keras_pixelrnn.serving.signatures`) with tf2onnx (opset 17), and trusts
nothing it cannot check: tf2onnx only *logs* an unsupported op and writes an
invalid file, so any logged conversion error fails, the model must pass
`onnx.checker.check_model(full_check=True)`, and ONNX Runtime must agree
with Keras (log_prob within 1e-4 nats plus 1e-6 relative, identical
samples and completions) before the file is renamed into place. ONNX has no assertions: ONNX
Runtime checks the input's dtype, rank and fixed sizes; an image value
`>= levels` fails in its GatherND bounds check ("invalid index"); noise
outside `[0, 1)` is drawn from without complaint (check it in the client).

A conditional model's ONNX graph takes its condition inputs after the image
or noise (`labels` int32 `(B,)`, or `small_images` float32), named as in the
SavedModel; the checks against Keras feed them too (labels `arange(B) %
num_classes`). A label outside `[0, num_classes)` gives a zero one-hot vector
without complaint, and one label (or small image) for a batch of images is
broadcast to all of them: check them in the client, as
`signatures.signature_inputs` does.

One custom op handler (`ONNX_OP_HANDLERS`) keeps the graph lean: a reverse
becomes a Slice. (A 1x1 convolution is already a MatMul in the layer,
`MaskedConv2D`.)

The graph is device-neutral by default: one batch chain in the recurrent
layers (`implementation="portable"`), whatever machine converts it; the sampler's graph
carries no TensorFlow executor (ONNX has none).

    keras-pixelrnn export onnx --model model.keras --out model.onnx --signature log_prob
"""

import io
import logging

import numpy as np

from keras_pixelrnn.generation.sampling import generate
from keras_pixelrnn.models.likelihood import bits_per_dim, log_prob
from keras_pixelrnn.serving.signatures import (
    is_multi_scale,
    image_spec,
    serving_functions,
    signature_inputs,
)
from keras_pixelrnn.utils import arguments
from keras_pixelrnn.utils.atomic_files import save_atomically

OPSET = 17
# The lowest opset the graphs convert at: tf2onnx needs opset 12 for their
# gathers (`GatherV2` with `batch_dims`) and the sampler's loops.
MIN_OPSET = 12
EXTRA = 'pip install "keras-pixelrnn[export]"'
LOG_PROB_ATOL = 1e-4  # nats per image; ONNX Runtime vs Keras


class ConversionError(RuntimeError):
    """tf2onnx, the ONNX checker or ONNX Runtime rejected an export."""


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


ONNX_OP_HANDLERS = {"ReverseV2": (_reverse_as_slice, [])}


def require_export_extra():
    """Imports tf2onnx, onnx and onnxruntime; an ImportError naming the
    `[export]` extra where one is missing."""
    missing = []
    for name in ("tf2onnx", "onnx", "onnxruntime"):
        try:
            __import__(name)
        except ImportError:
            missing.append(name)
    if missing:
        raise ImportError(
            f"The ONNX export needs {', '.join(missing)}, which cannot be imported: {EXTRA}"
        )


def max_opset():
    """The highest opset the installed tf2onnx converts to (its table of
    opsets and ONNX IR versions), or `OPSET` where it does not say."""
    require_export_extra()
    import tf2onnx.constants

    table = getattr(tf2onnx.constants, "OPSET_TO_IR_VERSION", None)
    return max(table) if table else OPSET


def check_opset(opset):
    """`opset` as an int in `[MIN_OPSET, max_opset()]`; a ValueError naming it."""
    top = max_opset()
    return arguments.integer(
        "opset", opset, minimum=MIN_OPSET, maximum=top,
        why=f"The graphs need opset {MIN_OPSET} or later, and this tf2onnx converts up to {top}.",
    )


def convert_to_onnx(function, opset=OPSET):
    """Converts a `tf.function` with an input signature; returns the ModelProto.

    Uses tf2onnx with `ONNX_OP_HANDLERS` (reverses as Slice). Raises `ConversionError` with tf2onnx's own messages
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


def _parity_inputs(model, signature, batch, seed):
    """The inputs of one check: random images or noise, labels `arange(batch)
    % num_classes`, random small images; named as the signature's inputs."""
    shape, levels = image_spec(model)
    rng = np.random.default_rng(seed)
    if signature == "sample":
        values = rng.random((batch,) + shape, np.float32)
    else:
        values = rng.integers(0, levels, (batch,) + shape).astype(np.uint8)
    conditions = {}
    if signature == "complete":  # every number of rows, 0 to H, over the checks
        conditions["keep_rows"] = (np.arange(batch) * (shape[0] // 2 + 1) + seed) % (shape[0] + 1)
        conditions["noise"] = rng.random((batch,) + shape, np.float32)
    for spec in model.inputs[1:]:
        if np.dtype(spec.dtype).kind in "iu":
            conditions[spec.name] = np.arange(batch) % model.num_classes
        else:
            size = (batch,) + tuple(spec.shape[1:])
            conditions[spec.name] = rng.integers(0, levels, size).astype(np.float32)
    return signature_inputs(model, signature, values, **conditions)


def check_onnx(model, proto, signature, batch_sizes=(1, 3), seed=0):
    """Runs the ONNX model in ONNX Runtime and compares it with Keras.

    `log_prob` and `bits_per_dim` within `LOG_PROB_ATOL` (plus 1e-6 relative),
    logits within 1e-4, `sample` identical to `sampling.generate(model, noise)`
    (the cached sampler), `complete` identical to it with the kept rows
    known; a conditional model's condition inputs are fed to
    both (labels `arange(batch) % num_classes`). Returns the largest log_prob
    difference (0 for samples); raises `ConversionError` on a mismatch,
    inputs that are not the signature's included.
    """
    import onnxruntime as ort

    shape, _ = image_spec(model)
    session = ort.InferenceSession(
        proto.SerializeToString(), onnx_session_options(), providers=["CPUExecutionProvider"]
    )
    worst = 0.0
    for batch in batch_sizes:
        feed = _parity_inputs(model, signature, batch, seed + batch)
        inputs = [i.name for i in session.get_inputs()]
        if inputs != list(feed):
            raise ConversionError(
                f"the ONNX model's inputs are {inputs}; the {signature} signature's are {list(feed)}"
            )
        x, *conditions = feed.values()
        names = [o.name for o in session.get_outputs()]
        got = dict(zip(names, session.run(None, feed)))
        if signature == "complete":
            _check_completion(model, feed, got["completions"], batch)
            continue
        if signature == "sample":
            want = (
                model.sample(len(x), noise=x) if is_multi_scale(model)
                else generate(model, x, method="cached", conditions=conditions)
            )
            if got["images"].dtype != np.uint8 or not np.array_equal(got["images"], want):
                raise ConversionError(
                    f"ONNX Runtime samples differ from Keras at batch {batch}: "
                    f"{int(np.sum(got['images'] != want))} of {want.size} sub-pixels"
                )
            continue
        if signature == "logits":
            images = x.astype(np.float32)
            want = model([images, *conditions] if conditions else images, training=False).numpy()
            diff = float(np.max(np.abs(got["logits"] - want)))
            if not diff <= 1e-4:
                raise ConversionError(
                    f"ONNX Runtime logits differ from Keras by {diff} at batch {batch}"
                )
            worst = max(worst, diff)
            continue
        want = (
            model.log_prob(x) if is_multi_scale(model)
            else log_prob(model, x, conditions=conditions)
        )
        for name, ref in (("log_prob", want), ("bits_per_dim", bits_per_dim(-want, tuple(shape)))):
            diff = float(np.max(np.abs(got[name] - ref)))
            if not diff <= LOG_PROB_ATOL + 1e-6 * float(np.max(np.abs(ref))):
                raise ConversionError(
                    f"ONNX Runtime {name} differs from Keras by {diff:.3g} at batch {batch}"
                )
            if name == "log_prob":
                worst = max(worst, diff)
    return worst


def _check_completion(model, feed, got, batch):
    """`ConversionError` unless ONNX Runtime's completion `got` is the cached
    sampler's from the same noise, rows and conditions."""
    images, keep_rows, noise, *conditions = feed.values()
    known = np.arange(images.shape[1])[None, :, None, None] < keep_rows[:, None, None, None]
    want = generate(model, noise, known=np.broadcast_to(known, images.shape), values=images,
                    method="cached", conditions=conditions)
    if got.dtype != np.uint8 or not np.array_equal(got, want):
        raise ConversionError(
            f"ONNX Runtime completions differ from Keras at batch {batch}: "
            f"{int(np.sum(got != want))} of {want.size} sub-pixels"
        )


def write_onnx(model, path, signature="log_prob", opset=OPSET, implementation="portable"):
    """Converts one signature to ONNX, checks it, and writes it to `path`.

    The file is written to a temporary name next to `path` and renamed only
    after tf2onnx logged no error, the ONNX checker passed and ONNX Runtime
    agreed with Keras (`check_onnx`). Returns the largest log_prob
    difference found (nats; 0 for `sample`).

    `implementation`: how the layers compute in the graph, `"portable"`
    (default) or `"auto"` (see `signatures.serving_functions`). `opset` must
    lie in `[MIN_OPSET, max_opset()]` (`check_opset`).
    """
    opset = check_opset(opset)
    import onnx

    functions = serving_functions(model, checks=False, executor=None, implementation=implementation)
    if signature not in functions:
        raise ValueError(
            f"`signature` must be one of {tuple(functions)} for this model. "
            f"Received: signature={signature!r}"
        )
    proto = convert_to_onnx(functions[signature], opset)
    worst = check_onnx(model, proto, signature)
    save_atomically(path, lambda tmp: onnx.save(proto, tmp))
    return worst
