"""Quality benchmark: the `mnist` preset unconditional, class-conditional and multi-scale.

Trains the models of one preset on `mnist_5k`'s 4,500 training digits
(dynamically binarized) with the same recipe and the same number of
optimizer steps, through the command line a user runs:

    unconditional   keras-pixelrnn train --preset P ...
    conditional     keras-pixelrnn train --preset P --num-classes 10 ...   (log p(x | label))
    class_map       ... --num-classes 10 --condition-units 16   (a learned map per class)
    position_map    class_map with every label read as 0: one learned map, no label
    multi_scale     keras-pixelrnn train --preset P --multi-scale ...      (log p(s) + log p(x | s))

and scores each on the 500 validation digits with `keras-pixelrnn evaluate`
(the conditional model with each digit's own label). A label carries at most
ln 10 = 2.30 nats, so the conditional model can be at most that much better
than the unconditional one. It also draws a per-class grid from the
conditional model (`sample --per-class`, one row per digit).

    python benchmarks/conditional_quality.py --preset mnist --steps 3000
    python benchmarks/conditional_quality.py --preset mnist_pixel_cnn --steps 3000 --grid docs/conditional_samples.png
    python benchmarks/conditional_quality.py --preset mnist --steps 6000 --jobs 3   # all three at once

A budget in steps, not minutes: machines here differ 3x in speed.

`--sample-accuracy` trains nothing of the PixelRNN kind: it measures the
shipped class-conditional preset (`mnist_conditional`, or `--model-preset`):

1. a small CNN classifier, trained on the same 4,500 training digits with
   their labels (binarized afresh every epoch, as the PixelRNN saw them),
   and its accuracy on the 500 validation digits (binarized once, seed 0);
2. sample accuracy: `--samples-per-class` (100) samples of every class from
   the preset (the cached sampler), and the share of them that the CNN
   assigns to the class asked for, per class and overall (target >= 90%);
3. the preset as a generative classifier (`PixelRNN.classify`: Bayes' rule
   over `log p(x | label)`, a uniform prior) on the same validation digits,
   beside the CNN.

    python benchmarks/conditional_quality.py --sample-accuracy
    python benchmarks/conditional_quality.py --sample-accuracy --samples-per-class 10 --validation-limit 100
"""

import argparse
import concurrent.futures
import json
import os
import tempfile
import time

import keras
import numpy as np

from keras_pixelrnn import PixelRNN, data
from mnist_quality import run

RECIPE = ["--learning-rate", "2e-3", "--warmup-steps", "200", "--decay", "cosine",
          "--ema", "auto", "--keep-best"]
VARIANTS = {
    "unconditional": [],
    "conditional": ["--num-classes", "10"],
    "class_map": ["--num-classes", "10", "--condition-units", "16"],
    # The control: class_map with every label read as 0 (benchmarks/constant_labels.py).
    "position_map": ["--num-classes", "10", "--condition-units", "16"],
    "multi_scale": ["--multi-scale"],
}
CLI = ("-m", "keras_pixelrnn.cli")
# Variants run through another entry point than the command line's own.
ENTRIES = {
    "position_map": (os.path.join(os.path.dirname(os.path.abspath(__file__)), "constant_labels.py"),),
}


def train_and_score(variant, args, out, env):
    """Trains and scores one variant; returns its `evaluate --json` scores."""
    folder, log = os.path.join(out, variant), os.path.join(out, f"{variant}.log")
    entry = ENTRIES.get(variant, CLI)
    start = time.perf_counter()
    run(["train", "--preset", args.preset, "--dataset", "mnist_5k", "--steps", str(args.steps),
         "--batch-size", str(args.batch_size), "--seed", str(args.seed), "--verbose", "2",
         "--out", folder] + RECIPE + VARIANTS[variant], log, env, entry)
    seconds = time.perf_counter() - start
    model = os.path.join(folder, "model.keras")
    score = json.loads(run(["evaluate", "--model", model, "--dataset", "mnist_5k", "--json"],
                           log, env, entry).strip().splitlines()[-1])
    score["train_and_validation_seconds"] = seconds
    if variant == args.grid_variant and args.grid:
        run(["sample", "--model", model, "--per-class", "8", "--seed", "0", "--out", args.grid],
            log, env)
    return score


