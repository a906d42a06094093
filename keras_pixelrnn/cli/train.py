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
"""

import json
import os
import time

from keras_pixelrnn.cli.common import binarize_for, labelled
from keras_pixelrnn.training.recipe import DECAYS


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
    p.add_argument("--devices", type=int, default=1, help="train on N devices (MirroredStrategy)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--verbose", type=int, default=1)
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(run=train)


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


def _apply_defaults(args):
    """Without a preset, 2 blocks of 16 units; with one, its own unless given."""
    if not args.preset:
        args.layers = 2 if args.layers is None else args.layers
        args.hidden = 16 if args.hidden is None else args.hidden
    else:
        args.override = True


def _configure_devices(devices):
    """Splits the CPU into `devices` logical devices (before any TF op runs)."""
    import tensorflow as tf

    if devices > 1 and not tf.config.list_physical_devices("GPU"):
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * devices
        )


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
    if args.multi_scale and args.num_classes is not None:
        raise ValueError(
            "--multi-scale models are unconditional; drop --num-classes. "
            f"Received: --multi-scale --num-classes {args.num_classes}"
        )
    _apply_defaults(args)
    _configure_devices(args.devices)
    import keras
    import tensorflow as tf

    from keras_pixelrnn import data
    from keras_pixelrnn.training.callbacks import AtomicCheckpoint, BackupCallback, TrainingBackup
    from keras_pixelrnn.training.recipe import KeepBest, StopAfterSteps, make_optimizer
    from keras_pixelrnn.utils.atomic_files import write_atomically
    from keras_pixelrnn.models.likelihood import BitsPerDim, NatsPerImage, PixelRNNLoss
    from keras_pixelrnn.models.pixel_rnn import PRESETS, PixelRNN

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

    os.makedirs(args.out, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    strategy = (
        tf.distribute.MirroredStrategy() if args.devices > 1 else tf.distribute.get_strategy()
    )
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
            model.compile(optimizer, loss=PixelRNNLoss(), metrics=[NatsPerImage(), BitsPerDim()])
        # Where an interrupted run left off: weights, optimizer state, epochs done.
        backup = TrainingBackup(os.path.join(args.out, "backup"), model, optimizer)
        initial_epoch = backup.restore()
    recipe = dict(
        config, dataset=args.dataset, epochs=args.epochs, steps=total_steps,
        batch_size=args.batch_size, optimizer="adam", learning_rate=args.learning_rate,
        warmup_steps=args.warmup_steps, decay=args.decay,
        ema=float(optimizer.ema_momentum) if optimizer.use_ema else 0.0,
        keep_best=args.keep_best, clipnorm=args.clipnorm, num_classes=args.num_classes,
        multi_scale=args.multi_scale,
        binarize=binarize, seed=args.seed, devices=args.devices,
        replicas=strategy.num_replicas_in_sync, limit=args.limit,
        parameters=model.count_params(),
    )
    print(json.dumps(recipe))
    write_atomically(
        os.path.join(args.out, "recipe.json"),
        lambda f: f.write(json.dumps(recipe, indent=2).encode()),
    )
    callbacks = [
        BackupCallback(backup),
        AtomicCheckpoint(os.path.join(args.out, "checkpoints", "epoch_{epoch:03d}.keras")),
        keras.callbacks.TensorBoard(os.path.join(args.out, "logs")),
    ]
    if optimizer.use_ema:  # validate the averaged weights (before the callbacks that read them)
        callbacks.insert(1, keras.callbacks.SwapEMAWeights())
    keep_best = None
    if args.keep_best and val_ds is not None:  # on disk: a resumed run keeps the best of all
        keep_best = KeepBest(
            monitor="val_loss" if args.multi_scale else "val_nats_per_image",
            folder=os.path.join(args.out, "best"),
        )
    if keep_best:
        callbacks.append(keep_best)
    if args.steps is not None:
        callbacks.append(StopAfterSteps(args.steps))
    os.makedirs(os.path.join(args.out, "checkpoints"), exist_ok=True)
    start = time.time()
    # shuffle=False: the dataset shuffles itself (Keras would warn that it ignores True).
    if initial_epoch:
        print(f"resuming after epoch {initial_epoch} (step {int(optimizer.iterations.numpy())}) "
              f"from {os.path.join(args.out, 'backup')}")
    model.fit(train_ds, validation_data=val_ds, epochs=args.epochs, callbacks=callbacks,
              verbose=args.verbose, shuffle=False, initial_epoch=initial_epoch)
    print(f"trained in {time.time() - start:.0f} s, {int(optimizer.iterations.numpy())} steps")
    if keep_best and keep_best.best_epoch:
        print(f"kept epoch {keep_best.best_epoch}: validation {keep_best.best:.2f} nats/image")
    final = os.path.join(args.out, "model.keras")
    tmp = os.path.join(args.out, ".model.tmp.keras")
    model.save(tmp)
    os.replace(tmp, final)
    print(f"saved {final}")
    return 0
