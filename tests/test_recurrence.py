import os

import numpy as np
import pytest
import tensorflow as tf

from keras_pixelrnn import RowLSTM, recurrence


def running_sums(sequence, chains, batch_static=True):
    """A recurrence with a state: out_t = state_t = state_{t-1} * 0.5 + x_t."""

    def step(t, x, states):
        (state,) = states
        state = 0.5 * state + x + tf.cast(t, x.dtype)
        return state, (state,)

    def run(sequence):
        zeros = tf.zeros_like(sequence[0])
        return recurrence.scan(step, sequence, (zeros,), chains=chains)

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

    out = recurrence.scan(step, (a, b), (tf.zeros((2, 2)),), num_outputs=2, chains=2)
    np.testing.assert_array_equal(out[0], np.cumsum(a, axis=0))
    np.testing.assert_array_equal(out[1], 2 * b)


@pytest.mark.parametrize("batch", [1, 3])
def test_row_lstm_is_the_same_in_one_or_two_chains(batch, monkeypatch):
    layer = RowLSTM(6, color_channels=3)
    x = tf.constant(np.random.default_rng(0).standard_normal((batch, 4, 5, 3)), tf.float32)
    layer(x)

    def output_and_gradients(chains):
        monkeypatch.setattr("keras_pixelrnn.row_lstm.default_chains", lambda: chains)

        @tf.function
        def run(x):
            with tf.GradientTape() as tape:
                tape.watch(x)
                y = layer(x)
                loss = tf.reduce_sum(tf.sin(y))
            return [y] + tape.gradient(loss, [x] + layer.trainable_variables)

        return [v.numpy() for v in run(x)]

    for one, two in zip(output_and_gradients(1), output_and_gradients(2)):
        np.testing.assert_allclose(one, two, rtol=1e-5, atol=1e-6)


def test_default_chains_is_two_on_a_cpu_machine():
    cpu_only = not tf.config.list_logical_devices("GPU") and os.cpu_count() >= 2
    expected = 2 if cpu_only else 1
    assert recurrence.default_chains() == expected

