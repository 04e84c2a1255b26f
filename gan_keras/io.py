"""Files that survive interruption: everything is written to a temporary name, then renamed.

``os.replace`` is atomic on one file system, so a run killed mid-write leaves either the
old file or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
from pathlib import Path

import numpy as np


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
    with atomic_path(path) as tmp:
        model.save(tmp)
    return path


def save_figure(fig, path, dpi: int = 100) -> Path:
    """Save a matplotlib figure atomically."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
    return Path(path)
