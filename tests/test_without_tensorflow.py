"""Without TensorFlow: a fresh virtual environment with Keras and JAX (no TensorFlow) trains the GANs.

TensorFlow is the default backend, but with ``KERAS_BACKEND=jax`` nothing may need it. This
module builds, once per test session and inside the session's temporary folder, a virtual
environment holding Keras, JAX and the course's other dependencies (each pinned to the
version installed here, so pip resolves quickly and the two environments agree), installs
this checkout into it without its dependencies (a copy, so the build leaves nothing in the
repository), then, with ``KERAS_BACKEND=jax``, checks that

- the modules a training run imports, and the command line itself, import without TensorFlow;
- ``python -m gan_keras train gan|dcgan|cgan --fast`` finish and write their run folder.

pip needs the package registry, so it runs without the tests' network guard; the training
commands run with it (``tests/_guard`` on ``PYTHONPATH``): training must not touch the network.
When the environment cannot be built (no ``venv``/``ensurepip``, or pip cannot reach the
registry) the tests are skipped with the reason; a failed import or training run fails them.

Two quick checks run in this environment, where TensorFlow is installed: on JAX, neither the
modules of a training run nor ``python -m gan_keras`` may import it (each in its own process).

The environment's tests are marked ``slow`` (about a minute to build it, then the training
runs): deselect them with ``-m "not slow"``; ``-m "not without_tensorflow"`` deselects all.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GUARD_DIR = str(Path(__file__).resolve().parent / "_guard")

# One worker runs this file (pytest-xdist): the environment is built once.
pytestmark = [pytest.mark.without_tensorflow, pytest.mark.xdist_group("test_without_tensorflow")]

# What the TensorFlow-free environment installs, each pinned to the version installed here.
REQUIRED = ("keras", "jax", "jaxlib")
PINNED = REQUIRED + ("ml_dtypes", "h5py", "numpy", "scipy", "scikit-learn", "matplotlib", "pillow")

# The modules ``train gan|dcgan|cgan`` import (what ``python -X importtime`` lists for them).
TRAIN_MODULES = (
    "gan_keras",
    "gan_keras.config",
    "gan_keras.validate",
    "gan_keras.io",
    "gan_keras.app.cli",
    "gan_keras.data",
    "gan_keras.plots",
    "gan_keras.training.callbacks",
    "gan_keras.images",
    "gan_keras.dream",
    "gan_keras.style",
    "gan_keras.engine",
    "gan_keras.engine.trainer",
    "gan_keras.engine.jax_engine",
    "gan_keras.trainers",
    "gan_keras.trainers.gan",
    "gan_keras.averaging",
    "gan_keras.losses",
    "gan_keras.trainers.cgan",
    "gan_keras.conditional",
    "gan_keras.semi_supervised",
    "gan_keras.latent",
    "gan_keras.translation",
    "gan_keras.models",
    "gan_keras.training.distribute",
    "gan_keras.recipes",
    "gan_keras.recipes.common",
    "gan_keras.recipes.gan",
    "gan_keras.recipes.dcgan",
    "gan_keras.recipes.cgan",
)

# pip's words for "the registry cannot be reached" (a resolution conflict is not one of them).
NETWORK_ERRORS = (
    "NewConnectionError",
    "Failed to establish a new connection",
    "Temporary failure in name resolution",
    "Name or service not known",
    "Network is unreachable",
    "Connection refused",
    "Max retries exceeded",
    "ConnectTimeoutError",
    "ReadTimeoutError",
    "Read timed out",
    "No matching distribution found",
    "Could not fetch URL",
    "SSLError",
    "ProxyError",
)

PIP_TIMEOUT_S = 900
TRAIN_TIMEOUT_S = 600


def _pythonpath_without_guard() -> str:
    parts = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    return os.pathsep.join(p for p in parts if p and os.path.abspath(p) != os.path.abspath(GUARD_DIR))


def _pip_env() -> dict:
    """The session's environment with the network guard off: pip must reach the registry."""
    env = dict(os.environ)
    env["PYTHONPATH"] = _pythonpath_without_guard()
    if not env["PYTHONPATH"]:
        del env["PYTHONPATH"]
    env.pop("GAN_KERAS_NETWORK_GUARD", None)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PIP_USER"] = "0"  # a user-wide `user = true` cannot install into a virtual environment
    env["PIP_NO_INPUT"] = "1"
    return env


