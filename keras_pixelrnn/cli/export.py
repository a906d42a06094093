"""`keras-pixelrnn export saved-model` and `keras-pixelrnn export onnx`.

    keras-pixelrnn export saved-model --model M.keras --out BASE/NAME [--version N] [--overwrite]
        [--implementation portable|auto] [--single-threaded-sampler]
    keras-pixelrnn export onnx --model M.keras --out F.onnx --signature log_prob|logits|sample
        [--opset N] [--overwrite] [--implementation portable|auto]

    keras-pixelrnn export web --model M.keras --out SITE [--runtime DIR] [--overwrite]
        (see `keras_pixelrnn.cli.web`)

`--preset NAME` instead of `--model` exports a preset's pretrained weights
shipped in the package.

Bad input (a missing or foreign model, a preset without shipped weights, an
existing version or .onnx file without `--overwrite`, an `--out` that cannot
be written, an `--opset` outside what the graphs and tf2onnx support, a
missing `[export]` extra, a conversion that fails its checks) prints
`error: ...` and exits with 2; the checks of the options come before the
model is loaded.

The graphs are device-neutral unless asked otherwise (see
`keras_pixelrnn.serving.signatures`): the layers' portable way to compute
and TensorFlow's default executor for `sample`, which suit any server.
`--implementation auto` (the choices that suit the exporting machine, such
as batch chains on a CPU with 2 or more cores) and `--single-threaded-sampler`
are faster on a server with only a CPU and are stored in the exported graph.

A conditional model (class labels, or a small image) exports signatures
that take its condition inputs after the images or noise (`labels` int32
`(B,)`, or `small_images`); the ONNX export's checks against Keras feed
them (labels `arange(B) % num_classes`).
"""

import os
import sys

from keras_pixelrnn.cli import web
from keras_pixelrnn.cli.common import (
    add_model_arguments,
    check_output,
    errors_in_option_words,
    model_from,
)
from keras_pixelrnn.models.loading import load_pixelrnn
from keras_pixelrnn.serving.onnx_export import (
    MIN_OPSET,
    OPSET,
    ConversionError,
    check_opset,
    write_onnx,
)
from keras_pixelrnn.serving.saved_model import write_saved_model
from keras_pixelrnn.serving.signatures import (
    SIGNATURES,
    SINGLE_THREADED_EXECUTOR,
    condition_specs,
    image_spec,
    signature_names,
)
from keras_pixelrnn.utils import arguments

OPTIONS = {"opset": "--opset", "version": "--version"}


def quiet():
    """TensorFlow's C++ logging off unless asked for (before TF is imported)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def _fail(message):
    print(f"error: {message}", file=sys.stderr)
    return 2


def _bad_count(args):
    try:
        with errors_in_option_words(OPTIONS):
            arguments.integer("version", getattr(args, "version", None), allow_none=True)
    except ValueError as error:
        return str(error)
    return None


def _add_implementation(parser):
    parser.add_argument(
        "--implementation", choices=("portable", "auto"), default="portable",
        help="how the layers compute in the graph: portable (default, any device) or auto "
        "(the choices that suit this machine, e.g. batch chains on a CPU with 2+ cores)",
    )


def register(commands):
    p = commands.add_parser(
        "export", help="write a TF Serving SavedModel or a checked ONNX model",
        description="Exports a PixelRNN .keras model (or a preset's shipped weights) for serving.",
    )
    targets = p.add_subparsers(dest="target", required=True, metavar="{saved-model,onnx,web}")

    s = targets.add_parser(
        "saved-model", help="a TF Serving SavedModel BASE/NAME/<version>/",
        description="Writes a PixelRNN .keras model as a TF Serving SavedModel "
        "BASE/NAME/<version>/ with the signatures log_prob (serving_default), logits and sample.",
    )
    add_model_arguments(s)
    s.add_argument("--out", required=True, help="the model folder BASE/NAME")
    s.add_argument("--version", type=int, help="version number (default: next free)")
    s.add_argument("--overwrite", action="store_true", help="replace an existing version")
    s.add_argument(
        "--single-threaded-sampler", action="store_true",
        help="store TensorFlow's SINGLE_THREADED_EXECUTOR in the sample signature: "
        "fastest on a CPU-only server (default: TensorFlow's default executor, portable)",
    )
    _add_implementation(s)
    s.set_defaults(run=saved_model)

    o = targets.add_parser(
        "onnx", help="one signature as an ONNX model, checked against Keras",
        description="Converts one signature of a PixelRNN .keras model to ONNX (tf2onnx), "
        "checks it with onnx.checker and against Keras in ONNX Runtime, then writes it.",
    )
    add_model_arguments(o)
    o.add_argument("--out", required=True, help="the .onnx file to write")
    o.add_argument("--signature", default="log_prob", choices=SIGNATURES)
    o.add_argument("--opset", type=int, default=OPSET,
                   help=f"the ONNX opset, from {MIN_OPSET} to tf2onnx's highest")
    o.add_argument("--overwrite", action="store_true", help="replace an existing .onnx file")
    _add_implementation(o)
    o.set_defaults(run=onnx)
    web.register_export(targets)


def saved_model(args):
    problem = _bad_count(args)
    if problem:
        return _fail(problem)
    executor = SINGLE_THREADED_EXECUTOR if args.single_threaded_sampler else None
    try:
        check_output(args.out, folder=True, writes="a SavedModel folder BASE/NAME/<version>")
        model = model_from(args, load=load_pixelrnn)
        path = write_saved_model(
            model, args.out, args.version, args.overwrite, sample_executor=executor,
            implementation=args.implementation,
        )
    except (OSError, ValueError) as error:
        return _fail(error)
    shape, levels = image_spec(model)
    names = ", ".join(signature_names(model))
    conditions = "".join(
        f", {spec.name} {spec.dtype.name} {tuple(spec.shape)}" for spec in condition_specs(model)
    )
    print(
        f"wrote {path}  (images {shape}{conditions}, {levels} levels; signatures {names}, "
        "serving_default=log_prob)"
    )
    return 0


def onnx(args):
    try:
        check_output(args.out, overwrite=args.overwrite, writes="an .onnx file")
        with errors_in_option_words(OPTIONS):
            check_opset(args.opset)  # and that the [export] extra is there
        model = model_from(args, load=load_pixelrnn)
        worst = write_onnx(model, args.out, args.signature, args.opset, args.implementation)
    except (OSError, ValueError, ImportError, ConversionError) as error:
        return _fail(error)
    detail = "identical samples" if args.signature in ("sample", "complete") else f"max |diff| {worst:.2g}"
    print(
        f"wrote {args.out}  ({args.signature}, opset {args.opset}; "
        f"ONNX Runtime == Keras, {detail})"
    )
    return 0
