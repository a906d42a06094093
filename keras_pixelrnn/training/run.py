"""One training run of a `Recipe`: the devices, the data, the model, `fit` (or the
multi-worker loop) and the saved model, in a run folder.

    from keras_pixelrnn.training.recipe import Recipe
    from keras_pixelrnn.training.run import train

    model = dict(architecture="diagonal_bilstm", image_shape=(28, 28, 1), num_layers=2,
                 hidden_units=16, levels=2)
    train(Recipe(model, "mnist_5k", binarize=True, epochs=2), "runs/small")

The run folder holds what `keras-pixelrnn train` writes: `recipe.json`
(`Recipe.record`), the model after each epoch (`checkpoints/epoch_NNN.keras`),
`history.json`, TensorBoard's `logs/`, `best/` (with `keep_best`), `backup/`
while the run is unfinished, and `model.keras` at the end. A run that was
killed resumes from `backup/`: train the same recipe into the same folder.
A finished run is not trained into again unless asked (`overwrite`,
`resume`: see `keras_pixelrnn.training.run_folder`). A loss that becomes
NaN stops the run (`callbacks.StopOnNaN`), keeping the backup and the
checkpoints of the epochs before it.

Under a multi-worker strategy every worker runs `train`; only the chief
writes into the run folder, the others write the same files (saving may take
part in the strategy's collectives) to temporary folders that they remove. A
worker that loses a peer starts `restart` in its place (up to `max_restarts`
times), which waits for the peer to rejoin and resumes from the backup.
"""

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time

import keras
import tensorflow as tf

from keras_pixelrnn import data
from keras_pixelrnn.models.likelihood import BitsPerDim, NatsPerImage, PixelRNNLoss
from keras_pixelrnn.models.multi_scale import MultiScalePixelRNN
from keras_pixelrnn.models.pixel_rnn import PixelRNN
from keras_pixelrnn.training import distribute
from keras_pixelrnn.training.callbacks import (
    AtomicCheckpoint, BackupCallback, EpochHistory, StopOnNaN, TrainingBackup,
)
from keras_pixelrnn.training.loop import DistributedTrainer
from keras_pixelrnn.training.recipe import KeepBest, StopAfterSteps, make_optimizer
from keras_pixelrnn.training.run_folder import RunFolder
from keras_pixelrnn.utils import arguments
from keras_pixelrnn.utils.atomic_files import write_atomically

RESTARTS = "KERAS_PIXELRNN_RESTARTS"  # how often this worker has restarted in place

# What a lost peer raises inside a multi-worker collective.
PEER_ERRORS = (tf.errors.UnavailableError, tf.errors.DeadlineExceededError,
               tf.errors.AbortedError, tf.errors.CancelledError)

# The arguments of the multi-scale model itself: the rest shape its stages.
_MULTI_SCALE_OWN = ("image_shape", "levels", "name")


def train(recipe, out, verbose=1, peer_timeout=300.0, max_restarts=3, restart=None,
          overwrite=False, resume=False):
    """Trains `recipe` into the run folder `out`, resuming from its backup.

    Args:
        recipe: a `keras_pixelrnn.training.recipe.Recipe`.
        out: the run folder (see the module's docstring).
        verbose: Keras' progress output (the chief's; the other workers print none).
        peer_timeout: multi-worker: seconds to wait for every worker to meet.
        max_restarts: multi-worker: times a worker that lost a peer restarts.
        restart: multi-worker: the command line (`os.execv`'s arguments) that
            runs this training again; None gives up when a peer is lost.
        overwrite, resume: what to do with a finished run in `out`: train
            it again from scratch, or train it on with the same recipe (see
            `keras_pixelrnn.training.run_folder`); without either, a
            finished run is a ValueError naming `out`.

    Returns:
        0, once `out/model.keras` is saved (or where a resumed run had no
        epochs left to train).

    Raises:
        TrainingError: the loss became NaN; the backup and the checkpoints
            of the epochs before are kept, and `model.keras` is not written.
    """
    arguments.number("peer_timeout", peer_timeout, above=0)
    arguments.integer("max_restarts", max_restarts, minimum=0)
    folder = RunFolder(out, recipe, overwrite=overwrite, resume=resume)
    try:
        return _train(recipe, folder, verbose, peer_timeout, max_restarts, restart)
    except BaseException:
        folder.failed()
        raise


