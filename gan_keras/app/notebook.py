"""What the first cell of every chapter calls, and the instructor's solutions notebooks.

- :func:`setup`: check Keras and its backend (TensorFlow, JAX or PyTorch), say whether a GPU
  is present and what that means for run times, and return the fast-mode flag (``FAST`` in
  every notebook).
- :func:`solutions_notebook` / :func:`student_notebook`: the two versions of a chapter made
  from its one stored source (``python -m gan_keras notebooks solutions|student``).
"""

from __future__ import annotations

import ast
import builtins
import copy
import importlib
import inspect
import json
import types
from pathlib import Path

from gan_keras import config, exercises
from gan_keras.app import doctor


def gpu_message(gpus: list, fast: bool) -> str:
    """Say which device trains and what that means for the run times."""
    if gpus:
        return (f"GPU: {len(gpus)} found ({gpus[0].name}); the full settings take the 'Colab GPU' "
                "times of the README's chapter table (minutes per chapter).")
    message = ("No GPU found: training runs on the CPU, and the full settings take the 'Laptop CPU' "
               "times of the README's chapter table (often 5-20x the GPU times). In Colab choose "
               "Runtime > Change runtime type > T4 GPU, then run from the top.")
    if not fast:
        message += (" To try every cell in seconds first, set GAN_KERAS_FAST=1 (in Colab, a cell "
                    "`%env GAN_KERAS_FAST=1` above this one) and run again.")
    return message


def _show_figures_inline() -> None:
    """Make the figures that ``gan_keras.plots`` returns display as pictures in a notebook.

    ``gan_keras.plots`` builds ``matplotlib.figure.Figure`` objects without pyplot; Jupyter
    and Colab register the PNG display of such figures only once the inline backend is
    activated, otherwise a cell shows ``<Figure size ...>`` as text.
    """
    try:
        from IPython import get_ipython
    except ImportError:
        return
    shell = get_ipython()
    if shell is not None and getattr(shell, "kernel", None) is not None:
        shell.run_line_magic("matplotlib", "inline")


def setup(verbose: bool = True, quiet: bool = True) -> bool:
    """Check the Keras backend and Keras, say whether a GPU is present, and return the fast-mode flag.

    Introduced in every notebook's setup cell. On TensorFlow (the default) its versions are
    checked and TensorFlow's harmless C++ start-up and graph-optimiser lines are kept out of
    the notebook (``gan_keras.app.quiet``); real warnings and errors still show. With
    ``KERAS_BACKEND=jax`` or ``torch`` the first line names that framework and its version
    instead, and TensorFlow is not imported.
    """
    config.check_backend_setting()
    if quiet:
        from gan_keras.app import quiet as _quiet

        _quiet.filter_tensorflow_chatter()
    first_line, warnings, gpus = doctor.framework_check()
    fast = config.fast_mode()
    _show_figures_inline()
    if verbose:
        print(first_line)
        for warning in warnings:
            print(f"Warning: {warning}")
        print(gpu_message(gpus, fast))
        print(f"Fast mode: {'ON (tiny data, few epochs)' if fast else 'off (the full course settings)'}")
        print(doctor.short_report())
    return fast


# ----------------------------------------------------------------------------------------
# Solutions and student versions of a chapter, from its one stored source.

SOLUTION_TAG = "solution"


def _cells(nb: dict) -> list[dict]:
    return nb.get("cells", [])


# Reading exercise cells lives in gan_keras.exercises (shared with the checks); the names stay
# importable from here for the tools that use them.
_source = exercises.cell_source
_ipython_free = exercises.ipython_free
read_notebook = exercises.read_notebook
exercise_id = exercises.exercise_id
defined_name = exercises.defined_name


def strip_outputs(nb: dict) -> dict:
    """Remove outputs, execution counts and execution metadata in place; return the notebook."""
    for cell in _cells(nb):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        cell.get("metadata", {}).pop("execution", None)
    nb.get("metadata", {}).pop("widgets", None)
    return nb


def _code_objects(obj):
    if isinstance(obj, types.FunctionType):
        yield from _walk_code(obj.__code__)
    elif isinstance(obj, type):
        for value in vars(obj).values():
            value = getattr(value, "__func__", value)
            if isinstance(value, property):
                value = value.fget
            if isinstance(value, types.FunctionType):
                yield from _walk_code(value.__code__)


