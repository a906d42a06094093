"""Skewing and shifting of feature maps, the geometry of the Diagonal BiLSTM.

`skew` shifts row `r` of an `H x W` map right by `r` positions, giving an
`H x (W + H - 1)` map in which each *column* holds one *diagonal* of the
image. A recurrence over those columns therefore advances along diagonals,
and the state at original pixel `(r, c)` (skewed column `c + r`) can read the
states at `(r, c - 1)` and `(r - 1, c)`, both in skewed column `c + r - 1`.
`unskew` undoes it. All functions take channels-last tensors
`(batch, height, width, channels)` with static or dynamic sizes.

Sub-ranges are cut with `tf.slice` rather than Python slicing: the gradient of
a strided slice (StridedSliceGrad) is several times slower than that of a
plain slice (a Pad) on these large maps.
"""

import tensorflow as tf


def skew(x, fill=None):
    """`(B, H, W, C)` -> `(B, H, W + H - 1, C)`, with `out[:, r, r + c] = x[:, r, c]`.

    The positions outside the image hold zeros, or the per-channel vector
    `fill` `(C,)` when given.
    """
    shape = tf.shape(x)
    batch, height, width, channels = shape[0], shape[1], shape[2], shape[3]
    # Pad every row to length W + H and read the flat buffer with rows of
    # length W + H - 1: row r then starts r positions later, in the padding.
    if fill is None:
        padded = tf.pad(x, [[0, 0], [0, 0], [0, height], [0, 0]])
    else:
        block = tf.broadcast_to(tf.cast(fill, x.dtype), [batch, height, height, channels])
        padded = tf.concat([x, block], axis=2)
    flat = tf.reshape(padded, [batch, height * (width + height), channels])
    flat = tf.slice(flat, [0, 0, 0], [-1, height * (width + height - 1), -1])
    return tf.reshape(flat, [batch, height, width + height - 1, channels])


def unskew(x, width):
    """`(B, H, W + H - 1, C)` -> `(B, H, W, C)`, the inverse of `skew`."""
    shape = tf.shape(x)
    batch, height, skewed_width, channels = shape[0], shape[1], shape[2], shape[3]
    flat = tf.reshape(x, [batch, height * skewed_width, channels])
    flat = tf.pad(flat, [[0, 0], [0, height], [0, 0]])
    rows = tf.reshape(flat, [batch, height, skewed_width + 1, channels])
    return tf.slice(rows, [0, 0, 0, 0], [-1, -1, width, -1])


def mirror(x):
    """Reverses the columns: the right-to-left view of a map."""
    return tf.reverse(x, axis=[2])


def shift_down(x):
    """Moves every row one down: a zero row on top, the last row dropped."""
    height = tf.shape(x)[1]
    padded = tf.pad(x, [[0, 0], [1, 0], [0, 0], [0, 0]])
    return tf.slice(padded, [0, 0, 0, 0], [-1, height, -1, -1])
