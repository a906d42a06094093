import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_pixelrnn.layers import checks
from keras_pixelrnn.utils import arguments

# The gates in the order of their channels within each colour group: the
# layout of the pre-activations, of the bias and of the recurrent kernel's
# output channels. The first three are sigmoids, the content gate a tanh.
GATES = ("output", "forget", "input", "content")
GATE_GRADIENTS = ("stitch", "concat")


def _leading_shape(x):
    """All but the last dimension of `x`, for reshapes: static where known,
    -1 for the first unknown one (the batch, typically), dynamic after that.

    Inside a loop every dynamic size costs ops at every step (Shape, Gather,
    Concat, and Casts in ONNX); a constant shape with -1 costs none.
    """
    static = x.shape[:-1].as_list()
    unknown = [i for i, size in enumerate(static) if size is None]
    if not unknown:
        return static
    lead = list(static)
    lead[unknown[0]] = -1
    if len(unknown) > 1:
        dynamic = tf.shape(x)
        for i in unknown[1:]:
            lead[i] = dynamic[i]
    return lead


def _split_gates(z, gradient):
    """`(..., 4 * n)` -> its four gates, each `(..., n)` (a `tf.split`), in
    the order of `GATES`.

    `gradient="concat"` is TensorFlow's own gradient of a split. It splits
    its copy across the CPU threads; inside a loop whose other ops hold those
    threads it then waits for them, and was the costliest op of a Row LSTM
    training step. `gradient="stitch"` puts the four gate gradients back
    together with one `DynamicStitch` instead, which copies on the thread
    that runs it. XLA lowers a stitch to one update per row, so the layers'
    XLA forms take the concat (see `execution`).
    """
    if gradient == "concat":
        return tf.split(z, 4, axis=-1)
    return _split_gates_stitched(z)


@tf.custom_gradient
def _split_gates_stitched(z):
    gates = tf.split(z, 4, axis=-1)

    def grad(*d_gates):
        d_gates = [tf.zeros_like(g) if d is None else d for d, g in zip(d_gates, gates)]
        n = z.shape[-1] // 4
        rows = z.shape[:-1].num_elements()
        if rows is None:  # else the indices are constants: no ops per step
            rows = tf.size(d_gates[0]) // n
            indices = [tf.range(rows) * 4 + k for k in range(4)]
        else:
            indices = [np.arange(rows, dtype="int32") * 4 + k for k in range(4)]
        stitched = tf.dynamic_stitch(indices, [tf.reshape(d, (-1, n)) for d in d_gates])
        return tf.reshape(stitched, tf.shape(z))

    return gates, grad


def state_to_state(neighbours, kernel):
    """The state-to-state convolution of `PixelLSTMCell`: the neighbour
    states, concatenated `(..., k)`, times `kernel` `(k, n)` -> `(..., n)`."""
    stacked = tf.concat(neighbours, axis=-1)
    kernel = tf.cast(kernel, stacked.dtype)
    if stacked.shape.rank == 2:
        return tf.matmul(stacked, kernel)
    out = tf.matmul(tf.reshape(stacked, (-1, kernel.shape[0])), kernel)
    return tf.reshape(out, _leading_shape(stacked) + [kernel.shape[1]])


