"""Writes a PixelRNN .keras model as a TF Serving SavedModel: BASE/NAME/<version>/.

    python export/saved_model.py --model model.keras --out serving/pixelrnn [--version N] [--overwrite]
        [--implementation portable|auto] [--single-threaded-sampler]

The same as `keras-pixelrnn export saved-model ...` (keras_pixelrnn/cli/export.py), with the
installed keras_pixelrnn. Signatures: log_prob (= serving_default), logits, sample.
A conditional model's signatures also take its condition input (labels int32 (B,), or
small_images float32 (B, s, s', C)).
"""

import sys

from keras_pixelrnn.cli import main

if __name__ == "__main__":
    sys.exit(main(["export", "saved-model", *sys.argv[1:]]))
