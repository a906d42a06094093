"""One worker of tests/training/test_multi_worker.py's equivalence job.

Run with TF_CONFIG set (by `keras_pixelrnn.training.launch.Job`): trains a
small Row LSTM and a small Diagonal BiLSTM with `DistributedTrainer` under
`MultiWorkerMirroredStrategy`, on the global batches of `data.npz`, and the
chief writes their initial and trained weights and their logs to
`<out>/<architecture>.npz`.
"""

import json
import os
import sys

import numpy as np

out = sys.argv[1]
import tensorflow as tf  # noqa: E402

strategy = tf.distribute.MultiWorkerMirroredStrategy()  # before any other TF op

import keras  # noqa: E402

from keras_pixelrnn import PixelRNN  # noqa: E402
from keras_pixelrnn.models.likelihood import BitsPerDim, NatsPerImage, PixelRNNLoss  # noqa: E402
from keras_pixelrnn.training.loop import DistributedTrainer  # noqa: E402

SETUP = json.load(open(os.path.join(out, "setup.json")))
chief = json.loads(os.environ["TF_CONFIG"])["task"]["index"] == 0
images = np.load(os.path.join(out, "data.npz"))["images"]


def batches(x):
    return tf.data.Dataset.from_tensor_slices(x).batch(SETUP["batch_size"]).map(
        lambda a: (tf.cast(a, tf.float32), a))


for architecture in SETUP["architectures"]:
    with strategy.scope():
        keras.utils.set_random_seed(0)
        model = PixelRNN(image_shape=images.shape[1:], architecture=architecture,
                         **SETUP["model"])
        model.compile(keras.optimizers.Adam(SETUP["learning_rate"]), loss=PixelRNNLoss())
        initial = model.get_weights()
    trainer = DistributedTrainer(model, lambda: [NatsPerImage(), BitsPerDim()], strategy)
    history = trainer.fit(batches(images), epochs=SETUP["epochs"],
                          validation_data=batches(images[:SETUP["validation"]]), verbose=0)
    if chief:
        arrays = {f"initial_{i}": w for i, w in enumerate(initial)}
        arrays.update({f"trained_{i}": w for i, w in enumerate(model.get_weights())})
        arrays.update({f"log_{k}": np.array(v) for k, v in history.history.items()})
        arrays["steps"] = np.array(int(model.optimizer.iterations.numpy()))
        tmp = os.path.join(out, f".{architecture}.tmp.npz")
        np.savez(tmp, **arrays)
        os.replace(tmp, os.path.join(out, f"{architecture}.npz"))
