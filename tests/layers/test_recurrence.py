import os

import numpy as np
import pytest
import tensorflow as tf

from keras_pixelrnn import RowLSTM
from keras_pixelrnn.layers import recurrence


def scan_in_chains(step, sequence, initial_states, chains, num_outputs=None, **kwargs):
    """`recurrence.scan` with the batch (axis 1) split into `chains` chains."""
    sequences = sequence if isinstance(sequence, tuple) else (sequence,)
    parts = [recurrence.split_batch(x, chains, axis=1) for x in sequences]
    chains = len(parts[0])
    states = [recurrence.split_batch(s, chains) for s in initial_states]
    per_chain = recurrence.scan_chains(
        step,
        [tuple(p[k] for p in parts) if isinstance(sequence, tuple) else parts[0][k]
         for k in range(chains)],
        [tuple(s[k] for s in states) for k in range(chains)],
        num_outputs=num_outputs,
        **kwargs,
    )
    if num_outputs is None:
        return tf.concat(per_chain, axis=1)
    return tuple(tf.concat(outs, axis=1) for outs in zip(*per_chain))


def running_sums(sequence, chains, batch_static=True):
    """A recurrence with a state: out_t = state_t = state_{t-1} * 0.5 + x_t."""

    def step(t, x, states):
        (state,) = states
        state = 0.5 * state + x + tf.cast(t, x.dtype)
        return state, (state,)

    def run(sequence):
        zeros = tf.zeros_like(sequence[0])
        return scan_in_chains(step, sequence, (zeros,), chains)

    spec = tf.TensorSpec((None, None if not batch_static else sequence.shape[1], 3))
    return tf.function(run, input_signature=[spec])(sequence).numpy()


def numpy_running_sums(sequence):
    state, out = np.zeros_like(sequence[0]), []
    for t, x in enumerate(sequence):
        state = 0.5 * state + x + t
        out.append(state)
    return np.stack(out)


@pytest.mark.parametrize("batch", [1, 2, 5])
@pytest.mark.parametrize("chains", [1, 2, 3])
@pytest.mark.parametrize("batch_static", [True, False])
def test_chains_give_the_same_result(batch, chains, batch_static):
    sequence = np.random.default_rng(batch).standard_normal((4, batch, 3)).astype("float32")
    np.testing.assert_allclose(
        running_sums(sequence, chains, batch_static), numpy_running_sums(sequence), rtol=1e-6
    )


def test_tuple_sequences_and_outputs():
    a = tf.constant(np.arange(12, dtype="float32").reshape(3, 2, 2))
    b = -a

    def step(t, x, states):
        (state,) = states
        state = state + x[0]
        return (state, x[1] * 2), (state,)

    out = scan_in_chains(step, (a, b), (tf.zeros((2, 2)),), 2, num_outputs=2)
    np.testing.assert_array_equal(out[0], np.cumsum(a, axis=0))
    np.testing.assert_array_equal(out[1], 2 * b)


