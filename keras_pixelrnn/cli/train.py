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

A run folder that holds a finished run (`model.keras`) is never trained into
by accident: `train` refuses it (exit 2) unless given `--overwrite` (train
again from scratch; the old run is replaced once the new one is saved) or
`--resume` (train it on from its backup or last checkpoint, with the same
settings; only `--epochs` and `--steps` may change). A run that was killed
resumes from its backup without either. See `keras_pixelrnn.training.run_folder`.

A loss that becomes NaN (or infinite) stops the run with exit status 1 and
a message naming the step and the last good checkpoint, which it keeps.
"""

import argparse
import dataclasses
import sys

from keras_pixelrnn import data
from keras_pixelrnn.cli.common import (
    binarize_for,
    check_output,
    errors_in_option_words,
    labelled,
)
from keras_pixelrnn.models.pixel_rnn import ARCHITECTURES, PRESETS
from keras_pixelrnn.training import run
from keras_pixelrnn.training.distribute import STRATEGIES
from keras_pixelrnn.training.launch import Job
from keras_pixelrnn.training.recipe import DECAYS, Recipe
from keras_pixelrnn.utils import arguments

# The models' names of the options that `train` spells otherwise.
RENAMED = (("num_layers", "--layers"), ("hidden_units", "--hidden"), ("source", "--dataset"))


def register(commands):
    p = commands.add_parser("train", help="train a PixelRNN with model.fit")
    _add_model_options(p)
    _add_schedule_options(p)
    _add_run_options(p)
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


def _add_model_options(p):
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
    p.add_argument("--dropout", type=float, default=0.0,
                   help="dropout on each block's output while training")


def _add_schedule_options(p):
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
    p.add_argument("--keep-best", action="store_true",
                   help="end with the weights of the epoch with the best validation NLL")
    p.add_argument("--clipnorm", type=float, default=None, help="global gradient-norm clipping")
    p.add_argument("--limit", type=int, default=None, help="use only the first N training images")
    p.add_argument("--val-limit", type=int, default=None, help="use only the first N validation images")
    p.add_argument("--seed", type=int, default=0)


def _add_run_options(p):
    p.add_argument("--strategy", choices=STRATEGIES, default="auto",
                   help="auto: one device, or MirroredStrategy when --devices > 1; multi-worker: "
                   "MultiWorkerMirroredStrategy over the workers of TF_CONFIG")
    p.add_argument("--devices", type=int, default=1,
                   help="train on N local devices: the first N GPUs, else N logical CPU devices")
    p.add_argument("--peer-timeout", type=float, default=300.0, metavar="SECONDS",
                   help="multi-worker: give up when the workers have not all met within this time")
    p.add_argument("--max-restarts", type=int, default=3,
                   help="multi-worker: times a worker that lost a peer restarts in place")
    p.add_argument("--verbose", type=int, default=1)
    p.add_argument("--out", required=True, help="output folder")
    finished = p.add_mutually_exclusive_group()
    finished.add_argument("--overwrite", action="store_true",
                          help="--out holds a finished run: train it again from scratch")
    finished.add_argument("--resume", action="store_true",
                          help="--out holds a finished run: train it on from its last "
                          "checkpoint, with the same settings (more --epochs or --steps)")


def launch(args):
    command = args.worker_command[1:] if args.worker_command[:1] == ["--"] else args.worker_command
    return Job(command, workers=args.workers, restarts=args.restarts).run()


def _option(name):
    return "--" + name.replace("_", "-")


@dataclasses.dataclass(frozen=True)
class TrainOptions:
    """What `keras-pixelrnn train` was asked: one field per option, as argparse
    read it. Unchecked: the `Recipe`, the run and the model check them."""

    preset: str
    architecture: str
    layers: int
    hidden: int
    levels: int
    image_shape: str
    dataset: str
    binarize: bool
    num_classes: int
    multi_scale: bool
    condition_units: int
    dropout: float
    epochs: int
    steps: int
    batch_size: int
    learning_rate: float
    warmup_steps: int
    decay: str
    ema: str
    keep_best: bool
    clipnorm: float
    limit: int
    val_limit: int
    seed: int
    strategy: str
    devices: int
    peer_timeout: float
    max_restarts: int
    verbose: int
    out: str
    overwrite: bool = False
    resume: bool = False

    @classmethod
    def parse(cls, args):
        """The options of the parsed arguments `args` (an `argparse.Namespace`)."""
        return cls(**{field.name: getattr(args, field.name) for field in dataclasses.fields(cls)})

    def command_line(self):
        """`keras-pixelrnn` arguments that parse into these options again (a
        worker that lost a peer restarts itself with them)."""
        words = ["train"]
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if value is True:
                words.append(_option(field.name))
            elif value is not None and value is not False:
                words.append(f"{_option(field.name)}={value}")
        return words

    @classmethod
    def options(cls):
        """`{name: option}`: the option of each name that an error may give."""
        names = {field.name: _option(field.name) for field in dataclasses.fields(cls)}
        return dict(names, **dict(RENAMED))


def train(args):
    """`keras-pixelrnn train`: the parsed options, their `Recipe` (checked
    before any model is built or file written), then the run
    (`keras_pixelrnn.training.run.train`). A ValueError of any of them names
    the option at fault (exit status 2)."""
    options = TrainOptions.parse(args)
    with errors_in_option_words(TrainOptions.options()):
        check_output(options.out, folder=True, writes="a run folder")
        recipe = make_recipe(options)
        return labelled(
            lambda: run.train(
                recipe, options.out, verbose=options.verbose, peer_timeout=options.peer_timeout,
                max_restarts=options.max_restarts,
                restart=[sys.executable, "-m", "keras_pixelrnn.cli", *options.command_line()],
                overwrite=options.overwrite, resume=options.resume,
            ),
            f"--num-classes {options.num_classes} trains on labelled images",
        )


def make_recipe(options):
    """The `Recipe` of `TrainOptions`: the model's arguments (`model_arguments`),
    the data and the schedule, each number checked as the Python API checks it."""
    if options.multi_scale and options.num_classes is not None:
        raise ValueError(
            "--multi-scale models are unconditional; drop --num-classes. "
            f"Received: --multi-scale --num-classes {options.num_classes}"
        )
    if options.condition_units is not None and options.num_classes is None and not options.multi_scale:
        raise ValueError(
            "--condition-units sizes the condition of a --num-classes or --multi-scale model; "
            f"this one is unconditional. Received: --condition-units {options.condition_units}"
        )
    model = model_arguments(options)
    return Recipe(
        model, options.dataset, multi_scale=options.multi_scale, epochs=options.epochs,
        steps=options.steps, batch_size=options.batch_size, learning_rate=options.learning_rate,
        warmup_steps=options.warmup_steps, decay=options.decay, ema=_ema(options.ema),
        keep_best=options.keep_best, clipnorm=options.clipnorm,
        binarize=binarize_for(model["levels"], options), seed=options.seed,
        strategy=options.strategy, devices=options.devices, limit=options.limit,
        val_limit=options.val_limit,
    )


def model_arguments(options):
    """The model's constructor arguments: a preset's (`--layers`, `--hidden`
    replacing its own), or `--architecture` with 2 blocks of 16 units unless
    given; then the condition and the dropout."""
    if options.preset:
        model = dict(PRESETS[options.preset], name=options.preset)
        for key, value in (("num_layers", options.layers), ("hidden_units", options.hidden)):
            if value is not None:
                model[key] = value
    else:
        model = dict(
            architecture=options.architecture, image_shape=_image_shape(options),
            num_layers=2 if options.layers is None else options.layers,
            hidden_units=16 if options.hidden is None else options.hidden, levels=options.levels,
        )
    if options.num_classes is not None:
        model["num_classes"] = options.num_classes
    if options.condition_units is not None:
        model["condition_units"] = options.condition_units
    model["dropout"] = options.dropout
    return model


def _image_shape(options):
    """`--image-shape H,W,C`, else the named data set's shape."""
    if options.image_shape:
        try:
            shape = tuple(int(d) for d in options.image_shape.split(","))
            return arguments.shape("image_shape", shape, 3)
        except ValueError:
            raise ValueError(
                "--image-shape must be H,W,C: three positive integers, e.g. 28,28,1. "
                f"Received: --image-shape {options.image_shape}"
            ) from None
    if options.dataset in data.DATASETS:
        return tuple(data.dataset_info(options.dataset)["image_shape"])
    raise ValueError(
        "--image-shape H,W,C is needed for data given as a path. "
        f"Received: --dataset {options.dataset}"
    )


def _ema(text):
    """`--ema`: None for 'auto', else the momentum."""
    if text == "auto":
        return None
    try:
        value = float(text)
    except ValueError:
        raise ValueError(
            f"--ema must be 'auto' or a number in [0, 1). Received: --ema {text}"
        ) from None
    return arguments.number("ema", value, minimum=0, below=1)
