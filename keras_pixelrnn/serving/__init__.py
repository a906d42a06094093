"""Serving a PixelRNN: TF Serving SavedModels and checked ONNX models.

* `signatures`: the signature functions (`log_prob`, `logits`, `sample`) and
  the checks on their inputs; device-neutral by default. A conditional
  model's signatures take its condition inputs too (`labels`, or
  `small_images`); `signature_inputs` makes a signature's inputs, checked.
* `saved_model`: the TF Serving layout `base/<version>/`, written then renamed.
* `onnx_export`: tf2onnx conversion, checked against Keras before it is written.
* `web`: a static page that runs the ONNX graphs in the browser (ONNX
  Runtime Web); `web_server`: a local server for it, cross-origin isolated.

The commands: `keras-pixelrnn export saved-model`, `keras-pixelrnn export onnx`,
`keras-pixelrnn export web` and `keras-pixelrnn serve-web`.
"""

from keras_pixelrnn.serving.onnx_export import (
    LOG_PROB_ATOL,
    ONNX_OP_HANDLERS,
    OPSET,
    ConversionError,
    check_onnx,
    convert_to_onnx,
    onnx_session_options,
    write_onnx,
)
from keras_pixelrnn.serving.saved_model import next_version, write_saved_model
from keras_pixelrnn.serving.web import (
    ORT_WEB_VERSION,
    RUNTIME_FILES,
    WebExportError,
    check_runtime,
    web_manifest,
    write_web,
)
from keras_pixelrnn.serving.web_server import web_server
from keras_pixelrnn.serving.signatures import (
    SIGNATURES,
    SINGLE_THREADED_EXECUTOR,
    condition_specs,
    image_spec,
    serving_functions,
    signature_inputs,
    signature_names,
)

__all__ = [
    "LOG_PROB_ATOL",
    "ORT_WEB_VERSION",
    "RUNTIME_FILES",
    "WebExportError",
    "check_runtime",
    "web_manifest",
    "web_server",
    "write_web",
    "ONNX_OP_HANDLERS",
    "OPSET",
    "SIGNATURES",
    "SINGLE_THREADED_EXECUTOR",
    "ConversionError",
    "check_onnx",
    "condition_specs",
    "convert_to_onnx",
    "image_spec",
    "next_version",
    "onnx_session_options",
    "serving_functions",
    "signature_inputs",
    "signature_names",
    "write_onnx",
    "write_saved_model",
]
