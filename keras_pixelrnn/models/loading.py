"""Loading a PixelRNN saved as a `.keras` file, with errors that say what is wrong."""

import os
import zipfile

import keras


def load_pixelrnn(path):
    """Loads a PixelRNN `.keras` file; `ValueError` for anything else.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a loadable Keras model, or not a PixelRNN (a model
            from images `(B, H, W, C)` to logits `(B, H, W, C, levels)`).
    """
    if not os.path.isfile(path):
        raise FileNotFoundError(f"--model {path!r}: no such file")
    if not zipfile.is_zipfile(path):  # truncated, or not a .keras file at all
        raise ValueError(
            f"--model {path!r} is not a valid .keras file (a .keras file is a zip archive "
            "of the model's config and weights; this one is truncated or of another kind): "
            "not a loadable Keras model"
        )
    try:
        model = keras.saving.load_model(path)
    except Exception as error:  # a corrupt or foreign file
        raise ValueError(f"--model {path!r} is not a loadable Keras model: {error}") from None
    if callable(getattr(model, "log_prob_terms", None)):  # a MultiScalePixelRNN
        return model
    inputs = getattr(model, "input_shape", None)
    if isinstance(inputs, list) and inputs:  # a conditional model: the images come first
        inputs = tuple(inputs[0])
    outputs = getattr(model, "output_shape", None)
    if (
        not isinstance(inputs, tuple) or len(inputs) != 4
        or not isinstance(outputs, tuple) or len(outputs) != 5
        or tuple(outputs[1:4]) != tuple(inputs[1:4])
    ):
        raise ValueError(
            f"--model {path!r} is not a PixelRNN model (it must map images "
            "(batch, H, W, C) to logits (batch, H, W, C, levels)); got input "
            f"{inputs} and output {outputs}"
        )
    return model
