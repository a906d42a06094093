"""The training recipe of `keras-pixelrnn train`: schedule, weight averaging, best epoch.

PixelRNNs are often trained on small data sets (the 4,500 offline MNIST
digits here), where the validation NLL of the last epoch is both noisy and,
late in training, past its best. Three remedies, each an option:

* a learning-rate schedule: linear warm-up from 0, then cosine decay to 0
  over the planned steps (`learning_rate_schedule`);
* Polyak averaging: an exponential moving average of the weights, kept by the
  optimizer (`use_ema`), used for validation, and in the saved model
  (`make_optimizer`, `ema_momentum`);
* keeping the epoch with the best validation NLL (`KeepBest`).

`averaged_weights(model)` reads the averaged weights without changing the
model, through the optimizer's public `finalize_variable_values`.

`Recipe` holds one run's settings (the model's arguments, the data, the
schedule, the devices), checked when it is made; `Recipe.record` is what a
run folder's `recipe.json` holds.
"""

import contextlib
import dataclasses
import json
import math
import os

import keras

from keras_pixelrnn.models import presets
from keras_pixelrnn.training.distribute import STRATEGIES
from keras_pixelrnn.utils import arguments
from keras_pixelrnn.utils.atomic_files import save_atomically, write_atomically

DECAYS = ("cosine", "constant")


