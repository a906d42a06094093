import keras
import tensorflow as tf

from keras_pixelrnn.layers.pixel_lstm_cell import PixelLSTMCell


@keras.saving.register_keras_serializable(package="keras_pixelrnn")
class DiagonalLSTMCell(PixelLSTMCell):
    """One step of a diagonal LSTM: a whole skewed column (an image diagonal).

    In the skewed map (see `keras_pixelrnn.layers.skew`), the state at original
    pixel `(r, c)` is computed from the previous skewed column, which holds
    its left neighbour `(r, c - 1)` at the same height and its upper
    neighbour `(r - 1, c)` one row higher. The state-to-state part is
    therefore a `2 x 1` convolution down the column, padded at the TOP: row
    `r` reads rows `r - 1` and `r` of the previous column, never `r + 1`
    (a 'same'-padded even kernel would read the row below: the future).
    The cell state is carried from the left neighbour. By induction the state
    at `(r, c)` has seen every pixel up and to the left of it (section 3.2).

    Args:
        units: int, hidden state size; divisible by `color_channels`.
        color_channels: number of colour groups, 1 or 3.
        recurrent_initializer: initializer of `recurrent_kernel`
            `(2, units, 4 * units)`: tap 0 multiplies the state above,
            tap 1 the state to the left.
        bias_initializer: initializer of `bias` `(4 * units,)`.
        unit_forget_bias: add 1 to the forget-gate bias at initialisation.

    Call arguments:
        inputs: `(batch, height, 4 * units)`, input-to-state pre-activations
            of skewed column `t`.
        states: `(h, c)` of skewed column `t - 1`, each
            `(batch, height, units)`.

    Returns:
        `h_t, (h_t, c_t)`.

    Example:

    >>> cell = DiagonalLSTMCell(8)
    >>> states = cell.get_initial_state(batch_size=2, positions=4)
    >>> h, states = cell(np.zeros((2, 4, 32), "float32"), states)
    >>> h.shape
    TensorShape([2, 4, 8])
    """

    taps = 2

    def neighbours(self, h_tm1):
        height = h_tm1.shape[1] or tf.shape(h_tm1)[1]  # static where known: no ops per step
        padded = tf.pad(h_tm1, [[0, 0], [1, 0], [0, 0]])
        above = tf.slice(padded, [0, 0, 0], [-1, height, -1])
        return [above, h_tm1]

    # The band layout of training (see `skew.diagonal_bands`): a step holds
    # only the pixels of its diagonal, rows `start .. start + length - 1`,
    # position-major `(length, batch, units)`. The previous step held rows
    # from `start - shift` (`shift` is 0 or 1). Row r reads the state above,
    # row r - 1 of the previous step (zero for r = 0), and the state to its
    # left, row r of the previous step (zero for the row that starts now, at
    # the left border): slices of the previous states padded with a zero row
    # at each end.

    def band_neighbours(self, h_tm1, c_tm1, shift, length):
        """`([h above, h left], c left)` of a band step's `length` positions."""
        padded = tf.pad(h_tm1, [[1, 1], [0, 0], [0, 0]])
        above = tf.slice(padded, [shift, 0, 0], [length, -1, -1])
        left = tf.slice(padded, [shift + 1, 0, 0], [length, -1, -1])
        c_left = tf.slice(tf.pad(c_tm1, [[0, 1], [0, 0], [0, 0]]), [shift, 0, 0], [length, -1, -1])
        return [above, left], c_left

    def band_call(self, inputs, states, shift):
        """One band step. `inputs`: the band's input-to-state pre-activations
        `(length, batch, 4 * units)`; `states`: `(h, c)` of the previous band,
        `(previous length, batch, units)` each. Returns `h, (h, c)`."""
        h_tm1, c_tm1 = states
        neighbours, c_left = self.band_neighbours(h_tm1, c_tm1, shift, tf.shape(inputs)[0])
        h, c = self.update(inputs + self.state_to_state(neighbours), c_left)
        return h, (h, c)