def _train(recipe, folder, verbose, peer_timeout, max_restarts, restart):
    """`train` into `folder` (a `RunFolder`)."""
    strategy, cluster = _strategy(recipe, peer_timeout)
    train_images, validation_images = read_data(recipe, strategy.num_replicas_in_sync)
    epochs, total_steps, ema = recipe.plan(int(train_images.cardinality()))
    chief = cluster is None or cluster.is_chief
    out = folder.path
    write_dir = out if chief else _scratch(out, cluster)
    keras.utils.set_random_seed(recipe.seed)
    with strategy.scope():
        model = compiled_model(recipe, make_optimizer(
            recipe.learning_rate, total_steps, recipe.warmup_steps, recipe.decay, ema,
            recipe.clipnorm,
        ))
        # Where an interrupted run left off: weights, optimizer state, epochs done.
        backup = TrainingBackup(os.path.join(out, "backup"), model, is_chief=chief,
                                scratch=None if chief else os.path.join(write_dir, "backup"))
        initial_epoch = backup.restore() or folder.restore_checkpoint(model)
    if initial_epoch >= epochs:
        backup.close()
        print(f"the run in {folder.out} has done {initial_epoch} of the {epochs} epochs asked: "
              "nothing to train (ask for more epochs to train it on)")
        return 0
    optimizer = model.optimizer
    record = recipe.record(
        epochs, total_steps, float(optimizer.ema_momentum) if optimizer.use_ema else 0.0,
        workers=cluster.num_workers if cluster else 1, replicas=strategy.num_replicas_in_sync,
        parameters=model.count_params(),
    )
    _write_recipe(write_dir, record, chief)
    callbacks, keep_best = _callbacks(recipe, write_dir, backup, optimizer)
    if initial_epoch and chief:
        print(f"resuming after epoch {initial_epoch} (step {int(optimizer.iterations.numpy())}) "
              f"from {os.path.join(out, 'backup')}")
    batches = pairs(train_images, model, recipe)
    validation = None if validation_images is None else pairs(validation_images, model, recipe)
    multi_worker = recipe.strategy == "multi-worker"
    start = time.time()
    try:
        _fit(model, strategy if multi_worker else None, _metrics(recipe), batches, validation,
             callbacks, epochs, initial_epoch, verbose if chief else 0)
        if chief:
            print(f"trained in {time.time() - start:.0f} s, "
                  f"{int(optimizer.iterations.numpy())} steps")
            if keep_best and keep_best.best_epoch:
                print(f"kept epoch {keep_best.best_epoch}: validation {keep_best.best:.2f} "
                      f"nats/image")
        _save(model, write_dir)
    except PEER_ERRORS if multi_worker else () as error:
        _clean(write_dir, chief, backup)
        _restart_in_place(error, max_restarts, restart)
    _clean(write_dir, chief, backup)
    if chief:
        folder.done()
        print(f"saved {os.path.join(folder.out, 'model.keras')}")
    return 0


def _strategy(recipe, peer_timeout):
    """The strategy and cluster of the recipe's `strategy` and `devices`,
    made before any TensorFlow op runs (a multi-worker strategy starts the
    runtime itself); a malformed TF_CONFIG fails here, before any work."""
    distribute.check_devices(recipe.strategy, recipe.devices)
    if recipe.strategy == "multi-worker":
        distribute.read_tf_config()
    distribute.configure_devices(recipe.devices)
    strategy, cluster = distribute.make_strategy(recipe.strategy, recipe.devices, peer_timeout)
    distribute.check_global_batch(recipe.batch_size, strategy.num_replicas_in_sync)
    return strategy, cluster


def read_data(recipe, replicas=1):
    """The recipe's training and validation batches (`make_dataset`: uint8
    images, with their labels for a class-conditional model), each of at
    least `replicas` images; the validation batches are None for data given
    as a path."""
    labels = {}
    if recipe.num_classes is not None:
        labels = dict(with_labels=True, num_classes=recipe.num_classes)

    def read(split, shuffle, limit):
        return data.make_dataset(
            recipe.dataset, split=split, batch_size=recipe.batch_size,
            image_shape=tuple(recipe.model["image_shape"]), levels=recipe.model.get("levels", 256),
            binarize=recipe.binarize, shuffle=shuffle, seed=recipe.seed, limit=limit,
            replicas=replicas, **labels,
        )

    validation = None
    if recipe.dataset in data.DATASETS:
        validation = read("validation", False, recipe.val_limit)
    return read("train", True, recipe.limit), validation


def pairs(images, model, recipe):
    """`(inputs, targets)` batches for `fit`: the images as floats (and their
    labels), and the model's targets (the images; both stages' for a
    multi-scale model, `model.targets`)."""
    if recipe.num_classes is not None:  # ((images, labels), images)
        return images.map(lambda inputs, x: ((tf.cast(inputs[0], tf.float32), inputs[1]), x))
    if recipe.multi_scale:
        return images.map(lambda x: (tf.cast(x, tf.float32), model.targets(x)))
    return images.map(lambda x: (tf.cast(x, tf.float32), x))


