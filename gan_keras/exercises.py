"""The course's exercises: the registry of checks, and where exercises sit in a notebook.

One place that both the checks (``gan_keras.checks``, which register themselves here) and
the notebook tools (``gan_keras.app.notebook``, ``gan_keras.checks.notebooks``, ``tools/nbtool.py``)
import. This module imports nothing of ``gan_keras`` at import time, so no import circle
goes through it; :func:`registered` loads the chapter checks by name the first time a tool
asks for the whole list.
"""

from __future__ import annotations

import ast
import importlib
import json
from pathlib import Path

#: The package whose import registers every chapter's checks (``gan_keras/checks/chNN.py``).
CHECKS_PACKAGE = "gan_keras.checks"

REGISTRY: dict[str, "Exercise"] = {}


class Exercise:
    """One exercise: its id (``"2.1"``), title, check function and the reference it accepts."""

    def __init__(self, exercise_id: str, title: str, check, reference=None):
        self.id = exercise_id
        self.title = title
        self.check = check
        self.reference = reference

    def __repr__(self):
        return f"Exercise({self.id!r}, {self.title!r})"


def register(exercise: Exercise) -> Exercise:
    """Add an exercise to the registry; an id used by two different checks is an error."""
    known = REGISTRY.get(exercise.id)
    if known is not None and known.check.__name__ != exercise.check.__name__:
        raise RuntimeError(f"exercise id {exercise.id} is used twice "
                           f"({known.check.__name__} and {exercise.check.__name__})")
    REGISTRY[exercise.id] = exercise
    return exercise


def registered() -> dict[str, Exercise]:
    """Return ``{id: Exercise}`` for every exercise of the course (loading the checks once)."""
    importlib.import_module(CHECKS_PACKAGE)
    return REGISTRY


def lookup(exercise_id: str) -> Exercise:
    """Return the registered exercise ``exercise_id``, or explain which ids exist."""
    exercises = registered()
    if exercise_id not in exercises:
        raise ValueError(f"unknown exercise {exercise_id!r}: expected one of "
                         f"{', '.join(sorted(exercises, key=_id_key)) or 'none'}")
    return exercises[exercise_id]


def _id_key(exercise_id: str):
    return tuple(int(p) if p.isdigit() else p for p in exercise_id.split("."))


# ----------------------------------------------------------------------------------------
# Where exercises sit in a saved notebook (plain JSON; no Jupyter needed).

def cell_source(cell: dict) -> str:
    """Return a cell's source as one string."""
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else source


def read_notebook(path) -> dict:
    """Read an .ipynb file as a JSON dict, explaining what is wrong if it is not a notebook."""
    path = Path(path)
    if path.suffix != ".ipynb":
        raise ValueError(f"expected a notebook file ending in .ipynb, got {str(path)!r}")
    if not path.is_file():
        raise FileNotFoundError(f"no notebook at {path}")
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ValueError(f"{path} is not valid notebook JSON: {exc}") from None
    if not isinstance(nb, dict) or not isinstance(nb.get("cells"), list):
        raise ValueError(f"{path} has no list of cells; expected a Jupyter notebook (nbformat 4)")
    return nb


def exercise_id(cell: dict) -> str | None:
    """Return the exercise id ("2.1") of an exercise stub cell, or None for any other cell."""
    meta = cell.get("metadata", {})
    if cell.get("cell_type") != "code" or "exercise" not in meta.get("tags", []):
        return None
    return str(meta.get("gan_keras", {}).get("exercise") or "") or None


def ipython_free(source: str) -> str:
    """Blank magics and shell lines (not Python) so that ``ast`` can parse the rest."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line
                     for line in source.splitlines())


def defined_name(source: str) -> str | None:
    """Return the name of the first top-level function or class a cell defines."""
    try:
        tree = ast.parse(ipython_free(source))
    except SyntaxError:
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return node.name
    return None
