"""Class-conditional PixelRNNs (`num_classes`) and small-image-conditioned ones
(`small_image_shape`, the multi-scale model's second stage): causal exactly as
the unconditional model, dependent on the condition, sampled alike by both
methods, and strict about their inputs."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

from keras_pixelrnn import PixelRNN, receptive_field
from keras_pixelrnn.models.likelihood import NatsPerImage, PixelRNNLoss
from keras_pixelrnn.models.pixel_rnn import ARCHITECTURES

from random_weights import randomize

SHAPE = (4, 6)


def tiny(architecture, colors, levels=4, seed=0, **kwargs):
    keras.utils.set_random_seed(seed)
    return PixelRNN(architecture, SHAPE + (colors,), 2, 3 * colors, levels=levels, **kwargs)


def copy_shared_weights(source, target):
    """`target`'s weights of the same path as `source`'s take their values."""
    by_path = {w.path: w for w in target.weights}
    for weight in source.weights:
        by_path[weight.path].assign(weight)


@pytest.mark.parametrize("condition", ["labels", "class_map", "small_images"])
@pytest.mark.parametrize("colors", [1, 3], ids=["grey", "rgb"])
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_conditional_models_see_the_same_sub_pixels(architecture, colors, condition):
    """Exact receptive fields: the image sub-pixels that the logits of every
    colour see are the same sets as the unconditional model's."""
    # Fields are measured from gradients, so a ReLU switched off by accident
    # can hide a sub-pixel. Keras' initialisation (zero biases) and a union
    # over several random images, and over every condition (a condition is
    # an input too: the model's field is the union over all of its inputs),
    # keep that from happening; the shared weights are the same in both models.
    levels, trials = 4, 3
    plain = tiny(architecture, colors, levels)
    if condition in ("labels", "class_map"):
        units = 2 if condition == "class_map" else None
        model = tiny(architecture, colors, levels, num_classes=3, condition_units=units)
        conditions = [[np.array([label], "int32")] for label in range(3)]
    else:
        model = tiny(architecture, colors, levels, small_image_shape=(2, 3, colors))
        rng = np.random.default_rng(1)
        conditions = [
            [rng.integers(0, levels, (1, 2, 3, colors)).astype("float32")] for _ in range(3)
        ]
    copy_shared_weights(plain, model)
    for pixel in [(0, 5), (2, 3), (3, 0)]:
        for color in range(colors):
            channel = color * levels + 1
            expected = receptive_field(plain, SHAPE + (colors,), pixel, output_channel=channel,
                                       trials=2 * trials)
            got = np.logical_or.reduce([
                receptive_field(model, SHAPE + (colors,), pixel, output_channel=channel,
                                conditions=given, trials=trials, seed=k)
                for k, given in enumerate(conditions)
            ])
            np.testing.assert_array_equal(got, expected, err_msg=f"{pixel} colour {color}")


@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_logits_depend_on_the_condition(architecture):
    """A label changes the logits of every sub-pixel, the first included; the
    gradient with respect to the small image is non-zero at every pixel."""
    model = randomize(tiny(architecture, 1, num_classes=3))
    x = np.random.default_rng(0).integers(0, 4, (2,) + SHAPE + (1,)).astype("float32")
    a = model([x, np.array([0, 0], "int32")]).numpy()
    b = model([x, np.array([1, 2], "int32")]).numpy()
    assert (np.abs(a - b).max(axis=(3, 4)) > 1e-6).all()
    # A learned map per class: a bias that differs from pixel to pixel.
    model = randomize(tiny(architecture, 1, num_classes=3, condition_units=2))
    a = model([x, np.array([0, 0], "int32")]).numpy()
    b = model([x, np.array([1, 2], "int32")]).numpy()
    assert (np.abs(a - b).max(axis=(3, 4)) > 1e-6).all()
    bias = np.eye(3, dtype="float32")  # every class's map, through the class-map network
    for name in ["class_embedding", "class_coarse_map", "condition_upsample", "condition_map"]:
        bias = model.get_layer(name)(bias)
    bias = bias.numpy()
    assert bias.shape == (3,) + SHAPE + (2,)
    assert np.abs(bias - bias[:, :1, :1]).max() > 1e-6  # not the same at every pixel

    model = randomize(tiny(architecture, 1, small_image_shape=(2, 3, 1)))
    small = tf.constant(np.random.default_rng(2).integers(0, 4, (1, 2, 3, 1)).astype("float32"))
    for pixel in [(0, 0), (2, 4), (3, 5)]:
        with tf.GradientTape() as tape:
            tape.watch(small)
            out = tf.reduce_sum(model([tf.constant(x[:1]), small])[0, pixel[0], pixel[1]])
        assert np.abs(tape.gradient(out, small).numpy()).sum() > 0, pixel


