import keras
import tensorflow as tf

from keras_pixelrnn.layers import checks, conditioning, execution
from keras_pixelrnn.layers.cached_step import put
from keras_pixelrnn.layers.masked_conv2d import MaskedConv2D
from keras_pixelrnn.layers.recurrence import scan_chains, split_batch, time_major
from keras_pixelrnn.layers.row_lstm_cell import RowLSTMCell
from keras_pixelrnn.utils import arguments


@keras.saving.register_keras_serializable(package="keras_pixelrnn")
class RowLSTM(keras.layers.Layer):
    """Row LSTM layer of PixelRNN: an image processed row by row, top to bottom.

    For row `i` of the input `x`:

        [o, f, i, g] = [sigma, sigma, sigma, tanh](K_ss * h_{i-1} + K_is * x_i + b)
        c_i = f * c_{i-1} + i * g
        h_i = o * tanh(c_i)

    `K_is` is a `1 x kernel_size` masked convolution along the row (mask B by
    default, so position `j` sees columns `j - k//2 .. j` of its own row and,
    at column `j`, only the colours allowed so far). It has no recurrence, so
    it runs once over the whole image before the loop. `K_ss` is an unmasked
    `1 x kernel_size` convolution over the previous row's hidden state: it is
    the only part inside the loop, one `RowLSTMCell` step per row.

    Receptive field of one layer at `(i, j)` (k = 3): row `i` columns
    `j - 1 .. j`; row `i - r` columns `j - r - 1 .. j + r`. That triangle
    widens by one column on each side per row upwards and misses the pixels
    to the left and right of it: the Row LSTM does not see the whole past.
    `receptive_field(RowLSTM(...), ...)` draws it.

    Reference: van den Oord et al., "Pixel Recurrent Neural Networks",
    ICML 2016, section 3.1.

    Args:
        units: int, hidden state size `h`; divisible by `color_channels`.
        kernel_size: odd int, width of both `1 x k` convolutions. Default 3.
        color_channels: number of colour groups (1 grey/binary, 3 RGB).
        mask_type: mask of the input-to-state convolution, `"B"` (default)
            or `"A"` (when the layer reads the image itself).
        kernel_initializer: initializer of the input-to-state kernel.
        recurrent_initializer: initializer of the state-to-state kernel.
        bias_initializer: initializer of the gate bias.
        unit_forget_bias: add 1 to the forget-gate bias at initialisation.
        implementation: how the loop runs (the numbers are the same; see
            `execution`). `"batch_chains"`: the batch as
            `execution.BATCH_CHAINS` independent recurrences, whose small
            ops two CPU threads run side by side. `"one_chain"`: one
            recurrence over the whole batch. `"xla"`: one chain, with the
            gate gradient that XLA compiles well (a GPU, or
            `jit_compile=True`). `"auto"` (default): `"xla"` on a GPU,
            `"batch_chains"` on a CPU with two threads or more,
            `"one_chain"` on one thread. `"portable"`: `"one_chain"`, what
            exports use.

    Call arguments:
        inputs: `(batch, height, width, channels)`; height and width may be
            unknown when the model is built. Or `[inputs, condition]`: a
            condition vector `(batch, d)` or map `(batch, height, width, d)`
            whose learned 1x1 projection is added to the gate
            pre-activations `K_is * x_i` (see `conditioning`).

    Input shape:
        `(batch, height, width, channels)`, channels divisible by
        `color_channels`.

    Output shape:
        `(batch, height, width, units)`, colour groups contiguous.

    Example:

    >>> inputs = keras.Input((None, None, 3))
    >>> x = MaskedConv2D(24, 7, mask_type="A", color_channels=3)(inputs)
    >>> x = RowLSTM(12, color_channels=3)(x)
    >>> model = keras.Model(inputs, x)
    >>> model(np.zeros((2, 8, 8, 3))).shape
    TensorShape([2, 8, 8, 12])
    """

    IMPLEMENTATIONS = execution.Implementations(
        choices=("batch_chains", "one_chain", "xla"),
        auto={"gpu": "xla", "parallel_cpu": "batch_chains", "serial_cpu": "one_chain"},
        portable="one_chain",
        xla="xla",
    )

    def __init__(
        self,
        units,
        kernel_size=3,
        color_channels=1,
        mask_type="B",
        kernel_initializer="glorot_uniform",
        recurrent_initializer="orthogonal",
        bias_initializer="zeros",
        unit_forget_bias=True,
        implementation="auto",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.implementation = self.IMPLEMENTATIONS.check(implementation)
        self.units = arguments.integer("units", units)
        self.color_channels = arguments.integer("color_channels", color_channels)
        checks.divisible("units", units, color_channels)
        self.kernel_size = arguments.integer("kernel_size", kernel_size, odd=True)
        self.mask_type = checks.mask_type(mask_type)
        checks.mask_sees_something(mask_type, (1, kernel_size), color_channels)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias

    def build(self, input_shape):
        image_shape, _ = conditioning.split_shape(input_shape)
        checks.image_shape("RowLSTM", image_shape, self.color_channels)
        self.input_to_state = MaskedConv2D(
            4 * self.units,
            (1, self.kernel_size),
            mask_type=self.mask_type,
            color_channels=self.color_channels,
            use_bias=False,
            kernel_initializer=self.kernel_initializer,
            dtype=self.dtype_policy,
            name="input_to_state",
        )
        self.input_to_state.build(input_shape)
        self.cell = RowLSTMCell(
            self.units,
            kernel_size=self.kernel_size,
            color_channels=self.color_channels,
            recurrent_initializer=self.recurrent_initializer,
            bias_initializer=self.bias_initializer,
            unit_forget_bias=self.unit_forget_bias,
            dtype=self.dtype_policy,
            name="cell",
        )
        self.cell.build()
        self.built = True

    def call(self, inputs, training=None):
        inputs, condition = conditioning.split(inputs)
        checks.floating_inputs(self, inputs)
        implementation = self.IMPLEMENTATIONS.resolve(self.implementation)
        # Batch chains are split here, so that each chain has its own
        # input-to-state convolution (see `recurrence`). Training pops the
        # rows off a list, last row on top.
        reverse = bool(training)
        chains = execution.BATCH_CHAINS if implementation == "batch_chains" else 1
        gradient = self.IMPLEMENTATIONS.gate_gradient(implementation)
        parts = split_batch(inputs, chains)
        biases = [None] * len(parts)
        if condition is not None or self.input_to_state.condition_kernel is not None:
            self.input_to_state.check_condition(condition)
            # (batch, 1, 1, 4h) for a vector, (batch, height, width, 4h) for a map.
            biases = split_batch(self.input_to_state.condition_bias(condition), len(parts))
        sequences, states = [], []
        for part, bias in zip(parts, biases):
            # Rows first (time-major) before the 1 x k convolution, which
            # does not mix rows: transposing the input moves `channels` values
            # per pixel, transposing the pre-activations would move `4 * units`.
            rows = time_major(part, reverse=reverse)
            shape = tf.shape(rows)
            # Each row is its own one-row image for the convolution. (That
            # also keeps an empty chain, at batch 1, from the CPU convolution,
            # which returns an empty image unchanged, channels and all.)
            width = rows.shape[2] or shape[2]  # static where known, for exporters
            images = tf.reshape(rows, [-1, 1, width, rows.shape[-1]])
            # -1, not the chain's batch: ONNX reads a 0 in a shape as "keep".
            z = tf.reshape(self.input_to_state(images), [shape[0], -1, width, 4 * self.units])
            if bias is not None:
                z += time_major(bias, reverse=reverse)
            sequences.append(z)
            states.append(self.cell.get_initial_state(batch_size=shape[1], positions=shape[2]))
        h = scan_chains(
            lambda t, z_row, states: self.cell.call(z_row, states, gradient),
            sequences, states, reversed_input=reverse,
        )
        h = [tf.transpose(chain, [1, 0, 2, 3]) for chain in h]
        return tf.concat(h, axis=0) if len(h) > 1 else h[0]

    # The one-pixel step (see `keras_pixelrnn.layers.cached_step`): pixel
    # (i, j) needs its input-to-state taps on row i (the convolution's own
    # step) and the previous row's states. The state-to-state convolution
    # over the previous row runs once per row, in `end_row`, as in `call`.

    def step_weights(self):
        return self.input_to_state.step_weights()

    def init_cache(self, batch_size, width):
        units, dtype = self.units, self.compute_dtype
        return {
            "input_to_state": self.input_to_state.init_cache(batch_size, width),
            "state_to_state": tf.zeros((width, batch_size, 4 * units), dtype),
            "c_prev": tf.zeros((width, batch_size, units), dtype),
            "hc": tf.zeros((width, batch_size, 2 * units), dtype),  # this row's [h, c]
        }

    def call_with_cache(self, inputs, cache, column, step_weights):
        z, conv = self.input_to_state.call_with_cache(
            inputs, cache["input_to_state"], column, step_weights
        )
        z += tf.gather(cache["state_to_state"], column)
        h, c = self.cell.update(z, tf.gather(cache["c_prev"], column))
        hc = put(cache["hc"], column, tf.concat([h, c], -1))
        return h, dict(cache, input_to_state=conv, hc=hc)

    def end_row(self, cache, step_weights):
        h, c = tf.split(cache["hc"], 2, axis=-1)
        h = tf.transpose(h, (1, 0, 2))
        state_to_state = self.cell.state_to_state(self.cell.neighbours(h))
        return dict(
            cache,
            input_to_state=self.input_to_state.end_row(cache["input_to_state"], step_weights),
            state_to_state=tf.transpose(state_to_state, (1, 0, 2)),
            c_prev=c,
        )

    def compute_output_shape(self, input_shape):
        input_shape, _ = conditioning.split_shape(input_shape)
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
                "kernel_size": self.kernel_size,
                "color_channels": self.color_channels,
                "mask_type": self.mask_type,
                "kernel_initializer": keras.initializers.serialize(self.kernel_initializer),
                "recurrent_initializer": keras.initializers.serialize(
                    self.recurrent_initializer
                ),
                "bias_initializer": keras.initializers.serialize(self.bias_initializer),
                "unit_forget_bias": self.unit_forget_bias,
                "implementation": self.implementation,
            }
        )
        return config
