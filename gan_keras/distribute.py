"""Training on several devices with ``tf.distribute``: which strategy, and the batch arithmetic.

One machine, several GPUs (or logical CPU devices in the tests)::

    strategy = distribute.get_strategy("mirrored")
    with strategy.scope():                      # variables are created once per device
        gan = recipes.gan.build(latent_dim, image_shape, seed=0)
        gan.compile(gans.make_optimizer(), gans.make_optimizer())
    gan.fit(dataset_of_global_batches, ...)     # each batch is split across the replicas

Several machines: set ``TF_CONFIG`` on every worker (the cluster's addresses and this
worker's index, see the TensorFlow guide "Multi-worker training with Keras"), then use
``get_strategy("multi_worker")`` (``tf.distribute.MultiWorkerMirroredStrategy``) the same
way; run the same script on every worker. Only worker 0 should write the run folder.

What the trainers do about it (``gan_keras.gans``): each replica sees
``global_batch / num_replicas`` samples and divides its mean loss by the number of
replicas, because the replicas' gradients are *summed*; each replica draws its own slice
of the global batch's noise. One update on ``n`` devices then equals one update on one
device with the same global batch (tested on two logical CPU devices). Batch
normalisation is not synchronised across replicas (each normalises its own slice), so
models with ``BatchNormalization`` match a single device only approximately.
"""

from __future__ import annotations

import os

STRATEGIES = ("default", "mirrored", "multi_worker")


def split_cpu(num_devices: int = 2) -> list:
    """Split the CPU into ``num_devices`` logical devices; call before TensorFlow runs any op.

    For testing multi-device code on a laptop. Raises ``RuntimeError`` if TensorFlow has
    already initialised its devices (do it first thing in a fresh process).
    """
    import tensorflow as tf

    if isinstance(num_devices, bool) or not isinstance(num_devices, int) or num_devices < 1:
        raise ValueError(f"num_devices must be a positive integer, got {num_devices!r}")
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(num_devices)])
    except RuntimeError as exc:
        raise RuntimeError(
            "split_cpu must run before TensorFlow initialises its devices (before any "
            f"tensor is made): {exc}") from exc
    return tf.config.list_logical_devices("CPU")


def get_strategy(name: str = "default", devices=None):
    """Return a ``tf.distribute`` strategy: ``"default"``, ``"mirrored"`` or ``"multi_worker"``.

    ``"mirrored"`` uses every GPU, else every logical CPU device (or ``devices``).
    ``"multi_worker"`` reads the cluster from the ``TF_CONFIG`` environment variable.
    """
    import tensorflow as tf

    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}: expected one of {', '.join(STRATEGIES)}")
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        if devices is None:
            gpus = tf.config.list_logical_devices("GPU")
            devices = [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]
        return tf.distribute.MirroredStrategy(devices=list(devices))
    if "TF_CONFIG" not in os.environ:
        raise ValueError("the multi_worker strategy needs the TF_CONFIG environment variable "
                         "(the cluster's worker addresses and this worker's index)")
    return tf.distribute.MultiWorkerMirroredStrategy()


def per_replica_batch_size(global_batch_size: int, num_replicas: int) -> int:
    """Return the batch each replica sees; the global batch must split evenly."""
    for value, name in ((global_batch_size, "global_batch_size"), (num_replicas, "num_replicas")):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}")
    if global_batch_size % num_replicas:
        raise ValueError(f"the global batch of {global_batch_size} does not split evenly over "
                         f"{num_replicas} replicas; use a multiple of {num_replicas}")
    return global_batch_size // num_replicas
