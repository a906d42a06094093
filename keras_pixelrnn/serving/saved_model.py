"""A PixelRNN as a TF Serving SavedModel: the layout `base/<version>/`.

`write_saved_model` writes the signatures of `keras_pixelrnn.serving.signatures`
(`log_prob`, `logits`, `sample`) with `serving_default` = `log_prob`, in the
folder layout TF Serving reads: `<model_base_path>/<model_name>/<integer
version>/`, `next_version` by default. A conditional model's signatures take
its condition inputs too (`labels`, or `small_images`), after the images or
the noise. Each version is written to a hidden temporary folder and renamed
into place, so a server never sees half a version, and an existing version
is never replaced without `overwrite`.

The graphs are device-neutral by default (see `signatures`): the layers'
portable way to compute (`implementation="portable"`) and TensorFlow's
default executor for `sample` (`sample_executor=None`). For a server with
only a CPU, `sample_executor="SINGLE_THREADED_EXECUTOR"` samples faster, and
`implementation="auto"` on a machine like the server keeps the choices that
suit it (batch chains on 2 or more cores).

    keras-pixelrnn export saved-model --model model.keras --out serving/pixelrnn
"""

import os

import keras
import numpy as np

from keras_pixelrnn.serving.signatures import serving_functions
from keras_pixelrnn.utils import arguments
from keras_pixelrnn.utils.atomic_files import write_folder_atomically


def next_version(base):
    """1 for a new model folder, else one more than its highest version."""
    versions = [int(n) for n in os.listdir(base) if n.isdigit()] if os.path.isdir(base) else []
    return max(versions, default=0) + 1


def write_saved_model(model, base, version=None, overwrite=False, sample_executor=None,
                      implementation="portable"):
    """Writes the TF Serving layout `base/<version>/` and returns its path.

    The SavedModel is written to a hidden temporary folder in `base` (TF
    Serving ignores names that are not integers) and renamed into place, so
    a server never sees half a version.

    Args:
        model: a PixelRNN `keras.Model`.
        base: the model's folder, `<model_base_path>/<model_name>`.
        version: positive integer; default `next_version(base)`.
        overwrite: replace an existing `base/<version>`; without it an
            existing version is never touched (`FileExistsError`).
        sample_executor: executor stored in the `sample` signature; `None`
            (default, portable) or `"SINGLE_THREADED_EXECUTOR"` (fastest on a
            CPU-only server). See `signatures.serving_functions`.
        implementation: `"portable"` (default) or `"auto"`: how the layers
            compute in the graphs. See `signatures.serving_functions`.
    """
    if version is None:
        version = next_version(base)
    version = arguments.integer("version", version)
    final = os.path.join(base, str(int(version)))
    if os.path.exists(final) and not overwrite:
        raise FileExistsError(
            f"{final} exists: version {version} is already exported. "
            "Pass --overwrite to replace it, or leave out --version for the next one."
        )
    functions = serving_functions(model, executor=sample_executor, implementation=implementation)
    os.makedirs(base, exist_ok=True)
    archive = keras.export.ExportArchive()
    archive.track(model)
    for name, function in functions.items():
        function.get_concrete_function()
        archive.add_endpoint(name, function)
    # Hidden names (".tmp-1-..."), which TF Serving ignores, until the rename.
    return write_folder_atomically(final, lambda tmp: archive.write_out(tmp, verbose=False))
