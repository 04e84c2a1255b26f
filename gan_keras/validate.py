"""Checks of arguments, one helper per kind, so every bad input gets the same clear error.

The rule (see DEVELOPING.md): a value of the wrong *type* (a string where a number is
expected, ``True`` where an integer is expected, a list where a model is expected) raises
``TypeError``; a value of the right type but a wrong *value* (out of range, NaN or
infinite, an unknown name, a file where a folder is expected) raises ``ValueError``. A
path that does not exist raises ``FileNotFoundError``. Every message names the argument,
says what was expected and shows what came.
"""

from __future__ import annotations

import math
import numbers
import os
from pathlib import Path

import numpy as np


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def integer(value, name: str, minimum: int | None = None, maximum: int | None = None) -> int:
    """Return ``value`` as an ``int``; ``TypeError`` unless an integer (not a bool),
    ``ValueError`` if below ``minimum`` or above ``maximum``."""
    if not _is_int(value):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if minimum is not None and value < minimum:
        what = {0: "an integer >= 0", 1: "a positive integer"}.get(minimum, f"an integer >= {minimum}")
        raise ValueError(f"{name} must be {what}, got {value}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be an integer <= {maximum}, got {value}")
    return value


def positive_int(value, name: str) -> int:
    """An integer >= 1 (epochs, batch sizes, counts)."""
    return integer(value, name, minimum=1)


def non_negative_int(value, name: str) -> int:
    """An integer >= 0 (seeds, indices)."""
    return integer(value, name, minimum=0)


def optional_positive_int(value, name: str) -> int | None:
    """``None`` or an integer >= 1."""
    return None if value is None else positive_int(value, name)


def number(value, name: str, minimum: float | None = None, maximum: float | None = None,
           above: float | None = None) -> float:
    """Return ``value`` as a finite ``float``.

    ``TypeError`` unless a real number (not a bool); ``ValueError`` if NaN, infinite,
    below ``minimum``, above ``maximum`` or not strictly above ``above``.
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (numbers.Real, np.floating, np.integer)):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be a finite number, got {value}")
    if above is not None and not value > above:
        what = "a positive number" if above == 0 else f"a number > {above:g}"
        raise ValueError(f"{name} must be {what}, got {value:g}")
    if minimum is not None and value < minimum:
        what = "a number >= 0" if minimum == 0 else f"a number >= {minimum:g}"
        raise ValueError(f"{name} must be {what}, got {value:g}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be a number <= {maximum:g}, got {value:g}")
    return value


def positive_number(value, name: str) -> float:
    """A finite number > 0 (learning rates, scales)."""
    return number(value, name, above=0.0)


def non_negative_number(value, name: str) -> float:
    """A finite number >= 0 (loss weights, penalties)."""
    return number(value, name, minimum=0.0)


def choice(value, name: str, options) -> str:
    """A string among ``options``: ``TypeError`` if not a string, ``ValueError`` if unknown."""
    options = list(options)
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, one of {', '.join(map(str, options))}; "
                        f"got {value!r} ({type(value).__name__})")
    if value not in options:
        raise ValueError(f"unknown {name} {value!r}: expected one of {', '.join(map(str, options))}")
    return value


def instance(value, name: str, types, what: str):
    """``value`` itself; ``TypeError`` naming ``what`` unless it is one of ``types``."""
    if not isinstance(value, types):
        raise TypeError(f"{name} must be {what}, got {type(value).__name__}")
    return value


def images(value, name: str = "images", expected_shape=None) -> np.ndarray:
    """Return images as float32 after checking rank, finiteness and the ``[-1, 1]`` range (the course's images)."""
    if not hasattr(value, "shape"):
        raise TypeError(f"{name} must be an array of shape (N, H, W, C), got {type(value).__name__}")
    array = np.asarray(value)
    if array.dtype.name == "bfloat16":  # a generator trained with --precision mixed_bfloat16
        array = array.astype(np.float32)
    if array.dtype.kind not in "fiu":
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if array.ndim != 4:
        raise ValueError(f"{name} must have shape (N, H, W, C), got shape {array.shape}")
    if len(array) == 0:
        raise ValueError(f"{name} is empty: expected at least one image")
    if expected_shape is not None and tuple(array.shape[1:]) != tuple(expected_shape):
        raise ValueError(
            f"{name} must have images of shape {tuple(expected_shape)}, got {tuple(array.shape[1:])}"
        )
    array = array.astype(np.float32)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    low, high = float(array.min()), float(array.max())
    if low < -1.0 - 1e-3 or high > 1.0 + 1e-3:
        hint = " (did you forget to scale 0..255 pixels?)" if high > 1.5 else ""
        raise ValueError(f"{name} must lie in [-1, 1], got values in [{low:.3g}, {high:.3g}]{hint}")
    return array


def path(value, name: str) -> Path:
    """A ``Path`` from a string or path-like; ``TypeError`` otherwise, ``ValueError`` if empty."""
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError(f"{name} must be a file path, got {type(value).__name__}")
    if str(value) == "":
        raise ValueError(f"{name} must be a path, got an empty string")
    return Path(value)


def _file_in_ancestry(p: Path) -> Path | None:
    """Return the first ancestor of ``p`` that exists as something other than a folder."""
    for parent in reversed(p.absolute().parents):
        if parent.exists() and not parent.is_dir():
            return parent
    return None


def input_file(value, name: str, suffixes=None) -> Path:
    """An existing file (not a folder), optionally ending in one of ``suffixes``."""
    p = path(value, name)
    if p.is_dir():
        raise ValueError(f"{name} {str(p)!r} is a folder, expected a file")
    if not p.exists():
        raise FileNotFoundError(f"{name} {str(p)!r} does not exist")
    if suffixes and not str(p).lower().endswith(tuple(suffixes)):
        raise ValueError(f"{name} {str(p)!r} must end in {' or '.join(suffixes)}")
    return p


def input_folder(value, name: str) -> Path:
    """An existing folder (not a file)."""
    p = path(value, name)
    if p.exists() and not p.is_dir():
        raise ValueError(f"{name} {str(p)!r} is a file, expected a folder")
    if not p.exists():
        raise FileNotFoundError(f"{name} {str(p)!r} does not exist")
    return p


def output_file(value, name: str, suffixes=None) -> Path:
    """A file that can be written: not an existing folder, no file among its parents, and
    (with ``suffixes``) a name ending in one of them, so the bytes match the name."""
    p = path(value, name)
    if p.is_dir():
        raise ValueError(f"{name} {str(p)!r} is a folder, expected a file name")
    blocker = _file_in_ancestry(p)
    if blocker is not None:
        raise ValueError(f"{name} {str(p)!r} cannot be written: {str(blocker)!r} is a file, not a folder")
    if suffixes and not p.name.lower().endswith(tuple(suffixes)):
        raise ValueError(f"{name} {str(p)!r} must end in {' or '.join(suffixes)} (the format written)")
    return p


def output_folder(value, name: str) -> Path:
    """A folder that exists or can be created: not a file, no file among its parents."""
    p = path(value, name)
    if p.exists() and not p.is_dir():
        raise ValueError(f"{name} {str(p)!r} is a file, expected a folder")
    blocker = _file_in_ancestry(p)
    if blocker is not None:
        raise ValueError(f"{name} {str(p)!r} cannot be created: {str(blocker)!r} is a file, not a folder")
    return p


__all__ = ["choice", "input_file", "input_folder", "instance", "integer", "non_negative_int",
           "non_negative_number", "number", "optional_positive_int", "output_file", "output_folder",
           "path", "positive_int", "positive_number"]