@pytest.mark.parametrize("units", [None, 2], ids=["one_hot", "class_map"])
@pytest.mark.parametrize("colors", [1, 3], ids=["grey", "rgb"])
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_cached_equals_naive_sampling_with_labels(architecture, colors, units):
    model = randomize(tiny(architecture, colors, num_classes=3, condition_units=units), 4)
    labels = np.array([0, 2, 1])
    cached, lp_cached = model.sample(3, seed=5, labels=labels, return_log_prob=True)
    naive, lp_naive = model.sample(3, seed=5, labels=labels, method="naive", return_log_prob=True)
    np.testing.assert_array_equal(cached, naive)
    np.testing.assert_allclose(lp_cached, lp_naive, atol=1e-4)
    np.testing.assert_allclose(model.log_prob(cached, labels=labels), lp_cached, atol=1e-4)
    # The label matters: the same images are more or less likely under other
    # labels, and (one-hot labels, whose bias is direct) the same noise draws
    # other images.
    shifted = (labels + 1) % 3
    assert np.abs(model.log_prob(cached, labels=shifted) - lp_cached).max() > 1e-3
    if units is None:
        assert (model.sample(3, seed=5, labels=shifted) != cached).any()


@pytest.mark.parametrize("colors", [1, 3], ids=["grey", "rgb"])
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_cached_equals_naive_sampling_with_a_conditioning_map(architecture, colors):
    model = randomize(tiny(architecture, colors, small_image_shape=(2, 3, colors)), 6)
    small = np.random.default_rng(3).integers(0, 4, (2, 2, 3, colors))
    cached = model.sample(2, seed=1, small_images=small)
    naive = model.sample(2, seed=1, small_images=small, method="naive")
    np.testing.assert_array_equal(cached, naive)
    filled = model.complete(cached, keep_rows=2, seed=3, small_images=small)
    np.testing.assert_array_equal(filled[:, :2], cached[:, :2])


def test_one_label_for_all_samples_and_complete_with_labels():
    model = randomize(tiny("row_lstm", 1, levels=2, num_classes=4), 2)
    np.testing.assert_array_equal(
        model.sample(3, seed=0, labels=3), model.sample(3, seed=0, labels=[3, 3, 3])
    )
    images = model.sample(2, seed=1, labels=[0, 1])
    done = model.complete(images, keep_rows=3, labels=[0, 1], seed=2)
    np.testing.assert_array_equal(done[:, :3], images[:, :3])