def _jax_env(*pythonpath: str) -> dict:
    """What the commands inside the environment run with: JAX, fast, offline, network guard on.

    ``PYTHONPATH`` is the guard folder (then ``pythonpath``) alone, so nothing of this
    environment (a checkout, its site-packages) reaches the TensorFlow-free one: that one
    imports the copy installed into it.
    """
    env = dict(os.environ)
    env.update(KERAS_BACKEND="jax", GAN_KERAS_FAST="1", GAN_KERAS_OFFLINE="1",
               PYTHONPATH=os.pathsep.join((GUARD_DIR,) + pythonpath),
               GAN_KERAS_NETWORK_GUARD="1", MPLBACKEND="Agg", PYTHONNOUSERSITE="1")
    for name in ("PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP"):
        env.pop(name, None)
    return env


def _tail(text: str, lines: int = 25) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _run_pip(python: Path, args: list[str], what: str) -> None:
    command = [str(python), "-m", "pip", "install", *args]
    try:
        done = subprocess.run(command, env=_pip_env(), capture_output=True, text=True, timeout=PIP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        pytest.skip(f"pip could not install {what} within {PIP_TIMEOUT_S} s (is the package registry reachable?)")
    if done.returncode == 0:
        return
    output = done.stdout + done.stderr
    if any(marker in output for marker in NETWORK_ERRORS):
        last = next((line for line in reversed(output.strip().splitlines()) if line.strip()), "")
        pytest.skip(f"pip could not install {what} (no network for the package registry?): {last.strip()}")
    pytest.fail(f"pip install {what} failed (exit {done.returncode}):\n{_tail(output)}")


def _installed_versions() -> dict:
    versions = {}
    for name in PINNED:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            if name in REQUIRED:
                pytest.skip(f"{name} is not installed in this environment (pip install -r requirements.txt)")
    return versions


def _copy_of_checkout(folder: Path) -> Path:
    """The files a build of the package reads, copied (a build writes build/ and *.egg-info there)."""
    folder.mkdir()
    shutil.copytree(ROOT / "gan_keras", folder / "gan_keras",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, folder / name)
    return folder


@pytest.fixture(scope="session")
def jax_python(tmp_path_factory):
    """The Python of a fresh virtual environment with Keras and JAX, this checkout and no TensorFlow."""
    versions = _installed_versions()
    root = tmp_path_factory.mktemp("without_tensorflow")
    venv = root / "venv"
    started = time.perf_counter()
    try:
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, capture_output=True, text=True,
                       timeout=300)
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
        detail = getattr(exc, "stderr", None) or str(exc)
        pytest.skip(f"python -m venv cannot create an environment here: {_tail(str(detail), 1)}")
    python = venv / ("Scripts" if os.name == "nt" else "bin") / ("python.exe" if os.name == "nt" else "python")
    created = time.perf_counter()
    _run_pip(python, [f"{name}=={version}" for name, version in versions.items()],
             "Keras, JAX and the course's dependencies")
    dependencies = time.perf_counter()
    _run_pip(python, ["--no-deps", str(_copy_of_checkout(root / "src"))], "gan_keras (--no-deps)")
    finished = time.perf_counter()
    timings = {"venv": created - started, "dependencies": dependencies - created, "package": finished - dependencies}
    (root / "timings.json").write_text(json.dumps(timings, indent=1))
    print(f"\nTensorFlow-free environment in {finished - started:.0f} s: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return python


# The check that runs in a Python process: every module of argv[1] (JSON), then, when argv[2] is
# "1", the command line's entry point (``python -m gan_keras train --help``); it reports what
# failed, and whether TensorFlow got imported and by which step first.
IMPORT_CHECK = r"""
import importlib, importlib.util, json, runpy, sys

modules = json.loads(sys.argv[1])
report = {"tensorflow_installed": importlib.util.find_spec("tensorflow") is not None, "failed": {}}
report["tensorflow_imported_by"] = None


def note(step):
    if report["tensorflow_imported_by"] is None and "tensorflow" in sys.modules:
        report["tensorflow_imported_by"] = step


for name in modules:
    try:
        importlib.import_module(name)
    except Exception as exc:  # a module importing TensorFlow fails with ModuleNotFoundError here
        report["failed"][name] = f"{type(exc).__name__}: {exc}"
    note(f"import {name}")
if sys.argv[2] == "1":
    saved_argv = sys.argv
    sys.argv = ["gan_keras", "train", "--help"]
    try:
        runpy.run_module("gan_keras", run_name="__main__", alter_sys=True)
    except SystemExit as exc:
        if exc.code not in (0, None):
            report["failed"]["python -m gan_keras train --help"] = f"exit {exc.code}"
    except Exception as exc:
        report["failed"]["python -m gan_keras train --help"] = f"{type(exc).__name__}: {exc}"
    sys.argv = saved_argv
    note("python -m gan_keras train --help")
import keras
report["backend"] = keras.backend.backend()
report["gan_keras"] = sys.modules["gan_keras"].__file__
report["tensorflow_modules"] = sorted(m for m in sys.modules if m == "tensorflow" or m.startswith("tensorflow."))
sys.stdout.flush()
print("\nREPORT " + json.dumps(report))
"""


def _report(done: subprocess.CompletedProcess) -> dict:
    line = next((line for line in done.stdout.splitlines() if line.startswith("REPORT ")), None)
    assert line is not None, (f"the import check printed no report (exit {done.returncode}):\n"
                              f"{_tail(done.stdout + done.stderr)}")
    return json.loads(line[len("REPORT "):])


@pytest.mark.slow
def test_a_training_run_imports_no_tensorflow(jax_python, tmp_path):
    done = subprocess.run([str(jax_python), "-c", IMPORT_CHECK, json.dumps(TRAIN_MODULES), "1"], cwd=tmp_path,
                          env=_jax_env(), capture_output=True, text=True, timeout=TRAIN_TIMEOUT_S)
    report = _report(done)
    assert not report["tensorflow_installed"], "the environment built without TensorFlow has TensorFlow"
    assert report["backend"] == "jax"
    assert Path(report["gan_keras"]).resolve().is_relative_to(jax_python.parents[1].resolve()), (
        f"gan_keras came from {report['gan_keras']}, not from the environment's own copy")
    failed = "\n".join(f"  {name}: {error}" for name, error in report["failed"].items())
    assert not report["failed"], f"without TensorFlow, these fail to import on JAX:\n{failed}"
    assert not report["tensorflow_modules"], (
        f"TensorFlow got imported (first by {report['tensorflow_imported_by']}): {report['tensorflow_modules'][:3]}")
    assert done.returncode == 0, _tail(done.stdout + done.stderr)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["gan", "dcgan", "cgan"])
