"""`python -m keras_pixelrnn.cli`: the `keras-pixelrnn` command."""

import sys

from keras_pixelrnn.cli import main

sys.exit(main())
