"""`keras-pixelrnn train`: a PixelRNN trained with `model.fit`.

    keras-pixelrnn train --preset small --dataset mnist_5k --epochs 2 --out runs/small
    keras-pixelrnn train --dataset mnist_5k --binarize --num-classes 10 --out runs/digits

`--multi-scale` trains the paper's multi-scale PixelRNN (section 3.5): the
model of the architecture and size given, on every other pixel, and the same
model of the whole image given those (`keras_pixelrnn.MultiScalePixelRNN`).

`--num-classes K` trains a class-conditional model `p(x | label)` on the labels
of the data set (see `keras_pixelrnn.data`: "mnist", "cifar10", "mnist_5k" or a
`.npz` file with a "labels" array); a data set without labels, or with a label
outside `[0, K)`, is an error (exit 2). The recipe records `num_classes`.
With `--condition-units D` each class has a learned map of D channels (where
its strokes lie), not one bias for the whole image.

`--strategy` chooses the devices and machines (`keras_pixelrnn.training.distribute`):
one device, `MirroredStrategy` over `--devices N`, or `MultiWorkerMirroredStrategy`
over the workers of `TF_CONFIG`, trained by `keras_pixelrnn.training.loop`
(Keras' `fit` does not run multi-worker). `--batch-size` is the global batch.
Only the chief writes into `--out`; the other workers write to temporary
folders that they remove. A worker that loses a peer restarts itself in place
(up to `--max-restarts` times), waits for the peer to rejoin and resumes from
the last backup. `keras-pixelrnn launch` starts such a job on this machine:

    keras-pixelrnn launch --workers 2 -- train --strategy multi-worker --preset small --out runs/mw
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time

from keras_pixelrnn.cli.common import binarize_for, labelled
from keras_pixelrnn.training.distribute import STRATEGIES
from keras_pixelrnn.training.recipe import DECAYS

RESTARTS = "KERAS_PIXELRNN_RESTARTS"  # how often this worker has restarted in place


def register(commands):
    from keras_pixelrnn.models.pixel_rnn import ARCHITECTURES, PRESETS

    p = commands.add_parser("train", help="train a PixelRNN with model.fit")
    p.add_argument("--preset", choices=sorted(PRESETS))
    p.add_argument("--architecture", choices=ARCHITECTURES, default="diagonal_bilstm")
    p.add_argument("--layers", type=int, default=None, help="residual blocks (default: preset's, else 2)")
    p.add_argument("--hidden", type=int, default=None, help="hidden units h (default: preset's, else 16)")
    p.add_argument("--levels", type=int, default=256)
    p.add_argument("--image-shape", help="H,W,C for data given as a path")
    p.add_argument("--dataset", default="mnist_5k", help="a dataset name or a .npy/.npz file or image folder")
    p.add_argument("--binarize", action="store_true", help="turn grey images into binary ones")
    p.add_argument("--num-classes", type=int, default=None, metavar="K",
                   help="a class-conditional model of the data set's labels 0 .. K-1")
    p.add_argument("--multi-scale", action="store_true",
                   help="the multi-scale PixelRNN: every other pixel first, then the rest given it")
    p.add_argument("--condition-units", type=int, default=None, metavar="D",
                   help="channels of the conditioning map: with --num-classes, a learned map "
                        "per class (default: the one-hot label, the same at every pixel); with "
                        "--multi-scale, the upsampled small image's (default 2h)")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--steps", type=int, default=None,
                   help="stop after N optimizer steps (default: --epochs full epochs)")
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--learning-rate", type=float, default=1e-3, help="the peak learning rate")
    p.add_argument("--warmup-steps", type=int, default=0,
                   help="linear warm-up from 0 over N steps")
    p.add_argument("--decay", choices=DECAYS, default="constant",
                   help="learning rate after the warm-up: cosine decay to 0, or constant")
    p.add_argument("--ema", default="auto", metavar="M",
                   help="weight averaging momentum in [0, 1), 'auto' (default: an average over "
                   "10%% of the run), or 0 (off); the averaged weights are validated and saved")
    p.add_argument("--dropout", type=float, default=0.0,
                   help="dropout on each block's output while training")
    p.add_argument("--keep-best", action="store_true",
                   help="end with the weights of the epoch with the best validation NLL")
    p.add_argument("--clipnorm", type=float, default=None, help="global gradient-norm clipping")
    p.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    p.add_argument("--val-limit", type=int, default=None, help="use only the first N validation images")
    p.add_argument("--strategy", choices=STRATEGIES, default="auto",
                   help="auto: one device, or MirroredStrategy when --devices > 1; multi-worker: "
                   "MultiWorkerMirroredStrategy over the workers of TF_CONFIG")
    p.add_argument("--devices", type=int, default=1,
                   help="train on N local devices: the first N GPUs, else N logical CPU devices")
    p.add_argument("--peer-timeout", type=float, default=300.0, metavar="SECONDS",
                   help="multi-worker: give up when the workers have not all met within this time")
    p.add_argument("--max-restarts", type=int, default=3,
                   help="multi-worker: times a worker that lost a peer restarts in place")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--verbose", type=int, default=1)
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(run=train)

    p = commands.add_parser(
        "launch", help="start N multi-worker training workers on this machine (127.0.0.1)",
        description="Starts N workers of `keras-pixelrnn COMMAND ...` on free ports of "
        "127.0.0.1, each with its TF_CONFIG, and restarts a worker killed by a signal.",
    )
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--restarts", type=int, default=3,
                   help="times in all that a worker killed by a signal is started again")
    p.add_argument("worker_command", nargs=argparse.REMAINDER,
                   help="the command each worker runs, after --, e.g. -- train --strategy multi-worker ...")
    p.set_defaults(run=launch)


def launch(args):
    from keras_pixelrnn.training.launch import Job

    command = args.worker_command[1:] if args.worker_command[:1] == ["--"] else args.worker_command
    return Job(command, workers=args.workers, restarts=args.restarts).run()


def _ema(text):
    if text == "auto":
        return None
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 <= value < 1:
        raise ValueError(f"--ema must be 'auto' or a number in [0, 1). Received: --ema {text}")
    return value


def _check_num_classes(num_classes):
    if num_classes is not None and num_classes < 2:
        raise ValueError(
            f"--num-classes must be an integer >= 2. Received: --num-classes {num_classes}"
        )


def _check_condition_units(args):
    units = args.condition_units
    if units is None:
        return
    if units < 1:
        raise ValueError(
            f"--condition-units must be a positive integer. Received: --condition-units {units}"
        )
    if args.num_classes is None and not args.multi_scale:
        raise ValueError(
            "--condition-units sizes the condition of a --num-classes or --multi-scale model; "
            f"this one is unconditional. Received: --condition-units {units}"
        )


def _apply_defaults(args):
    """Without a preset, 2 blocks of 16 units; with one, its own unless given."""
    if not args.preset:
        args.layers = 2 if args.layers is None else args.layers
        args.hidden = 16 if args.hidden is None else args.hidden
    else:
        args.override = True


def _multi_scale(config):
    """The multi-scale model of a PixelRNN configuration: its structure at both
    stages, the second conditioned on the first."""
    from keras_pixelrnn.models.multi_scale import STAGE_ARGUMENTS, MultiScalePixelRNN

    stage = {k: v for k, v in config.items() if k in STAGE_ARGUMENTS}
    return MultiScalePixelRNN(
        config["image_shape"], small=stage, full=stage, levels=config["levels"],
        name=config.get("name") or "multi_scale_pixel_rnn",
    )


def train(args):
    _check_num_classes(args.num_classes)
    _check_condition_units(args)
    if args.multi_scale and args.num_classes is not None:
        raise ValueError(
            "--multi-scale models are unconditional; drop --num-classes. "
            f"Received: --multi-scale --num-classes {args.num_classes}"
        )
    _apply_defaults(args)
    from keras_pixelrnn.training import distribute

    distribute.check_devices(args.strategy, args.devices)
    if args.strategy == "multi-worker":
        distribute.read_tf_config()  # a malformed TF_CONFIG fails here, before any work
    distribute.configure_devices(args.devices)
    import keras
    import tensorflow as tf

    from keras_pixelrnn import data
    from keras_pixelrnn.training.callbacks import (
        AtomicCheckpoint, BackupCallback, EpochHistory, TrainingBackup,
    )
    from keras_pixelrnn.training.loop import DistributedTrainer
    from keras_pixelrnn.training.recipe import KeepBest, StopAfterSteps, make_optimizer
    from keras_pixelrnn.utils.atomic_files import write_atomically
    from keras_pixelrnn.models.likelihood import BitsPerDim, NatsPerImage, PixelRNNLoss
    from keras_pixelrnn.models.pixel_rnn import PRESETS, PixelRNN

    # Before any TensorFlow op: a multi-worker strategy must start the runtime.
    strategy, cluster = distribute.make_strategy(args.strategy, args.devices, args.peer_timeout)
    per_replica_batch = distribute.check_global_batch(args.batch_size, strategy.num_replicas_in_sync)
    if args.preset:
        config = dict(PRESETS[args.preset], name=args.preset)
    else:
        info = data.dataset_info(args.dataset) if args.dataset in data.DATASETS else None
        shape = tuple(info["image_shape"]) if info else None
        if args.image_shape:
            shape = tuple(int(d) for d in args.image_shape.split(","))
        if shape is None:
            raise SystemExit("error: --image-shape H,W,C is needed for data given as a path")
        config = dict(
            architecture=args.architecture, image_shape=shape, num_layers=args.layers,
            hidden_units=args.hidden, levels=args.levels,
        )
    for key, value in (("num_layers", args.layers), ("hidden_units", args.hidden)):
        if args.preset and value is not None and getattr(args, "override", False):
            config[key] = value
    if args.num_classes is not None:
        config["num_classes"] = args.num_classes
    if args.condition_units is not None:
        config["condition_units"] = args.condition_units
    shape, levels = tuple(config["image_shape"]), config["levels"]
    binarize = binarize_for(levels, args)

    def pairs(split, shuffle, limit):
        def read(**labels):
            return data.make_dataset(
                args.dataset, split=split, batch_size=args.batch_size, image_shape=shape,
                levels=levels, binarize=binarize, shuffle=shuffle, seed=args.seed, limit=limit,
                **labels,
            )

        if args.multi_scale:  # the targets of both stages: (every other pixel, the image)
            return read().map(lambda x: (tf.cast(x, tf.float32), (x[:, ::2, ::2], x)))
        if args.num_classes is None:
            return read().map(lambda x: (tf.cast(x, tf.float32), x))
        # ((images, labels), images): the model's inputs [images, labels], the target.
        ds = labelled(
            lambda: read(with_labels=True, num_classes=args.num_classes),
            f"--num-classes {args.num_classes} trains on labelled images",
        )
        return ds.map(lambda inputs, x: ((tf.cast(inputs[0], tf.float32), inputs[1]), x))

    ema = _ema(args.ema)
    for option, value in (("--steps", args.steps), ("--warmup-steps", args.warmup_steps)):
        if value is not None and value < 0 or (option == "--steps" and value == 0):
            raise ValueError(f"{option} must be a positive integer. Received: {option} {value}")
    config["dropout"] = args.dropout
    train_ds = pairs("train", True, args.limit)
    steps_per_epoch = int(train_ds.cardinality())
    if args.steps is not None:
        total_steps = args.steps
        if steps_per_epoch > 0:
            args.epochs = -(-args.steps // steps_per_epoch)
    elif steps_per_epoch > 0:
        total_steps = args.epochs * steps_per_epoch
    elif args.decay == "cosine":
        raise ValueError(
            f"--decay cosine needs the number of steps; the size of --dataset "
            f"{args.dataset!r} is unknown here: give --steps N"
        )
    else:
        total_steps = 0
        if ema is None:  # `auto` needs the run's length: a fixed average instead
            ema = 0.999
    val_split = "validation" if args.dataset in data.DATASETS else None
    val_ds = pairs(val_split, False, args.val_limit) if val_split else None

    chief = cluster is None or cluster.is_chief
    # Only the chief writes into --out; another worker writes the same files
    # (saving may take part in the strategy's collectives) to a scratch folder.
    write_dir = args.out if chief else _scratch(args.out, cluster)
    os.makedirs(write_dir, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    metrics = (lambda: []) if args.multi_scale else (lambda: [NatsPerImage(), BitsPerDim()])
    with strategy.scope():
        optimizer = make_optimizer(
            args.learning_rate, total_steps, args.warmup_steps, args.decay, ema, args.clipnorm
        )
        if args.multi_scale:
            model = _multi_scale(config)
            # The loss is the total NLL; Keras reports each stage's too.
            model.compile(optimizer, loss=[PixelRNNLoss(), PixelRNNLoss()])
        else:
            model = PixelRNN(**config)
            model.compile(optimizer, loss=PixelRNNLoss(), metrics=metrics())
        # Where an interrupted run left off: weights, optimizer state, epochs done.
        backup = TrainingBackup(os.path.join(args.out, "backup"), model, optimizer, is_chief=chief,
                                scratch=None if chief else os.path.join(write_dir, "backup"))
        initial_epoch = backup.restore()
    recipe = dict(
        config, dataset=args.dataset, epochs=args.epochs, steps=total_steps,
        batch_size=args.batch_size, optimizer="adam", learning_rate=args.learning_rate,
        warmup_steps=args.warmup_steps, decay=args.decay,
        ema=float(optimizer.ema_momentum) if optimizer.use_ema else 0.0,
        keep_best=args.keep_best, clipnorm=args.clipnorm, num_classes=args.num_classes,
        multi_scale=args.multi_scale,
        binarize=binarize, seed=args.seed, strategy=args.strategy, devices=args.devices,
        workers=cluster.num_workers if cluster else 1,
        replicas=strategy.num_replicas_in_sync, per_replica_batch=per_replica_batch,
        limit=args.limit, parameters=model.count_params(),
    )
    if chief:
        print(json.dumps(recipe))
    write_atomically(
        os.path.join(write_dir, "recipe.json"),
        lambda f: f.write(json.dumps(recipe, indent=2).encode()),
    )
    callbacks = [
        BackupCallback(backup),
        AtomicCheckpoint(os.path.join(write_dir, "checkpoints", "epoch_{epoch:03d}.keras")),
        EpochHistory(os.path.join(write_dir, "history.json")),
        keras.callbacks.TensorBoard(os.path.join(write_dir, "logs")),
    ]
    if optimizer.use_ema:  # validate the averaged weights (before the callbacks that read them)
        callbacks.insert(1, keras.callbacks.SwapEMAWeights())
    keep_best = None
    if args.keep_best and val_ds is not None:  # on disk: a resumed run keeps the best of all
        keep_best = KeepBest(
            monitor="val_loss" if args.multi_scale else "val_nats_per_image",
            folder=os.path.join(write_dir, "best"),
        )
    if keep_best:
        callbacks.append(keep_best)
    if args.steps is not None:
        callbacks.append(StopAfterSteps(args.steps))
    os.makedirs(os.path.join(write_dir, "checkpoints"), exist_ok=True)
    start = time.time()
    if initial_epoch and chief:
        print(f"resuming after epoch {initial_epoch} (step {int(optimizer.iterations.numpy())}) "
              f"from {os.path.join(args.out, 'backup')}")
    verbose = args.verbose if chief else 0
    try:
        if args.strategy == "multi-worker":  # Keras' fit does not run multi-worker
            DistributedTrainer(model, metrics, strategy).fit(
                train_ds, epochs=args.epochs, validation_data=val_ds, callbacks=callbacks,
                initial_epoch=initial_epoch, verbose=verbose,
            )
        else:
            # shuffle=False: the dataset shuffles itself (Keras would warn that it ignores True).
            model.fit(train_ds, validation_data=val_ds, epochs=args.epochs, callbacks=callbacks,
                      verbose=verbose, shuffle=False, initial_epoch=initial_epoch)
        steps_done = int(optimizer.iterations.numpy())
        if chief:
            print(f"trained in {time.time() - start:.0f} s, {steps_done} steps")
            if keep_best and keep_best.best_epoch:
                print(f"kept epoch {keep_best.best_epoch}: validation {keep_best.best:.2f} nats/image")
        final = os.path.join(write_dir, "model.keras")
        tmp = os.path.join(write_dir, ".model.tmp.keras")
        model.save(tmp)
        os.replace(tmp, final)
        if chief:
            print(f"saved {final}")
    except _peer_errors() if args.strategy == "multi-worker" else () as error:
        _clean(write_dir, chief, backup)
        _restart_in_place(args, error)
    _clean(write_dir, chief, backup)
    return 0


def _scratch(out, cluster):
    """A worker's own temporary folder, named after the run and the task, so
    that a worker restarted after being killed removes what it left."""
    import hashlib

    run = hashlib.sha1(os.path.abspath(out).encode()).hexdigest()[:12]
    folder = os.path.join(tempfile.gettempdir(),
                          f"pixelrnn-worker-{run}-{cluster.task_type}-{cluster.task_index}")
    shutil.rmtree(folder, ignore_errors=True)
    return folder


def _peer_errors():
    import tensorflow as tf

    return (tf.errors.UnavailableError, tf.errors.DeadlineExceededError,
            tf.errors.AbortedError, tf.errors.CancelledError)


def _clean(write_dir, chief, backup):
    """A worker other than the chief leaves nothing behind."""
    backup.close()
    if not chief:
        shutil.rmtree(write_dir, ignore_errors=True)


def _restart_in_place(args, error):
    """After a peer was lost: this process starts again as itself (same
    arguments, same TF_CONFIG), waits for the peer to rejoin, and resumes from
    the last backup; at most `--max-restarts` times."""
    done = int(os.environ.get(RESTARTS, "0"))
    lines = [line.strip() for line in str(getattr(error, "message", None) or error).splitlines()]
    detail = [line for line in lines if "task" in line] or [line for line in lines if line] or [""]
    reason = f"{type(error).__name__}: {detail[0][:300]}"
    if done >= args.max_restarts:
        raise SystemExit(
            f"error: lost a peer ({reason}) after {done} restart(s); giving up "
            f"(--max-restarts {args.max_restarts})"
        )
    print(f"lost a peer ({reason}); restarting to resume from the last backup "
          f"(restart {done + 1} of at most {args.max_restarts})", file=sys.stderr, flush=True)
    sys.stdout.flush()
    os.environ[RESTARTS] = str(done + 1)
    os.execv(sys.executable, [sys.executable, "-m", "keras_pixelrnn.cli", *args.argv])
