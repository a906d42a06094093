import numpy as np
import tensorflow as tf


def receptive_field(layer_or_model, input_shape, pixel, output_channel=None, trials=2, seed=0,
                    conditions=None):
    """Which input sub-pixels the output at `pixel` depends on.

    Computed from gradients: with the layer's (random) weights and random
    inputs, input sub-pixel `(r, c, k)` is in the receptive field when the
    gradient of the output at `pixel` with respect to it is non-zero. Masks
    make the gradient exactly zero outside the field; inside it a gradient
    vanishing by accident on every trial is vanishingly unlikely.

    Args:
        layer_or_model: a Keras layer or model mapping `(batch, H, W, C)` to
            `(batch, H, W, ...)`.
        input_shape: `(H, W, C)` of one input image.
        pixel: `(i, j)`, the output position.
        output_channel: index into the output's trailing axes flattened
            (e.g. a channel, or `colour * levels + level` for logits of shape
            `(H, W, C, levels)`); `None` takes the union over all of them.
        trials: number of random inputs whose fields are united.
        seed: seed of the random inputs.
        conditions: for a conditional layer or model, the other inputs
            (each with batch 1), passed after the image: the layer is called
            on `[image, *conditions]`. The field is that of the image.

    Returns:
        A boolean NumPy array of shape `input_shape`.

    Example:

    >>> field = receptive_field(RowLSTM(4), (5, 7, 1), pixel=(4, 3))
    >>> field[..., 0].astype(int)  # the Row LSTM's triangle
    """
    height, width, channels = (int(d) for d in input_shape)
    i, j = pixel
    if not (0 <= i < height and 0 <= j < width):
        raise ValueError(
            f"`pixel` must lie inside the image of size {(height, width)}. "
            f"Received: pixel={tuple(pixel)}"
        )
    conditions = [tf.convert_to_tensor(c) for c in conditions or ()]
    rng = np.random.default_rng(seed)
    field = np.zeros((height, width, channels), bool)
    for _ in range(trials):
        x = tf.constant(
            rng.uniform(-1.0, 1.0, (1, height, width, channels)).astype("float32")
        )
        with tf.GradientTape(persistent=output_channel is None) as tape:
            tape.watch(x)
            inputs = [x, *conditions] if conditions else x
            y = tf.reshape(layer_or_model(inputs)[0, i, j], [-1])
            if output_channel is not None:
                y = y[output_channel]
        if output_channel is None:
            grad = tape.jacobian(y, x, experimental_use_pfor=False)
            grad = tf.reduce_any(tf.not_equal(grad, 0.0), axis=0)
        else:
            grad = tf.not_equal(tape.gradient(y, x), 0.0)
        field |= grad.numpy()[0]
    return field