def lstm_update(z, c_tm1, bias, groups=1, gate_gradient="stitch"):
    """The LSTM gates of `PixelLSTMCell.update`, for `groups` contiguous
    groups of channels laid out `[group][gate (GATES)][unit]`: the colour
    groups of one cell, or those of several cells side by side (the two
    directions of a `DiagonalBiLSTM` step).

    `z`: pre-activations without bias `(..., 4 * units)`; `c_tm1`: previous
    cell state `(..., units)`, laid out `[group][unit]`; `bias`
    `(4 * units,)`; `gate_gradient`: the form of the gates' gradient
    (`_split_gates`). Returns `(h, c)`.
    """
    units = z.shape[-1] // 4
    # bias_add, not `+`: inside a training loop the gradient of a broadcast
    # add is a generic Sum over (batch, positions) at every step; that of
    # bias_add is the dedicated BiasAddGrad (a tenth of the step's time saved).
    z = tf.nn.bias_add(z, tf.cast(bias, z.dtype))
    # Gates are taken with a split, never strided slices: in a training
    # loop the gradient of a strided slice (StridedSliceGrad) costs more
    # than the rest of the step. Each group's gates are contiguous runs of
    # `units / groups` channels.
    lead = _leading_shape(z)
    shape = lead + [units]
    if groups == 1:
        gates = _split_gates(z, gate_gradient)
    else:
        grouped = _split_gates(tf.reshape(z, lead + [groups, 4 * units // groups]), gate_gradient)
        gates = [tf.reshape(gate, shape) for gate in grouped]
    gate = dict(zip(GATES, gates))
    c = tf.sigmoid(gate["forget"]) * c_tm1 + tf.sigmoid(gate["input"]) * tf.tanh(gate["content"])
    h = tf.sigmoid(gate["output"]) * tf.tanh(c)
    # The reshapes (free) also state the output shapes for exporters.
    return tf.reshape(h, shape), tf.reshape(c, shape)


class PixelLSTMCell(keras.layers.Layer):
    """The LSTM step shared by `RowLSTMCell` and `DiagonalLSTMCell`.

    A PixelRNN cell computes, for a set of positions at once (a row, a skewed
    column, or a single pixel when sampling):

        z = input_to_state + state_to_state(neighbour states) + bias
        o, f, i = sigmoid(z_o), sigmoid(z_f), sigmoid(z_i);  g = tanh(z_g)
        c = f * c_prev + i * g
        h = o * tanh(c)

    where `state_to_state` is a convolution over the neighbouring hidden states
    that the recurrence has already computed, written as one matrix product of
    the concatenated neighbours with `recurrent_kernel` of shape
    `(taps, units, 4 * units)` (tap `t` multiplies neighbour `t`).

    Colour groups. The `4 * units` pre-activation channels are laid out
    colour-major: reshaped to `(color_channels, 4, units // color_channels)`
    they index `[colour group, gate (o, f, i, g), unit]`. Each gate and the
    hidden state `h` (`units` channels) therefore keep contiguous colour
    groups, and a masked input-to-state convolution with `4 * units` filters
    keeps R, G and B apart through every gate.

    Subclasses say which neighbours a step reads (`neighbours`); this class
    owns the weights and the LSTM maths, once.
    """

    taps = None

    def __init__(
        self,
        units,
        color_channels=1,
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        units = arguments.integer("units", units)
        color_channels = arguments.integer("color_channels", color_channels)
        checks.divisible("units", units, color_channels)
        self.units = units
        self.color_channels = color_channels
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias

    def build(self, input_shape=None):
        self.recurrent_kernel = self.add_weight(
            name="recurrent_kernel",
            shape=(self.taps, self.units, 4 * self.units),
            initializer=self._recurrent_init,
        )
        self.bias = self.add_weight(
            name="bias", shape=(4 * self.units,), initializer=self._bias_init
        )
        self.built = True

    def _recurrent_init(self, shape, dtype=None):
        flat = self.recurrent_initializer((shape[0] * shape[1], shape[2]), dtype)
        return ops.reshape(flat, shape)

    def _bias_init(self, shape, dtype=None):
        bias = self.bias_initializer(shape, dtype)
        if not self.unit_forget_bias:
            return bias
        forget = np.zeros((self.color_channels, len(GATES), self.units // self.color_channels))
        forget[:, GATES.index("forget")] = 1.0
        return bias + ops.cast(forget.reshape(shape), bias.dtype)

    def state_to_state(self, neighbours):
        """`taps` neighbour states `(..., units)` -> pre-activations `(..., 4 * units)`."""
        return state_to_state(
            neighbours, tf.reshape(self.recurrent_kernel, (self.taps * self.units, 4 * self.units))
        )

    def update(self, z, c_tm1, gate_gradient="stitch"):
        """The LSTM gates. `z`: pre-activations without bias `(..., 4 * units)`;
        `c_tm1`: previous cell state `(..., units)`; `gate_gradient`: see
        `lstm_update`. Returns `(h, c)`."""
        return lstm_update(z, c_tm1, self.bias, self.color_channels, gate_gradient)

    def neighbours(self, h_tm1):
        """The `taps` neighbour states that each position of a step reads, as
        a list of tensors whose channels, concatenated, are `taps * units`
        (one tensor per tap, or one tensor with all of them)."""
        raise NotImplementedError

    def call(self, inputs, states, gate_gradient="stitch"):
        """One step. `inputs`: the input-to-state pre-activations of the step's
        positions `(batch, positions, 4 * units)`; `states`: `(h_tm1, c_tm1)` of
        the previous step, each `(batch, positions, units)`; `gate_gradient`:
        see `lstm_update`. Returns `h, (h, c)`."""
        h_tm1, c_tm1 = states
        z = inputs + self.state_to_state(self.neighbours(h_tm1))
        h, c = self.update(z, c_tm1, gate_gradient)
        return h, (h, c)

    def get_initial_state(self, batch_size=None, positions=None):
        """Zero `(h, c)`, each `(batch_size, positions, units)`.

        A step updates a whole set of positions (a row, a skewed column), so
        its states are `(h, c)` of shape `(batch, positions, units)` each;
        the cell is not a `keras.layers.RNN` cell and has no `state_size`.
        """
        zeros = tf.zeros((batch_size, positions, self.units), self.compute_dtype)
        return (zeros, zeros)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "color_channels": self.color_channels,
                "recurrent_initializer": keras.initializers.serialize(
                    self.recurrent_initializer
                ),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "unit_forget_bias": self.unit_forget_bias,
            }
        )
        return config
