"""Random weights for tests: every weight of a built layer or model U(-0.5, 0.5).

Keras' initialisation (zero biases, small kernels) can hide a wrong wiring;
random weights everywhere, biases included, do not. Importable from every
test file: pytest puts tests/ (the folder of tests/conftest.py) on sys.path.
"""

import numpy as np


def randomize(layer, seed=0):
    """Sets every weight of a built layer or model (biases included) to
    U(-0.5, 0.5), drawn in `layer.weights` order from
    `np.random.default_rng(seed)`; `seed` may be a `np.random.Generator`,
    which then goes on drawing from where the weights stopped. Returns `layer`."""
    rng = np.random.default_rng(seed)
    assert layer.weights, "nothing to randomize: build the layer first"
    for weight in layer.weights:
        weight.assign(rng.uniform(-0.5, 0.5, weight.shape).astype(weight.dtype))
    return layer
