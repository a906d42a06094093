"""`keras-pixelrnn classify`: a class-conditional model as a generative classifier.

    keras-pixelrnn classify --preset mnist_conditional --images mnist_5k --split validation
    keras-pixelrnn classify --preset mnist_conditional --images digits.npy --out posterior.npy
    keras-pixelrnn classify --model runs/digits/model.keras --images digits.npy --labels-from labels.npy

Each image gets the posterior `p(label | image)` of `PixelRNN.classify`:
Bayes' rule over the labels of a model of `p(image | label)`, with a uniform
prior unless `--prior p0,p1,...` gives one. It costs one scoring pass over
the images per class, `num_classes` times an `evaluate` of them. The command
prints how many images went to each class (the most probable one) and, when
the true labels are known, the accuracy, overall and per class.

The images are read as `evaluate` reads them (a data set name, a .npy/.npz
file or an image folder; binarized once with `--seed` for a 2-level model).
The true labels come from `--labels-from`: a .npy file of one integer per
image classified, a .npz file with a "labels" (or "y") array, or a data set
name (its labels of `--split`), the last two as
`keras_pixelrnn.data.load_images(..., with_labels=True)` reads them. Without
it, the labels of `--images` itself where it has them (a labelled data set
such as `mnist_5k`, a .npz file with labels); otherwise only the counts.
`--out F.npy` writes the posteriors, float32 `(N, num_classes)`.

An unconditional model, a bad `--prior`, labels outside `[0, num_classes)` or
not one per image, or images that do not fit the model are errors (exit 2).
"""

import json
import time

import numpy as np

from keras_pixelrnn import data
from keras_pixelrnn.cli.common import (
    add_model_arguments,
    binarize_for,
    check_output,
    errors_in_option_words,
    evaluation_split,
    in_option_words,
    model_from,
    num_classes_of,
)
from keras_pixelrnn.utils.image_checks import image_shape, model_levels

OPTIONS = {"source": "--images", "split": "--split", "limit": "--limit", "seed": "--seed",
           "batch_size": "--batch-size", "prior": "--prior", "labels": "--labels-from"}


def register(commands):
    p = commands.add_parser("classify", help="p(label | image) of a class-conditional model")
    add_model_arguments(p)
    p.add_argument("--images", required=True,
                   help="a data set name, .npy/.npz file or image folder")
    p.add_argument("--split", default=None,
                   help="default: validation for mnist_5k, test for the other data sets, "
                        "all the images of a file or folder")
    p.add_argument("--labels-from", default=None, metavar="SOURCE",
                   help="the true labels: a .npy of one integer per image, a .npz with a "
                        "'labels' array, or a data set name (default: those of --images, "
                        "where it has them)")
    p.add_argument("--prior", default=None, metavar="P0,P1,...",
                   help="the prior p(label), one number per class summing to 1 "
                        "(default: uniform)")
    p.add_argument("--limit", type=int, default=None, help="classify only the first N images")
    p.add_argument("--binarize", action="store_true")
    p.add_argument("--seed", type=int, default=0, help="seed of the binarization")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--out", default=None, help="a .npy file for the posteriors (N, num_classes)")
    p.add_argument("--json", action="store_true", help="print a JSON object on the last line")
    p.set_defaults(run=classify)


