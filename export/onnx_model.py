"""Converts one signature of a PixelRNN .keras model to ONNX, checked before it is written.

    python export/onnx_model.py --model model.keras --out model.onnx --signature log_prob|logits|sample
        [--opset N] [--implementation portable|auto]

The same as `keras-pixelrnn export onnx ...` (keras_pixelrnn/cli/export.py), with the installed
keras_pixelrnn. Fails (exit 2) on any op tf2onnx cannot convert, an invalid model, or ONNX Runtime
disagreeing with Keras. (Not named onnx.py: run as a script, its folder comes first on sys.path
and would shadow the onnx package.)

A conditional model's ONNX graph also takes its condition input (labels or small_images); the
checks against Keras feed labels arange(B) % num_classes.
"""

import sys

from keras_pixelrnn.cli import main

if __name__ == "__main__":
    sys.exit(main(["export", "onnx", *sys.argv[1:]]))
