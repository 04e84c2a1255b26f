"""Test settings: fast mode, offline, quiet TensorFlow, private caches; nothing touches the network.

Isolation from the user's machine, for this process and every process the tests start
(subprocesses and notebook kernels inherit the environment set here):

- ``KERAS_HOME`` (Keras' ``keras.json``, ``models/`` with the ImageNet weights, ``datasets/``
  with MNIST) and ``GAN_KERAS_CACHE`` (the trained digit classifiers) point into one fresh
  temporary folder, removed at the end of the session: weights or datasets the user
  downloaded (or half-downloaded) never change what a test sees.
- The network guard (``tests/_guard/network_guard.py``) refuses connections beyond this
  machine in this process, and ``tests/_guard/sitecustomize.py`` (first on ``PYTHONPATH``)
  installs it in every Python subprocess and notebook kernel. Every refused attempt is
  written to a log; the session fails at its end if the log is not empty.

``GAN_KERAS_TEST_USER_KERAS_HOME`` keeps the user's real Keras folder, for the one test that
shows its contents do not matter (``tests/test_isolation.py``).
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

_GUARD_DIR = str(Path(__file__).resolve().parent / "_guard")
_SESSION_DIR = tempfile.mkdtemp(prefix="gan_keras_tests_")

# Set before anything imports TensorFlow or gan_keras; subprocesses and notebook kernels inherit these.
os.environ["GAN_KERAS_FAST"] = "1"
os.environ["GAN_KERAS_OFFLINE"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# Under pytest-xdist the workers inherit the controller's environment: the user's folder and the
# network log are the controller's (one log for the whole run, read at the controller's end).
if "GAN_KERAS_TEST_USER_KERAS_HOME" not in os.environ:
    os.environ["GAN_KERAS_TEST_USER_KERAS_HOME"] = os.environ.get("KERAS_HOME") or str(Path.home() / ".keras")
os.environ["KERAS_HOME"] = os.path.join(_SESSION_DIR, "keras")
# The trained classifiers are shared by the xdist workers of one run (the first to need one trains it;
# files are written atomically); tests/test_backends.py gives its other-backend runs caches of their own.
# Only a worker inherits the value: a run started from a shell never uses a GAN_KERAS_CACHE set there.
_XDIST_WORKER = "PYTEST_XDIST_WORKER" in os.environ
if not (_XDIST_WORKER and "GAN_KERAS_CACHE" in os.environ):
    os.environ["GAN_KERAS_CACHE"] = os.path.join(_SESSION_DIR, "cache")
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.pop("GAN_KERAS_DATA", None)  # the user's own folder of idx files is not the tests' data
os.environ["GAN_KERAS_SYSTEM_DATA"] = "0"  # nor the system's dataset folders (Debian's /usr/share/datasets)
# The backend the tests run on: TensorFlow, unless GAN_KERAS_TEST_BACKEND names another
# (tests/test_backends.py runs the trainer, resume, command-line and learning tests on JAX
# that way, each file in a subprocess of its own).
TEST_BACKEND = os.environ.get("GAN_KERAS_TEST_BACKEND", "tensorflow")
if TEST_BACKEND == "tensorflow":
    os.environ.pop("KERAS_BACKEND", None)
else:
    os.environ["KERAS_BACKEND"] = TEST_BACKEND
os.environ["GAN_KERAS_NETWORK_GUARD"] = "1"
if not (_XDIST_WORKER and "GAN_KERAS_GUARD_LOG" in os.environ):
    os.environ["GAN_KERAS_GUARD_LOG"] = os.path.join(_SESSION_DIR, "network_attempts.log")
os.environ["PYTHONPATH"] = os.pathsep.join(
    [_GUARD_DIR] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p and p != _GUARD_DIR]
)

sys.path.insert(0, _GUARD_DIR)
import network_guard  # noqa: E402

sys.path.remove(_GUARD_DIR)
network_guard.install()  # in this process, session-scoped fixtures included

import pytest  # noqa: E402


def pytest_configure(config):
    config.addinivalue_line("markers", "tensorflow_only: needs TensorFlow itself (tf.data, tf.distribute, "
                                       "GradientTape references); skipped on the other backends")


def pytest_collection_modifyitems(config, items):
    """Skip the tests marked ``tensorflow_only`` when the suite runs on another backend."""
    if TEST_BACKEND == "tensorflow":
        return
    skip = pytest.mark.skip(reason=f"needs TensorFlow; this run is on {TEST_BACKEND}")
    for item in items:
        if "tensorflow_only" in item.keywords:
            item.add_marker(skip)


def pytest_sessionfinish(session, exitstatus):
    """Fail the session if any process tried to reach the network; remove the private caches."""
    log = Path(os.environ["GAN_KERAS_GUARD_LOG"])
    attempts = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    shutil.rmtree(_SESSION_DIR, ignore_errors=True)
    if attempts:
        reporter = session.config.pluginmanager.get_plugin("terminalreporter")
        lines = [f"network guard: {len(attempts)} connection(s) beyond this machine were refused:"]
        lines += [f"  {a}" for a in attempts[:20]]
        if reporter is not None:
            reporter.write_line("\n".join(lines), red=True)
        else:
            print("\n".join(lines), file=sys.stderr)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail any test that opens a connection beyond this machine (notebook kernels use localhost)."""
    import socket

    real_connect = getattr(socket.socket.connect, "__wrapped__", socket.socket.connect)
    monkeypatch.setattr(socket.socket, "connect", network_guard.guarded(real_connect, error=AssertionError))


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    """Run the test inside a fresh temporary folder (runs/ lands there)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def seeded():
    """Seed Python, NumPy and Keras."""
    import keras

    keras.utils.set_random_seed(0)
