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
