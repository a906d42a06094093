"""Conditioning: a bias on a layer's pre-activations from anything but the image.

A conditional PixelRNN models `p(x | y)`. The condition `y` is either a
vector per image `(batch, d)` (a one-hot class label, Conditional PixelCNN,
van den Oord et al. 2016b) or a map `(batch, height, width, d)` (the
upsampled small image of the multi-scale PixelRNN, section 3.5 of the
paper). Every conditioned layer adds a learned, unmasked 1x1 projection of
it to the pre-activations of its masked input-to-state convolution:

    z = masked_conv(x) + y @ W_cond            (W_cond: d x filters)

so the LSTM gates (and a PixelCNN block's convolution) become

    gates = sigma(K_ss * h + K_is * x + W_cond y)

The condition is not part of the image: it may see everything, and adding
it to every position never lets an image sub-pixel see a later one. A
spatially constant map is the same as a vector.

A layer is conditioned by calling it on `[inputs, condition]` instead of
`inputs`; the projection `condition_kernel` (the kernel of a child `Dense`
layer, `condition_projection`) is created on that first call.
`MaskedConv2D` holds it, and the LSTM layers pass the condition to their
input-to-state convolutions, so the mechanism exists once, here and in
`MaskedConv2D`. The one-pixel step receives the condition at the pixel,
`(batch, d)`, for either kind.
"""

import keras
import tensorflow as tf

from keras_pixelrnn.utils import arguments


def split(inputs):
    """`x` or `[x, condition]` -> `(x, condition)`, condition None when absent."""
    if isinstance(inputs, (list, tuple)):
        if len(inputs) == 1:
            return inputs[0], None
        if len(inputs) != 2:
            raise ValueError(
                "A conditioned layer takes `[inputs, condition]`. "
                f"Received: {len(inputs)} tensors"
            )
        return inputs[0], inputs[1]
    return inputs, None


def split_shape(input_shape):
    """The shapes of `split`: `(image_shape, condition_shape or None)`."""
    if isinstance(input_shape, (list, tuple)) and input_shape and isinstance(
        input_shape[0], (list, tuple)
    ):
        if len(input_shape) == 1:
            return tuple(input_shape[0]), None
        if len(input_shape) != 2:
            raise ValueError(
                "A conditioned layer takes `[inputs, condition]`. "
                f"Received: input_shape={input_shape}"
            )
        return tuple(input_shape[0]), tuple(input_shape[1])
    return tuple(input_shape), None


def condition_size(layer, image_shape, condition_shape):
    """Checks a condition's shape against the image's; returns `d`.

    A vector `(batch, d)` or a map `(batch, height, width, d)` whose height
    and width are the image's (where both are known)."""
    condition_shape = tuple(condition_shape)
    if len(condition_shape) not in (2, 4) or condition_shape[-1] is None:
        raise ValueError(
            f"{layer}: `condition` must be a vector (batch, d) or a map "
            "(batch, height, width, d) with a known d. "
            f"Received: condition shape={condition_shape}"
        )
    if len(condition_shape) == 4:
        for axis, name in ((1, "height"), (2, "width")):
            size, expected = condition_shape[axis], image_shape[axis]
            if size is not None and expected is not None and size != expected:
                raise ValueError(
                    f"{layer}: a conditioning map must have the {name} of the image, "
                    f"{expected}. Received: condition shape={condition_shape} for inputs "
                    f"of shape {tuple(image_shape)}"
                )
    return condition_shape[-1]


def project(condition, kernel, dtype):
    """The bias `condition @ kernel` on pre-activations: `(batch, 1, 1, f)`
    for a vector, `(batch, height, width, f)` for a map, `(batch, f)` for the
    condition at one pixel (the one-pixel step)."""
    kernel = tf.cast(kernel, dtype)
    condition = tf.cast(condition, dtype)
    if condition.shape.rank == 2:
        return tf.matmul(condition, kernel)
    return tf.tensordot(condition, kernel, axes=1)


def as_image_bias(bias):
    """A vector bias `(batch, f)` as `(batch, 1, 1, f)`, a map's unchanged."""
    return bias[:, None, None, :] if bias.shape.rank == 2 else bias


@keras.saving.register_keras_serializable(package="keras_pixelrnn")
class OneHotLabels(keras.layers.Layer):
    """Integer class labels `(batch,)` -> one-hot vectors `(batch, num_classes)`.

    The condition of a class-conditional PixelRNN. A label outside
    `[0, num_classes)` gives a zero vector here (the Python API of
    `PixelRNN` refuses it before it gets this far).
    """

    def __init__(self, num_classes, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = arguments.integer("num_classes", num_classes, minimum=2)

    def call(self, labels):
        labels = tf.cast(tf.reshape(labels, [-1]), tf.int32)
        return tf.one_hot(labels, self.num_classes, dtype=self.compute_dtype)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], self.num_classes)

    def get_config(self):
        return dict(super().get_config(), num_classes=self.num_classes)
