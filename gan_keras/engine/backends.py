"""Which backend runs, its engine module, and the questions the rest of the package asks of it.

Importing this module imports neither Keras nor a framework: :func:`name` answers before Keras
is imported (from the setting Keras will read), and the other functions import the backend's
engine module (and so its framework) only when called. Everything outside ``gan_keras/engine/``
asks these functions instead of naming a backend.
"""

from __future__ import annotations

import os
import sys

from gan_keras.config import BACKENDS, backend_setting

# The functions every backend module defines (their contracts: the engine's docstring, "The protocol").
PROTOCOL = (
    "run_step", "num_replicas", "replica_index", "minimize_each", "gradients", "input_gradient",
    "gradient_function", "counter_dtype", "players_compiled", "sync_state", "tf_data", "has_gpu",
    "start_devices", "split_cpu", "strategy", "data_parallel", "check_strategy", "training_distribution",
    "shards_while_fitting",
)


def name() -> str:
    """Return the backend Keras runs on: ``"tensorflow"``, ``"jax"`` or ``"torch"``.

    Once Keras is imported, Keras' own answer; before, the backend it will run on
    (``KERAS_BACKEND``, else ``keras.json``, else TensorFlow), read without importing it.
    """
    keras = sys.modules.get("keras")
    if keras is not None and hasattr(keras, "backend"):
        return keras.backend.backend()
    return backend_setting()


def current():
    """Return the engine module of the active backend (importing it imports its framework)."""
    backend = name()
    if backend == "tensorflow":
        from gan_keras.engine import tensorflow_engine as module
    elif backend == "jax":
        from gan_keras.engine import jax_engine as module
    elif backend == "torch":
        from gan_keras.engine import torch_engine as module
    else:
        raise RuntimeError(f"gan_keras runs on one of {', '.join(BACKENDS)}, but Keras runs on {backend!r}")
    return module


def tf_data():
    """Return the ``tf.data`` module when datasets are ``tf.data`` pipelines (Keras on TensorFlow), else None.

    Elsewhere the package's datasets are ``keras.utils.PyDataset`` objects (``data.batches.ArrayBatches``).
    """
    return current().tf_data()


def uses_tf_data() -> bool:
    """Return True when the datasets are ``tf.data`` pipelines: Keras runs on TensorFlow."""
    return tf_data() is not None


def is_tf_dataset(x) -> bool:
    """Return True if ``x`` is a ``tf.data.Dataset`` (never imports TensorFlow: such a dataset means it is imported)."""
    tf = sys.modules.get("tensorflow")
    return tf is not None and hasattr(tf, "data") and isinstance(x, tf.data.Dataset)


def sync_state(model) -> None:
    """Write the values a ``fit`` holds between batches back into ``model``'s variables.

    On JAX, Keras' ``fit`` keeps the true weights, optimizer slots and trackers in its own
    state during an epoch and writes them into the variables at the epoch's end; a callback
    that reads variables before then (mid-epoch, or a checkpoint saved by hand) calls this
    first. A no-op on TensorFlow and PyTorch, and when the state is already written.
    """
    current().sync_state(model)


def has_gpu() -> bool:
    """Return True if the active backend computes on a GPU (asked of that backend only, when called)."""
    return current().has_gpu()


def counter_dtype() -> str:
    """Return the dtype of step counters: int64, but int32 on JAX (which has no 64-bit integers by default)."""
    return current().counter_dtype()


def start_quietly() -> None:
    """Import Keras and start the backend's devices with the C++ start-up chatter hidden (the command line).

    TensorFlow writes those lines (CUDA probes, oneDNN notes) to file descriptor 2 before its
    own log settings apply; a student running one command should see the command's output,
    not them. Only on TensorFlow: JAX and PyTorch are left to start when first used. An error
    is not reported here: the real import that follows reports it with the terminal restored.
    """
    if name() != "tensorflow":
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        import keras  # noqa: F401

        current().start_devices()  # device start-up (the CUDA probe) happens here
    except Exception:
        pass
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
