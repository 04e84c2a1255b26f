"""Run the checks on the exercises a student wrote in a saved notebook (for pytest or a script)."""

from __future__ import annotations

import ast

from gan_keras import exercises
from gan_keras.checks._core import require


def load_exercises(path) -> dict:
    """Return ``{exercise id: function}`` for the exercise cells of a saved notebook.

    Only the exercise cells run, after the import lines of every code cell (so a solution
    may use ``np``, ``keras``, ``ops`` imported elsewhere); no training cell runs.
    """
    nb = exercises.read_notebook(path)
    cells = [c for c in nb["cells"] if c.get("cell_type") == "code"]
    namespace: dict = {}
    for cell in cells:
        try:
            tree = ast.parse(exercises.ipython_free(exercises.cell_source(cell)))
        except SyntaxError:
            continue
        imports = [node for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))]
        for node in imports:
            try:
                exec(compile(ast.Module([node], type_ignores=[]), str(path), "exec"), namespace)
            except ImportError:
                pass  # an optional import (e.g. google.colab) that this machine lacks
    found = {}
    for cell in cells:
        ex_id = exercises.exercise_id(cell)
        if ex_id is None:
            continue
        source = exercises.ipython_free(exercises.cell_source(cell))
        name = exercises.defined_name(source)
        if name is None:
            raise ValueError(f"{path}: exercise {ex_id}'s cell defines no function")
        try:
            exec(compile(source, f"{path} (exercise {ex_id})", "exec"), namespace)
        except SyntaxError as exc:
            raise ValueError(f"{path}: exercise {ex_id} has a syntax error: {exc}") from None
        found[ex_id] = namespace[name]
    return found


def require_exercise(exercise_id: str, fn) -> None:
    """Under pytest: pass, fail with the teaching message, or skip exercise ``exercise_id``."""
    require(exercises.lookup(exercise_id).check, fn)
