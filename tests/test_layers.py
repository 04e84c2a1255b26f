"""The package's layers: every import points down (or sideways without a circle), and only the engine names a backend.

Every ``import`` of every module under ``gan_keras/`` is read with ``ast`` (module level,
inside functions, under ``if TYPE_CHECKING:``, in ``try``) and checked against the declared
order below, lowest first. A module may import from its own layer or a lower one; between
modules no circle is allowed, at module granularity (``gan_keras.engine`` and
``gan_keras.engine.trainer`` are two modules, so a package ``__init__`` importing a submodule
that imports the ``__init__`` back is a circle). Importing ``gan_keras.a.b`` also runs the
package ``gan_keras.a`` (and ``gan_keras``): those implicit parent imports are Python's, not
the code's, and are not edges; ``from gan_keras.a import b`` is an edge to the module
``gan_keras.a.b`` when ``b`` is one, else to ``gan_keras.a``. Literal
``importlib.import_module("gan_keras...")`` calls are edges too; computed names (the engine
picking its backend module, ``recipes`` its registry) cannot be read and are left out.

The order (lowest first) and why each module sits where it does:

- L0 ``config``, ``validate``, ``exercises``: settings, argument checks, the exercise registry;
  they import no other layer.
- L1 ``engine``: the backends. It knows only ``config`` (the backend list, read before Keras is
  imported) and ``validate``.
- L2 ``io``, ``data``, ``losses``, ``models``, ``averaging``: what a trainer is made of.
  ``io`` sits here, not in L0, because it saves and loads Keras models: saving off TensorFlow
  asks the engine to keep Keras from importing TensorFlow (``engine.keras_without_tensorflow``)
  and loading registers the package's own layers (``models``); nothing in L0 or L1 writes a file.
  ``data`` asks the engine whether batches are ``tf.data`` pipelines.
- L3 ``trainers``, ``plots``: the games, and figures from arrays.
- L4 ``images``, ``training``, ``theory``, ``numpy_gan``, ``latent``: chapter ideas and training
  support (callbacks draw with ``plots``; ``theory`` plots its curves).
- L5 ``measure``, ``dream``, ``style``, ``conditional``, ``semi_supervised``, ``translation``,
  ``modes``: chapters built on the trainers and the measures (``dream``/``style`` on ``images``).
- L6 ``recipes``, ``checks``: what ``train MODEL`` runs, and the exercise checks (which import
  the references they check).
- L7 ``app``, ``__main__`` and the package ``gan_keras/__init__.py``: the command line, the
  doctor, the notebooks' tools.

The engine is closed: outside ``gan_keras/engine/`` no module compares a value with a backend's
name, imports TensorFlow, JAX or PyTorch, asks ``keras.backend.backend()``, imports ``keras.src``
or reads a private attribute of a Keras object; they ask the engine (``engine.name()``,
``engine.tf_data()``, ``engine.sync_state(model)``, ...). ``config`` holds the one list of
backends (``BACKENDS``), which it needs before Keras is imported. The exceptions are listed in
``ENGINE_EXCEPTIONS``, each with its reason.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

# One worker runs this file (pytest-xdist): its module fixtures are made once.
pytestmark = pytest.mark.xdist_group("test_layers")

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "gan_keras"

LAYERS = [
    ("config", "validate", "exercises"),
    ("engine",),
    ("io", "data", "losses", "models", "averaging"),
    ("trainers", "plots"),
    ("images", "training", "theory", "numpy_gan", "latent"),
    ("measure", "dream", "style", "conditional", "semi_supervised", "translation", "modes"),
    ("recipes", "checks"),
    ("app", "__main__", "__init__"),
]

BACKEND_NAMES = ("tensorflow", "jax", "torch")
BACKEND_MODULES = BACKEND_NAMES + ("jaxlib",)

# Modules outside gan_keras/engine/ allowed to name a backend or use Keras' private API, and why.
ENGINE_EXCEPTIONS = {
    "gan_keras.app.doctor": "reports each installed framework's version and devices by name, and must work when "
                            "Keras or a framework cannot be imported, so it cannot go through the engine",
}


# ------------------------------------------------------------------------------------------
# Reading the imports


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def package_modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Every module of the package: its dotted name -> its file."""
    return {module_name(path, package.parent): path for path in sorted(package.rglob("*.py"))}


