"""
Title: CIFAR-10 with a Row LSTM PixelRNN
Description: 256-way softmax per colour, R -> G -> B inside a pixel, trained with
`model.fit` and reported in bits per dimension.

The paper's CIFAR-10 Row LSTM has 12 layers of h=128 (3.07 bits/dim). On two
CPU cores that is out of reach; `--quick` trains a small one on a few hundred
images (or the tfds mock data with `--mock`) to show the workflow. With a
network, tfds downloads CIFAR-10; pass `--preset cifar10_row_lstm` and a GPU
for the real thing.

Run: `python examples/cifar10_row_lstm.py --quick --mock`.
"""

"""
## Setup
"""

import argparse
import contextlib

import keras
import tensorflow as tf
import tensorflow_datasets as tfds

from keras_pixelrnn import BitsPerDim, PixelRNN, PixelRNNLoss, data

parser = argparse.ArgumentParser()
parser.add_argument("--quick", action="store_true")
parser.add_argument("--mock", action="store_true", help="use tfds mock data (no network)")
parser.add_argument("--preset", default=None)
parser.add_argument("--epochs", type=int, default=1)
args = parser.parse_args()

"""
## Data: uint8 images (B, 32, 32, 3), values 0..255
"""

mock = tfds.testing.mock_data(num_examples=256) if args.mock else contextlib.nullcontext()
with mock:
    limit = 256 if args.quick else None
    train = data.make_dataset("cifar10", split="train", batch_size=16, limit=limit, seed=0)
    test = data.make_dataset("cifar10", split="test", batch_size=16, limit=limit, shuffle=False)
    train = train.map(lambda x: (tf.cast(x, tf.float32), x))
    test = test.map(lambda x: (tf.cast(x, tf.float32), x))

    """
    ## The model: every layer keeps the colour groups R, G, B
    """

    if args.preset:
        model = PixelRNN.from_preset(args.preset)
    else:
        model = PixelRNN("row_lstm", (32, 32, 3), num_layers=2, hidden_units=12, levels=256,
                         output_units=48)
    model.compile(keras.optimizers.Adam(1e-3), loss=PixelRNNLoss(), metrics=[BitsPerDim()])
    model.fit(train, validation_data=test, epochs=args.epochs)

"""
## Samples
"""

images = model.sample(4, seed=0, progress=True)
print("sampled", images.shape, images.dtype)
