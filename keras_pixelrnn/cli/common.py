"""What more than one command needs: the model to run (a file or a preset), the
binarization rule, the labels of a class-conditional model, and the Python
API's messages in the words of the command line."""

import contextlib
import re

from keras_pixelrnn.data import NoLabelsError
from keras_pixelrnn.models.loading import load_pixelrnn
from keras_pixelrnn.models.pixel_rnn import PixelRNN


def add_model_arguments(parser, model_help="a PixelRNN .keras file"):
    """`--model PATH` or `--preset NAME`: exactly one of them."""
    group = parser.add_mutually_exclusive_group(required=True)
    group.add_argument("--model", help=model_help)
    group.add_argument(
        "--preset", metavar="NAME",
        help="a preset with pretrained weights shipped in the package "
        "(see PixelRNN.presets); nothing is trained or downloaded",
    )


def load_model(path):
    """`models.loading.load_pixelrnn`; a bad file exits with its message."""
    try:
        return load_pixelrnn(path)
    except (FileNotFoundError, ValueError) as error:
        raise SystemExit(f"error: {error}")


def preset_model(name):
    """`PixelRNN.from_preset(name, load_weights=True)`: a ValueError names the
    preset and those with shipped weights when it has none."""
    return PixelRNN.from_preset(name, load_weights=True)


def model_from(args, load=load_model):
    """The model of `--preset` (its shipped weights) or of `--model` (`load(path)`)."""
    if getattr(args, "preset", None) is not None:
        return preset_model(args.preset)
    return load(args.model)


def binarize_for(levels, args):
    """Binary images for a 2-level model, or when `--binarize` asks."""
    return bool(getattr(args, "binarize", False) or levels == 2)


def num_classes_of(model):
    """`model.num_classes`: the number of classes of a class-conditional PixelRNN,
    None for an unconditional one."""
    return getattr(model, "num_classes", None)


def labelled(read, why):
    """`read()`, a read of data with `with_labels=True`; a source without labels is
    a ValueError that starts with `why` (what needs them) and goes on with the
    data layer's message, which names the source."""
    try:
        return read()
    except NoLabelsError as error:
        raise ValueError(f"{why}: {error}") from None


def in_option_words(message, options):
    """`message`, a ValueError's of the Python API, in the command line's words.

    `utils.arguments`, the models and the data layer name the arguments they
    check (`` `learning_rate` must be a finite number > 0. Received:
    learning_rate=nan``); the user typed an option (`--learning-rate nan`).
    For each `name: option` of `options`, `` `name` `` becomes `option`, and
    `name=value` after "Received:" becomes `option value`: the same check and
    wording as in Python, about what the user gave. An option's None is the
    option left out, which cannot be typed: "must be ... or None." loses its
    "or None". The rest is left as it is.
    """
    head, received, tail = message.rpartition("Received: ")
    if not received:
        head, tail = message, ""
    for name, option in options.items():
        if f"`{name}`" in head:
            head = head.replace(f"`{name}`", option).replace(" or None.", ".")
        tail = re.sub(rf"(?<![\w-]){re.escape(name)}=", f"{option} ", tail)
    return head + received + tail


@contextlib.contextmanager
def errors_in_option_words(options):
    """Inside, a ValueError goes on as a ValueError in the words of
    `options` (see `in_option_words`), which `main` prints as a clean error."""
    try:
        yield
    except ValueError as error:
        message = getattr(error, "message", None) or str(error)
        raise ValueError(in_option_words(message, options)) from None