def _package_of(modules: dict) -> str:
    return min(modules, key=len).split(".")[0]


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def imported_names(tree: ast.AST, name: str, is_package: bool) -> list[tuple[str, list[str], int]]:
    """``(module, [names imported from it], line)`` for every import in ``tree``, relative ones resolved."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, [], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = name.split(".") if is_package else name.split(".")[:-1]
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            found.append((target, [alias.name for alias in node.names], node.lineno))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
              and node.func.attr == "import_module" and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
            found.append((node.args[0].value, [], node.lineno))
    return found


def import_graph(modules: dict[str, Path]) -> dict[str, dict[str, int]]:
    """Module -> {imported module of the package: line of the first such import}."""
    package = _package_of(modules)
    graph = {}
    for name, path in modules.items():
        edges = {}
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for target, names, line in imported_names(tree, name, _is_package(path)):
            if target != package and not target.startswith(package + "."):
                continue
            targets = [f"{target}.{n}" for n in names if f"{target}.{n}" in modules]
            if len(targets) < len(names) or not names:
                targets.append(target)  # names of the module itself (or a plain ``import``)
            for t in targets:
                while t not in modules:  # ``import gan_keras.a.b.c`` of a name that is not a module
                    t = t.rpartition(".")[0]
                if t != name:
                    edges.setdefault(t, line)
        graph[name] = edges
    return graph


def layer_of(module: str, layers=LAYERS) -> int:
    """The index of ``module``'s layer: by its first name under the package (the package itself: ``__init__``)."""
    parts = module.split(".")
    key = parts[1] if len(parts) > 1 else "__init__"
    for index, names in enumerate(layers):
        if key in names:
            return index
    raise KeyError(f"{module} is in no declared layer: add {key!r} to LAYERS (and say why in the docstring)")


def upward_imports(graph: dict, layers=LAYERS) -> list[str]:
    """One line per import that points to a higher layer."""
    bad = []
    for module, edges in sorted(graph.items()):
        for target, line in sorted(edges.items()):
            if layer_of(target, layers) > layer_of(module, layers):
                bad.append(f"{module} (L{layer_of(module, layers)}) imports {target} "
                           f"(L{layer_of(target, layers)}), line {line}")
    return bad


def circles(graph: dict) -> list[list[str]]:
    """The import circles: strongly connected groups of more than one module (Tarjan), each sorted."""
    index, low, on_stack, stack, groups = {}, {}, set(), [], []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(groups)


# ------------------------------------------------------------------------------------------
# Naming a backend, or Keras' private API


def _backend_constant(node) -> bool:
    return isinstance(node, ast.Constant) and node.value in BACKEND_NAMES


def _names_backend_in_comparison(node: ast.Compare) -> bool:
    for operand in [node.left, *node.comparators]:
        if _backend_constant(operand):
            return True
        if isinstance(operand, (ast.Tuple, ast.List, ast.Set)) and any(_backend_constant(e) for e in operand.elts):
            return True
    return False


