import keras
import numpy as np
import tensorflow as tf
from keras import ops

from keras_pixelrnn.layers import checks, conditioning
from keras_pixelrnn.layers.cached_step import put
from keras_pixelrnn.layers.masks import causal_mask
from keras_pixelrnn.utils import arguments


def _kept_taps(mask):
    """The part of the kernel that `mask` keeps, and the input padding that
    keeps every output on its pixel: `(taps, (top, bottom, left, right))`.

    The taps a causal mask keeps span rows 0 .. kh//2 and, for a 1 x k
    kernel, columns 0 .. k//2: the rest is zero by construction, and a
    convolution with the kept taps only does 4/7 of the work of a 7 x 7
    kernel, 2/3 of a 1 x 3 one. Where cutting would need a negative padding
    (mask A on a k x 1 kernel with one colour, whose centre row is empty),
    the whole kernel is kept, with 'same' padding.
    """
    kh, kw = mask.shape[:2]
    rows = np.flatnonzero(mask.any(axis=(1, 2, 3)))
    cols = np.flatnonzero(mask.any(axis=(0, 2, 3)))
    (r0, r1), (c0, c1) = rows[[0, -1]], cols[[0, -1]]
    pads = (kh // 2 - r0, r1 - kh // 2, kw // 2 - c0, c1 - kw // 2)
    if min(pads) < 0:
        (r0, r1), (c0, c1) = (0, kh - 1), (0, kw - 1)
        pads = (kh // 2, kh // 2, kw // 2, kw // 2)
    return (slice(r0, r1 + 1), slice(c0, c1 + 1)), tuple(int(p) for p in pads)


@keras.saving.register_keras_serializable(package="keras_pixelrnn")
class MaskedConv2D(keras.layers.Conv2D):
    """2D convolution that never looks at the future (PixelCNN/PixelRNN masks).

    A `keras.layers.Conv2D` whose kernel is multiplied by a fixed 0/1 mask in
    every forward pass, so the layer is causal from its first call, before any
    training, and its weights are exactly those of a plain `Conv2D` (the mask
    is re-derived from the config, never stored or assigned).

    The output at pixel `(i, j)` sees input pixels above row `i` and to the
    left of `(i, j)` on row `i`, all colours; at `(i, j)` itself, output
    colour group `g` sees input groups `< g` (mask `"A"`, the first layer,
    which must not see the value it predicts) or `<= g` (mask `"B"`, every
    later layer). Channels form `color_channels` contiguous groups: with
    three colours the first third of the channels is R, then G, then B.

    Reference: van den Oord et al., "Pixel Recurrent Neural Networks",
    ICML 2016, section 3.4.

    Args:
        filters: int, number of output channels; divisible by
            `color_channels`.
        kernel_size: int or tuple of 2 odd ints, e.g. `7`, `(1, 3)`, `1`.
        mask_type: `"A"` or `"B"`. Defaults to `"B"`.
        color_channels: number of colour groups (1 for grey or binary
            images, 3 for RGB). Defaults to 1.
        padding: `"same"` (default and only value) keeps the image size and
            each output on its own pixel.
        condition_initializer: initializer of `condition_kernel`, the
            unmasked 1x1 projection of a condition (see `conditioning`).
        **kwargs: any other `keras.layers.Conv2D` argument (`use_bias`,
            `kernel_initializer`, `activation`, ...). `strides` and
            `dilation_rate` must stay 1 and `data_format` channels-last.

    Call arguments:
        inputs: the image features, or `[features, condition]` with a
            condition vector `(batch, d)` or map `(batch, height, width, d)`
            whose 1x1 projection is added before the activation. The
            condition is not masked: it is not part of the image.

    Input shape:
        `(batch, height, width, channels)`, channels divisible by
        `color_channels`.

    Output shape:
        `(batch, height, width, filters)`.

    Example:

    >>> layer = MaskedConv2D(6, 3, mask_type="A", color_channels=3)
    >>> layer(np.zeros((2, 8, 8, 3))).shape
    TensorShape([2, 8, 8, 6])
    """

    def __init__(
        self,
        filters,
        kernel_size,
        mask_type="B",
        color_channels=1,
        padding="same",
        condition_initializer="glorot_uniform",
        **kwargs,
    ):
        for name in ("strides", "dilation_rate"):
            value = kwargs.get(name, 1)
            if value not in (1, (1, 1), [1, 1]):
                raise ValueError(
                    f"MaskedConv2D supports `{name}`=1 only, since a masked "
                    f"output must sit on its own pixel. Received: {name}={value!r}"
                )
        if not isinstance(padding, str) or padding.lower() != "same":
            raise ValueError(
                "MaskedConv2D supports `padding`='same' only: 'valid' would move "
                "output pixel (i, j) onto input pixel (i + kh//2, j + kw//2), a "
                f"later one. Received: padding={padding!r}"
            )
        if kwargs.get("data_format", "channels_last") != "channels_last":
            raise ValueError(
                "MaskedConv2D supports `data_format`='channels_last' only. "
                f"Received: data_format={kwargs['data_format']!r}"
            )
        if kwargs.get("groups", 1) != 1:
            raise ValueError(
                "MaskedConv2D does not support grouped convolution. "
                f"Received: groups={kwargs['groups']!r}"
            )
        arguments.integer("color_channels", color_channels)
        checks.divisible("filters", arguments.integer("filters", filters), color_channels)
        sizes = arguments.integers(
            "kernel_size", kernel_size, 2, odd=True, why="A masked kernel needs a centre tap."
        )
        checks.mask_type(mask_type)
        checks.mask_sees_something(mask_type, sizes, color_channels)
        super().__init__(filters, sizes, padding=padding, **kwargs)
        self.mask_type = mask_type
        self.color_channels = color_channels
        self.condition_initializer = keras.initializers.get(condition_initializer)
        self.input_spec = None  # one input or two: checked in `build`

    def build(self, input_shape):
        input_shape, condition_shape = conditioning.split_shape(input_shape)
        in_channels = checks.image_shape(
            self.__class__.__name__, input_shape, self.color_channels
        )
        self.condition_projection = None
        if condition_shape is not None:
            size = conditioning.condition_size(self.name, input_shape, condition_shape)
            # A child layer: Keras saves and loads its kernel by name.
            self.condition_projection = keras.layers.Dense(
                self.filters, use_bias=False, kernel_initializer=self.condition_initializer,
                dtype=self.dtype_policy, name="condition_projection",
            )
            self.condition_projection.build((None, size))
        self._mask = causal_mask(
            self.kernel_size,
            in_channels,
            self.filters,
            self.mask_type,
            self.color_channels,
        )
        self._taps, self._pads = _kept_taps(self._mask)
        super().build(input_shape)
        self.input_spec = None

    def call(self, inputs):
        # `Conv2D.call`: `convolution_op`, then the bias and the activation.
        # A condition travels with the image into `convolution_op`, which
        # adds its projection, so that it comes before the activation.
        # (A layer built with a condition may be called on the image alone:
        # a Row LSTM adds the projection itself, row by row.)
        x, condition = conditioning.split(inputs)
        checks.floating_inputs(self, x)
        if condition is None:
            return super().call(x)
        self.check_condition(condition)
        return super().call((x, condition))

    def condition_bias(self, condition):
        """The projection of `condition` added to the outputs: `(batch, 1, 1,
        filters)` for a vector, `(batch, height, width, filters)` for a map."""
        return conditioning.as_image_bias(
            conditioning.project(condition, self.condition_kernel, self.compute_dtype)
        )

    @property
    def condition_kernel(self):
        """The `(d, filters)` projection of the condition, or None (unconditioned)."""
        projection = getattr(self, "condition_projection", None)
        return None if projection is None else projection.kernel

    def check_condition(self, condition):
        """A ValueError unless `condition` is given exactly when the layer was
        built with one."""
        if condition is not None and self.condition_kernel is None:
            raise ValueError(
                f"Layer {self.name!r} was built without a condition and cannot take one; "
                "call it on `[inputs, condition]` from the start."
            )
        if condition is None and self.condition_kernel is not None:
            raise ValueError(
                f"Layer {self.name!r} was built with a condition; call it on "
                "`[inputs, condition]`."
            )

    def compute_output_shape(self, input_shape):
        input_shape, _ = conditioning.split_shape(input_shape)
        return super().compute_output_shape(input_shape)

    @property
    def mask(self):
        """The 0/1 NumPy mask, shape `(kh, kw, in_channels, filters)`."""
        return self._mask

    def convolution_op(self, inputs, kernel):
        """The masked convolution of `inputs` (or of `(inputs, condition)`,
        plus the condition's projection), without the bias.

        It convolves with the taps that the mask keeps only (`_kept_taps`).
        A 1 x 1 kernel is a matrix product over the channels: one MatMul,
        which is also what an ONNX graph wants.
        """
        x, condition = conditioning.split(inputs)
        kernel = self._masked(kernel)[self._taps]
        if self.kernel_size == (1, 1):
            flat = tf.matmul(tf.reshape(x, (-1, kernel.shape[2])), kernel[0, 0])
            shape = tf.concat([tf.shape(x)[:-1], [self.filters]], axis=0)
            outputs = tf.reshape(flat, shape)
            outputs.set_shape(x.shape[:-1].concatenate([self.filters]))
        else:
            top, bottom, left, right = self._pads
            # A zero given as a tensor makes this a PadV2: tf2onnx's rewriter
            # that folds a Pad into the following Conv2D fails on ours
            # ("exception 'args'").
            zero = tf.zeros((), x.dtype)
            padded = tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]], constant_values=zero)
            outputs = ops.conv(padded, kernel, strides=1, padding="valid")
            # TensorFlow's oneDNN Conv2D returns an empty batch with the
            # padded input's size ((0, 9, 10, 4) for (0, 8, 8, 4)); the
            # reshape, a no-op on any other batch, gives it the image's.
            shape = tf.concat([tf.shape(x)[:-1], [self.filters]], axis=0)
            outputs = tf.reshape(outputs, shape)
            outputs.set_shape(x.shape[:-1].concatenate([self.filters]))
        if condition is not None:
            outputs += self.condition_bias(condition)
        return outputs

    def _masked(self, kernel):
        return kernel * ops.cast(self._mask, kernel.dtype)

    # The one-pixel step (see `keras_pixelrnn.layers.cached_step`). At pixel
    # (i, j) the kernel reads the `kh // 2` rows above, all done, and row i
    # up to column j. The rows above are convolved once per row, when the
    # row before is complete (`end_row`); per pixel only the `kw // 2 + 1`
    # taps of row i remain, one matrix product.

    def step_weights(self):
        kernel = tf.cast(self._masked(self.kernel), self.compute_dtype)
        kh, kw = self.kernel_size
        above, pad = kh // 2, kw // 2
        weights = {
            # Taps right of the centre are masked: the row part reads j - pad .. j.
            "row": tf.reshape(kernel[above, : pad + 1], (-1, self.filters)),
            "above": kernel[:above],
        }
        if self.use_bias:
            weights["bias"] = tf.cast(self.bias, self.compute_dtype)
        if self.condition_kernel is not None:
            weights["condition"] = tf.cast(self.condition_kernel, self.compute_dtype)
        return weights

    def init_cache(self, batch_size, width):
        kh, kw = self.kernel_size
        above, pad = kh // 2, kw // 2
        channels, dtype = self.kernel.shape[2], self.compute_dtype
        cache = {}
        if pad or above:
            # The current row's inputs, after `pad` zero columns on the left.
            cache["row"] = tf.zeros((width + pad, batch_size, channels), dtype)
        if above:
            cache["above"] = tf.zeros((batch_size, above, width + 2 * pad, channels), dtype)
            cache["from_above"] = tf.zeros((width, batch_size, self.filters), dtype)
        return cache

    def call_with_cache(self, inputs, cache, column, step_weights):
        x, condition = conditioning.split(inputs)
        self.check_condition(condition)
        x = tf.cast(x, self.compute_dtype)
        pad = self.kernel_size[1] // 2
        cache = dict(cache)
        if "row" in cache:
            if pad:
                left = tf.slice(cache["row"], tf.stack([column, 0, 0]), [pad, -1, -1])
                x_taps = tf.concat(tf.unstack(left, pad) + [x], -1)
            cache["row"] = put(cache["row"], column + pad, x)
            x = x_taps if pad else x
        out = tf.matmul(x, step_weights["row"])
        if "from_above" in cache:
            out += tf.gather(cache["from_above"], column)
        if "bias" in step_weights:
            out += step_weights["bias"]
        if condition is not None:  # the condition at this pixel, (batch, d)
            out += conditioning.project(condition, step_weights["condition"], self.compute_dtype)
        if self.activation is not None:
            out = self.activation(out)
        return out, cache

    def end_row(self, cache, step_weights):
        if "above" not in cache:
            return cache
        pad = self.kernel_size[1] // 2
        row = tf.pad(tf.transpose(cache["row"], (1, 0, 2)), [[0, 0], [0, pad], [0, 0]])
        above = tf.concat([cache["above"][:, 1:], row[:, None]], 1)
        from_above = tf.nn.conv2d(above, step_weights["above"], 1, "VALID")[:, 0]
        return dict(cache, above=above, from_above=tf.transpose(from_above, (1, 0, 2)))

    def get_config(self):
        config = super().get_config()
        for name in ("strides", "dilation_rate", "groups", "data_format"):
            config.pop(name, None)
        config.update(
            {
                "mask_type": self.mask_type,
                "color_channels": self.color_channels,
                "condition_initializer": keras.initializers.serialize(
                    self.condition_initializer
                ),
            }
        )
        return config
