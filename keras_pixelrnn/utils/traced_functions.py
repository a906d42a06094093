"""Traced functions kept with the model they belong to, and counted.

Scoring and sampling run as `tf.function`s. Made afresh at every call, they
are traced afresh at every call too (seconds for a sampler); kept with the
model, they are traced once. Their `input_signature` leaves the batch axis
free, so one trace serves every batch size. A `keras.Model` tracks what is
assigned to its attributes for saving, so the functions are kept outside
that tracking.

`CountedFunction` counts its own traces (`traces`): the number of times
TensorFlow ran its Python body to build a graph. Tests assert it, rather
than TensorFlow's log messages about retracing.
"""

import functools

import tensorflow as tf

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


class CountedFunction:
    """A `tf.function` of `python_function` that counts its traces.

    Args:
        python_function: the function to compile; it takes positional
            arguments only.
        input_signature: the `tf.TensorSpec`s (nested as the arguments are)
            of its arguments, as in `tf.function`.
        jit_compile: as in `tf.function`.

    Attributes:
        traces: how many times the Python body has been traced (0 before
            the first call).

    Example:

    >>> square = CountedFunction(lambda x: x * x, [tf.TensorSpec([None], tf.float32)])
    >>> _ = square(tf.ones([3])), square(tf.ones([5]))
    >>> square.traces
    1
    """

    def __init__(self, python_function, input_signature, jit_compile=None):
        self.traces = 0
        self._python_function = python_function
        # A partial, not a closure or a bound method: TensorFlow counts the
        # traces of one Python code object over all the functions made of
        # it, and warns of "retracing" when a process makes many (one per
        # model), though each traces once. A partial has no code object.
        self._function = tf.function(
            functools.partial(CountedFunction._trace, self),
            input_signature=input_signature, jit_compile=jit_compile,
        )

    def _trace(self, *args):
        self.traces += 1
        return self._python_function(*args)

    def __call__(self, *args):
        return self._function(*args)
