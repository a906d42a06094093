"""Skewing and shifting of feature maps, the geometry of the Diagonal BiLSTM.

`skew` shifts row `r` of an `H x W` map right by `r` positions, giving an
`H x (W + H - 1)` map in which each *column* holds one *diagonal* of the
image. A recurrence over those columns therefore advances along diagonals,
and the state at original pixel `(r, c)` (skewed column `c + r`) can read the
states at `(r, c - 1)` and `(r - 1, c)`, both in skewed column `c + r - 1`.
`unskew` undoes it. All functions take channels-last tensors
`(batch, height, width, channels)` with static or dynamic sizes.

Of the skewed map's `H x (W + H - 1)` positions only `H x W` hold pixels: in
column `t` a band of rows. `diagonal_bands` describes the bands, and
`to_diagonals` / `from_diagonals` lay the pixels out band after band (static
sizes), for a recurrence that computes only the pixels.

Sub-ranges are cut with `tf.slice` rather than Python slicing: the gradient of
a strided slice (StridedSliceGrad) is several times slower than that of a
plain slice (a Pad) on these large maps.
"""

import numpy as np
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


def diagonal_bands(height, width):
    """The image's diagonals as bands of rows: what a diagonal recurrence
    computes at each step, without the skewed map's padding.

    Step `t` (skewed column `t`, `0 <= t < height + width - 1`) holds the
    pixels `(r, t - r)` of rows `start[t] <= r < start[t] + length[t]`, where
    `start[t] = max(0, t - width + 1)` and `length[t] = min(t + 1, height,
    width, height + width - 1 - t)`: the `height * width` pixels, against the
    `height * (height + width - 1)` positions of the skewed map.

    Returns NumPy arrays `(order, length, start)`: `order`, the row-major
    indices `r * width + c` of the pixels, step after step and, within a
    step, by row; `length` and `start`, per step.
    """
    steps = height + width - 1
    start = np.array([max(0, t - width + 1) for t in range(steps)], "int32")
    stop = np.array([min(height, t + 1) for t in range(steps)], "int32")
    order = np.concatenate(
        [np.arange(a, b, dtype="int32") * (width - 1) + t for t, (a, b) in enumerate(zip(start, stop))]
    )
    return order, stop - start, start


def _permute(x, order):
    """`tf.gather(x, order)` along axis 0, for a permutation `order`: its
    gradient is the inverse permutation's gather (not a scatter into zeros)."""
    inverse = np.argsort(order).astype("int32")

    @tf.custom_gradient
    def permute(x):
        return tf.gather(x, order), lambda dy: tf.gather(dy, inverse)

    return permute(x)


def to_diagonals(x, last_first=False):
    """`(B, H, W, C)`, static `H` and `W` -> `(H * W, B, C)`: the pixels in
    the order of `diagonal_bands` (step after step, by row within a step),
    or with the steps last-first if `last_first` (the rows of each step
    still by row), for a loop that pops them: the data reordered, never the
    loop. One transpose and one gather."""
    height, width, channels = x.shape[1], x.shape[2], x.shape[3]
    order, length, _ = diagonal_bands(height, width)
    if last_first:
        ends = np.cumsum(length)
        order = np.concatenate([order[e - n:e] for e, n in zip(ends[::-1], length[::-1])])
    pixels = tf.reshape(tf.transpose(x, (1, 2, 0, 3)), (height * width, -1, channels))
    return _permute(pixels, order)


def from_diagonals(x, height, width):
    """The inverse of `to_diagonals` (steps in order): `(H * W, B, C)` -> `(B, H, W, C)`."""
    order, _, _ = diagonal_bands(height, width)
    pixels = _permute(x, np.argsort(order).astype("int32"))
    return tf.transpose(tf.reshape(pixels, (height, width, -1, x.shape[-1])), (2, 0, 1, 3))
