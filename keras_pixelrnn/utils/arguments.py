"""Argument validation: the one place where a number given by a user is checked.

Every check names the argument and echoes the value, in Keras's form:

    >>> integer("units", True)
    ValueError: `units` must be a positive integer. Received: units=True

A `bool` is never a number here (`True` is an `int` to Python, and a
`kernel_size=True` that builds a 1x1 kernel is a bug, not a choice); nor is a
string, nor a float where a count is asked for. NumPy integers and floats are
accepted. The Python API and the command line call the same checks, so both
give the same message.
"""

import math
import numbers
import os

import numpy as np


def _is_integer(value):
    return isinstance(value, (numbers.Integral, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )


def _describe(minimum, maximum, odd):
    kind = "an odd integer" if odd else "an integer"
    if maximum is not None:
        return f"{kind} in [{minimum}, {maximum}]"
    if minimum == 1:
        return f"{'an odd' if odd else 'a'} positive integer"
    if minimum == 0:
        return f"{'an odd' if odd else 'a'} non-negative integer"
    return f"{kind} >= {minimum}"


def integer(name, value, minimum=1, maximum=None, odd=False, allow_none=False, why=""):
    """`value` as an `int`, if it is an integer in `[minimum, maximum]`.

    Args:
        name: the argument's name, for the message.
        value: what the user gave.
        minimum, maximum: the allowed range (inclusive); `maximum=None` for
            none.
        odd: the value must be odd (a kernel size, which needs a centre).
        allow_none: `None` is accepted and returned as is.
        why: a sentence appended to the message, saying why the range is
            what it is.

    Raises:
        ValueError: `` `name` must be a positive integer. Received: name=... ``
    """
    if value is None and allow_none:
        return None
    ok = _is_integer(value) and value >= minimum and (maximum is None or value <= maximum)
    if ok and odd and value % 2 == 0:
        ok = False
    if not ok:
        kind = _describe(minimum, maximum, odd) + (" or None" if allow_none else "")
        raise ValueError(f"`{name}` must be {kind}.{' ' + why if why else ''} Received: {name}={value!r}")
    return int(value)


def integers(name, value, length, minimum=1, odd=False, why=""):
    """A tuple of `length` integers, each as `integer` checks it. A single
    integer stands for all `length` of them (`kernel_size=3` -> `(3, 3)`).

    Raises:
        ValueError: naming `name` and echoing `value`, for anything else: a
            bool, a string (`"33"` is not `(3, 3)`), a float, a wrong length.
    """
    if _is_integer(value):
        values = (value,) * length
    elif isinstance(value, (tuple, list)) and len(value) == length:
        values = tuple(value)
    else:
        values = None
    if values is None or not all(
        _is_integer(v) and v >= minimum and not (odd and v % 2 == 0) for v in values
    ):
        kind = _describe(minimum, None, odd)
        raise ValueError(
            f"`{name}` must be {kind} or a tuple of {length} such integers."
            f"{' ' + why if why else ''} Received: {name}={value!r}"
        )
    return tuple(int(v) for v in values)


def number(name, value, minimum=None, maximum=None, above=None, below=None, allow_none=False):
    """`value` as a finite `float` in the given range.

    Args:
        minimum, maximum: inclusive bounds, or None.
        above, below: exclusive bounds, or None (`above=0`: "> 0").
        allow_none: `None` is accepted and returned as is.

    Raises:
        ValueError: for NaN, an infinity, a bool, a string, or a value out of
            range, naming the argument and echoing the value.
    """
    if value is None and allow_none:
        return None
    real = isinstance(value, (numbers.Real, np.floating, np.integer)) and not isinstance(
        value, (bool, np.bool_)
    )
    ok = real and math.isfinite(value)
    ok = ok and (minimum is None or value >= minimum) and (maximum is None or value <= maximum)
    ok = ok and (above is None or value > above) and (below is None or value < below)
    if not ok:
        bounds = []
        if minimum is not None:
            bounds.append(f">= {minimum}")
        if above is not None:
            bounds.append(f"> {above}")
        if maximum is not None:
            bounds.append(f"<= {maximum}")
        if below is not None:
            bounds.append(f"< {below}")
        kind = "a finite number" + (" " + " and ".join(bounds) if bounds else "")
        kind += " or None" if allow_none else ""
        raise ValueError(f"`{name}` must be {kind}. Received: {name}={value!r}")
    return float(value)


def one_of(name, value, choices):
    """`value` if it is one of `choices` (compared with `==`, bools apart)."""
    if isinstance(value, (bool, np.bool_)) or value not in choices:
        raise ValueError(f"`{name}` must be one of {tuple(choices)}. Received: {name}={value!r}")
    return value


def shape(name, value, length, allow_unknown=False):
    """A tuple of `length` positive integers (`None` for an unknown size where
    `allow_unknown`): an image shape, say. A string (`"281"`), a float
    (`28.7`), a bool or a zero size is refused, naming `name`."""
    ok = isinstance(value, (tuple, list)) and len(value) == length and all(
        (d is None and allow_unknown) or (_is_integer(d) and d >= 1) for d in value
    )
    if not ok:
        kind = "positive integers" + (" or None" if allow_unknown else "")
        raise ValueError(f"`{name}` must be a tuple of {length} {kind}. Received: {name}={value!r}")
    return tuple(None if d is None else int(d) for d in value)


def seed(name, value):
    """A random seed: `None` (fresh entropy) or a non-negative integer, the
    seeds that NumPy's and TensorFlow's generators take. A string (`"abc"`),
    a float (`2.5`) or a bool is refused, naming `name`."""
    return integer(name, value, minimum=0, allow_none=True)


def physical_memory():
    """The machine's physical memory in bytes (`os.sysconf`), or None where
    the system does not say."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, OSError, ValueError):
        return None


def fits_in_memory(name, count, bytes_each, what):
    """`count` if `count * bytes_each` bytes fit in the machine's physical
    memory (`physical_memory`); a ValueError naming `name` otherwise, raised
    before anything is allocated. `what` says what the bytes hold, for the
    message. Where the system does not tell its memory, nothing is checked.

    Raises:
        ValueError: `` `num_samples`=1000000000 would need 208.6 GiB (...) ``
    """
    total = physical_memory()
    need = count * bytes_each
    if total is not None and need > total:
        raise ValueError(
            f"`{name}`={count!r} would need {need / 2**30:.1f} GiB ({what}), more than the "
            f"{total / 2**30:.1f} GiB of memory of this machine; ask for fewer at a time. "
            f"Received: {name}={count!r}"
        )
    return count


def probabilities(name, value, length, tolerance=1e-6):
    """`value` as a float64 NumPy array `(length,)`, if it is `length`
    finite numbers `>= 0` that sum to 1 (within `tolerance`): a
    distribution over `length` outcomes, such as a prior over classes.

    Raises:
        ValueError: for another length, a bool, a string, a NaN, a negative
            entry or a sum other than 1, naming `name` and echoing `value`.
    """
    entries = list(value) if isinstance(value, (tuple, list, np.ndarray)) else None
    ok = entries is not None and np.ndim(value) == 1 and len(entries) == length and all(
        isinstance(v, (numbers.Real, np.floating, np.integer))
        and not isinstance(v, (bool, np.bool_)) and math.isfinite(v) and v >= 0
        for v in entries
    )
    if ok and abs(math.fsum(float(v) for v in entries) - 1.0) > tolerance:
        ok = False
    if not ok:
        shown = value.tolist() if isinstance(value, np.ndarray) else value
        raise ValueError(
            f"`{name}` must be {length} finite numbers >= 0 that sum to 1. "
            f"Received: {name}={shown!r}"
        )
    return np.array(entries, np.float64)
