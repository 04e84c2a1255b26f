"""Files that survive interruption: everything is written to a temporary name, then renamed.

``os.replace`` is atomic on one file system, so a run killed mid-write leaves either the
old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import json
import os
from pathlib import Path

import numpy as np

from gan_keras import engine


class MachineError(Exception):
    """A write failed for a reason of the machine (full disk, read-only folder), not of the
    user's input: the message is one line saying what failed and how to go on."""


# errno values that mean the machine, not the user's input, stopped a write
MACHINE_ERRNOS = frozenset({errno.ENOSPC, errno.EROFS, errno.EDQUOT, errno.EIO, errno.EACCES, errno.EPERM})


@contextlib.contextmanager
def atomic_path(path, suffix: str | None = None):
    """Yield a temporary path beside ``path``; rename it onto ``path`` if the block succeeds.

    The temporary name keeps the final suffix (``.keras``, ``.png``) because some writers
    choose the format from it.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix if suffix is None else suffix
    tmp = path.with_name(f".{path.stem}.partial-{os.getpid()}{suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(path, text: str) -> Path:
    """Write text atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return Path(path)


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(path, obj) -> Path:
    """Write an object as indented JSON atomically (NumPy numbers become plain numbers)."""
    return write_text(path, json.dumps(_jsonable(obj), indent=2, sort_keys=True) + "\n")


def write_history_csv(path, history: dict) -> Path:
    """Write a Keras history (name -> list per epoch) as CSV with an ``epoch`` column."""
    names = sorted(history)
    rows = max((len(v) for v in history.values()), default=0)
    with atomic_path(path) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["epoch", *names])
            for i in range(rows):
                writer.writerow([i + 1, *[_jsonable(history[n][i]) if i < len(history[n]) else "" for n in names]])
    return Path(path)


def save_model(model, path) -> Path:
    """Save a Keras model as a ``.keras`` file atomically."""
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"model files must end in .keras, got {path.name!r}")
    with atomic_path(path) as tmp, engine.keras_without_tensorflow():
        model.save(tmp)
    return path


def save_figure(fig, path, dpi: int = 100) -> Path:
    """Save a matplotlib figure atomically."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
    return Path(path)


def write_arrays(path, arrays: dict) -> Path:
    """Write named NumPy arrays as one ``.npz`` file atomically (numbers only, no pickle)."""
    path = Path(path)
    if path.suffix != ".npz":
        raise ValueError(f"array files must end in .npz, got {path.name!r}")
    clean = {}
    for name, value in arrays.items():
        array = np.asarray(value)
        if array.dtype.kind not in "biuf":
            raise TypeError(f"array {name!r} must hold numbers, got dtype {array.dtype}")
        clean[str(name)] = array
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            np.savez(f, **clean)
            f.flush()
            os.fsync(f.fileno())
    return path


def read_arrays(path) -> dict:
    """Read an ``.npz`` file written by :func:`write_arrays`; never unpickles objects."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"array file {str(path)!r} does not exist")
    import zipfile

    try:
        with np.load(path, allow_pickle=False) as store:
            return {name: store[name] for name in store.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as exc:
        raise ValueError(f"cannot read array file {str(path)!r} (damaged or not an .npz file): "
                         f"{exc}") from exc


def read_json(path):
    """Read a JSON file with a clear error if it is missing or damaged."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"file {str(path)!r} does not exist")
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError(f"cannot read {str(path)!r}: not valid JSON ({exc})") from exc


def _shape_matches(actual, expected) -> bool:
    actual, expected = tuple(actual), tuple(expected)
    return len(actual) == len(expected) and all(
        e is None or a is None or int(a) == int(e) for a, e in zip(actual, expected))


def load_model(path, expected_input_shape=None, expected_output_shape=None, custom_objects=None):
    """Load a ``.keras`` model safely and check it is the model expected.

    Keras' safe mode stays on, so a file cannot run arbitrary code (no ``Lambda`` layers
    with pickled Python); nothing is unpickled. The package's own layers (the
    self-conditioned DCGAN's ``ClusterChoice``) are registered first: with plain
    ``keras.models.load_model``, ``import gan_keras.models`` before loading. ``expected_input_shape`` and
    ``expected_output_shape`` are shapes without the batch axis (``None`` matches any
    size); a file from another model gets a ``ValueError`` saying what it holds instead.
    """
    import zipfile

    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path must be a file path, got {type(path).__name__}")
    path = Path(path)
    if path.suffix != ".keras":
        raise ValueError(f"model files must end in .keras, got {path.name!r}")
    if not path.exists():
        raise FileNotFoundError(f"model file {str(path)!r} does not exist")
    if path.is_dir():
        raise IsADirectoryError(f"model path {str(path)!r} is a folder, expected a .keras file")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{str(path)!r} is not a Keras model file (a .keras file is a zip "
                         "archive; this one is damaged or something else)")
    import keras

    import gan_keras.models  # noqa: F401  (registers the package's own layers, e.g. ClusterChoice)

    try:
        model = keras.saving.load_model(path, custom_objects=custom_objects, compile=False,
                                        safe_mode=True)
    except Exception as exc:  # Keras raises many types for bad archives
        raise ValueError(f"cannot load model {str(path)!r}: {type(exc).__name__}: "
                         f"{str(exc)[:300]}") from exc
    for expected, actual, what in ((expected_input_shape, getattr(model, "input_shape", None), "input"),
                                   (expected_output_shape, getattr(model, "output_shape", None), "output")):
        if expected is None:
            continue
        if actual is None or isinstance(actual, list):
            raise ValueError(f"{str(path)!r} holds a model with several {what}s or none; "
                             f"expected one {what} of shape {tuple(expected)}")
        if not _shape_matches(actual[1:], expected):
            raise ValueError(f"{str(path)!r} holds a model whose {what} has shape "
                             f"{tuple(actual[1:])}, expected {tuple(expected)}: it is a file "
                             "from another model")
    return model
