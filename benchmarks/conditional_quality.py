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
"""

import argparse
import concurrent.futures
import json
import os
import tempfile
import time

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
    args = parser.parse_args(argv)
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
        with open(args.json + ".tmp", "w") as f:
            json.dump({"preset": args.preset, "steps": args.steps, "results": results}, f, indent=2)
        os.replace(args.json + ".tmp", args.json)
    return results


if __name__ == "__main__":
    main()
