"""Argument checks shared by the builders."""

from __future__ import annotations

import numpy as np

from gan_keras import validate


def positive_int(value, name: str) -> int:
    """Return ``value`` if it is a positive integer, else raise a clear error (gan_keras.validate)."""
    return validate.positive_int(value, name)


def shape_tuple(shape, name: str) -> tuple[int, ...]:
    """Return ``shape`` as a tuple of positive integers, else raise a clear error."""
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    if not isinstance(shape, (tuple, list)) or not shape:
        raise TypeError(f"{name} must be a tuple of positive integers, got {shape!r}")
    return tuple(positive_int(s, f"each entry of {name}") for s in shape)


def units_tuple(units, name: str) -> tuple[int, ...]:
    """Return hidden-layer sizes as a tuple (an int means one layer)."""
    if isinstance(units, (int, np.integer)):
        units = (units,)
    if not isinstance(units, (tuple, list)):
        raise TypeError(f"{name} must be an int or a tuple of ints, got {units!r}")
    return tuple(positive_int(u, f"each entry of {name}") for u in units)
