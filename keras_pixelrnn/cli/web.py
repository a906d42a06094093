"""`keras-pixelrnn export web` and `keras-pixelrnn serve-web`.

    keras-pixelrnn export web --preset mnist --out site [--runtime DIR] [--overwrite]
    keras-pixelrnn export web --model M.keras --out site
    keras-pixelrnn serve-web site [--port 8000]

`export web` writes the static site of `keras_pixelrnn.serving.web`: the
page, the model's ONNX graphs (each checked against Keras) and
`model.json`. `--runtime` copies onnxruntime-web's files from its `dist`
folder (`npm install onnxruntime-web@1.30.0`) so the site works offline;
without it the page loads them from a CDN, checked by their hashes.

`serve-web` serves a site on 127.0.0.1 with the COOP/COEP headers (the page
then runs several threads) and prints its URL; `--port 0` picks a free port.

Bad input (a non-empty --out without --overwrite, a --runtime folder that
lacks a file, a model the page cannot run) prints `error: ...` and exits
with 2, and nothing is written.
"""

import os
import sys

from keras_pixelrnn.cli.common import add_model_arguments, model_from


def _fail(message):
    print(f"error: {message}", file=sys.stderr)
    return 2


def register_export(targets):
    """`export web`, a target of `keras-pixelrnn export`."""
    w = targets.add_parser(
        "web", help="a static web page that samples, completes and scores in the browser",
        description="Writes a static site (index.html, app.js, the ONNX graphs, model.json) "
        "that runs the model in the browser with ONNX Runtime Web.",
    )
    add_model_arguments(w)
    w.add_argument("--out", required=True, help="the site's folder (missing or empty)")
    w.add_argument(
        "--runtime", metavar="DIR",
        help="an onnxruntime-web dist folder to copy the runtime from (works offline); "
        "default: the page loads onnxruntime-web from a CDN",
    )
    w.add_argument("--overwrite", action="store_true", help="replace a non-empty --out")
    w.set_defaults(run=export_web)


def register(commands):
    s = commands.add_parser(
        "serve-web", help="serve an exported web page on 127.0.0.1 (COOP/COEP headers)",
        description="Serves a folder written by `export web` on 127.0.0.1, cross-origin "
        "isolated so that the page can run several threads.",
    )
    s.add_argument("folder", help="the site's folder")
    s.add_argument("--port", type=int, default=8000, help="port, 0 for a free one (default 8000)")
    s.add_argument("--verbose", action="store_true", help="log every request")
    s.set_defaults(run=serve_web)


def export_web(args):
    from keras_pixelrnn.models.loading import load_pixelrnn
    from keras_pixelrnn.serving.onnx_export import ConversionError
    from keras_pixelrnn.serving.web import check_runtime, write_web

    out = os.path.abspath(args.out)
    if os.path.isdir(out) and os.listdir(out) and not args.overwrite:
        return _fail(f"{out} is not empty; pass --overwrite to replace it, or choose an empty folder")
    try:
        if args.runtime is not None:  # before the model loads: a quick answer
            check_runtime(args.runtime)
        model = model_from(args, load=load_pixelrnn)
        path = write_web(model, out, runtime=args.runtime, overwrite=args.overwrite,
                         preset=args.preset)
    except (OSError, ValueError, ConversionError) as error:
        return _fail(error)
    where = "runtime/ (offline)" if args.runtime else "the CDN (with integrity hashes)"
    print(f"wrote {path}  (sample, complete, log_prob, logits; ONNX Runtime Web from {where})")
    print(f"serve it: keras-pixelrnn serve-web {args.out}")
    return 0


def serve_web(args):
    from keras_pixelrnn.serving.web_server import web_server

    if not os.path.isfile(os.path.join(args.folder, "index.html")):
        return _fail(f"{args.folder} has no index.html: write a site with `keras-pixelrnn export web`")
    try:
        server = web_server(args.folder, args.port, verbose=args.verbose)
    except (OSError, ValueError) as error:
        return _fail(error)
    host, port = server.server_address[:2]
    print(f"serving {args.folder} at http://{host}:{port}/  (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
