"""Test settings: fast mode, offline, quiet TensorFlow, and a private cache; nothing touches the network."""

import os
import tempfile

# Set before anything imports TensorFlow or gan_keras; notebook kernels inherit these.
os.environ["GAN_KERAS_FAST"] = "1"
os.environ["GAN_KERAS_OFFLINE"] = "1"
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("GAN_KERAS_CACHE", tempfile.mkdtemp(prefix="gan_keras_cache_"))
os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.pop("KERAS_BACKEND", None)

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Fail any test that opens a connection beyond this machine (notebook kernels use localhost)."""
    import socket

    real_connect = socket.socket.connect

    def connect(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and host not in ("127.0.0.1", "localhost", "::1") and not host.startswith("/"):
            raise AssertionError(f"a test tried to reach {address}")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


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
