import numpy as np
import pytest
import tensorflow as tf

from keras_pixelrnn.layers.skew import skew, unskew


@pytest.mark.parametrize("fill", [None, [7.0, -8.0]])
def test_skew_places_rows_on_diagonals_and_fills_outside(fill):
    x = np.random.default_rng(0).standard_normal((2, 3, 4, 2)).astype("float32")
    out = skew(tf.constant(x), fill=None if fill is None else tf.constant(fill)).numpy()
    assert out.shape == (2, 3, 6, 2)
    outside = np.zeros(2) if fill is None else np.array(fill)
    for r in range(3):
        for col in range(6):
            want = x[:, r, col - r] if 0 <= col - r < 4 else np.broadcast_to(outside, (2, 2))
            np.testing.assert_array_equal(out[:, r, col], want)
    np.testing.assert_array_equal(unskew(tf.constant(out), 4).numpy(), x)