def compiled_model(recipe, optimizer):
    """The recipe's model, compiled with `optimizer` and the NLL: a
    `PixelRNN(**recipe.model)`, or with `multi_scale` the
    `MultiScalePixelRNN` whose stages both have that structure (its loss is
    the total NLL; Keras reports each stage's too)."""
    if not recipe.multi_scale:
        model = PixelRNN(**recipe.model)
        model.compile(optimizer, loss=PixelRNNLoss(), metrics=_metrics(recipe)())
        return model
    config = recipe.model
    stage = {k: v for k, v in config.items() if k not in _MULTI_SCALE_OWN}
    model = MultiScalePixelRNN(
        config["image_shape"], small=stage, full=stage, levels=config.get("levels", 256),
        name=config.get("name") or "multi_scale_pixel_rnn",
    )
    model.compile(optimizer, loss=[PixelRNNLoss(), PixelRNNLoss()])
    return model


def _metrics(recipe):
    """A maker of the metrics that `compile` and the multi-worker loop report."""
    if recipe.multi_scale:
        return lambda: []
    return lambda: [NatsPerImage(), BitsPerDim()]


def _write_recipe(write_dir, record, chief):
    os.makedirs(os.path.join(write_dir, "checkpoints"), exist_ok=True)
    if chief:
        print(json.dumps(record))
    write_atomically(
        os.path.join(write_dir, "recipe.json"),
        lambda f: f.write(json.dumps(record, indent=2).encode()),
    )


def _callbacks(recipe, write_dir, backup, optimizer):
    """The run's callbacks, and the `KeepBest` among them (or None)."""
    callbacks = [
        StopOnNaN(write_dir),  # first: nothing of a NaN step is saved
        BackupCallback(backup),
        AtomicCheckpoint(os.path.join(write_dir, "checkpoints", "epoch_{epoch:03d}.keras")),
        EpochHistory(os.path.join(write_dir, "history.json")),
        keras.callbacks.TensorBoard(os.path.join(write_dir, "logs")),
    ]
    if optimizer.use_ema:  # validate the averaged weights (before the callbacks that read them)
        callbacks.insert(1, keras.callbacks.SwapEMAWeights())
    keep_best = None
    if recipe.keep_best and recipe.dataset in data.DATASETS:  # with validation data
        # On disk: a resumed run keeps the best of all its epochs.
        keep_best = KeepBest(
            monitor="val_loss" if recipe.multi_scale else "val_nats_per_image",
            folder=os.path.join(write_dir, "best"),
        )
        callbacks.append(keep_best)
    if recipe.steps is not None:
        callbacks.append(StopAfterSteps(recipe.steps))
    return callbacks, keep_best


def _fit(model, strategy, metrics, batches, validation, callbacks, epochs, initial_epoch,
         verbose):
    """`model.fit`, or with a multi-worker `strategy` the custom loop (Keras'
    `fit` does not run multi-worker)."""
    if strategy is not None:
        DistributedTrainer(model, metrics, strategy).fit(
            batches, epochs=epochs, validation_data=validation, callbacks=callbacks,
            initial_epoch=initial_epoch, verbose=verbose,
        )
        return
    # shuffle=False: the dataset shuffles itself (Keras would warn that it ignores True).
    model.fit(batches, validation_data=validation, epochs=epochs, callbacks=callbacks,
              verbose=verbose, shuffle=False, initial_epoch=initial_epoch)


def _save(model, write_dir):
    final = os.path.join(write_dir, "model.keras")
    tmp = os.path.join(write_dir, ".model.tmp.keras")
    model.save(tmp)
    os.replace(tmp, final)


def _scratch(out, cluster):
    """A worker's own temporary folder, named after the run and the task, so
    that a worker restarted after being killed removes what it left."""
    run = hashlib.sha1(os.path.abspath(out).encode()).hexdigest()[:12]
    folder = os.path.join(tempfile.gettempdir(),
                          f"pixelrnn-worker-{run}-{cluster.task_type}-{cluster.task_index}")
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def _clean(write_dir, chief, backup):
    """A worker other than the chief leaves nothing behind."""
    backup.close()
    if not chief:
        shutil.rmtree(write_dir, ignore_errors=True)


def _restart_in_place(error, max_restarts, restart):
    """After a peer was lost: this process becomes `restart` (the same
    training, the same TF_CONFIG), which waits for the peer to rejoin and
    resumes from the last backup; at most `max_restarts` times."""
    done = int(os.environ.get(RESTARTS, "0"))
    lines = [line.strip() for line in str(getattr(error, "message", None) or error).splitlines()]
    detail = [line for line in lines if "task" in line] or [line for line in lines if line] or [""]
    reason = f"{type(error).__name__}: {detail[0][:300]}"
    if restart is None or done >= max_restarts:
        raise SystemExit(
            f"error: lost a peer ({reason}) after {done} restart(s); giving up "
            f"(--max-restarts {max_restarts})"
        )
    print(f"lost a peer ({reason}); restarting to resume from the last backup "
          f"(restart {done + 1} of at most {max_restarts})", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os.environ[RESTARTS] = str(done + 1)
    os.execv(restart[0], list(restart))
