"""The engine's protocol: every backend module defines the functions the engine's docstring lists, alike.

The three backend modules are read with ``ast`` (PyTorch need not be installed, and reading
imports no framework): each must define every function of ``engine.PROTOCOL`` at module level
with the parameters the docstring's section "The protocol" gives, and import nothing else of
the engine (the engine imports them; they are its lowest modules).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from gan_keras import engine

ENGINE = Path(engine.__file__).resolve().parent
BACKEND_MODULES = {backend: ENGINE / f"{backend}_engine.py" for backend in engine.BACKENDS}


def documented_protocol() -> dict[str, list[str]]:
    """``name -> parameter names`` from the engine docstring's section "The protocol"."""
    section = engine.__doc__.split("The protocol\n------------\n", 1)[1]
    found = {}
    for name, params in re.findall(r"^``(\w+)\(([^)]*)\)``$", section, flags=re.MULTILINE):
        found[name] = [p.split("=")[0].strip() for p in params.split(",") if p.strip()]
    return found


def defined_functions(path: Path) -> dict[str, list[str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    return {node.name: [a.arg for a in node.args.posonlyargs + node.args.args + node.args.kwonlyargs]
            for node in tree.body if isinstance(node, ast.FunctionDef)}


def test_the_docstring_documents_exactly_the_protocol():
    assert sorted(documented_protocol()) == sorted(engine.PROTOCOL)


@pytest.mark.parametrize("backend", sorted(BACKEND_MODULES))
def test_each_backend_module_defines_the_protocol(backend):
    defined = defined_functions(BACKEND_MODULES[backend])
    missing = [name for name in engine.PROTOCOL if name not in defined]
    assert not missing, f"{backend}_engine.py lacks {missing}"
    for name, params in documented_protocol().items():
        assert defined[name] == params, f"{backend}_engine.{name}{tuple(defined[name])}: the protocol says {params}"


@pytest.mark.parametrize("backend", sorted(BACKEND_MODULES))
def test_a_backend_module_imports_nothing_else_of_the_engine(backend):
    tree = ast.parse(BACKEND_MODULES[backend].read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            assert node.level == 0 and not (node.module or "").startswith("gan_keras.engine"), ast.unparse(node)
            assert not (node.module == "gan_keras" and any(a.name == "engine" for a in node.names)), ast.unparse(node)
        elif isinstance(node, ast.Import):
            assert not any(a.name.startswith("gan_keras.engine") for a in node.names), ast.unparse(node)


def test_the_active_backend_module_is_the_one_engine_current_returns():
    module = engine.current()
    assert Path(module.__file__).resolve() == BACKEND_MODULES[engine.name()]
    assert all(callable(getattr(module, name)) for name in engine.PROTOCOL)


def test_the_engine_exports_core_and_trainer_names():
    from gan_keras.engine import core, trainer

    assert set(engine._CORE) == set(core.__all__)
    assert all(getattr(engine, name) is getattr(core, name) for name in core.__all__)
    assert all(getattr(engine, name) is getattr(trainer, name) for name in engine._TRAINER)
    assert set(engine.__all__) >= set(core.__all__) | set(engine._TRAINER) | {"name", "current", "tf_data"}


def test_engine_name_answers_without_keras(tmp_path):
    """``engine.name()`` reads the setting before Keras is imported, and importing the engine imports no framework."""
    import os
    import subprocess
    import sys

    program = ("import sys\nfrom gan_keras import engine, data\nprint(engine.name(), "
               "sorted(m for m in ('keras', 'tensorflow', 'jax', 'torch') if m in sys.modules))")
    root = str(ENGINE.parents[1])  # this checkout, ahead of any installed copy
    env = dict(os.environ, KERAS_BACKEND="jax", PYTHONPATH=os.pathsep.join([root, os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", program], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == ["jax", "[]"]