@dataclasses.dataclass(frozen=True)
class Recipe:
    """The settings of one training run, each checked when the recipe is made
    (before any model is built or any file written).

    Args:
        model: the model's constructor arguments: a `PixelRNN`'s
            (`architecture`, `image_shape`, `num_layers`, `hidden_units`,
            `levels`, ...); with `multi_scale`, both stages of a
            `MultiScalePixelRNN` have that structure. The model checks them.
        dataset: a data set name or a path (see `keras_pixelrnn.data`).
        multi_scale: train the multi-scale model of `model`'s structure.
        epochs: passes over the data (with `steps`, as many as those take).
        steps: stop after this many optimizer steps; None for `epochs` epochs.
        batch_size: the global batch (split over the replicas).
        learning_rate, warmup_steps, decay: the schedule
            (`learning_rate_schedule`).
        ema: the weight-averaging momentum in [0, 1); None for
            `ema_momentum` of the run's length; 0 for none.
        keep_best: end with the weights of the best validation epoch.
        clipnorm: global gradient-norm clipping, or None.
        initial_weights: start from these weights instead of the seed's: a
            preset's name (its shipped weights) or a `.weights.h5` file of
            the same model. A new schedule from trained weights is a warm
            restart (a second cosine cycle). None: the seed's weights.
        binarize: binary images (dynamic binarization of grey ones).
        seed: the seed of the weights, the shuffling and the binarization.
        strategy, devices: see `keras_pixelrnn.training.distribute`.
        limit, val_limit: the first images only of each split, or None.
    """

    model: dict
    dataset: str
    multi_scale: bool = False
    epochs: int = 10
    steps: int = None
    batch_size: int = 32
    learning_rate: float = 1e-3
    warmup_steps: int = 0
    decay: str = "constant"
    ema: float = None
    keep_best: bool = False
    clipnorm: float = None
    initial_weights: str = None
    binarize: bool = False
    seed: int = 0
    strategy: str = "auto"
    devices: int = 1
    limit: int = None
    val_limit: int = None

    def __post_init__(self):
        arguments.integer("epochs", self.epochs)
        arguments.integer("steps", self.steps, allow_none=True)
        arguments.integer("batch_size", self.batch_size)
        arguments.number("learning_rate", self.learning_rate, above=0)
        arguments.integer("warmup_steps", self.warmup_steps, minimum=0)
        arguments.one_of("decay", self.decay, DECAYS)
        arguments.number("ema", self.ema, minimum=0, below=1, allow_none=True)
        arguments.number("clipnorm", self.clipnorm, above=0, allow_none=True)
        arguments.integer("seed", self.seed, minimum=0)
        arguments.one_of("strategy", self.strategy, STRATEGIES)
        arguments.integer("devices", self.devices)
        arguments.integer("limit", self.limit, allow_none=True)
        arguments.integer("val_limit", self.val_limit, allow_none=True)
        if self.initial_weights is not None:
            initial_weights_file(self.initial_weights)

    @property
    def num_classes(self):
        """The classes of a class-conditional model; None for an unconditional one."""
        return self.model.get("num_classes")

    def plan(self, steps_per_epoch):
        """`(epochs, total_steps, ema)` of a run over `steps_per_epoch` batches
        an epoch (0 or less where the data's size is unknown): `steps` sets
        the epochs where it is given, and an unknown size needs `steps` for
        a cosine decay, and a fixed average (0.999) for `ema=None`."""
        epochs, ema = self.epochs, self.ema
        if self.steps is not None:
            if steps_per_epoch > 0:
                epochs = -(-self.steps // steps_per_epoch)
            return epochs, self.steps, ema
        if steps_per_epoch > 0:
            return epochs, epochs * steps_per_epoch, ema
        if self.decay == "cosine":
            raise ValueError(
                f"--decay cosine needs the number of steps; the size of --dataset "
                f"{self.dataset!r} is unknown here: give --steps N"
            )
        return epochs, 0, 0.999 if ema is None else ema

    def record(self, epochs, steps, ema, workers, replicas, parameters):
        """What `recipe.json` holds: the model's arguments, then the run's
        settings and what the run found (`epochs` and `steps` as planned, the
        averaging momentum used, the workers and replicas, the model's size)."""
        record = dict(
            self.model, dataset=self.dataset, epochs=epochs, steps=steps,
            batch_size=self.batch_size, optimizer="adam", learning_rate=self.learning_rate,
            warmup_steps=self.warmup_steps, decay=self.decay, ema=ema,
            keep_best=self.keep_best, clipnorm=self.clipnorm, num_classes=self.num_classes,
            multi_scale=self.multi_scale, binarize=self.binarize, seed=self.seed,
            strategy=self.strategy, devices=self.devices, workers=workers, replicas=replicas,
            per_replica_batch=self.batch_size // replicas, limit=self.limit,
            parameters=parameters,
        )
        if self.initial_weights is not None:  # a run without them keeps the old keys
            record["initial_weights"] = self.initial_weights
        return record


def initial_weights_file(initial_weights):
    """The weights file that `Recipe(initial_weights=...)` names: a preset's
    shipped `.weights.h5`, or the given file."""
    if initial_weights in presets.PRESETS and presets.weights_path(initial_weights):
        return presets.weights_path(initial_weights)
    if isinstance(initial_weights, str) and initial_weights.endswith(".weights.h5") \
            and os.path.isfile(initial_weights):
        return initial_weights
    raise ValueError(
        "`initial_weights` must be a preset with shipped weights "
        f"({', '.join(presets.presets_with_weights())}) or an existing .weights.h5 file. "
        f"Received: initial_weights={initial_weights!r}"
    )


def learning_rate_schedule(learning_rate, total_steps, warmup_steps=0, decay="cosine"):
    """Learning rate as a function of the step: warm-up, then cosine or constant.

    Args:
        learning_rate: the peak learning rate.
        total_steps: the planned number of optimizer steps.
        warmup_steps: steps of linear warm-up from 0 to `learning_rate`.
        decay: `"cosine"` (to 0 at `total_steps`) or `"constant"`.

    Returns:
        A float (constant, no warm-up) or a `keras.optimizers.schedules` object.
    """
    if decay not in DECAYS:
        raise ValueError(f"`decay` must be one of {DECAYS}. Received: decay={decay!r}")
    arguments.number("learning_rate", learning_rate, above=0)
    arguments.integer("total_steps", total_steps, minimum=0)
    arguments.integer("warmup_steps", warmup_steps, minimum=0)
    if decay == "constant" and not warmup_steps:
        return learning_rate
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=0.0 if warmup_steps else learning_rate,
        decay_steps=max(1, total_steps - warmup_steps),
        alpha=1.0 if decay == "constant" else 0.0,
        warmup_target=learning_rate if warmup_steps else None,
        warmup_steps=warmup_steps,
    )


