import keras
import tensorflow as tf

from keras_pixelrnn.layers.pixel_lstm_cell import PixelLSTMCell
from keras_pixelrnn.utils import arguments


def _row_taps(h, kernel_size):
    """`h` `(batch, width, units)` -> `(batch, width, kernel_size * units)`:
    position `j` holds `h` at columns `j - k//2 .. j + k//2` side by side,
    zero outside the row.

    The gradient is written out: position `j` of `h` collects tap `t` of
    position `j + k//2 - t`, one padded copy and `k` slices. TensorFlow's own
    (one gradient per slice and per concat input, each rebuilding its offsets
    from shapes at run time) is about 30 small ops per step.
    """
    half = kernel_size // 2
    width = h.shape[1] or tf.shape(h)[1]  # static where known: no ops per step
    units = h.shape[-1]

    @tf.custom_gradient
    def taps(h):
        padded = tf.pad(h, [[0, 0], [half, half], [0, 0]])
        # tf.slice, not padded[:, a:b]: no StridedSlice in the graph.
        stacked = tf.concat(
            [tf.slice(padded, [0, tap, 0], [-1, width, -1]) for tap in range(kernel_size)],
            axis=-1,
        )

        def grad(d_stacked):
            padded = tf.pad(d_stacked, [[0, 0], [half, half], [0, 0]])
            return tf.add_n(
                [
                    tf.slice(padded, [0, 2 * half - tap, tap * units], [-1, width, units])
                    for tap in range(kernel_size)
                ]
            )

        return stacked, grad

    return taps(h)


@keras.saving.register_keras_serializable(package="keras_pixelrnn")
class RowLSTMCell(PixelLSTMCell):
    """One step of the Row LSTM: a whole image row from the row above.

    The state-to-state part is a `1 x kernel_size` convolution over the
    previous row's hidden state `h_{i-1}` (zero-padded at both ends, so the
    row keeps its width): position `j` reads `h_{i-1}` at columns
    `j - k//2 .. j + k//2` and its own column's cell state `c_{i-1}[j]`.
    Because each row reaches `k//2` columns further left and right than the
    one below it, a Row LSTM output sees a *triangle* above it (section 3.1).

    Args:
        units: int, hidden state size `h`; divisible by `color_channels`.
        kernel_size: odd int, width of the state-to-state convolution.
            Defaults to 3, as in the paper.
        color_channels: number of colour groups, 1 or 3.
        recurrent_initializer: initializer of `recurrent_kernel`
            `(kernel_size, units, 4 * units)`.
        bias_initializer: initializer of `bias` `(4 * units,)`.
        unit_forget_bias: add 1 to the forget-gate bias at initialisation.

    Call arguments:
        inputs: `(batch, width, 4 * units)`, the masked input-to-state
            pre-activations of row `i` (see `PixelLSTMCell` for the layout).
        states: `(h_{i-1}, c_{i-1})`, each `(batch, width, units)`.

    Returns:
        `h_i, (h_i, c_i)`.

    Example:

    >>> cell = RowLSTMCell(8)
    >>> states = cell.get_initial_state(batch_size=2, positions=5)
    >>> h, states = cell(np.zeros((2, 5, 32), "float32"), states)
    >>> h.shape
    TensorShape([2, 5, 8])
    """

    def __init__(self, units, kernel_size=3, color_channels=1, **kwargs):
        kernel_size = arguments.integer("kernel_size", kernel_size, odd=True)
        super().__init__(units, color_channels=color_channels, **kwargs)
        self.kernel_size = kernel_size
        self.taps = kernel_size

    def neighbours(self, h_tm1):
        return [_row_taps(h_tm1, self.kernel_size)]

    def get_config(self):
        config = super().get_config()
        config["kernel_size"] = self.kernel_size
        return config
