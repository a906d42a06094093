"""The one loop both recurrent layers run: forward over axis 0, export-safe.

Written as a `tf.while_loop` over a fixed-size `TensorArray` with
`maximum_iterations`, in forward order only. Under XLA a loop without
`maximum_iterations` cannot be differentiated and a dynamically sized
`TensorArray` comes back empty; tf2onnx mis-converts reversed writes. Reverse
directions are therefore expressed by reversing the *data* (see
`skew.mirror`), never the loop.

On a CPU the loop can also run the batch as several independent *chains*
(`chains`): the images of a batch never interact, so each chain is a separate
recurrence over its share of the batch, and the TensorFlow executor runs the
chains' small per-step ops side by side on different cores instead of one
after the other.
"""

import os

import tensorflow as tf


def default_chains():
    """How many batch chains a recurrence runs: 2 on a machine without a GPU
    and with at least 2 CPU cores, else 1 (a GPU runs one chain faster)."""
    if tf.config.list_logical_devices("GPU") or (os.cpu_count() or 1) < 2:
        return 1
    return 2


def scan(step, sequence, initial_states, num_outputs=None, chains=1):
    """Runs `step` over the leading axis of `sequence` and stacks its outputs.

    Args:
        step: `step(t, x_t, states) -> (output_t, new_states)`, where
            `states` is a tuple of tensors whose shapes do not change.
        sequence: tensor `(T, batch, ...)`, the per-step inputs (time-major),
            or a tuple of such tensors (then `x_t` is the tuple of their
            slices).
        initial_states: tuple of tensors `(batch, ...)`, the states before
            step 0.
        num_outputs: `None` when `output_t` is one tensor, else the length of
            the tuple `output_t`.
        chains: split the batch into this many parts, each its own
            recurrence (`step` is called once per part and step). The result
            is the same; see the module docstring for why.

    Returns:
        Tensor `(T, batch, ...)` of the stacked `output_t`, or a tuple of
        `num_outputs` of them.
    """
    is_tuple = isinstance(sequence, (tuple, list))
    sequences = tuple(sequence) if is_tuple else (sequence,)
    states = tuple(initial_states)
    if chains > 1:
        batch = sequences[0].shape[1]
        if batch is None:
            batch = tf.shape(sequences[0])[1]
        sizes = [batch * (k + 1) // chains - batch * k // chains for k in range(chains)]
        parts = [tf.split(x, sizes, axis=1) for x in sequences]
        sequences = tuple(part[k] for k in range(chains) for part in parts)
        split_states = [tf.split(s, sizes, axis=0) for s in states]
        states = tuple(part[k] for k in range(chains) for part in split_states)
    per_chain_inputs, per_chain_states = len(sequences) // chains, len(states) // chains
    per_chain_outputs = num_outputs or 1

    def chained_step(t, x_t, states):
        outputs, new_states = [], []
        for k in range(chains):
            x = x_t[k * per_chain_inputs:(k + 1) * per_chain_inputs]
            state = states[k * per_chain_states:(k + 1) * per_chain_states]
            output, state = step(t, x if is_tuple else x[0], state)
            outputs += tf.nest.flatten(output)
            new_states += list(state)
        return outputs, new_states

    stacked = _loop(chained_step, sequences, states, chains * per_chain_outputs)
    if chains > 1:
        stacked = [
            tf.concat(stacked[j::per_chain_outputs], axis=1) for j in range(per_chain_outputs)
        ]
    return tuple(stacked) if num_outputs is not None else stacked[0]


def _loop(step, sequences, initial_states, num_outputs):
    """The `tf.while_loop`: `step(t, tuple of x_t, states) -> (list of
    outputs, states)`; returns the list of stacked outputs."""
    # For tf2onnx: a static length where known (it folds a constant
    # `tf.shape` into the int64 trip count and feeds that tensor to the int32
    # loop condition too: an invalid Loop, "elem type 7 != 6"), and the
    # element shape (without it, ranks are unknown in nested loop bodies and
    # a concat, split or reverse on axis -1 fails to convert).
    steps = sequences[0].shape[0]
    if steps is None:
        steps = tf.shape(sequences[0])[0]
    inputs = tuple(
        tf.TensorArray(x.dtype, size=steps, element_shape=x.shape[1:]).unstack(x)
        for x in sequences
    )
    dtype = initial_states[0].dtype
    outputs = tuple(tf.TensorArray(dtype, size=steps) for _ in range(num_outputs))

    def body(t, states, outputs):
        output, new_states = step(t, tuple(array.read(t) for array in inputs), states)
        for new, old in zip(new_states, states):
            new.set_shape(old.shape)  # a step may lose static sizes; the loop needs them
        written = tuple(array.write(t, value) for array, value in zip(outputs, output))
        return t + 1, tuple(new_states), written

    _, _, outputs = tf.while_loop(
        lambda t, *_: t < steps,
        body,
        (tf.constant(0), tuple(initial_states), outputs),
        maximum_iterations=steps,
    )
    stacked = []
    for array in outputs:
        values = array.stack()
        values.set_shape(sequences[0].shape[:1].concatenate(values.shape[1:]))
        stacked.append(values)
    return stacked