def ema_momentum(total_steps, horizon=0.1, low=0.9, high=0.9995):
    """The averaging momentum for a run of `total_steps`: an average over
    about `horizon` of the run (`1 - 1 / (horizon * total_steps)`), within
    `[low, high]`. A fixed 0.999 would average over 1,000 steps, longer than a
    short run, and keep much of the initial weights."""
    return float(min(high, max(low, 1.0 - 1.0 / max(1.0, horizon * total_steps))))


def make_optimizer(learning_rate=2e-3, total_steps=1000, warmup_steps=0, decay="cosine",
                   ema=None, clipnorm=None):
    """Adam with the schedule above and, unless `ema=0`, weight averaging.

    Args:
        ema: averaging momentum in [0, 1); `None` chooses `ema_momentum(total_steps)`;
            0 turns averaging off.
    """
    if ema is None:
        ema = ema_momentum(total_steps)
    arguments.number("ema", ema, minimum=0, below=1)
    arguments.number("clipnorm", clipnorm, above=0, allow_none=True)
    schedule = learning_rate_schedule(learning_rate, total_steps, warmup_steps, decay)
    kwargs = dict(use_ema=True, ema_momentum=ema) if ema else {}
    return keras.optimizers.Adam(schedule, global_clipnorm=clipnorm, **kwargs)


@contextlib.contextmanager
def averaged(model):
    """Inside, `model` holds the optimizer's moving averages in place of its
    trainable weights (when the optimizer keeps them); after, what it held."""
    optimizer = getattr(model, "optimizer", None)
    if not getattr(optimizer, "use_ema", False) or not optimizer.built:
        yield model
        return
    current = [variable.numpy() for variable in model.trainable_variables]
    optimizer.finalize_variable_values(model.trainable_variables)
    try:
        yield model
    finally:
        for variable, value in zip(model.trainable_variables, current):
            variable.assign(value)


def averaged_weights(model):
    """`model.get_weights()` with the moving averages in place of the
    trainable weights; the model is left as it was."""
    with averaged(model):
        return model.get_weights()


class StopAfterSteps(keras.callbacks.Callback):
    """Stops `fit` after `steps` optimizer steps in all (counted by the
    optimizer, so a resumed run stops at the same step)."""

    def __init__(self, steps):
        super().__init__()
        self.steps = steps

    def on_train_batch_end(self, batch, logs=None):
        if int(self.model.optimizer.iterations.numpy()) >= self.steps:
            self.model.stop_training = True


class KeepBest(keras.callbacks.Callback):
    """Restores, when training ends, the (averaged) weights of the epoch with
    the lowest validation `monitor`.

    Args:
        monitor: the validation metric, lower is better. Defaults to
            `"val_nats_per_image"`.
        folder: where to keep the best weights and their epoch on disk
            (`best.weights.h5`, `best.json`, renamed into place), so that a
            resumed run still ends with the best epoch of the whole run;
            `None` keeps them in memory only.
    """

    def __init__(self, monitor="val_nats_per_image", folder=None):
        super().__init__()
        self.monitor, self.folder = monitor, folder
        self.best, self.best_epoch, self._weights = math.inf, None, None
        if folder is not None and os.path.exists(self._path("best.json")):
            with open(self._path("best.json")) as f:
                saved = json.load(f)
            self.best, self.best_epoch = saved["best"], saved["epoch"]

    def _path(self, name):
        return os.path.join(self.folder, name)

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None or not value < self.best:
            return
        self.best, self.best_epoch = float(value), epoch + 1
        self._weights = averaged_weights(self.model)
        if self.folder is not None:
            os.makedirs(self.folder, exist_ok=True)
            with averaged(self.model):
                save_atomically(self._path("best.weights.h5"),
                                lambda tmp: self.model.save_weights(tmp, overwrite=True))
            record = json.dumps({"epoch": self.best_epoch, "best": self.best, "monitor": self.monitor})
            write_atomically(self._path("best.json"), lambda f: f.write(record.encode()))

    def on_train_end(self, logs=None):
        # After `fit` has put the averaged weights in place of the trained ones.
        if self._weights is not None:
            self.model.set_weights(self._weights)
        elif self.best_epoch is not None and self.folder is not None:
            self.model.load_weights(self._path("best.weights.h5"))  # best before a resume
