"""The `keras-pixelrnn` command line: train, evaluate, sample, complete.

    keras-pixelrnn train --preset small --dataset mnist_5k --epochs 2 --out runs/small
    keras-pixelrnn evaluate --model runs/small/model.keras --dataset mnist_5k --json
    keras-pixelrnn sample --model runs/small/model.keras --num 16 --seed 0 --out samples.png
    keras-pixelrnn complete --model runs/small/model.keras --images digits.npy --keep-rows 14 --out completions.png
"""

import argparse
import json
import math
import os
import sys
import time


def _configure_devices(devices):
    """Splits the CPU into `devices` logical devices (before any TF op runs)."""
    import tensorflow as tf

    if devices > 1 and not tf.config.list_physical_devices("GPU"):
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration()] * devices
        )


def _load_model(path):
    from keras_pixelrnn.serving.export import load_pixelrnn

    try:
        return load_pixelrnn(path)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f"error: {error}")


def _binarize_for(levels, args):
    return bool(getattr(args, "binarize", False) or levels == 2)


def train(args):
    _configure_devices(args.devices)
    import keras
    import tensorflow as tf

    from keras_pixelrnn import data
    from keras_pixelrnn.training.callbacks import AtomicBackupAndRestore, AtomicCheckpoint
    from keras_pixelrnn.utils.images import write_atomically
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
    binarize = _binarize_for(levels, args)

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


def evaluate(args):
    import numpy as np
    import tensorflow as tf

    from keras_pixelrnn import data
    from keras_pixelrnn.models.likelihood import log_prob_from_logits, model_levels

    model = _load_model(args.model)
    shape, levels = tuple(model.input_shape[1:]), model_levels(model)
    if args.split:
        split = args.split
    elif args.dataset in data.DATASETS:
        split = "validation" if args.dataset == "mnist_5k" else "test"
    else:
        split = "train"  # a file or folder is one split: all its images
    ds = data.make_dataset(
        args.dataset, split=split, batch_size=args.batch_size, image_shape=shape,
        levels=levels, binarize=_binarize_for(levels, args), shuffle=False, seed=args.seed,
        limit=args.limit,
    )
    score = tf.function(lambda x: log_prob_from_logits(model(tf.cast(x, tf.float32)), x))
    nats = np.concatenate([-score(batch).numpy() for batch in ds])
    if nats.size == 0:
        raise SystemExit(f"error: --dataset {args.dataset!r} split {split!r} holds no images")
    dims = int(np.prod(shape))
    mean = float(nats.mean())
    stderr = float(nats.std(ddof=1) / math.sqrt(len(nats))) if len(nats) > 1 else 0.0
    result = {
        "nats_per_image": mean,
        "nats_per_image_stderr": stderr,
        "bits_per_dim": mean / (dims * math.log(2.0)),
        "bits_per_dim_stderr": stderr / (dims * math.log(2.0)),
        "num_images": int(len(nats)),
        "dataset": args.dataset,
        "split": split,
    }
    print(
        f"{args.dataset} [{split}], {len(nats)} images: "
        f"{mean:.2f} ± {stderr:.2f} nats/image, "
        f"{result['bits_per_dim']:.4f} ± {result['bits_per_dim_stderr']:.4f} bits/dim"
    )
    if args.json:
        print(json.dumps(result))
    return 0


def _write_images(images, path, levels, scale=4):
    from keras_pixelrnn.utils.images import grid, write_npy, write_png

    if path.endswith(".npy"):
        write_npy(images, path)
    elif path.endswith(".png"):
        write_png(grid(images, levels), path, scale=scale)
    else:
        raise SystemExit(f"error: --out {path!r} must end in .png or .npy")


def sample(args):
    from keras_pixelrnn.models.likelihood import model_levels
    from keras_pixelrnn.generation.sampling import sample as draw

    if not (args.out.endswith(".png") or args.out.endswith(".npy")):
        raise SystemExit(f"error: --out {args.out!r} must end in .png or .npy")
    model = _load_model(args.model)
    start = time.time()
    images = draw(model, args.num, seed=args.seed, temperature=args.temperature,
                  method=args.method, progress=True)
    print(f"sampled {args.num} images ({args.method}) in {time.time() - start:.1f} s")
    _write_images(images, args.out, model_levels(model))
    print(f"wrote {args.out}")
    return 0


def complete(args):
    import numpy as np

    from keras_pixelrnn import data
    from keras_pixelrnn.utils.images import grid, write_png
    from keras_pixelrnn.models.likelihood import model_levels
    from keras_pixelrnn.generation.sampling import complete as fill

    if not args.out.endswith(".png"):
        raise SystemExit(f"error: --out {args.out!r} must end in .png")
    model = _load_model(args.model)
    shape, levels = tuple(model.input_shape[1:]), model_levels(model)
    images = data.load_images(
        args.images, split=args.split, image_shape=shape, levels=levels,
        binarize=_binarize_for(levels, args), limit=args.num,
    )
    completed = fill(model, images, keep_rows=args.keep_rows, seed=args.seed,
                     temperature=args.temperature, method=args.method, progress=True)
    occluded = images.copy()
    occluded[:, args.keep_rows:] = 0
    # One column per image: original, occluded input, completion.
    rows = np.concatenate([images, occluded, completed])
    write_png(grid(rows, levels, columns=len(images)), args.out, scale=4)
    print(f"wrote {args.out}")
    return 0


def parser():
    from keras_pixelrnn.models.pixel_rnn import ARCHITECTURES, PRESETS

    main = argparse.ArgumentParser(prog="keras-pixelrnn", description=__doc__.split("\n")[0])
    commands = main.add_subparsers(dest="command", required=True)

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

    p = commands.add_parser("evaluate", help="negative log-likelihood of a data set")
    p.add_argument("--model", required=True)
    p.add_argument("--dataset", required=True)
    p.add_argument("--split", default=None)
    p.add_argument("--binarize", action="store_true")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--seed", type=int, default=0, help="seed of the binarization")
    p.add_argument("--json", action="store_true", help="print a JSON object on the last line")
    p.set_defaults(run=evaluate)

    p = commands.add_parser("sample", help="draw images")
    p.add_argument("--model", required=True)
    p.add_argument("--num", type=int, default=16)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--method", choices=("cached", "naive"), default="cached")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--out", required=True, help="a .png grid or a .npy of uint8 images")
    p.set_defaults(run=sample)

    p = commands.add_parser("complete", help="complete the bottom of images")
    p.add_argument("--model", required=True)
    p.add_argument("--images", required=True, help="a dataset name, .npy/.npz file or image folder")
    p.add_argument("--split", default="train")
    p.add_argument("--num", type=int, default=8)
    p.add_argument("--keep-rows", type=int, required=True)
    p.add_argument("--binarize", action="store_true")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--method", choices=("cached", "naive"), default="cached")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--out", required=True, help="a .png: originals, occluded inputs, completions")
    p.set_defaults(run=complete)
    return main


def main(argv=None):
    args = parser().parse_args(argv)
    if args.command == "train" and not args.preset:
        args.layers = 2 if args.layers is None else args.layers
        args.hidden = 16 if args.hidden is None else args.hidden
    elif args.command == "train":
        args.override = True
    import tensorflow as tf

    try:
        return args.run(args)
    except (ValueError, FileNotFoundError, tf.errors.InvalidArgumentError) as error:
        message = getattr(error, "message", None) or str(error)
        print(f"error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
