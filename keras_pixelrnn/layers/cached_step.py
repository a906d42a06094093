"""The one-pixel ("cached") step that every PixelRNN layer owns.

Ramachandran et al. (2017) observed that generating one pixel of a
convolutional autoregressive model needs only a small cache of each layer's
past activations. The same holds for both PixelRNN layers. A layer that
supports cached generation implements four methods, built from the same
weights and the same cell and convolution code as its `call`:

    step_weights()
        -> the tensors its step multiplies with (kernels masked, sliced),
           read once per generation call, outside the loops.
    init_cache(batch_size, width)
        -> the cache before the first pixel of the first row: a dict of
           tensors (column-major buffers `(width, batch, channels)`, so that
           one column is a slice of the leading axis).
    call_with_cache(inputs, cache, column, step_weights)
        -> (outputs, cache): the layer's outputs `(batch, channels_out)` at
           pixel (current row, `column`) given its inputs there
           `(batch, channels_in)`, and the cache with that pixel written.
           It reads only the cache of earlier pixels and `inputs`.
    end_row(cache, step_weights)
        -> the cache for the next row, once the current row is complete
           (the work done once per row: the rows above a convolution's
           centre, a Row LSTM's state-to-state convolution, the Diagonal
           BiLSTM's right-to-left pass).

The sampler (`keras_pixelrnn.generation.pixel_graph`) walks a model's
Functional graph, calls these methods on the layers that have them, and
runs layers that act on each pixel alone (activations, `Add`,
`Rescaling`, `ColorLogits`, ...) on the one pixel. It knows nothing else
about any layer. A layer may call `call_with_cache` several times for the
same pixel (once per colour, with more of the pixel known each time): each
call starts from the cache it is given, so only the last one is kept.

A layer that acts on each pixel alone, and is not one of the Keras layers
that the sampler knows to do so, says so with the class attribute
`pixelwise = True`.
"""

import tensorflow as tf


def put(buffer, index, value):
    """`buffer[index] = value` for a buffer indexed on its first axis."""
    return tf.tensor_scatter_nd_update(buffer, [[index]], value[None])
