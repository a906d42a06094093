"""Traced functions kept with the model they belong to.

Scoring and sampling run as `tf.function`s. Made afresh at every call, they
are traced afresh at every call too (seconds for a sampler); kept with the
model, they are traced once and then only when what their graph depends on
changes (a new batch size). A `keras.Model` tracks what is assigned to its
attributes for saving, so the functions are kept outside that tracking.
"""

_ATTRIBUTE = "_keras_pixelrnn_functions"


def kept_function(model, key, make):
    """`model`'s function under `key`, made by `make()` on first use."""
    functions = model.__dict__.get(_ATTRIBUTE)
    if functions is None:
        functions = {}
        object.__setattr__(model, _ATTRIBUTE, functions)  # not tracked by Keras
    if key not in functions:
        functions[key] = make()
    return functions[key]