def labelled_digits(split, seed, limit=None):
    """`(images uint8 (N, 28, 28, 1), labels int32 (N,))` of mnist_5k, binarized
    as training and `evaluate` binarize them (the validation digits once, seed 0)."""
    batches = data.make_dataset("mnist_5k", split=split, batch_size=500, levels=2,
                                binarize=True, shuffle=False, seed=seed, with_labels=True,
                                limit=limit)
    pairs = [(x.numpy(), y.numpy()) for (x, y), _ in batches]
    return tuple(np.concatenate(parts) for parts in zip(*pairs))


def train_cnn(epochs, seed):
    """A small CNN classifier of the 4,500 training digits, each epoch a fresh
    binarization; returns it."""
    keras.utils.set_random_seed(seed)
    cnn = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(32, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Conv2D(64, 3, activation="relu"),
        keras.layers.MaxPooling2D(),
        keras.layers.Flatten(),
        keras.layers.Dropout(0.3),
        keras.layers.Dense(10),
    ], name="digit_cnn")
    cnn.compile("adam", keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                metrics=["accuracy"])
    train = data.make_dataset("mnist_5k", split="train", batch_size=64, levels=2, binarize=True,
                              shuffle=True, seed=seed, with_labels=True)
    train = train.map(lambda inputs, _: (keras.ops.cast(inputs[0], "float32"), inputs[1]))
    cnn.fit(train, epochs=epochs, verbose=2)
    return cnn


def predict(cnn, images):
    return cnn.predict(images.astype("float32"), batch_size=500, verbose=0).argmax(axis=-1)


def sample_accuracy(args):
    """The CNN's validation accuracy, the share of the preset's samples of each
    class that the CNN assigns to it, and the preset's generative-classifier
    accuracy; printed, and returned as a dict."""
    images, labels = labelled_digits("validation", seed=0, limit=args.validation_limit)
    cnn = train_cnn(args.cnn_epochs, args.seed)
    cnn_accuracy = float((predict(cnn, images) == labels).mean())
    print(f"CNN: {cnn_accuracy:.2%} of the {len(labels)} validation digits", flush=True)

    model = PixelRNN.from_preset(args.model_preset, load_weights=True)
    asked = np.repeat(np.arange(model.num_classes), args.samples_per_class).astype(np.int32)
    start = time.perf_counter()
    samples = model.sample(len(asked), seed=args.seed, labels=asked)
    sample_seconds = time.perf_counter() - start
    hit = predict(cnn, samples) == asked
    per_class = {int(k): float(hit[asked == k].mean()) for k in range(model.num_classes)}
    worst = min(per_class, key=per_class.get)
    print(f"\nsamples of {args.model_preset}, {args.samples_per_class} per class "
          f"({sample_seconds:.0f} s): the share the CNN assigns to the class asked for")
    print("class   " + "".join(f"{k:>6d}" for k in per_class))
    print("share   " + "".join(f"{v:>6.0%}" for v in per_class.values()))
    print(f"overall {hit.mean():.1%} (target >= 90%), worst class {worst} "
          f"({per_class[worst]:.0%})", flush=True)

    start = time.perf_counter()
    posterior = model.classify(images)
    classify_seconds = time.perf_counter() - start
    generative = float((posterior.argmax(axis=-1) == labels).mean())
    print(f"\nclassifiers on the {len(labels)} validation digits: CNN {cnn_accuracy:.2%}, "
          f"{args.model_preset} (PixelRNN.classify) {generative:.2%} "
          f"({classify_seconds:.0f} s, {model.num_classes} scoring passes)")
    return {
        "preset": args.model_preset, "samples_per_class": args.samples_per_class,
        "cnn_epochs": args.cnn_epochs, "validation_digits": int(len(labels)),
        "cnn_validation_accuracy": cnn_accuracy, "sample_accuracy": float(hit.mean()),
        "sample_accuracy_per_class": per_class, "worst_class": worst,
        "generative_validation_accuracy": generative,
        "sample_seconds": sample_seconds, "classify_seconds": classify_seconds,
    }