@pytest.mark.slow
@pytest.mark.parametrize("units", [None, 2], ids=["one_hot", "class_map"])
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_fit_and_keras_round_trip(architecture, units, tmp_path):
    model = tiny(architecture, 1, levels=2, num_classes=3, condition_units=units)
    rng = np.random.default_rng(0)
    x = rng.integers(0, 2, (16,) + SHAPE + (1,)).astype("float32")
    y = rng.integers(0, 3, (16,)).astype("int32")
    model.compile(keras.optimizers.Adam(1e-2), loss=PixelRNNLoss(), metrics=[NatsPerImage()])
    history = model.fit((x, y), x, epochs=4, batch_size=8, verbose=0).history
    assert history["loss"][-1] < history["loss"][0]
    # The metric is the unchanged likelihood metric: nats per image.
    np.testing.assert_allclose(
        history["nats_per_image"][-1], history["loss"][-1], rtol=1e-5
    )
    path = str(tmp_path / "conditional.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert isinstance(loaded, PixelRNN) and loaded.num_classes == 3
    assert loaded.condition_units == units
    np.testing.assert_allclose(loaded.log_prob(x, labels=y), model.log_prob(x, labels=y),
                               atol=1e-5)
    np.testing.assert_array_equal(loaded.sample(2, seed=0, labels=[1, 2]),
                                  model.sample(2, seed=0, labels=[1, 2]))
    rebuilt = PixelRNN.from_config(model.get_config())
    rebuilt.set_weights(model.get_weights())
    np.testing.assert_allclose(rebuilt.log_prob(x, labels=y), model.log_prob(x, labels=y),
                               atol=1e-5)


@pytest.mark.slow
def test_small_image_model_round_trips(tmp_path):
    model = randomize(tiny("diagonal_bilstm", 3, small_image_shape=(2, 3, 3)))
    small = np.random.default_rng(0).integers(0, 4, (2, 2, 3, 3))
    x = np.random.default_rng(1).integers(0, 4, (2,) + SHAPE + (3,))
    path = str(tmp_path / "stage.keras")
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert loaded.small_image_shape == (2, 3, 3)
    np.testing.assert_allclose(loaded.log_prob(x, small_images=small),
                               model.log_prob(x, small_images=small), atol=1e-5)


def test_from_preset_with_num_classes():
    model = PixelRNN.from_preset("mnist", num_classes=10, num_layers=1, hidden_units=4)
    assert model.num_classes == 10 and [t.name for t in model.inputs] == ["images", "labels"]
    with pytest.raises(ValueError, match=re.escape("num_classes=10")):
        PixelRNN.from_preset("mnist", num_classes=10, load_weights=True)


def test_bad_condition_inputs():
    model = tiny("pixel_cnn", 1, levels=2, num_classes=3)
    plain = tiny("pixel_cnn", 1, levels=2)
    x = np.zeros((2,) + SHAPE + (1,), "int32")
    with pytest.raises(ValueError, match=re.escape("`labels` must lie in [0, 3)") + ".*"
                       + re.escape("Received: label 3 in labels=[0, 3]")):
        model.log_prob(x, labels=[0, 3])
    with pytest.raises(ValueError, match=re.escape("Received: label -1")):
        model.sample(2, labels=-1)
    with pytest.raises(ValueError, match=re.escape("class-conditional (num_classes=3)") + ".*"
                       + re.escape("Received: labels=None")):
        model.sample(2)
    with pytest.raises(ValueError, match=re.escape("takes no `labels`. Received: labels=[1, 2]")):
        plain.log_prob(x, labels=[1, 2])
    with pytest.raises(ValueError, match=re.escape("one label per image (2) or one for all. "
                                                   "Received: labels with shape (3,)")):
        model.log_prob(x, labels=[0, 1, 2])
    with pytest.raises(ValueError, match=re.escape("`labels` must be integers. Received: labels=[0.5, 1.0]")):
        model.log_prob(x, labels=[0.5, 1.0])
    stage = tiny("row_lstm", 1, levels=2, small_image_shape=(2, 3, 1))
    with pytest.raises(ValueError, match=re.escape("`small_images` must have shape (batch, 2, 3, 1). "
                                                   "Received: small_images.shape=(2, 4, 6, 1)")):
        stage.log_prob(x, small_images=np.zeros((2, 4, 6, 1)))
    with pytest.raises(ValueError, match=re.escape("Received: small_images=None")):
        stage.sample(1)
    with pytest.raises(ValueError, match=re.escape("small_image_shape=(3, 3, 1)")):
        PixelRNN("row_lstm", (4, 6, 1), 1, 2, small_image_shape=(3, 3, 1))
    with pytest.raises(ValueError, match=re.escape("Received: num_classes=1")):
        PixelRNN("row_lstm", (4, 6, 1), 1, 2, num_classes=1)
    with pytest.raises(ValueError, match=re.escape("Received: condition_units=0")):
        PixelRNN("row_lstm", (4, 6, 1), 1, 2, num_classes=3, condition_units=0)
    with pytest.raises(ValueError, match=re.escape("fixed image height and width. "
                                                   "Received: image_shape=(None, None, 1)")):
        PixelRNN("row_lstm", (None, None, 1), 1, 2, num_classes=3, condition_units=2)
