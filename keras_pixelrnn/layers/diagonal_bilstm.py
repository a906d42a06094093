import keras
import numpy as np
import tensorflow as tf

from keras_pixelrnn.layers import checks, conditioning, execution
from keras_pixelrnn.layers.cached_step import put
from keras_pixelrnn.layers.diagonal_lstm_cell import DiagonalLSTMCell
from keras_pixelrnn.layers.masked_conv2d import MaskedConv2D
from keras_pixelrnn.layers.pixel_lstm_cell import GATES
from keras_pixelrnn.layers.recurrence import scan, scan_bands, time_major
from keras_pixelrnn.layers.skew import (
    diagonal_bands, from_diagonals, mirror, shift_down, skew, to_diagonals, unskew,
)
from keras_pixelrnn.utils import arguments

DIRECTIONS = ("left_to_right", "right_to_left")


def _static_size(inputs):
    """Whether the height and width of `inputs` are known when traced."""
    return None not in inputs.shape.as_list()[1:3]


def _mirrored(condition):
    """The right-to-left view of a condition: a map mirrored, a vector as is."""
    if condition is None or condition.shape.rank == 2:
        return condition
    return mirror(condition)


@keras.saving.register_keras_serializable(package="keras_pixelrnn")
class DiagonalBiLSTM(keras.layers.Layer):
    """Diagonal BiLSTM layer of PixelRNN: the whole causal context in one layer.

    Each direction is a diagonal LSTM:

    1. skew the input so that every image diagonal becomes a column;
    2. input-to-state: a `1 x 1` masked convolution (mask B by default), run
       once over the whole map;
    3. state-to-state: a `DiagonalLSTMCell` step per skewed column, where
       pixel `(r, c)` reads the states at `(r, c - 1)` and `(r - 1, c)`;
    4. unskew back to `height x width`.

    The left-to-right direction sees, at `(i, j)`, every pixel up and to the
    left. The right-to-left direction runs the same on the mirrored image and
    sees up and to the right, but on its own row it would see pixels right of
    `j`: the future. Its output is therefore shifted down one row (a zero row
    on top) before the two are added, so that row `i` receives the
    right-to-left summary of rows `< i` only. Receptive field of one layer at
    `(i, j)`: every pixel of rows `< i` and row `i` columns `<= j` — the full
    context, no blind spot.

    States outside the image (the skew's padding) are held at zero, so a
    pixel on the left border reads a zero state, exactly like a pixel on the
    top border.

    Reference: van den Oord et al., "Pixel Recurrent Neural Networks",
    ICML 2016, section 3.2.

    Args:
        units: int, hidden state size `h` of each direction; divisible by
            `color_channels`.
        color_channels: number of colour groups (1 grey/binary, 3 RGB).
        mask_type: mask of the `1 x 1` input-to-state convolutions, `"B"`
            (default) or `"A"` (invalid with one colour: it masks every tap).
        kernel_initializer: initializer of the input-to-state kernels.
        recurrent_initializer: initializer of the state-to-state kernels.
        bias_initializer: initializer of the gate biases.
        unit_forget_bias: add 1 to the forget-gate bias at initialisation.
        implementation: how training computes (the numbers are the same;
            see `execution`). `"bands"`: each step computes only the pixels
            of its diagonal, the two directions as two chains of ops that
            two CPU threads run side by side. `"paired_bands"`: the same
            with both directions in one set of ops, faster on one thread.
            `"skewed"`: every step a whole column of the skewed map, steps
            of one size, which XLA compiles (a GPU). `"auto"` (default):
            `"skewed"` on a GPU, `"bands"` on a CPU with two threads or more,
            `"paired_bands"` on one thread; `"skewed"` wherever the height
            and width are unknown when the graph is traced, since the bands
            need them. `"portable"`: `"skewed"`. Inference (and so every
            export) always runs the skewed map.

    Call arguments:
        inputs: `(batch, height, width, channels)`; height and width may be
            unknown when the model is built. Or `[inputs, condition]`: a
            condition vector `(batch, d)` or map `(batch, height, width, d)`
            whose learned 1x1 projection is added to each direction's
            input-to-state pre-activations (see `conditioning`; the
            right-to-left direction reads the mirrored map).
        training: `True` (as in `model.fit`) runs the training loop of
            `implementation`; the result is the same. Otherwise the loop that
            exports to ONNX (see `recurrence`).

    Input shape:
        `(batch, height, width, channels)`, channels divisible by
        `color_channels`.

    Output shape:
        `(batch, height, width, units)`.

    Example:

    >>> inputs = keras.Input((None, None, 1))
    >>> x = MaskedConv2D(16, 7, mask_type="A")(inputs)
    >>> x = DiagonalBiLSTM(8)(x)
    >>> keras.Model(inputs, x)(np.zeros((2, 6, 5, 1))).shape
    TensorShape([2, 6, 5, 8])
    """

    IMPLEMENTATIONS = execution.Implementations(
        choices=("bands", "paired_bands", "skewed"),
        auto={"gpu": "skewed", "parallel_cpu": "bands", "serial_cpu": "paired_bands"},
        portable="skewed",
        xla="skewed",
        needs="the height and width known when the graph is traced",
    )

    def __init__(
        self,
        units,
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
        self.mask_type = checks.mask_type(mask_type)
        checks.mask_sees_something(mask_type, (1, 1), color_channels)
        self.kernel_initializer = keras.initializers.get(kernel_initializer)
        self.recurrent_initializer = keras.initializers.get(recurrent_initializer)
        self.bias_initializer = keras.initializers.get(bias_initializer)
        self.unit_forget_bias = unit_forget_bias

    def build(self, input_shape):
        image_shape, _ = conditioning.split_shape(input_shape)
        checks.image_shape("DiagonalBiLSTM", image_shape, self.color_channels)
        self.input_to_state = {}
        self.cells = {}
        for direction in DIRECTIONS:
            conv = MaskedConv2D(
                4 * self.units,
                1,
                mask_type=self.mask_type,
                color_channels=self.color_channels,
                use_bias=False,
                kernel_initializer=self.kernel_initializer,
                dtype=self.dtype_policy,
                name=f"{direction}_input_to_state",
            )
            conv.build(input_shape)
            cell = DiagonalLSTMCell(
                self.units,
                color_channels=self.color_channels,
                recurrent_initializer=self.recurrent_initializer,
                bias_initializer=self.bias_initializer,
                unit_forget_bias=self.unit_forget_bias,
                dtype=self.dtype_policy,
                name=f"{direction}_cell",
            )
            cell.build()
            self.input_to_state[direction] = conv
            self.cells[direction] = cell
        self.built = True

    def call(self, inputs, training=None):
        inputs, condition = conditioning.split(inputs)
        checks.floating_inputs(self, inputs)
        # Both directions advance together, their channels side by side.
        z = tf.concat(
            [
                self.input_to_state["left_to_right"](self._with(inputs, condition)),
                self.input_to_state["right_to_left"](
                    self._with(mirror(inputs), _mirrored(condition))
                ),
            ],
            axis=-1,
        )
        implementation = self.IMPLEMENTATIONS.resolve(
            self.implementation, runnable=lambda way: way == "skewed" or _static_size(inputs)
        )
        if training and implementation != "skewed":
            h = self._bands(z, paired=implementation == "paired_bands")
        else:
            gradient = self.IMPLEMENTATIONS.gate_gradient(implementation)
            h = self._skewed(z, reverse=bool(training), gate_gradient=gradient)
        h_l, h_r = tf.split(h, 2, axis=-1)
        # The right-to-left direction has seen its own row right of each
        # pixel: moved one row down, row i reads only rows < i of it.
        return h_l + shift_down(mirror(h_r))

    def _skewed(self, z, reverse, gate_gradient):
        """Both directions over the skewed map, one column per step:
        `(B, H, W, 2 * units)`. `reverse`: the training loop, which pops the
        columns off a list, the last on top (see `recurrence`); the transpose
        that makes them time-major reverses them."""
        shape = tf.shape(z)
        batch, height, width = shape[0], shape[1], shape[2]
        # Positions outside the image must keep zero states (the paper's zero
        # padding at the ends of each row). Their pre-activations are set, by
        # the skew itself, to a huge negative value on the sigmoid gates,
        # which are then exactly 0, so c = 0 * c + 0 * g and h = 0 * tanh(c)
        # are exactly 0, and no gradient passes through them, with no masking
        # inside the loop.
        columns = time_major(skew(z, fill=self._outside_fill(z.dtype)), reverse=reverse, axis=2)
        left, right = self.cells["left_to_right"], self.cells["right_to_left"]

        def step(t, z_columns, states):
            h_l, c_l, h_r, c_r = states
            h_l, (_, c_l) = left.call(z_columns[0], (h_l, c_l), gate_gradient)
            h_r, (_, c_r) = right.call(z_columns[1], (h_r, c_r), gate_gradient)
            return (h_l, h_r), (h_l, c_l, h_r, c_r)

        # The directions are split and joined once for the whole map, not at
        # every step: two independent chains that run side by side.
        zeros = left.get_initial_state(batch_size=batch, positions=height)
        h = scan(
            step, tuple(tf.split(columns, 2, axis=-1)), zeros + zeros, num_outputs=2,
            reversed_input=reverse,
        )
        return unskew(tf.transpose(tf.concat(h, axis=-1), [1, 2, 0, 3]), width)

    def _bands(self, z, paired):
        """Both directions for training, on the pixels only: each step
        computes the band of rows of its diagonal (`skew.diagonal_bands`),
        not the whole skewed column, which at 28 x 28 is half the work (784
        of 1,540 positions per direction). `paired`: one set of ops for both
        directions, side by side in the channels as `z` holds them (see
        `DiagonalLSTMCell`); else the two directions as two chains."""
        height, width, batch = z.shape[1], z.shape[2], tf.shape(z)[0]
        _, lengths, starts = diagonal_bands(height, width)
        shifts = tf.constant(np.diff(starts, prepend=0).astype("int32"))
        # Position-major, the steps last-first (they are popped; see `recurrence`).
        sequence = to_diagonals(z, last_first=True)
        left, right = self.cells["left_to_right"], self.cells["right_to_left"]
        if paired:
            weights = DiagonalLSTMCell.paired_weights(left, right)

            def step(t, z_band, states):
                return DiagonalLSTMCell.band_step(weights, z_band, states, tf.gather(shifts, t))

            zeros = tf.zeros((0, batch, 2 * self.units), z.dtype)  # no row before step 0
            h = scan_bands(step, sequence, lengths, (zeros, zeros))
        else:
            weights = left.band_weights(), right.band_weights()

            def step(t, z_bands, states):
                shift = tf.gather(shifts, t)
                h_l, (_, c_l) = DiagonalLSTMCell.band_step(weights[0], z_bands[0], states[:2], shift)
                h_r, (_, c_r) = DiagonalLSTMCell.band_step(weights[1], z_bands[1], states[2:], shift)
                return (h_l, h_r), (h_l, c_l, h_r, c_r)

            zeros = tf.zeros((0, batch, self.units), z.dtype)
            sequences = tuple(tf.split(sequence, 2, axis=-1))
            h = tf.concat(scan_bands(step, sequences, lengths, (zeros,) * 4, num_outputs=2), -1)
        return from_diagonals(h, height, width)

    # The one-pixel step (see `keras_pixelrnn.layers.cached_step`). The
    # left-to-right state at (i, j) reads the states at (i, j - 1) and
    # (i - 1, j): one cell step per pixel. Row i reads the right-to-left
    # stream of row i - 1 only (the shift down), which is complete once row
    # i - 1 is: `end_row` runs it over the finished row, as a forward scan
    # over the mirrored row (reverse the data, never the loop).

    def step_weights(self):
        return self.input_to_state["left_to_right"].step_weights()

    def init_cache(self, batch_size, width):
        units, dtype = self.units, self.compute_dtype
        conv = self.input_to_state["left_to_right"]
        return {
            "input_to_state": conv.init_cache(batch_size, width),
            "inputs": tf.zeros((width, batch_size, conv.kernel.shape[2]), dtype),
            **(
                {}  # the row's conditions, for the right-to-left pass
                if conv.condition_kernel is None
                else {"conditions": tf.zeros((width, batch_size, conv.condition_kernel.shape[0]), dtype)}
            ),
            # The previous row's h, [left-to-right, right-to-left].
            "above": tf.zeros((width, batch_size, 2 * units), dtype),
            # This row's left-to-right [h, c]; slot 0 is the zero left border.
            "hc": tf.zeros((width + 1, batch_size, 2 * units), dtype),
        }

    def call_with_cache(self, inputs, cache, column, step_weights):
        left = self.cells["left_to_right"]
        z, conv = self.input_to_state["left_to_right"].call_with_cache(
            inputs, cache["input_to_state"], column, step_weights
        )
        inputs, condition = conditioning.split(inputs)
        h_above, right_above = tf.split(tf.gather(cache["above"], column), 2, axis=-1)
        h_left, c_left = tf.split(tf.gather(cache["hc"], column), 2, axis=-1)
        h, c = left.step(z, h_above, h_left, c_left)
        cache = dict(
            cache,
            input_to_state=conv,
            inputs=put(cache["inputs"], column, tf.cast(inputs, self.compute_dtype)),
            **(
                {}
                if condition is None
                else {"conditions": put(cache["conditions"], column, tf.cast(condition, self.compute_dtype))}
            ),
            hc=put(cache["hc"], column + 1, tf.concat([h, c], -1)),
        )
        return h + right_above, cache

    def end_row(self, cache, step_weights):
        units, right = self.units, self.cells["right_to_left"]
        # The row as a one-row image: (batch, 1, width, channels).
        row = tf.transpose(cache["inputs"], (1, 0, 2))[:, None]
        # The row's conditions as a one-row map, (batch, 1, width, d).
        condition = (
            tf.transpose(cache["conditions"], (1, 0, 2))[:, None] if "conditions" in cache else None
        )
        z = self.input_to_state["right_to_left"](
            self._with(mirror(row), _mirrored(condition))
        )[:, 0]
        # The row above's right-to-left states, mirrored: (batch, width, units).
        right_above = tf.reverse(tf.transpose(cache["above"][..., units:], (1, 0, 2)), [1])
        sequence = tf.concat([z, right_above], -1)  # (batch, width, 5 * units), mirrored

        def step(t, z_and_above, states):
            z, above = z_and_above[..., : 4 * units], z_and_above[..., 4 * units :]
            h_left, c_left = states
            h, c = right.step(z, above, h_left, c_left)
            return h, (h, c)

        zeros = tf.zeros_like(right_above[:, 0])
        h_right = scan(step, time_major(sequence), (zeros, zeros))  # (width, batch, units), mirrored
        h_right = tf.reverse(h_right, [0])
        # The left border slot of `hc` is never written, the others are
        # rewritten before they are read: no reset.
        return dict(cache, above=tf.concat([cache["hc"][1:, :, :units], h_right], -1))

    def _with(self, inputs, condition):
        return inputs if condition is None else [inputs, condition]

    def _outside_fill(self, dtype):
        """Pre-activations `(8 * units,)` of a position outside the image."""
        groups = self.color_channels
        gates = np.zeros((2, groups, len(GATES), self.units // groups))  # [direction][group][gate]
        sigmoids = [GATES.index(gate) for gate in ("output", "forget", "input")]
        gates[:, :, sigmoids] = 0.5 * tf.as_dtype(dtype).min
        return tf.constant(gates.reshape(-1), dtype)

    def compute_output_shape(self, input_shape):
        input_shape, _ = conditioning.split_shape(input_shape)
        return tuple(input_shape[:-1]) + (self.units,)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "units": self.units,
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
