"""`keras-pixelrnn sample` and `keras-pixelrnn complete`: images drawn from a model.

    keras-pixelrnn sample --model runs/small/model.keras --num 16 --seed 0 --out samples.png
    keras-pixelrnn complete --model runs/small/model.keras --images digits.npy --keep-rows 14 --out completions.png
    keras-pixelrnn sample --preset small --num 16 --out samples.png      # shipped weights

`--preset NAME` (instead of `--model`) runs a preset's pretrained weights
shipped in the package; a preset without them is an error (exit 2).

A class-conditional model (`train --num-classes K`) draws images of given
classes, and needs them: exactly one of

    keras-pixelrnn sample --model runs/digits/model.keras --label 7 --num 8 --out sevens.png
    keras-pixelrnn sample --model runs/digits/model.keras --labels 0,1,2 --out three.png
    keras-pixelrnn sample --model runs/digits/model.keras --per-class 8 --out classes.png

`--label L` gives every sample class L; `--labels` one class per sample
(`--num` defaults to their number; fewer than `--num` are repeated in turn);
`--per-class N` draws N of each class 0 .. K-1, in class order, and its .png
grid has one row per class. Labels given to an unconditional model, none given
to a conditional one, or a label outside `[0, K)` are errors (exit 2).
`complete` completes each image given its own label from `--images`, which
then must have labels (see `keras_pixelrnn.data`).
"""

import time

import numpy as np

from keras_pixelrnn import data
from keras_pixelrnn.cli.common import (
    add_model_arguments,
    binarize_for,
    check_output,
    labelled,
    model_from,
    num_classes_of,
)
from keras_pixelrnn.models.multi_scale import MultiScalePixelRNN
from keras_pixelrnn.utils.image_checks import image_shape, model_levels
from keras_pixelrnn.utils.image_grid import grid, write_npy, write_png

DEFAULT_NUM = 16


def register(commands):
    p = commands.add_parser("sample", help="draw images")
    add_model_arguments(p)
    p.add_argument("--num", type=int, default=None,
                   help=f"images to draw (default {DEFAULT_NUM}, or one per label of --labels)")
    labels = p.add_mutually_exclusive_group()
    labels.add_argument("--label", type=int, metavar="L",
                        help="a class-conditional model: class L for every sample")
    labels.add_argument("--labels", metavar="L1,L2,...",
                        help="a class-conditional model: one class per sample, repeated to --num")
    labels.add_argument("--per-class", type=int, metavar="N",
                        help="a class-conditional model: N samples of every class, a grid row each")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--method", choices=("cached", "naive"), default="cached")
    p.add_argument("--temperature", type=float, default=1.0)
    p.add_argument("--out", required=True, help="a .png grid or a .npy of uint8 images")
    p.set_defaults(run=sample)

    p = commands.add_parser("complete", help="complete the bottom of images")
    add_model_arguments(p)
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


def _write_images(images, path, levels, scale=4, columns=None):
    if path.endswith(".npy"):
        write_npy(images, path)
    elif path.endswith(".png"):
        write_png(grid(images, levels, columns=columns), path, scale=scale)
    else:
        raise ValueError(f"--out must end in .png or .npy. Received: --out {path}")


def _label_option(args):
    """The label option given to `sample` as `(option, value)`, or None."""
    for option, value in (
        ("--label", args.label), ("--labels", args.labels), ("--per-class", args.per_class),
    ):
        if value is not None:
            return option, value
    return None


