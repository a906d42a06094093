"""Loading a PixelRNN, or weights into one, with errors that say what is wrong."""

import os
import re
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


# Keras's message for a variable whose saved value has another shape.
_SHAPES = re.compile(
    r"variable\.shape=(\([^)]*\)), Received: value\.shape=(\([^)]*\))\. "
    r"Target variable: <Variable path=([^,]+),"
)


def _first_mismatch(error):
    """What Keras found wrong first, in a line: the variable and both shapes
    where it says them, else its own example message."""
    text = str(error)
    found = _SHAPES.search(text)
    if found:
        model_shape, file_shape, path = found.groups()
        return (
            f"variable {path!r} has shape {model_shape} in the model but {file_shape} in the file"
        )
    example = text.split("Example error message for object ", 1)[-1]
    return " ".join(example.split("\n\nList of objects", 1)[0].split())


def load_weights(model, filepath, **kwargs):
    """`keras.Model.load_weights(model, filepath)`, all or nothing.

    Keras assigns a file's variables one object at a time and raises at the
    end, so a file of another architecture leaves a model half overwritten
    (its likelihood far off). Here a twin of the model, built from its
    config, takes the file first: only when every variable fits there, with
    its shape, does the model itself load it. `skip_mismatch=True` asks for
    a partial load, and gets Keras's own.

    Raises:
        ValueError: the file does not fit (it names the file and the first
            mismatching variable with both shapes); the model is unchanged.
    """
    if kwargs.get("skip_mismatch"):
        return keras.Model.load_weights(model, filepath, **kwargs)
    twin = model.__class__.from_config(model.get_config())
    try:
        keras.Model.load_weights(twin, filepath, **kwargs)
    except Exception as error:  # a foreign architecture, a truncated or missing file
        raise ValueError(
            f"`filepath` {str(filepath)!r} does not hold weights that fit model "
            f"{model.name!r}, so none were loaded and the model is unchanged: "
            f"{_first_mismatch(error)}. Received: filepath={str(filepath)!r}"
        ) from None
    return keras.Model.load_weights(model, filepath, **kwargs)
