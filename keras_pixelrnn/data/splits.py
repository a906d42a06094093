"""Split names, their aliases and tfds-style slices ("train[:90%]", "validation[-5:]")."""

import re

_SPLIT_PATTERN = re.compile(r"^(\w+)(?:\[(-?\d+%?)?:(-?\d+%?)?\])?$")


def parse_split(split, splits, split_aliases):
    """Returns (split name, slice bounds or None) after aliasing.

    Args:
        split: the split as the user wrote it, e.g. "train" or "validation[:100]".
        splits: the split names the source has.
        split_aliases: dict of other accepted names to the split they read.

    Returns:
        The split name the source reads, and None when `split` has no slice or a
        pair of bounds (each None or the text of an index or a percentage).
    """
    match = _SPLIT_PATTERN.match(split) if isinstance(split, str) else None
    accepted = tuple(splits) + tuple(split_aliases)
    if match is None or match.group(1) not in accepted:
        raise ValueError(
            f"`split` must be one of {accepted}, optionally sliced as in "
            f"'train[:90%]'. Received: split={split!r}"
        )
    name = split_aliases.get(match.group(1), match.group(1))
    has_slice = "[" in split
    return name, (match.group(2), match.group(3)) if has_slice else None


def base_name(split):
    """The name of an already parsed split as written, before aliasing and slicing."""
    return _SPLIT_PATTERN.match(split).group(1)


def format_split(name, bounds):
    """The tfds split text for a split name and bounds from `parse_split`."""
    if bounds is None:
        return name
    return f"{name}[{bounds[0] or ''}:{bounds[1] or ''}]"


def slice_indices(count, bounds):
    """Python slice of `count` items for tfds-style bounds ("10", "-5", "90%")."""
    if bounds is None:
        return slice(None)

    def index(bound):
        if bound is None:
            return None
        if bound.endswith("%"):
            return int(round(count * int(bound[:-1]) / 100))
        return int(bound)

    return slice(index(bounds[0]), index(bounds[1]))
