"""Each layer's one-pixel step (`keras_pixelrnn.layers.cached_step`) gives, pixel
by pixel in raster order, exactly what the layer's `call` gives for the whole image."""

import numpy as np
import pytest
import tensorflow as tf

from keras_pixelrnn import DiagonalBiLSTM, MaskedConv2D, RowLSTM

LAYERS = [
    pytest.param(lambda c: MaskedConv2D(2 * c, 7, mask_type="A", color_channels=c, activation="tanh"),
                 id="conv7x7A"),
    pytest.param(lambda c: MaskedConv2D(2 * c, 3, color_channels=c), id="conv3x3B"),
    pytest.param(lambda c: MaskedConv2D(2 * c, (1, 3), color_channels=c), id="conv1x3B"),
    pytest.param(lambda c: MaskedConv2D(2 * c, (3, 1), color_channels=c, use_bias=False),
                 id="conv3x1B"),
    pytest.param(lambda c: MaskedConv2D(2 * c, 1, color_channels=c), id="conv1x1B"),
    pytest.param(lambda c: RowLSTM(2 * c, color_channels=c), id="row_lstm"),
    pytest.param(lambda c: RowLSTM(c, kernel_size=5, color_channels=c, mask_type="A"),
                 id="row_lstm_k5_A"),
    pytest.param(lambda c: DiagonalBiLSTM(2 * c, color_channels=c), id="diagonal_bilstm"),
]


def pixel_by_pixel(layer, x):
    batch, height, width, _ = x.shape
    weights = layer.step_weights()
    cache = layer.init_cache(batch, width)
    rows = []
    for i in range(height):
        row = []
        for j in range(width):
            out, cache = layer.call_with_cache(tf.constant(x[:, i, j]), cache, tf.constant(j), weights)
            row.append(out.numpy())
        cache = layer.end_row(cache, weights)
        rows.append(np.stack(row, axis=1))
    return np.stack(rows, axis=1)


@pytest.mark.parametrize("make_layer", LAYERS)
@pytest.mark.parametrize("colors", [1, 3], ids=["grey", "rgb"])
def test_one_pixel_step_equals_call(make_layer, colors, randomize_weights):
    x = np.random.default_rng(0).uniform(-1, 1, (2, 5, 4, 3 * colors)).astype("float32")
    layer = make_layer(colors)
    layer.build(x.shape)
    randomize_weights(layer, seed=1)
    whole = layer(x).numpy()
    steps = pixel_by_pixel(layer, x)
    assert steps.shape == whole.shape
    np.testing.assert_allclose(steps, whole, rtol=1e-5, atol=1e-5)