def test_train_runs_without_tensorflow(jax_python, tmp_path, model):
    out = tmp_path / "run"
    command = [str(jax_python), "-m", "gan_keras", "train", model, "--fast", "--offline", "--out", str(out)]
    done = subprocess.run(command, cwd=tmp_path, env=_jax_env(), capture_output=True, text=True,
                          timeout=TRAIN_TIMEOUT_S)
    assert done.returncode == 0, (f"train {model} on JAX without TensorFlow failed (exit {done.returncode}):\n"
                                  f"{_tail(done.stdout + done.stderr)}")
    assert (out / "generator.keras").is_file(), f"train {model} wrote no generator.keras: {sorted(os.listdir(out))}"
    info = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert info.get("status") == "finished", f"run.json says {info.get('status')!r}"


@pytest.mark.parametrize("entry_point", [False, True], ids=["modules", "command_line"])
def test_with_tensorflow_installed_a_jax_run_leaves_it_alone(tmp_path, entry_point):
    """Here TensorFlow is installed: on JAX, neither a training run's modules nor the command line import it.

    Two processes, so that a module importing TensorFlow does not hide the command line doing it too.
    """
    modules = TRAIN_MODULES if not entry_point else ("gan_keras",)
    done = subprocess.run([sys.executable, "-c", IMPORT_CHECK, json.dumps(modules), "1" if entry_point else "0"],
                          cwd=tmp_path, env=_jax_env(str(ROOT)), capture_output=True, text=True,
                          timeout=TRAIN_TIMEOUT_S)
    report = _report(done)
    assert report["backend"] == "jax"
    assert Path(report["gan_keras"]).resolve().is_relative_to(ROOT), f"gan_keras came from {report['gan_keras']}"
    failed = "\n".join(f"  {name}: {error}" for name, error in report["failed"].items())
    assert not report["failed"], f"on JAX, these fail:\n{failed}"
    assert not report["tensorflow_modules"], f"on JAX, `{report['tensorflow_imported_by']}` imported TensorFlow"
    assert done.returncode == 0, _tail(done.stdout + done.stderr)
