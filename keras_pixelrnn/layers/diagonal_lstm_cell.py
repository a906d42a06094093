import keras
import tensorflow as tf

from keras_pixelrnn.layers.pixel_lstm_cell import PixelLSTMCell, lstm_update, state_to_state


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

    # The neighbours a position reads, in the order of the recurrent
    # kernel's taps. Every layout (the skewed map, the bands of training, a
    # single pixel when sampling) gives them in this order.
    TAPS = ("above", "left")
    taps = len(TAPS)

    def step(self, z, above, left, c_left, gate_gradient="stitch"):
        """The step of positions whose neighbour states are given (in any
        layout): `z` the input-to-state pre-activations `(..., 4 * units)`,
        `above` and `left` the hidden states `(..., units)` of the pixels
        above and to the left, `c_left` the cell state to the left.
        Returns `(h, c)`."""
        return self.update(z + self.state_to_state([above, left]), c_left, gate_gradient)

    def neighbours(self, h_tm1):
        """In the skewed map: the previous column holds the left neighbour at
        the same row and the upper one a row higher (a zero row on top)."""
        height = h_tm1.shape[1] or tf.shape(h_tm1)[1]  # static where known: no ops per step
        padded = tf.pad(h_tm1, [[0, 0], [1, 0], [0, 0]])
        above = tf.slice(padded, [0, 0, 0], [-1, height, -1])
        return [above, h_tm1]

    # The band layout of training (see `skew.diagonal_bands`): a step holds
    # only the pixels of its diagonal, rows `start .. start + length - 1`,
    # position-major `(length, batch, channels)`. The previous step held rows
    # from `start - shift` (`shift` is 0 or 1). Row r reads the state above,
    # row r - 1 of the previous step (zero for r = 0), and the state to its
    # left, row r of the previous step (zero for the row that starts now, at
    # the left border): slices of the previous states padded with a zero row
    # at each end.
    #
    # A `DiagonalBiLSTM` runs both its directions in one band loop. Where
    # the graph runs one chain of ops at a time (one CPU thread, a GPU; see
    # `recurrence.default_chains`), they share one set of ops, their channels
    # side by side ([left-to-right, right-to-left], `paired_weights`): a
    # mirrored image has the same diagonals, so both bands have the same rows
    # at every step, and one slice, one matrix product (the two kernels as
    # the blocks of one) and one gate computation serve both. The steps are
    # too small to keep a thread busy, so half the ops is a faster step, even
    # with the multiplications by the zero blocks. Where two threads run ops
    # side by side, each direction keeps its own ops (`band_weights`): the two
    # chains then run at once, and the zero blocks would cost a thread's time.

    @staticmethod
    def band_neighbours(h_tm1, c_tm1, shift, length):
        """`([h above, h left], c left)` of a band step's `length` positions."""
        padded = tf.pad(h_tm1, [[1, 1], [0, 0], [0, 0]])
        above = tf.slice(padded, [shift, 0, 0], [length, -1, -1])
        left = tf.slice(padded, [shift + 1, 0, 0], [length, -1, -1])
        c_left = tf.slice(tf.pad(c_tm1, [[0, 1], [0, 0], [0, 0]]), [shift, 0, 0], [length, -1, -1])
        return [above, left], c_left

    def band_weights(self):
        """The kernel `(taps * units, 4 * units)`, bias `(4 * units,)` and
        gate groups of `band_step`, in the compute dtype: read once per
        call, outside the loop."""
        kernel = tf.reshape(self.recurrent_kernel, (self.taps * self.units, 4 * self.units))
        dtype = self.compute_dtype
        return tf.cast(kernel, dtype), tf.cast(self.bias, dtype), self.color_channels

    @staticmethod
    def paired_weights(first, second):
        """`band_weights` of two cells run side by side: the kernel
        `(taps * 2 * units, 8 * units)`, block diagonal (per tap, `first`'s
        state then `second`'s, onto `first`'s gates then `second`'s), the
        two biases, and the two cells' gate groups in a row."""
        width, dtype = 4 * first.units, first.compute_dtype
        taps = [
            tf.concat(
                [
                    tf.pad(first.recurrent_kernel[t], [[0, 0], [0, width]]),
                    tf.pad(second.recurrent_kernel[t], [[0, 0], [width, 0]]),
                ],
                axis=0,
            )
            for t in range(first.taps)
        ]
        kernel = tf.concat(taps, axis=0)
        bias = tf.concat([first.bias, second.bias], axis=0)
        return tf.cast(kernel, dtype), tf.cast(bias, dtype), 2 * first.color_channels

    @staticmethod
    def band_step(weights, inputs, states, shift):
        """One band step of a cell (`band_weights`) or of two side by side
        (`paired_weights`). `inputs`: the band's input-to-state
        pre-activations `(length, batch, gate channels)`; `states`: `(h, c)`
        of the previous band, `(previous length, batch, state channels)`
        each. Returns `h, (h, c)`."""
        kernel, bias, groups = weights
        h_tm1, c_tm1 = states
        neighbours, c_left = DiagonalLSTMCell.band_neighbours(
            h_tm1, c_tm1, shift, tf.shape(inputs)[0]
        )
        h, c = lstm_update(inputs + state_to_state(neighbours, kernel), c_left, bias, groups)
        return h, (h, c)
