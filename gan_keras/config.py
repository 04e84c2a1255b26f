"""Settings read once and used everywhere: fast mode, offline mode, seeds and paths.

Fast mode is the one switch that shrinks data, epochs and image sizes so that a notebook
or a command finishes in seconds on a CPU. It is on when the environment variable
``GAN_KERAS_FAST`` is ``1`` (what the tests and CI set) or when a command gets ``--fast``.
Every chapter reads it through :func:`fast_mode`, never from ``os.environ`` directly.
"""

from __future__ import annotations

import os
from pathlib import Path

FAST_ENV = "GAN_KERAS_FAST"
OFFLINE_ENV = "GAN_KERAS_OFFLINE"
CACHE_ENV = "GAN_KERAS_CACHE"

# Where the course lives online; the Colab badges and the notebooks' setup cell use it.
# The one place naming the repository: `gan-keras/gan_keras` is a placeholder until the
# course has a public remote. REPOSITORY_REF pins the release the notebooks install and
# open in Colab: the git tag "v" + gan_keras.__version__ (a test keeps the two equal).
# After changing either, re-apply the setup cell and badges:
# `python tools/nbtool.py refresh notebooks/*.ipynb`.
REPOSITORY = "gan-keras/gan_keras"
REPOSITORY_REF = "v0.1.0"

class UnavailableError(RuntimeError):
    """Something the course needs (a dataset, pretrained weights) cannot be had here.

    The message says what happened and what to do; the command line prints it as one line.
    """


_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _flag(name: str) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be 0 or 1 (or true/false), got {value!r}")


def fast_mode() -> bool:
    """Return True when fast mode is on (``GAN_KERAS_FAST=1`` or ``--fast``)."""
    return _flag(FAST_ENV)


def set_fast_mode(on: bool = True) -> None:
    """Switch fast mode on or off for this process and the processes it starts."""
    os.environ[FAST_ENV] = "1" if on else "0"


def offline_mode() -> bool:
    """Return True when downloads must not be tried (``GAN_KERAS_OFFLINE=1``)."""
    return _flag(OFFLINE_ENV)


def fast_or_full(fast, full):
    """Pick the fast-mode value or the full-course value of a setting."""
    return fast if fast_mode() else full


def cache_dir() -> Path:
    """Return the folder for cached artefacts (trained classifiers), creating it."""
    root = os.environ.get(CACHE_ENV) or os.path.join(
        os.environ.get("XDG_CACHE_HOME", os.path.join(Path.home(), ".cache")), "gan_keras"
    )
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def runs_dir() -> Path:
    """Return the default parent folder of training runs (``runs/`` here)."""
    return Path("runs")


def colab_url(notebook: str) -> str:
    """Return the Colab address of a chapter notebook in this repository."""
    return (
        f"https://colab.research.google.com/github/{REPOSITORY}/blob/"
        f"{REPOSITORY_REF}/notebooks/{notebook}"
    )


# The Keras backends the course runs on, the one list of them (``gan_keras.engine`` imports it:
# the package checks the setting before Keras is imported). TensorFlow, the first, is Keras'
# default (and the fastest on a CPU: oneDNN's convolutions); JAX and PyTorch run the same
# trainers through ``gan_keras.engine``, which is the only place that tells them apart.
BACKENDS = ("tensorflow", "jax", "torch")
DEFAULT_BACKEND = BACKENDS[0]


def _backend_error(where: str, value: str) -> RuntimeError:
    return RuntimeError(
        f"gan_keras runs Keras on one of {', '.join(BACKENDS)}, but {where} says {value!r}. "
        "Set it to one of those (or unset KERAS_BACKEND for TensorFlow) and restart Python."
    )


def backend_setting() -> str:
    """Return the Keras backend this process will use, read without importing Keras.

    What Keras will read when imported: ``KERAS_BACKEND``, else ``keras.json``, else its
    default. Ask ``gan_keras.engine.name()`` which backend runs (it reads this only while
    Keras is not imported yet).
    """
    import json

    wanted = os.environ.get("KERAS_BACKEND")
    if wanted is not None:
        return wanted
    keras_home = os.environ.get("KERAS_HOME", os.path.join(Path.home(), ".keras"))
    settings = Path(keras_home) / "keras.json"
    try:
        return json.loads(settings.read_text()).get("backend", DEFAULT_BACKEND)
    except (OSError, ValueError, AttributeError):
        return DEFAULT_BACKEND


def check_backend_setting() -> None:
    """Fail early, without importing Keras, if Keras is set to a backend the course does not run on."""
    import json

    wanted = os.environ.get("KERAS_BACKEND")
    if wanted is not None:
        if wanted not in BACKENDS:
            raise _backend_error("the environment variable KERAS_BACKEND", wanted)
        return
    keras_home = os.environ.get("KERAS_HOME", os.path.join(Path.home(), ".keras"))
    settings = Path(keras_home) / "keras.json"
    try:
        backend = json.loads(settings.read_text()).get("backend", DEFAULT_BACKEND)
    except (OSError, ValueError):
        return
    if backend not in BACKENDS:
        raise _backend_error(str(settings), backend)

