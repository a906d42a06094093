"""`keras-pixelrnn train`: a PixelRNN trained with `model.fit`.

    keras-pixelrnn train --preset small --dataset mnist_5k --epochs 2 --out runs/small
"""

import json
import os
import time

from keras_pixelrnn.cli.common import binarize_for


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
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--learning-rate", type=float, default=1e-3)
    p.add_argument("--clipnorm", type=float, default=None, help="global gradient-norm clipping")
    p.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    p.add_argument("--val-limit", type=int, default=None, help="use only the first N validation images")
    p.add_argument("--devices", type=int, default=1, help="train on N devices (MirroredStrategy)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--verbose", type=int, default=1)
    p.add_argument("--out", required=True, help="output folder")
    p.set_defaults(run=train)


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


def train(args):
    _apply_defaults(args)
    _configure_devices(args.devices)
    import keras
    import tensorflow as tf

    from keras_pixelrnn import data
    from keras_pixelrnn.training.callbacks import AtomicBackupAndRestore, AtomicCheckpoint
    from keras_pixelrnn.utils.atomic_files import write_atomically
    from keras_pixelrnn.models.likelihood import BitsPerDim, NatsPerImage, PixelRNNLoss
    from keras_pixelrnn.models.pixel_rnn import PRESETS, build_pixel_rnn

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
    shape, levels = tuple(config["image_shape"]), config["levels"]
    binarize = binarize_for(levels, args)

    def pairs(split, shuffle, limit):
        ds = data.make_dataset(
            args.dataset, split=split, batch_size=args.batch_size, image_shape=shape,
            levels=levels, binarize=binarize, shuffle=shuffle, seed=args.seed, limit=limit,
        )
        return ds.map(lambda x: (tf.cast(x, tf.float32), x))

    train_ds = pairs("train", True, args.limit)
    val_split = "validation" if args.dataset in data.DATASETS else None
    val_ds = pairs(val_split, False, args.val_limit) if val_split else None

    os.makedirs(args.out, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    strategy = (
        tf.distribute.MirroredStrategy() if args.devices > 1 else tf.distribute.get_strategy()
    )
    with strategy.scope():
        model = build_pixel_rnn(**config)
        optimizer = keras.optimizers.Adam(args.learning_rate, global_clipnorm=args.clipnorm)
        model.compile(optimizer, loss=PixelRNNLoss(), metrics=[NatsPerImage(), BitsPerDim()])
    recipe = dict(
        config, dataset=args.dataset, epochs=args.epochs, batch_size=args.batch_size,
        optimizer="adam", learning_rate=args.learning_rate, clipnorm=args.clipnorm,
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
        AtomicBackupAndRestore(os.path.join(args.out, "backup")),
        AtomicCheckpoint(os.path.join(args.out, "checkpoints", "epoch_{epoch:03d}.keras")),
        keras.callbacks.TensorBoard(os.path.join(args.out, "logs")),
    ]
    os.makedirs(os.path.join(args.out, "checkpoints"), exist_ok=True)
    start = time.time()
    # shuffle=False: the dataset shuffles itself (Keras would warn that it ignores True).
    model.fit(train_ds, validation_data=val_ds, epochs=args.epochs, callbacks=callbacks,
              verbose=args.verbose, shuffle=False)
    print(f"trained in {time.time() - start:.0f} s")
    final = os.path.join(args.out, "model.keras")
    tmp = os.path.join(args.out, ".model.tmp.keras")
    model.save(tmp)
    os.replace(tmp, final)
    print(f"saved {final}")
    return 0
