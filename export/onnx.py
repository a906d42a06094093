"""Converts one signature of a PixelRNN .keras model to ONNX, checked before it is written.

    python export/onnx.py --model model.keras --out model.onnx --signature log_prob|sample

Fails (exit 2) on any op tf2onnx cannot convert, an invalid model, or ONNX Runtime
disagreeing with Keras. See keras_pixelrnn/serving/export.py.
"""

import os
import sys

# This file is named onnx.py: its folder must not shadow the onnx package.
_here = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or os.curdir) != _here]
sys.path.insert(0, os.path.dirname(_here))

from keras_pixelrnn.serving.export import onnx_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(onnx_main())
