import pytest


@pytest.fixture
def batches_of():
    """Reads a `tf.data.Dataset` to the end: its batches as NumPy arrays."""

    def read(dataset):
        return [batch.numpy() for batch in dataset]

    return read