def _read(args, model, split):
    """`(images, labels or None)` of `--images`, the labels from `--labels-from`
    or, without it, from `--images` where it has them."""
    shape, levels = image_shape(model), model_levels(model)

    def read(source, **labels):
        batches = data.make_dataset(
            source, split=split, batch_size=256, image_shape=shape, levels=levels,
            binarize=binarize_for(levels, args), shuffle=False, seed=args.seed,
            limit=args.limit, **labels,
        )
        if not labels:
            parts = [b.numpy() for b in batches]
            return (np.concatenate(parts) if parts else None), None
        pairs = [(x.numpy(), y.numpy()) for (x, y), _ in batches]
        return tuple(np.concatenate(parts) for parts in zip(*pairs)) if pairs else (None, None)

    if args.labels_from is None:
        try:
            return read(args.images, with_labels=True)
        except data.NoLabelsError:
            return read(args.images)
    images, _ = read(args.images)
    if args.labels_from.lower().endswith(".npy"):
        try:
            labels = np.load(args.labels_from, allow_pickle=False)
        except (OSError, ValueError) as error:
            raise ValueError(f"--labels-from {args.labels_from!r} does not read: {error}") from None
        if labels.ndim != 1 or labels.dtype.kind not in "iu":
            raise ValueError(
                f"--labels-from {args.labels_from!r} must hold a 1-D integer array, one label "
                f"per image. Received: an array of shape {labels.shape} and dtype {labels.dtype}"
            )
        return images, labels
    words = {"source": "--labels-from"}
    with errors_in_option_words(words):
        try:
            _, labels = data.load_images(args.labels_from, split=split, limit=args.limit,
                                         with_labels=True)
        except FileNotFoundError as error:
            raise FileNotFoundError(in_option_words(str(error), words)) from None
    return images, labels


def _prior(text):
    if text is None:
        return None
    try:
        return [float(part) for part in text.split(",")]
    except ValueError:
        raise ValueError(
            f"--prior must be numbers separated by commas, e.g. 0.5,0.5. Received: --prior {text}"
        ) from None


def _report(posterior, labels, num_classes):
    """The counts (and, with labels, the accuracies) as a dict, and printed."""
    predicted = posterior.argmax(axis=-1)
    counts = np.bincount(predicted, minlength=num_classes)
    result = {"num_images": int(len(predicted)), "counts": counts.tolist(), "accuracy": None}
    width = max(5, len(str(len(predicted))))
    print("class     " + "".join(f"{k:>{width}d}" for k in range(num_classes)))
    print("predicted " + "".join(f"{c:>{width}d}" for c in counts))
    if labels is None:
        print("no true labels (see --labels-from): counts only")
        return result
    right = predicted == labels
    per_class = [float(right[labels == k].mean()) if (labels == k).any() else None
                 for k in range(num_classes)]
    print("true      " + "".join(f"{c:>{width}d}" for c in np.bincount(labels, minlength=num_classes)))
    print("correct   " + "".join(f"{'-' if a is None else f'{a:.0%}':>{width}s}" for a in per_class))
    accuracy = float(right.mean()) if len(right) else float("nan")
    print(f"accuracy {accuracy:.2%} ({int(right.sum())} of {len(right)} images)")
    result.update(accuracy=accuracy, per_class_accuracy=per_class)
    return result


def classify(args):
    from keras_pixelrnn.utils.image_grid import write_npy

    if args.out is not None:
        if not args.out.endswith(".npy"):
            raise ValueError(f"--out must end in .npy. Received: --out {args.out}")
        check_output(args.out, writes="a .npy file of the posteriors")
    model = model_from(args)
    num_classes, split = num_classes_of(model), evaluation_split(args.images, args.split)
    prior = _prior(args.prior)
    with errors_in_option_words(OPTIONS):
        images, labels = _read(args, model, split)
        if images is None or len(images) == 0:
            raise ValueError(f"--images {args.images!r} split {split!r} holds no images")
        if labels is not None and len(labels) != len(images):
            raise ValueError(
                f"--labels-from {args.labels_from!r} gives {len(labels)} labels for the "
                f"{len(images)} images of --images {args.images!r}: give one per image")
        if labels is not None and num_classes is not None:
            labels = model.conditions(len(images), labels=labels)[0]
        if num_classes is not None:  # else `classify` says what is missing
            print(f"scoring {len(images)} images under each of the {num_classes} labels")
        start = time.time()
        posterior = model.classify(images, prior=prior, batch_size=args.batch_size)
    print(f"classified {len(images)} images of {args.images} [{split}] in "
          f"{time.time() - start:.1f} s ({num_classes} scoring passes)")
    result = _report(posterior, labels, num_classes)
    if args.out is not None:
        write_npy(posterior.astype(np.float32), args.out)
        print(f"wrote {args.out}")
    if args.json:
        print(json.dumps(dict(result, dataset=args.images, split=split)))
    return 0
