"""`python benchmarks/constant_labels.py ARGS`: `keras-pixelrnn ARGS` with every
`mnist_5k` label read as 0.

A control for `conditional_quality.py`: a class-conditional model with a
learned map per class (`--condition-units`), trained and scored this way, has
one learned map for all digits and no label information. The difference
between it and the same model given the true labels is what the label itself
is worth; the difference between it and the unconditional model is what the
map's per-position bias is worth without any label.
"""

import sys

import numpy as np

from keras_pixelrnn import cli
from keras_pixelrnn.data import datasets

_split = datasets._mnist_5k_split


def _constant_labels(split_name):
    images, labels = _split(split_name)
    return images, np.zeros_like(labels)


if __name__ == "__main__":
    datasets._mnist_5k_split = _constant_labels
    sys.exit(cli.main(sys.argv[1:]))
