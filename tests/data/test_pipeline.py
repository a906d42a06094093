import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from keras_pixelrnn.data import load_images, make_dataset


# Level checks.


def test_tfds_values_at_or_above_levels_fail_at_iteration(batches_of):
    with tfds.testing.mock_data(num_examples=4):
        # Mock binarized_mnist images hold 0..254, which a 2-level model cannot represent.
        largest = int(load_images("binarized_mnist").max())
        dataset = make_dataset("binarized_mnist", batch_size=4, levels=2, shuffle=False)
        with pytest.raises(
            tf.errors.InvalidArgumentError,
            match=rf"source=binarized_mnist .*levels=2.*\[{largest}\]",
        ):
            batches_of(dataset)
        with pytest.raises(tf.errors.InvalidArgumentError, match=r"source=mnist .*levels=16"):
            batches_of(make_dataset("mnist", batch_size=2, levels=16))
        with pytest.raises(ValueError, match=rf"'binarized_mnist'.*up to {largest}.*levels=2"):
            load_images("binarized_mnist", levels=2)


def test_tfds_binarized_mnist_within_levels(batches_of):
    with tfds.testing.mock_data(num_examples=4, max_value=2):
        assert len(batches_of(make_dataset("binarized_mnist", batch_size=2, levels=2))) == 2


# Binarization.


def test_binarize_needs_grey_images():
    with pytest.raises(ValueError, match=r"source='cifar10' has 3 channels.*binarize=True"):
        make_dataset("cifar10", binarize=True)


def test_load_images_binarize_thresholds(tmp_path):
    np.save(tmp_path / "grey.npy", np.array([[[0, 127, 128, 255]]], np.uint8))
    np.save(tmp_path / "binary.npy", np.array([[[0, 1, 1, 0]]], np.uint8))
    grey = load_images(tmp_path / "grey.npy", binarize=True, levels=2)
    assert grey.ravel().tolist() == [0, 0, 1, 1]
    assert load_images(tmp_path / "binary.npy", binarize=True).ravel().tolist() == [0, 1, 1, 0]


def test_make_dataset_binarize_is_bernoulli(tmp_path, batches_of):
    # Columns: always 0, always 255, two of p = 64 / 255.
    images = np.tile(np.array([0, 255, 64, 64], np.uint8), (400, 4, 1))
    np.save(tmp_path / "grey.npy", images)
    binary = make_dataset(tmp_path / "grey.npy", batch_size=400, binarize=True, seed=0)
    binary = batches_of(binary)[0]
    assert set(np.unique(binary).tolist()) == {0, 1}
    assert binary[..., 0, 0].max() == 0
    assert binary[..., 1, 0].min() == 1
    assert abs(binary[..., 2:, 0].mean() - 64 / 255) < 0.03

    np.save(tmp_path / "binary.npy", (images > 100).astype(np.uint8))
    kept = make_dataset(tmp_path / "binary.npy", batch_size=400, binarize=True, shuffle=False)
    kept = batches_of(kept)
    np.testing.assert_array_equal(kept[0][..., 0], images > 100)


def test_mnist_dynamic_binarization_afresh_each_train_epoch(batches_of):
    with tfds.testing.mock_data(num_examples=6):
        options = {"batch_size": 6, "binarize": True, "shuffle": False, "seed": 3}
        train = make_dataset("mnist", **options)
        first, second = batches_of(train)[0], batches_of(train)[0]
        again = batches_of(make_dataset("mnist", **options))[0]
        validation = make_dataset("mnist", split="validation", **options)
        repeated = make_dataset("mnist", repeat=True, **options)
        epoch_1, epoch_2 = batches_of(repeated.take(2))
        fixed_1, fixed_2 = batches_of(validation)[0], batches_of(validation)[0]
    assert set(np.unique(first).tolist()) == {0, 1}
    assert not np.array_equal(first, second)
    np.testing.assert_array_equal(first, again)
    np.testing.assert_array_equal(fixed_1, fixed_2)
    assert not np.array_equal(epoch_1, epoch_2)


# Batching, shuffling and repeating.


def test_make_dataset_from_npy(tmp_path, batches_of):
    images = np.arange(5 * 2 * 2, dtype=np.uint8).reshape(5, 2, 2)
    np.save(tmp_path / "images.npy", images)
    source = str(tmp_path / "images.npy")

    plain = batches_of(make_dataset(source, batch_size=2, shuffle=False))
    assert [b.shape for b in plain] == [(2, 2, 2, 1), (2, 2, 2, 1), (1, 2, 2, 1)]
    np.testing.assert_array_equal(np.concatenate(plain)[..., 0], images)

    dropped = make_dataset(source, batch_size=2, shuffle=False, drop_remainder=True)
    assert tuple(dropped.element_spec.shape) == (2, 2, 2, 1)
    assert len(batches_of(dropped)) == 2

    repeated = batches_of(make_dataset(source, batch_size=4, shuffle=False, repeat=True).take(5))
    np.testing.assert_array_equal(np.concatenate(repeated)[..., 0], np.concatenate([images] * 4))

    shuffled = make_dataset(source, batch_size=5, seed=4)
    epoch_1 = batches_of(shuffled)[0]
    np.testing.assert_array_equal(np.sort(epoch_1, axis=0), np.sort(images[..., None], axis=0))
    epoch_2 = batches_of(shuffled)[0]
    assert not np.array_equal(epoch_1, epoch_2)
    same_seed = make_dataset(source, batch_size=5, seed=4)
    np.testing.assert_array_equal(epoch_1, batches_of(same_seed)[0])


@pytest.mark.parametrize(
    "kwargs, match",
    [
        pytest.param({"batch_size": 0}, r"batch_size=0", id="batch_size_0"),
        pytest.param({"batch_size": 2.5}, r"batch_size=2\.5", id="batch_size_float"),
        pytest.param({"seed": "a"}, r"seed='a'", id="seed_string"),
        pytest.param(
            {"batch_size": 10, "drop_remainder": True}, r"batch_size=10", id="no_full_batch"
        ),
    ],
)
def test_bad_pipeline_arguments(tmp_path, kwargs, match):
    np.save(tmp_path / "few.npy", np.zeros((3, 2, 2), np.uint8))
    with pytest.raises(ValueError, match=match):
        make_dataset(tmp_path / "few.npy", **kwargs)
