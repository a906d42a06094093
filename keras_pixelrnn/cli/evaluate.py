"""`keras-pixelrnn evaluate`: the negative log-likelihood of a data set.

    keras-pixelrnn evaluate --model runs/small/model.keras --dataset mnist_5k --json
    keras-pixelrnn evaluate --preset small --dataset mnist_5k     # shipped weights

A class-conditional model (`train --num-classes K`) scores `log p(x | label)`
with the data set's own labels, which it then must have (see
`keras_pixelrnn.data`); a label outside `[0, K)` is an error (exit 2).

`--json` prints the result as one strict JSON object on the last line: a
score that is not finite (NaN, infinite) is `null` there.
"""

import json
import math

import numpy as np

from keras_pixelrnn import data
from keras_pixelrnn.cli.common import (
    add_model_arguments,
    binarize_for,
    evaluation_split,
    labelled,
    model_from,
    num_classes_of,
)
from keras_pixelrnn.models.likelihood import bits_per_dim, log_prob, model_levels
from keras_pixelrnn.models.multi_scale import MultiScalePixelRNN
from keras_pixelrnn.utils.image_checks import image_shape


def register(commands):
    p = commands.add_parser("evaluate", help="negative log-likelihood of a data set")
    add_model_arguments(p)
    p.add_argument("--dataset", required=True)
    p.add_argument("--split", default=None)
    p.add_argument("--binarize", action="store_true")
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--limit", type=int, default=None)
    p.add_argument("--seed", type=int, default=0, help="seed of the binarization")
    p.add_argument("--json", action="store_true", help="print a JSON object on the last line")
    p.set_defaults(run=evaluate)


def evaluate(args):
    model = model_from(args)
    shape, levels, num_classes = image_shape(model), model_levels(model), num_classes_of(model)
    split = evaluation_split(args.dataset, args.split)

    def read(**labels):
        return data.make_dataset(
            args.dataset, split=split, batch_size=args.batch_size, image_shape=shape,
            levels=levels, binarize=binarize_for(levels, args), shuffle=False, seed=args.seed,
            limit=args.limit, **labels,
        )

    terms = None
    # The model's own compiled scorer, traced once whatever the batch size.
    if isinstance(model, MultiScalePixelRNN):  # both terms
        parts = [model.log_prob_terms(batch.numpy(), args.batch_size) for batch in read()]
        terms = {k: -np.concatenate([p[k] for p in parts]) for k in ("small", "full")}
        scores = [terms["small"] + terms["full"]]
    elif num_classes is None:
        scores = [-log_prob(model, batch.numpy(), args.batch_size) for batch in read()]
    else:  # log p(x | label), each image with its own label
        ds = labelled(
            lambda: read(with_labels=True, num_classes=num_classes),
            f"The model is class-conditional (num_classes={num_classes}) and scores each "
            f"image given its label, so --dataset {args.dataset} needs labels",
        )
        scores = [
            -log_prob(model, images.numpy(), args.batch_size, conditions=[labels.numpy()])
            for (images, labels), _ in ds
        ]
    nats = np.concatenate(scores)
    if nats.size == 0:
        raise ValueError(f"--dataset {args.dataset!r} split {split!r} holds no images")
    mean = float(nats.mean())
    stderr = float(nats.std(ddof=1) / math.sqrt(len(nats))) if len(nats) > 1 else 0.0
    result = {
        "nats_per_image": mean,
        "nats_per_image_stderr": stderr,
        "bits_per_dim": bits_per_dim(mean, tuple(shape)),
        "bits_per_dim_stderr": bits_per_dim(stderr, tuple(shape)),
        "num_images": int(len(nats)),
        "dataset": args.dataset,
        "split": split,
    }
    if terms is not None:  # -log p(s) and -log p(x | s), nats per image
        result.update({f"{k}_nats_per_image": float(v.mean()) for k, v in terms.items()})
    print(
        f"{args.dataset} [{split}], {len(nats)} images: "
        f"{mean:.2f} ± {stderr:.2f} nats/image, "
        f"{result['bits_per_dim']:.4f} ± {result['bits_per_dim_stderr']:.4f} bits/dim"
    )
    if terms is not None:
        print(f"  small image {result['small_nats_per_image']:.2f} + the rest given it "
              f"{result['full_nats_per_image']:.2f} nats/image")
    if args.json:
        print(as_json(result))
    return 0


def as_json(result):
    """`result` as strict JSON: a NaN or an infinity (a model whose weights
    went NaN, say) is `null`, which every JSON reader reads, where Python's
    default `NaN` is not JSON."""
    def finite(value):
        return None if isinstance(value, float) and not math.isfinite(value) else value

    return json.dumps({key: finite(value) for key, value in result.items()}, allow_nan=False)
