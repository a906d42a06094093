"""Empty batches: what a model gives for 0 images.

A model's layers give empty outputs of the right shape for an empty batch
(`(0, H, W, C, levels)` logits), but `keras.Model.predict` runs its loop over
no batch at all and fails on its own bookkeeping (an `UnboundLocalError`).
`PixelRNN.predict` and `MultiScalePixelRNN.predict` answer an empty NumPy or
tensor input here instead, with one call of the model.
"""

import numpy as np
import tensorflow as tf


def is_empty(x):
    """True when `x` (an array or tensor, or a list or dict of them, as
    `predict` takes) holds 0 images; False for anything else (a
    `tf.data.Dataset`, a generator), which Keras's loop takes as it is."""
    leaves = tf.nest.flatten(x)
    return bool(leaves) and all(
        isinstance(leaf, (np.ndarray, tf.Tensor)) and leaf.ndim >= 1 and leaf.shape[0] == 0
        for leaf in leaves
    )


def outputs(model, x):
    """`model`'s outputs for the empty batch `x`, as NumPy arrays, in the
    structure `predict` returns."""
    return tf.nest.map_structure(np.asarray, model(x, training=False))