def _walk_code(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _walk_code(const)


def reference_source(reference, name: str | None = None) -> str:
    """Return runnable source of a package reference: the globals it needs, then its code.

    ``reference`` is ``"module:function"`` (as in ``checks.REGISTRY``) or the object; ``name``
    renames the definition to the stub's name when the two differ.
    """
    if isinstance(reference, str):
        module_name, _, attr = reference.partition(":")
        if not attr:
            raise ValueError(f"expected a reference 'module:function', got {reference!r}")
        obj = getattr(importlib.import_module(module_name), attr)
    else:
        obj = reference
    obj = inspect.unwrap(obj)
    module = importlib.import_module(obj.__module__)
    source = inspect.getsource(obj)
    lines = source.splitlines()
    # Drop decorators: the notebook's definition is the plain function or class.
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith(("def ", "class ", "async def ")))
    source = "\n".join(lines[start:])
    own = obj.__name__
    if name and name != own:
        source = source.replace(f"def {own}(", f"def {name}(", 1).replace(f"class {own}", f"class {name}", 1)
    # The module globals the code uses: names in its bytecode, plus names evaluated when the
    # definition runs (annotations, default values, base classes).
    used = {n for code in _code_objects(obj) for n in code.co_names}
    used |= {node.id for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Name)}
    needed = sorted(n for n in used if n in vars(module) and n not in (own, name)
                    and not hasattr(builtins, n))
    header = f"# Solution: the package's reference, {obj.__module__}.{own}"
    import_lines = []
    helpers = []
    for n in needed:
        value = vars(module)[n]
        if isinstance(value, types.ModuleType):
            parent, _, last = value.__name__.rpartition(".")
            if value.__name__ == n:
                import_lines.append(f"import {n}")
            elif parent and last == n:
                import_lines.append(f"from {parent} import {n}")
            else:
                import_lines.append(f"import {value.__name__} as {n}")
        else:
            helpers.append(n)
    if helpers:
        import_lines.append(f"from {obj.__module__} import {', '.join(helpers)}")
    imports = "\n".join(import_lines) + "\n\n" if import_lines else ""
    return f"{header}\n{imports}{source}\n"


def solution_cell(cell: dict) -> dict:
    """Return a copy of an exercise stub cell whose body is the package's reference."""
    ex_id = exercise_id(cell)
    if ex_id is None:
        raise ValueError("expected an exercise cell (tagged 'exercise' with metadata gan_keras.exercise)")
    registry = exercises.registered()
    if ex_id not in registry:
        raise ValueError(f"exercise {ex_id} is not registered in gan_keras.checks.REGISTRY "
                         f"(known: {', '.join(sorted(registry)) or 'none'})")
    reference = registry[ex_id].reference
    if reference is None:
        raise ValueError(f"exercise {ex_id} names no reference in its @exercise(...) decorator")
    name = defined_name(_source(cell))
    solved = copy.deepcopy(cell)
    solved["source"] = reference_source(reference, name)
    solved["metadata"]["tags"] = [t for t in solved["metadata"].get("tags", []) if t != "exercise"] + [SOLUTION_TAG]
    return solved


def solutions_notebook(nb: dict) -> dict:
    """Return the solutions version of a chapter: every exercise stub filled with the reference."""
    solved = strip_outputs(copy.deepcopy(nb))
    solved["cells"] = [solution_cell(c) if exercise_id(c) else c for c in _cells(solved)]
    if solved["cells"] and solved["cells"][0].get("cell_type") == "markdown":
        first = solved["cells"][0]
        first["source"] = _source(first) + (
            "\n\n> **Solutions version** (for instructors): the exercise cells hold the package's "
            "reference. Made by `python -m gan_keras notebooks solutions`; do not edit, edit the "
            "chapter in `notebooks/` instead.")
    return solved


def student_notebook(nb: dict) -> dict:
    """Return the student version of a chapter: the stored notebook, without outputs."""
    return strip_outputs(copy.deepcopy(nb))


def write_versions(notebooks, out_dir, kind: str) -> list[Path]:
    """Write the solutions or student version of each notebook into ``out_dir``; return the paths."""
    from gan_keras import io

    makers = {"solutions": solutions_notebook, "student": student_notebook}
    if kind not in makers:
        raise ValueError(f"expected kind 'solutions' or 'student', got {kind!r}")
    paths = [Path(p) for p in notebooks]
    if not paths:
        raise FileNotFoundError("no notebooks given (and none found in notebooks/)")
    out_dir = Path(out_dir)
    written = []
    for path in paths:
        nb = makers[kind](read_notebook(path))
        target = out_dir / path.name
        if target.resolve() == path.resolve():
            raise ValueError(f"refusing to overwrite the source notebook {path}; choose another --out")
        text = json.dumps(nb, indent=1, ensure_ascii=False, sort_keys=True) + "\n"
        io.write_text(target, text)
        written.append(target)
    return written
