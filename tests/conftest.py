"""Shared fixtures of the test suite, and its two lanes.

* The quick lane, `bash scripts/test.sh --quick` (`pytest -m "not slow"`):
  every test not marked slow, for every edit. It still checks each layer's
  causality and exactness, grey and RGB, and the cached sampler against the
  naive one.
* The whole suite, `bash scripts/test.sh`: what CI runs, and what runs
  before a change is handed over.

A test is slow where it takes more than a few seconds: `@pytest.mark.slow`
on the test, or, for some cases of a parametrized test (and for the tests of
`tests/layers/` and `tests/analysis/`), a line of `lanes.SLOW_CASES`, which
the hook below turns into the same mark.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

import lanes  # noqa: E402
import numpy_reference as ref  # noqa: E402
import random_weights  # noqa: E402


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by mark
def pytest_collection_modifyitems(items):
    """Marks slow the cases that `lanes.SLOW_CASES` lists."""
    for item in items:
        if lanes.is_slow(item.nodeid):
            item.add_marker(pytest.mark.slow)


@pytest.fixture
def randomize_weights():
    """`random_weights.randomize`: sets every weight of a built layer or model
    (biases included) to U(-0.5, 0.5)."""
    return random_weights.randomize


@pytest.fixture
def assert_exact_fields():
    """Checks `receptive_field` of one layer against `numpy_reference.expected_field`.

    Every pixel of `border_pixels` and every output colour group (one channel
    of the group, a different one from pixel to pixel) must give exactly the
    expected set: nothing outside it (causality), everything inside it
    (completeness).
    """
    from keras_pixelrnn import receptive_field

    def check(layer, kind, height, width, in_channels, colors, mask_type, k=3, training=None):
        traced = tf.function(lambda x: layer(x, training=training))
        out_channels = layer.compute_output_shape((1, height, width, in_channels))[-1]
        per_group = out_channels // colors
        for n, pixel in enumerate(ref.border_pixels(height, width)):
            for group in range(colors):
                channel = group * per_group + n % per_group
                field = receptive_field(
                    traced, (height, width, in_channels), pixel, output_channel=channel
                )
                expected = ref.expected_field(
                    kind, height, width, in_channels, pixel, group, mask_type, colors, k
                )
                if not np.array_equal(field, expected):
                    extra = np.argwhere(field & ~expected).tolist()
                    missing = np.argwhere(expected & ~field).tolist()
                    pytest.fail(
                        f"pixel={pixel} output_channel={channel} (group {group}): "
                        f"sees outside the field (r, c, ch)={extra[:8]}, "
                        f"misses (r, c, ch)={missing[:8]}"
                    )

    return check


@pytest.fixture
def assert_batch_independent():
    """Gradient of the last batch element's output w.r.t. the other elements'
    inputs is exactly 0 (and w.r.t. its own input is not). Three elements: a
    Row LSTM runs them as chains of one and two, so this also checks inside a
    chain."""

    def check(layer, input_shape, training=None):
        x = tf.constant(
            np.random.default_rng(3).uniform(-1, 1, (3,) + tuple(input_shape)), "float32"
        )
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.reduce_sum(layer(x, training=training)[-1])
        grad = tape.gradient(y, x).numpy()
        assert np.all(grad[:-1] == 0.0), "the last batch element depends on the others"
        assert np.any(grad[-1] != 0.0)

    return check


@pytest.fixture
def mixed_float16():
    """Runs a test under the mixed_float16 policy and always restores the previous one."""
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


@pytest.fixture
def assert_jit_step_matches():
    """One SGD step of `Input -> layer` with jit_compile=True equals jit_compile=False."""

    def check(make_layer, input_shape, randomize):
        rng = np.random.default_rng(5)
        x = rng.uniform(-1, 1, (2,) + tuple(input_shape)).astype("float32")
        models = []
        for jit in (False, True):
            keras.utils.set_random_seed(7)
            inputs = keras.Input(input_shape)
            model = keras.Model(inputs, make_layer()(inputs))
            model.compile(
                optimizer=keras.optimizers.SGD(0.1), loss="mse", jit_compile=jit
            )
            models.append(model)
        randomize(models[0], seed=11)
        models[1].set_weights(models[0].get_weights())
        before = models[0].get_weights()
        y = rng.uniform(-1, 1, (2,) + models[0].output_shape[1:]).astype("float32")
        losses = [float(model.train_on_batch(x, y)) for model in models]
        assert np.isfinite(losses[0])
        np.testing.assert_allclose(losses[1], losses[0], rtol=1e-5)
        after_plain, after_jit = models[0].get_weights(), models[1].get_weights()
        for w_before, w_plain, w_jit in zip(before, after_plain, after_jit):
            assert not np.array_equal(w_before, w_plain), "the step changed nothing"
            np.testing.assert_allclose(w_jit, w_plain, atol=1e-5)

    return check


@pytest.fixture
def assert_training_equals_inference():
    """`layer(x, training=True)` (the popped training loop) and `training=False`
    (the indexed loop) give the same outputs and the same gradients w.r.t. the
    input and every weight, traced with the input signature `spec`."""

    def check(layer, x, spec):
        def output_and_gradients(training):
            @tf.function(input_signature=[spec])
            def run(x):
                with tf.GradientTape() as tape:
                    tape.watch(x)
                    y = layer(x, training=training)
                    loss = tf.reduce_sum(tf.sin(y))
                return [y] + tape.gradient(loss, [x] + layer.trainable_variables)

            return [v.numpy() for v in run(x)]

        for inference, training in zip(output_and_gradients(False), output_and_gradients(True)):
            np.testing.assert_allclose(inference, training, rtol=1e-5, atol=1e-6)

    return check
