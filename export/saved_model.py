"""Writes a PixelRNN .keras model as a TF Serving SavedModel: BASE/NAME/<version>/.

    python export/saved_model.py --model model.keras --out serving/pixelrnn [--version N] [--overwrite]

Signatures: log_prob (= serving_default), logits, sample. See keras_pixelrnn/serving/export.py.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from keras_pixelrnn.serving.export import saved_model_main  # noqa: E402

if __name__ == "__main__":
    sys.exit(saved_model_main())
