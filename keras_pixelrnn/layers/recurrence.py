"""The one loop both recurrent layers run: forward over axis 0, export-safe.

Written as a `tf.while_loop` over a fixed-size `TensorArray` with
`maximum_iterations`, in forward order only. Under XLA a loop without
`maximum_iterations` cannot be differentiated and a dynamically sized
`TensorArray` comes back empty; tf2onnx mis-converts reversed writes. Reverse
directions are therefore expressed by reversing the *data* (see
`skew.mirror`), never the loop.

The loop can also run the batch as several independent *chains*
(`split_batch`, then `scan_chains`): the images of a batch never interact, so
each chain is a separate recurrence over its share of the batch, and the
TensorFlow executor runs the chains' small per-step ops side by side on
different cores instead of one after the other (a layer's `implementation`
says whether it does; see `execution`). The layer splits its batch before its
own input-to-state convolution, one per chain, which spares the copies of
splitting the pre-activations and joining their gradients.

The same loop runs steps of different sizes (`scan_bands`): the bands of a
diagonal recurrence that computes only the pixels.

Training reads the sequence differently (`reversed_input=True`). A step that
reads `x_t` from a list by index has, as gradient, a fresh list holding
`dx_t` that TensorFlow adds into a gradient list of the whole sequence,
first filled with zeros: a zero-fill of the whole sequence and an add per
step. A step that *pops* `x_t` off the back of the list has, as gradient, a
push of `dx_t`: nothing else. The popped list holds the steps last-first, so
the caller gives the sequence reversed (`time_major(x, reverse=True)` makes
that free). The result is the same; tf2onnx cannot convert a pop, so models
are exported with the indexed loop (`reversed_input=False`, inference).
"""

import numpy as np
import tensorflow as tf