@pytest.mark.parametrize("batch", [1, 3])
def test_row_lstm_is_the_same_in_one_or_two_chains(batch):
    x = tf.constant(np.random.default_rng(0).standard_normal((batch, 4, 5, 3)), tf.float32)
    first = RowLSTM(6, color_channels=3, implementation="one_chain")
    first(x)

    def output_and_gradients(implementation):
        layer = RowLSTM(6, color_channels=3, implementation=implementation)
        layer(x)
        layer.set_weights(first.get_weights())

        @tf.function
        def run(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = layer(x)
                loss = tf.reduce_sum(tf.sin(y))
            return [y] + tape.gradient(loss, [x] + layer.trainable_variables)

        return [v.numpy() for v in run(x)]

    for one, two in zip(output_and_gradients("one_chain"), output_and_gradients("batch_chains")):
        np.testing.assert_allclose(one, two, rtol=1e-5, atol=1e-6)


def scan_with_gradient(sequence, chains, reversed_input, batch_static=True):
    """Running sums through `scan`, and the gradient of a loss w.r.t. the sequence."""

    def step(t, x, states):
        (state,) = states
        state = 0.5 * state + tf.sin(x) + tf.cast(t, x.dtype)
        return state, (state,)

    def run(sequence):
        with tf.GradientTape() as tape:
            tape.watch(sequence)
            given = tf.reverse(sequence, [0]) if reversed_input else sequence
            zeros = tf.zeros_like(sequence[0])
            out = scan_in_chains(step, given, (zeros,), chains, reversed_input=reversed_input)
            weights = tf.reshape(tf.range(1, 1 + tf.size(out)), tf.shape(out))
            loss = tf.reduce_sum(out * tf.cast(weights, out.dtype))
        return out, tape.gradient(loss, sequence)

    spec = tf.TensorSpec((None, None if not batch_static else sequence.shape[1], 3))
    out, grad = tf.function(run, input_signature=[spec])(sequence)
    return out.numpy(), grad.numpy()


@pytest.mark.parametrize("batch", [1, 2, 5])
@pytest.mark.parametrize("chains", [1, 2])
@pytest.mark.parametrize("batch_static", [True, False])
def test_reversed_input_is_read_last_first_with_the_same_gradient(batch, chains, batch_static):
    sequence = np.random.default_rng(batch).standard_normal((4, batch, 3)).astype("float32")
    indexed = scan_with_gradient(sequence, chains, False, batch_static)
    popped = scan_with_gradient(sequence, chains, True, batch_static)
    state, outs = np.zeros_like(sequence[0]), []
    for t, x in enumerate(sequence):
        state = 0.5 * state + np.sin(x) + t
        outs.append(state)
    np.testing.assert_allclose(popped[0], np.stack(outs), rtol=1e-6)
    np.testing.assert_allclose(popped[0], indexed[0], rtol=1e-6)
    np.testing.assert_allclose(popped[1], indexed[1], rtol=1e-6)
    assert np.abs(popped[1]).min() > 0  # every step got its gradient


def test_reversed_input_loop_pops_and_indexed_loop_reads():
    sequence = tf.zeros((3, 2, 1))

    def ops_of(reversed_input):
        def step(t, x, states):
            return x, states

        graph = tf.function(
            lambda s: recurrence.scan(step, s, (tf.zeros((2, 1)),), reversed_input=reversed_input)
        ).get_concrete_function(sequence).graph
        body = [f for f in graph.as_graph_def().library.function if "body" in f.signature.name]
        return {node.op for f in body for node in f.node_def}

    assert "TensorListPopBack" in ops_of(True) and "TensorListGetItem" not in ops_of(True)
    assert "TensorListGetItem" in ops_of(False) and "TensorListPopBack" not in ops_of(False)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize(
    "shape, axis", [((3, 4, 2, 5), 1), ((1, 1, 3), 1), ((0, 3, 2), 1), ((2, 3, 4, 5), 2)]
)
def test_time_major_and_its_gradient(reverse, shape, axis):
    x = np.random.default_rng(0).standard_normal(shape).astype("float32")
    expected = np.moveaxis(x, axis, 0)
    expected = expected[::-1] if reverse else expected
    weights = np.random.default_rng(1).standard_normal(expected.shape).astype("float32")
    spec = tf.TensorSpec([None] * len(shape))

    @tf.function(input_signature=[spec])
    def run(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = recurrence.time_major(x, reverse=reverse, axis=axis)
            loss = tf.reduce_sum(y * weights)
        return y, tape.gradient(loss, x)

    y, grad = run(x)
    np.testing.assert_array_equal(y, expected)
    back = weights[::-1] if reverse else weights
    np.testing.assert_array_equal(grad, np.moveaxis(back, 0, axis))


def test_split_batch_uses_fewer_parts_for_a_small_known_batch():
    assert len(recurrence.split_batch(tf.zeros((1, 3)), 2)) == 1
    parts = recurrence.split_batch(tf.zeros((5, 3)), 2)
    assert [p.shape[0] for p in parts] == [2, 3]

    @tf.function(input_signature=[tf.TensorSpec((None, 3))])
    def sizes(x):
        return [tf.shape(p)[0] for p in recurrence.split_batch(x, 2)]

    assert [int(s) for s in sizes(tf.zeros((1, 3)))] == [0, 1]


@pytest.mark.parametrize("colors", [1, 3])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("batch_static", [True, False])
def test_row_lstm_trains_through_the_popped_loop_with_the_same_results(
    colors, batch, batch_static, randomize_weights, assert_training_equals_inference
):
    """`training=True` runs the popped loop: same outputs and gradients."""
    layer = RowLSTM(6, color_channels=colors)
    layer.build((None, 4, 5, 2 * colors))
    randomize_weights(layer)
    x = tf.constant(np.random.default_rng(0).standard_normal((batch, 4, 5, 2 * colors)), tf.float32)
    spec = tf.TensorSpec((batch if batch_static else None, 4, 5, 2 * colors))
    assert_training_equals_inference(layer, x, spec)
