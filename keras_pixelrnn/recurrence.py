"""The one loop both recurrent layers run: forward over axis 0, export-safe.

Written as a `tf.while_loop` over a fixed-size `TensorArray` with
`maximum_iterations`, in forward order only. Under XLA a loop without
`maximum_iterations` cannot be differentiated and a dynamically sized
`TensorArray` comes back empty; tf2onnx mis-converts reversed writes. Reverse
directions are therefore expressed by reversing the *data* (see
`skew.mirror`), never the loop.
"""

import tensorflow as tf


def scan(step, sequence, initial_states):
    """Runs `step` over the leading axis of `sequence` and stacks its outputs.

    Args:
        step: `step(t, x_t, states) -> (output_t, new_states)`, where
            `states` is a tuple of tensors whose shapes do not change.
        sequence: tensor `(T, ...)`, the per-step inputs (time-major).
        initial_states: tuple of tensors, the states before step 0.

    Returns:
        Tensor `(T, ...)` of the stacked `output_t`.
    """
    # For tf2onnx: a static length where known (it folds a constant
    # `tf.shape` into the int64 trip count and feeds that tensor to the int32
    # loop condition too: an invalid Loop, "elem type 7 != 6"), and the
    # element shape (without it, ranks are unknown in nested loop bodies and
    # a concat, split or reverse on axis -1 fails to convert).
    steps = sequence.shape[0]
    if steps is None:
        steps = tf.shape(sequence)[0]
    inputs = tf.TensorArray(sequence.dtype, size=steps, element_shape=sequence.shape[1:])
    inputs = inputs.unstack(sequence)
    outputs = tf.TensorArray(initial_states[0].dtype, size=steps)

    def body(t, states, outputs):
        output, states = step(t, inputs.read(t), states)
        return t + 1, tuple(states), outputs.write(t, output)

    _, _, outputs = tf.while_loop(
        lambda t, *_: t < steps,
        body,
        (tf.constant(0), tuple(initial_states), outputs),
        maximum_iterations=steps,
    )
    stacked = outputs.stack()
    stacked.set_shape(sequence.shape[:1].concatenate(stacked.shape[1:]))
    return stacked
