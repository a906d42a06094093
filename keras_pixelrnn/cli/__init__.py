"""The `keras-pixelrnn` command line: train, evaluate, sample, complete, export.

    keras-pixelrnn train --preset small --dataset mnist_5k --epochs 2 --out runs/small
    keras-pixelrnn evaluate --model runs/small/model.keras --dataset mnist_5k --json
    keras-pixelrnn sample --model runs/small/model.keras --num 16 --seed 0 --out samples.png
    keras-pixelrnn complete --model runs/small/model.keras --images digits.npy --keep-rows 14 --out completions.png
    keras-pixelrnn export saved-model --model runs/small/model.keras --out serving/pixelrnn
    keras-pixelrnn export onnx --model runs/small/model.keras --out model.onnx --signature log_prob
    keras-pixelrnn export web --preset mnist --out site && keras-pixelrnn serve-web site

A class-conditional model, trained on the data set's labels and sampled by class:

    keras-pixelrnn train --dataset mnist_5k --binarize --num-classes 10 --epochs 2 --out runs/digits
    keras-pixelrnn sample --model runs/digits/model.keras --per-class 8 --out classes.png
    keras-pixelrnn sample --model runs/digits/model.keras --label 7 --num 8 --out sevens.png

One module per command family (`train`, `evaluate`, `generate`, `export`, `web`),
each with `register(commands)` for its sub-commands; this one wires them up.
"""

import argparse
import sys

from keras_pixelrnn.cli import evaluate, export, generate, train, web

FAMILIES = (train, evaluate, generate, export, web)


def parser():
    main = argparse.ArgumentParser(prog="keras-pixelrnn", description=__doc__.split("\n")[0])
    commands = main.add_subparsers(dest="command", required=True)
    for family in FAMILIES:
        family.register(commands)
    return main


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["export"]:
        export.quiet()  # before the parser imports TensorFlow
    args = parser().parse_args(argv)
    try:
        return args.run(args)
    except Exception as error:
        tf = sys.modules.get("tensorflow")  # `launch` never imports it
        expected = (ValueError, FileNotFoundError)
        if not isinstance(error, expected + ((tf.errors.InvalidArgumentError,) if tf else ())):
            raise
        message = getattr(error, "message", None) or str(error)
        print(f"error: {message}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