def backend_uses(tree: ast.AST) -> list[str]:
    """What in ``tree`` names a backend or reaches into Keras' private API, one line each."""
    found = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                if top in BACKEND_MODULES or alias.name.startswith(("keras.src", "keras._")):
                    found.append(f"line {line}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            if node.module.split(".")[0] in BACKEND_MODULES or node.module.startswith(("keras.src", "keras._")):
                found.append(f"line {line}: from {node.module} import ...")
            elif node.module == "keras" and any(a.name.startswith("_") or a.name == "src" for a in node.names):
                found.append(f"line {line}: from keras import a private name")
        elif isinstance(node, ast.Compare) and _names_backend_in_comparison(node):
            found.append(f"line {line}: compares with a backend's name")
        elif isinstance(node, ast.Call):
            func = node.func
            if isinstance(func, ast.Attribute) and func.attr == "backend" and isinstance(func.value, ast.Attribute) \
                    and func.value.attr == "backend":
                found.append(f"line {line}: keras.backend.backend()")
            if any(_backend_constant(arg) for arg in node.args):
                found.append(f"line {line}: a backend's name as an argument")
        elif isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            base = node.value
            if isinstance(base, ast.Name) and base.id in ("self", "cls"):
                continue
            if isinstance(base, ast.Name) and base.id in _package_module_names(tree):
                continue  # a private helper of one of the package's own modules
            found.append(f"line {line}: private attribute .{node.attr}")
    return found


def _package_module_names(tree: ast.AST) -> set:
    """The names a module binds to the package's own modules (``from gan_keras import data as gk_data``)."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gan_keras"):
            names.update(alias.asname or alias.name for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.asname or alias.name.split(".")[0] for alias in node.names
                         if alias.name.startswith("gan_keras"))
    return names


def engine_leaks(modules: dict[str, Path]) -> dict[str, list[str]]:
    leaks = {}
    for name, path in modules.items():
        if name == "gan_keras.engine" or name.startswith("gan_keras.engine."):
            continue
        found = backend_uses(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
        if found:
            leaks[name] = found
    return leaks


# ------------------------------------------------------------------------------------------
# The tests


@pytest.fixture(scope="module")
def graph():
    return import_graph(package_modules())


def test_every_module_is_in_a_declared_layer(graph):
    for module in graph:
        layer_of(module)


def test_imports_point_down(graph):
    bad = upward_imports(graph)
    assert not bad, "imports into a higher layer:\n" + "\n".join(bad)


def test_no_import_circles(graph):
    found = circles(graph)
    assert not found, "import circles:\n" + "\n".join(" <-> ".join(group) for group in found)


def test_the_graph_holds_the_package_s_function_level_imports(graph):
    assert "gan_keras.recipes" in graph["gan_keras.app.cli"]  # inside cli's command functions
    assert "gan_keras.engine.trainer" in graph["gan_keras.engine"]  # the engine's names, imported on first use
    assert {"gan_keras.engine.tensorflow_engine", "gan_keras.engine.jax_engine",
            "gan_keras.engine.torch_engine"} <= set(graph["gan_keras.engine.backends"])


def test_only_the_engine_names_a_backend_or_keras_private_api():
    leaks = {name: found for name, found in engine_leaks(package_modules()).items() if name not in ENGINE_EXCEPTIONS}
    assert not leaks, "backend names or Keras' private API outside gan_keras/engine/ (ask the engine):\n" + "\n".join(
        f"{name}: {'; '.join(found)}" for name, found in sorted(leaks.items()))


def test_each_exception_is_still_needed():
    leaks = engine_leaks(package_modules())
    stale = [name for name in ENGINE_EXCEPTIONS if name not in leaks]
    assert not stale, f"these modules no longer need their exception; remove them from ENGINE_EXCEPTIONS: {stale}"


# ------------------------------------------------------------------------------------------
# The checks themselves, on a tiny fake package


FAKE = {
    "pkg/__init__.py": "from pkg import low\n",
    "pkg/low.py": "def f():\n    from pkg import high  # upward, inside a function\n",
    "pkg/high.py": "from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    from pkg.mid import thing\n",
    "pkg/mid.py": "import pkg.high as h\n",
    "pkg/side/__init__.py": "from .a import x\n",
    "pkg/side/a.py": "from pkg.side import y\n",
    "pkg/side/b.py": "import importlib\nimportlib.import_module('pkg.low')\n",
}


def test_the_checks_report_an_upward_import_and_circles(tmp_path):
    for relative, source in FAKE.items():
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / relative).write_text(source)
    graph = import_graph(package_modules(tmp_path / "pkg"))
    assert graph["pkg.low"] == {"pkg.high": 2}  # inside a function
    assert graph["pkg.high"] == {"pkg.mid": 4}  # under TYPE_CHECKING
    assert graph["pkg.side"] == {"pkg.side.a": 1}  # a relative import
    assert graph["pkg.side.b"] == {"pkg.low": 2}  # a literal importlib.import_module
    layers = [("low",), ("mid", "high", "side"), ("__init__",)]
    assert upward_imports(graph, layers) == ["pkg.low (L0) imports pkg.high (L1), line 2"]
    # mid <-> high inside one layer; a package __init__ and a submodule importing it back
    assert circles(graph) == [["pkg.high", "pkg.mid"], ["pkg.side", "pkg.side.a"]]


def test_the_engine_check_reports_backend_names_and_private_api():
    source = (
        "import keras\nfrom gan_keras import data as gk_data\n"
        "def f(model):\n"
        "    import tensorflow as tf\n"
        "    if keras.backend.backend() == 'jax':\n"
        "        pass\n"
        "    if name() in ('torch', 'x'):\n"
        "        pass\n"
        "    from keras.src.utils import module_utils\n"
        "    sys.modules.get('tensorflow')\n"
        "    model._flatten_layers()\n"
        "    gk_data._array_batches_class()\n"
        "    self._x\n"
        "    print(f'Keras runs on {name()}, not tensorflow')\n"
    )
    assert sorted(backend_uses(ast.parse(source))) == sorted([
        "line 4: import tensorflow", "line 5: compares with a backend's name", "line 5: keras.backend.backend()",
        "line 7: compares with a backend's name", "line 9: from keras.src.utils import ...",
        "line 10: a backend's name as an argument", "line 11: private attribute ._flatten_layers",
    ])  # not: a private helper of the package's own module, self's attributes, a name inside a message
