"""What more than one command needs: the model to run (a file or a preset), the
binarization rule, the labels of a class-conditional model, the checks of an
output path, and the Python API's messages in the words of the command line."""

import contextlib
import os
import re

from keras_pixelrnn.data import DATASETS, NoLabelsError
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
    """`models.loading.load_pixelrnn`: a missing or bad file is a
    FileNotFoundError or ValueError naming it, which `main` prints (exit 2)."""
    return load_pixelrnn(path)


def _nearest_existing(path):
    """The closest of `path`'s folders (itself excluded) that exists."""
    folder = os.path.dirname(os.path.abspath(path))
    while not os.path.lexists(folder):
        folder = os.path.dirname(folder)
    return folder


def check_output(path, option="--out", folder=False, overwrite=None, writes="a file"):
    """Checks, before any work, that an output path can be written.

    Args:
        path: what the user gave.
        option: the option that gave it, for the message.
        folder: the command writes a folder at `path` (else a file).
        overwrite: for a file, whether an existing one may be replaced; None
            when the command replaces it anyway (`sample`, `complete`).
        writes: what the command writes, for the message ("a .png or .npy file").

    Raises:
        ValueError: naming `option` and echoing `path`, where `path` is a
            folder (for a file) or a file (for a folder), lies under a file,
            or lies in a folder this user cannot write in; or, with
            `overwrite=False`, where the file exists.
    """
    received = f"Received: {option} {path}"
    if folder and os.path.lexists(path) and not os.path.isdir(path):
        raise ValueError(f"{option} is a file, and the command writes {writes} there. {received}")
    if not folder and os.path.isdir(path):
        raise ValueError(f"{option} is a folder; the command writes {writes}. {received}")
    above = _nearest_existing(path)
    if not os.path.isdir(above):
        raise ValueError(f"{option} lies under {above}, which is a file, not a folder. {received}")
    if not os.access(above, os.W_OK | os.X_OK):
        raise ValueError(f"{option} cannot be written: no permission to write in {above}. "
                         f"{received}")
    if folder and os.path.isdir(path) and not os.access(path, os.W_OK | os.X_OK):
        raise ValueError(f"{option} cannot be written: no permission to write in it. {received}")
    if overwrite is False and os.path.lexists(path):
        raise ValueError(f"{option} exists; pass --overwrite to replace it. {received}")


def preset_model(name):
    """`PixelRNN.from_preset(name, load_weights=True)`: a ValueError names the
    preset and those with shipped weights when it has none."""
    return PixelRNN.from_preset(name, load_weights=True)


def model_from(args, load=load_model):
    """The model of `--preset` (its shipped weights) or of `--model` (`load(path)`)."""
    if getattr(args, "preset", None) is not None:
        return preset_model(args.preset)
    return load(args.model)


def evaluation_split(source, split=None):
    """The split a scoring command reads of `source` unless `--split` gives
    one: a named data set's held-out split (`mnist_5k`'s validation digits,
    the others' test split); a file or folder is one split, "train"."""
    if split:
        return split
    if source in DATASETS:
        return "validation" if source == "mnist_5k" else "test"
    return "train"


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