def _sample_plan(args, num_classes):
    """What `sample` draws: `(number of images, labels int32 (n,) or None, grid
    columns or None)`, from `--num` and the label options, checked against the
    model's `num_classes`."""
    if args.num is not None and args.num < 1:
        raise ValueError(f"--num must be a positive integer. Received: --num {args.num}")
    given = _label_option(args)
    if num_classes is None:
        if given is not None:
            raise ValueError(
                f"{given[0]} gives labels, but the model is not class-conditional "
                f"(num_classes=None) and takes none. Received: {given[0]} {given[1]}"
            )
        return (DEFAULT_NUM if args.num is None else args.num), None, None
    if given is None:
        raise ValueError(
            f"The model is class-conditional (num_classes={num_classes}): give the classes "
            "to draw with --label L, --labels L1,L2,... or --per-class N. "
            "Received: none of them"
        )
    option, value = given
    if option == "--per-class":
        if value < 1:
            raise ValueError(
                f"--per-class must be a positive integer. Received: --per-class {value}"
            )
        if args.num is not None:
            raise ValueError(
                f"--per-class {value} draws {value} images of each of the {num_classes} classes; "
                f"leave out --num. Received: --num {args.num}"
            )
        labels = np.repeat(np.arange(num_classes, dtype=np.int32), value)
        return len(labels), labels, value
    if option == "--label":
        labels = [value]
    else:
        try:
            labels = [int(text) for text in value.split(",")]
        except ValueError:
            raise ValueError(
                "--labels must be integers separated by commas, e.g. 0,1,2. "
                f"Received: --labels {value}"
            ) from None
    bad = [label for label in labels if not 0 <= label < num_classes]
    if bad:
        raise ValueError(
            f"{option} must lie in [0, {num_classes}) for a model with "
            f"num_classes={num_classes}. Received: {option} {value} "
            f"(outside: {', '.join(map(str, bad))})"
        )
    num = args.num
    if num is None:
        num = DEFAULT_NUM if option == "--label" else len(labels)
    if len(labels) > num:
        raise ValueError(
            f"--labels gives {len(labels)} labels for --num {num} images: give one per image, "
            f"or fewer to repeat them in turn. Received: --labels {value}"
        )
    return num, np.resize(np.array(labels, np.int32), num), None


def sample(args):
    if not (args.out.endswith(".png") or args.out.endswith(".npy")):
        raise ValueError(f"--out must end in .png or .npy. Received: --out {args.out}")
    check_output(args.out, writes="a .png or .npy file")
    model = model_from(args)
    num, labels, columns = _sample_plan(args, num_classes_of(model))
    start = time.time()
    given_labels = {} if labels is None else {"labels": labels}
    images = model.sample(num, seed=args.seed, temperature=args.temperature,
                          method=args.method, progress=True, **given_labels)
    given = "" if labels is None else f" of classes {sorted(set(labels.tolist()))}"
    print(f"sampled {num} images{given} ({args.method}) in {time.time() - start:.1f} s")
    _write_images(images, args.out, model_levels(model), columns=columns)
    print(f"wrote {args.out}")
    return 0


def complete(args):
    if not args.out.endswith(".png"):
        raise ValueError(f"--out must end in .png. Received: --out {args.out}")
    check_output(args.out, writes="a .png file")
    model = model_from(args)
    if isinstance(model, MultiScalePixelRNN):
        raise ValueError(
            f"--model {args.model!r} is a multi-scale model, whose second stage "
            "completes from the small image (MultiScalePixelRNN.complete_from_small in "
            "Python); complete takes a single-scale PixelRNN"
        )
    shape, levels, num_classes = image_shape(model), model_levels(model), num_classes_of(model)

    def read(**labels):
        return data.load_images(
            args.images, split=args.split, image_shape=shape, levels=levels,
            binarize=binarize_for(levels, args), limit=args.num, **labels,
        )

    if num_classes is None:
        images, given_labels = read(), {}
    else:  # each image completed given its own label
        images, labels = labelled(
            lambda: read(with_labels=True, num_classes=num_classes),
            f"The model is class-conditional (num_classes={num_classes}) and completes "
            f"each image given its label, so --images {args.images} needs labels",
        )
        given_labels = {"labels": labels}
    completed = model.complete(images, keep_rows=args.keep_rows, seed=args.seed,
                               temperature=args.temperature, method=args.method,
                               progress=True, **given_labels)
    occluded = images.copy()
    occluded[:, args.keep_rows:] = 0
    # One column per image: original, occluded input, completion.
    rows = np.concatenate([images, occluded, completed])
    write_png(grid(rows, levels, columns=len(images)), args.out, scale=4)
    print(f"wrote {args.out}")
    return 0
