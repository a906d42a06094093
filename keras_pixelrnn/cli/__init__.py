"""The `keras-pixelrnn` command line: train, evaluate, classify, sample, complete, export.

    keras-pixelrnn train --preset small --dataset mnist_5k --epochs 2 --out runs/small
    keras-pixelrnn evaluate --model runs/small/model.keras --dataset mnist_5k --json
    keras-pixelrnn sample --model runs/small/model.keras --num 16 --seed 0 --out samples.png
    keras-pixelrnn complete --model runs/small/model.keras --images digits.npy --keep-rows 14 --out completions.png
    keras-pixelrnn export saved-model --model runs/small/model.keras --out serving/pixelrnn
    keras-pixelrnn export onnx --model runs/small/model.keras --out model.onnx --signature log_prob
    keras-pixelrnn export web --preset mnist --out site && keras-pixelrnn serve-web site

A class-conditional model, trained on the data set's labels, sampled by class
and used as a classifier:

    keras-pixelrnn train --dataset mnist_5k --binarize --num-classes 10 --epochs 2 --out runs/digits
    keras-pixelrnn sample --model runs/digits/model.keras --per-class 8 --out classes.png
    keras-pixelrnn sample --model runs/digits/model.keras --label 7 --num 8 --out sevens.png
    keras-pixelrnn classify --model runs/digits/model.keras --images mnist_5k --split validation

or the pretrained one, `--preset mnist_conditional`, with no training.

One module per command family (`train`, `evaluate`, `classify`, `generate`,
`export`, `web`), each with `register(commands)` for its sub-commands; this one
wires them up.

Exit status: 0 done; 2 bad input (`error: ...` on stderr, naming the
option and echoing the value, with no traceback, before any work where it
can be known then); 1 a run that failed on its way (a training whose loss
became NaN, `keras_pixelrnn.training.TrainingError`).
"""

import argparse
import sys

from keras_pixelrnn.cli import classify, evaluate, export, generate, train, web
from keras_pixelrnn.training.errors import TrainingError

FAMILIES = (train, evaluate, classify, generate, export, web)


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
        expected = (ValueError, FileNotFoundError, ImportError)
        if isinstance(error, TrainingError):
            code = 1
        elif isinstance(error, expected + ((tf.errors.InvalidArgumentError,) if tf else ())):
            code = 2
        else:
            raise
        message = getattr(error, "message", None) or str(error)
        print(f"error: {message}", file=sys.stderr)
        return code


if __name__ == "__main__":
    sys.exit(main())