def split_batch(x, chains, axis=0):
    """Splits `x` along its batch axis into `chains` parts whose sizes differ
    by at most one: fewer parts if the batch is known to be smaller, else
    some may be empty."""
    batch = x.shape[axis]
    if batch is not None:
        chains = max(1, min(chains, batch))
    if chains == 1:
        return [x]
    if batch is None:
        batch = tf.shape(x)[axis]
    sizes = [batch * (k + 1) // chains - batch * k // chains for k in range(chains)]
    return tf.split(x, sizes, axis=axis)


def time_major(x, reverse=False, axis=1):
    """Moves the time axis `axis` of `x` to the front, the other axes keeping
    their order (`(batch, T, ...)` -> `(T, batch, ...)` by default), with `T`
    reversed if `reverse`.

    The reversed version is one gather (a transpose that also reverses), whose
    gradient is the inverse gather: as cheap as a plain transpose, where
    `tf.reverse` after it would cost a second copy both ways.
    """
    if not reverse:
        rank = x.shape.rank
        return tf.transpose(x, [axis] + [d for d in range(rank) if d != axis])
    return _transpose_reversed(x, axis)


def _transpose_reversed(x, axis):
    shape = tf.shape(x)
    steps, lead = shape[axis], [shape[d] for d in range(axis)]

    def indices(time_first):
        # Index tuples (i_0, ..., i_{axis-1}, T - 1 - t) over an output whose
        # leading axes are (t, i_0, ...) if time_first, else (i_0, ..., t).
        sizes = [steps] + lead if time_first else lead + [steps]
        grids = tf.meshgrid(*[tf.range(n) for n in sizes], indexing="ij")
        t, others = (grids[0], grids[1:]) if time_first else (grids[-1], grids[:-1])
        return tf.stack(others + [steps - 1 - t], axis=-1)

    @tf.custom_gradient
    def transpose_reversed(x):
        def grad(dy):
            # dx[i_0, ..., k] = dy[T - 1 - k, i_0, ...]: the same kind of gather.
            index = indices(time_first=False)
            moved = tf.concat([index[..., -1:], index[..., :-1]], axis=-1)
            return tf.gather_nd(dy, moved)

        return tf.gather_nd(x, indices(time_first=True)), grad

    return transpose_reversed(x)


def scan(step, sequence, initial_states, num_outputs=None, reversed_input=False):
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
        reversed_input: `sequence` holds the steps last-first (step `t`
            reads `sequence[T - 1 - t]`), and the loop pops them: the faster
            loop to train, which tf2onnx cannot convert (module docstring).

    Returns:
        Tensor `(T, batch, ...)` of the stacked `output_t` in step order, or
        a tuple of `num_outputs` of them.
    """
    return scan_chains(
        step, [sequence], [tuple(initial_states)], num_outputs, reversed_input
    )[0]


def scan_chains(step, sequences, initial_states, num_outputs=None, reversed_input=False):
    """`scan` of several independent chains in one loop (batch chains: the
    parts of `split_batch`; see the module docstring).

    Args:
        step: as for `scan`; called once per chain and step.
        sequences: list, one entry per chain: what `scan` takes as `sequence`
            (the chains may differ in batch size, not in `T`).
        initial_states: list, one tuple of states per chain.
        num_outputs, reversed_input: as for `scan`.

    Returns:
        List, one entry per chain, of what `scan` returns.
    """
    chains = len(sequences)
    is_tuple = isinstance(sequences[0], (tuple, list))
    per_chain_inputs = len(sequences[0]) if is_tuple else 1
    per_chain_states = len(initial_states[0])
    per_chain_outputs = num_outputs or 1
    flat_sequences = tuple(x for seq in sequences for x in (seq if is_tuple else (seq,)))
    flat_states = tuple(s for states in initial_states for s in states)

    def chained_step(t, x_t, states):
        outputs, new_states = [], []
        for k in range(chains):
            x = x_t[k * per_chain_inputs:(k + 1) * per_chain_inputs]
            state = states[k * per_chain_states:(k + 1) * per_chain_states]
            output, state = step(t, x if is_tuple else x[0], tuple(state))
            outputs += tf.nest.flatten(output)
            new_states += list(state)
        return outputs, new_states

    stacked = _loop(
        chained_step, flat_sequences, flat_states, chains * per_chain_outputs, reversed_input
    )
    per_chain = [
        stacked[k * per_chain_outputs:(k + 1) * per_chain_outputs] for k in range(chains)
    ]
    return [outs[0] if num_outputs is None else tuple(outs) for outs in per_chain]


def _pop(lists, sequences, element_shapes):
    """Pops the next step off each list (of the tensor in `sequences` it was
    made from); returns the rest of the lists and the steps, as tuples."""
    rest, x_t = [], []
    for items, x, shape in zip(lists, sequences, element_shapes):
        items, item = tf.raw_ops.TensorListPopBack(
            input_handle=items, element_shape=-1, element_dtype=x.dtype
        )
        item.set_shape(shape)
        rest.append(items)
        x_t.append(item)
    return tuple(rest), tuple(x_t)


def _shape_constant(shape):
    return tf.constant([-1 if d is None else d for d in shape], tf.int32)


def _reader(sequences, reversed_input, lengths):
    """How a loop reads its steps: `(lists, read)`, where `lists` are the
    loop variables the reading changes and `read(t, lists) -> (lists, x_t)`.

    Indexed (a `TensorArray` that the body only reads, captured outside the
    loop variables), popped off `TensorList`s made from the sequences
    (`reversed_input`), or popped steps of the sizes `lengths` (bands)."""
    if lengths is not None:
        last_first = tf.constant(np.asarray(lengths[::-1], "int64"))
        shapes = [tf.TensorShape([None]).concatenate(x.shape[1:]) for x in sequences]
        lists = tuple(
            tf.raw_ops.TensorListSplit(tensor=x, element_shape=_shape_constant(shape), lengths=last_first)
            for x, shape in zip(sequences, shapes)
        )
        return lists, lambda t, lists: _pop(lists, sequences, shapes)
    shapes = [x.shape[1:] for x in sequences]
    if reversed_input:
        lists = tuple(
            tf.raw_ops.TensorListFromTensor(tensor=x, element_shape=_shape_constant(shape))
            for x, shape in zip(sequences, shapes)
        )
        return lists, lambda t, lists: _pop(lists, sequences, shapes)
    # For tf2onnx: the element shape (without it, ranks are unknown in nested
    # loop bodies and a concat, split or reverse on axis -1 fails to convert).
    arrays = tuple(
        tf.TensorArray(x.dtype, size=_steps(x), element_shape=shape).unstack(x)
        for x, shape in zip(sequences, shapes)
    )
    return (), lambda t, lists: (lists, tuple(array.read(t) for array in arrays))


def _steps(x):
    # For tf2onnx, a static length where known: it folds a constant
    # `tf.shape` into the int64 trip count and feeds that tensor to the int32
    # loop condition too (an invalid Loop, "elem type 7 != 6").
    return x.shape[0] if x.shape[0] is not None else tf.shape(x)[0]


def _loop(step, sequences, initial_states, num_outputs, reversed_input=False, lengths=None):
    """The `tf.while_loop` of every recurrence: `step(t, tuple of x_t,
    states) -> (list of outputs, states)`; returns the list of the outputs,
    stacked (steps of one size) or concatenated (`lengths`: bands)."""
    steps = len(lengths) if lengths is not None else _steps(sequences[0])
    lists, read = _reader(sequences, reversed_input, lengths)
    ragged = lengths is not None
    # Bands change the leading size of the states from step to step.
    state_shapes = tuple(
        tf.TensorShape([None]).concatenate(s.shape[1:]) if ragged else s.shape
        for s in initial_states
    )
    dtype = initial_states[0].dtype
    outputs = tuple(
        tf.TensorArray(dtype, size=steps, infer_shape=not ragged) for _ in range(num_outputs)
    )

    def body(t, lists, states, outputs):
        lists, x_t = read(t, lists)
        output, new_states = step(t, x_t, states)
        for new, shape in zip(new_states, state_shapes):
            new.set_shape(shape)  # a step may lose static sizes; the loop needs them
        written = tuple(array.write(t, value) for array, value in zip(outputs, output))
        return t + 1, lists, tuple(new_states), written

    invariants = None
    if ragged:
        invariants = (
            tf.TensorShape([]), tuple(tf.TensorShape([]) for _ in lists), state_shapes,
            tuple(tf.TensorShape(None) for _ in outputs),
        )
    _, _, _, outputs = tf.while_loop(
        lambda t, *_: t < steps,
        body,
        (tf.constant(0), lists, tuple(initial_states), outputs),
        shape_invariants=invariants,
        maximum_iterations=steps,
    )
    if ragged:
        leading = tf.TensorShape([int(np.sum(lengths))])
        return [_with_shape(a.concat(), leading, initial_states[0]) for a in outputs]
    return [_with_shape(a.stack(), sequences[0].shape[:1], None) for a in outputs]


def _with_shape(values, leading, like):
    rest = values.shape[1:] if like is None else like.shape[1:]
    values.set_shape(leading.concatenate(rest))
    return values


def scan_bands(step, sequences, lengths, initial_states, num_outputs=None):
    """`scan` over steps of different sizes: the bands of a diagonal
    recurrence that computes only the pixels (`skew.diagonal_bands`).

    For training only: the steps are popped off a list (see the module's
    docstring), and their sizes change from step to step, which neither
    tf2onnx nor XLA can compile. Inference and exports run `scan` over the
    whole skewed map.

    Args:
        step: `step(t, x_t, states) -> (output_t, new_states)`, where `x_t`
            holds step `t`'s `lengths[t]` positions, `(lengths[t], batch, ...)`,
            and the leading size of the states and outputs may change from
            step to step.
        sequences: a tensor `(sum(lengths), batch, ...)`, position-major,
            with the steps LAST-FIRST (each step's positions in order), or a
            tuple of such tensors (then `x_t` is the tuple of their steps).
        lengths: the static sizes of the steps, in step order (NumPy ints).
        initial_states: tuple of tensors `(n, batch, ...)`, the states before
            step 0.
        num_outputs: `None` when `output_t` is one tensor, else the length of
            the tuple `output_t`.

    Returns:
        The outputs of the steps concatenated in step order, `(sum(lengths),
        batch, ...)`, or a tuple of `num_outputs` of them.
    """
    is_tuple = isinstance(sequences, (tuple, list))
    sequences = tuple(sequences) if is_tuple else (sequences,)

    def flat_step(t, x_t, states):
        output, states = step(t, x_t if is_tuple else x_t[0], states)
        return tf.nest.flatten(output), states

    stacked = _loop(
        flat_step, sequences, tuple(initial_states), num_outputs or 1, lengths=lengths
    )
    return stacked[0] if num_outputs is None else tuple(stacked)
