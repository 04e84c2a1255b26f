"""The same tests on JAX: the trainers, resume, the command line and the learning tests.

Keras picks its backend once per process, so each file below runs in a pytest subprocess
of its own with ``GAN_KERAS_TEST_BACKEND=jax`` (``tests/conftest.py`` sets ``KERAS_BACKEND``
from it and skips the tests marked ``tensorflow_only``). One test per file, so that a
failure names the file; its output's tail is in the failure message. PyTorch's files run
the same way when torch is installed (``pip install gan_keras[torch]``).
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import TEST_BACKEND

ROOT = Path(__file__).resolve().parent.parent

# The files that run on JAX too (a file's tests that need TensorFlow itself are marked
# ``tensorflow_only`` and skipped there).
JAX_FILES = [
    "tests/test_gan.py",
    "tests/test_averaging.py",
    "tests/test_simultaneous.py",
]

# What runs on PyTorch when it is installed (not in CI: its wheel brings several GB of CUDA
# libraries; see the README).
TORCH_FILES = [
    "tests/test_gan.py",
]


def run_on(backend: str, path: str, timeout: int = 1200) -> subprocess.CompletedProcess:
    env = dict(os.environ, GAN_KERAS_TEST_BACKEND=backend)
    env.pop("KERAS_BACKEND", None)
    return subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", path],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)


def check(backend: str, path: str) -> None:
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    result = run_on(backend, path)
    tail = "\n".join((result.stdout + result.stderr).splitlines()[-60:])
    assert result.returncode == 0, f"{path} on {backend} failed:\n{tail}"
    assert " passed" in result.stdout, f"{path} on {backend} ran no test:\n{tail}"


pytestmark = pytest.mark.skipif(TEST_BACKEND != "tensorflow", reason="the runs on other backends start from the TensorFlow run")


@pytest.mark.parametrize("path", JAX_FILES)
def test_on_jax(path):
    check("jax", path)


@pytest.mark.parametrize("path", TORCH_FILES)
def test_on_torch(path):
    check("torch", path)