def write_json(path, result):
    with open(path + ".tmp", "w") as f:
        json.dump(result, f, indent=2)
    os.replace(path + ".tmp", path)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="mnist")
    parser.add_argument("--steps", type=int, default=3000, help="optimizer steps per model")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--jobs", type=int, default=1,
                        help="train this many variants at once, each with cores/jobs threads "
                             "(at least 1): a small model's step is bound by per-op latency, so "
                             "two 1-thread runs on 2 cores take about as long as one 2-thread run")
    parser.add_argument("--out", default=None, help="folder for the runs (default: a temporary one)")
    parser.add_argument("--grid", default=None, help="write a conditional model's per-class grid here")
    parser.add_argument("--grid-variant", default="conditional", choices=["conditional", "class_map"])
    parser.add_argument("--json", default=None, help="write the results here too")
    parser.add_argument("--sample-accuracy", action="store_true",
                        help="measure the shipped conditional preset instead of training")
    parser.add_argument("--model-preset", default="mnist_conditional",
                        help="with --sample-accuracy: the class-conditional preset")
    parser.add_argument("--samples-per-class", type=int, default=100)
    parser.add_argument("--cnn-epochs", type=int, default=8)
    parser.add_argument("--validation-limit", type=int, default=None,
                        help="with --sample-accuracy: only the first N validation digits")
    args = parser.parse_args(argv)
    if args.sample_accuracy:
        if args.samples_per_class < 1 or args.cnn_epochs < 1:
            parser.error("--samples-per-class and --cnn-epochs must be >= 1")
        result = sample_accuracy(args)
        if args.json:
            write_json(args.json, result)
        return result
    variants = args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        parser.error(f"--variants: unknown {unknown}; choose from {sorted(VARIANTS)}")
    if args.jobs < 1:
        parser.error(f"--jobs must be >= 1. Received: {args.jobs}")
    out = args.out or tempfile.mkdtemp(prefix="pixelrnn-conditional-")
    os.makedirs(out, exist_ok=True)
    env = {}
    if args.jobs > 1:
        threads = str(max(1, (os.cpu_count() or 1) // args.jobs))
        env = {"TF_NUM_INTRAOP_THREADS": threads, "TF_NUM_INTEROP_THREADS": threads}
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        futures = {v: pool.submit(train_and_score, v, args, out, env) for v in variants}
        results = {}
        for variant in variants:  # in the order given, each once it has finished
            score = results[variant] = futures[variant].result()
            terms = ""
            if "small_nats_per_image" in score:
                terms = (f"  (small image {score['small_nats_per_image']:.2f} + the rest "
                         f"{score['full_nats_per_image']:.2f})")
            print(f"{variant:14s} {score['nats_per_image']:7.2f} ± "
                  f"{score['nats_per_image_stderr']:.2f} nats/image{terms}, {args.steps} steps, "
                  f"{score['train_and_validation_seconds'] / 60:.1f} min", flush=True)
    nll = {v: r["nats_per_image"] for v, r in results.items()}
    for base, variant in (("unconditional", "conditional"), ("position_map", "class_map")):
        if base in nll and variant in nll:
            print(f"\n{variant} against {base}: the label is worth {nll[base] - nll[variant]:.2f} "
                  "nats/image (at most ln 10 = 2.30)")
    if "unconditional" in nll and "position_map" in nll:
        print(f"position_map against unconditional: the map alone is worth "
              f"{nll['unconditional'] - nll['position_map']:.2f} nats/image")
    if args.json:
        write_json(args.json, {"preset": args.preset, "steps": args.steps, "results": results})
    return results


if __name__ == "__main__":
    main()
