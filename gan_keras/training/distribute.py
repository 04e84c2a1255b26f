"""Training on several devices with ``tf.distribute``: which strategy, and the batch arithmetic.

One machine, several GPUs (or logical CPU devices in the tests)::

    strategy = distribute.get_strategy("mirrored")
    with strategy.scope():                      # variables are created once per device
        gan = recipes.gan.build(latent_dim, image_shape, seed=0)
        gan.compile(engine.make_optimizer(), engine.make_optimizer())
    gan.fit(dataset_of_global_batches, ...)     # each batch is split across the replicas

Several machines: set ``TF_CONFIG`` on every worker (the cluster's addresses and this
worker's index, see the TensorFlow guide "Multi-worker training with Keras"), then use
``get_strategy("multi_worker")`` (``tf.distribute.MultiWorkerMirroredStrategy``) the same
way; run the same script on every worker. Only worker 0 should write the run folder.
Create the strategy first thing, before TensorFlow runs any op.

To try it on one machine, start one process per worker on 127.0.0.1 with
:func:`local_cluster` (free local ports, one ``TF_CONFIG`` per worker)::

    import os, subprocess, sys
    for config in distribute.local_cluster(2):
        env = dict(os.environ, TF_CONFIG=distribute.tf_config_json(config))
        subprocess.Popen([sys.executable, "train.py"], env=env)   # train.py: as above

The input pipeline should yield *global* batches and shard them by data
(``options.experimental_distribute.auto_shard_policy = AutoShardPolicy.DATA``, which
is what ``AUTO`` falls back to for in-memory data): ``tf.distribute`` then splits every
global batch into per-replica slices and each worker keeps its own, so worker ``i``
trains on slice ``i`` and draws noise slice ``i`` (``replica_id_in_sync_group`` counts
replicas across all workers). With ``AutoShardPolicy.OFF`` every worker reads the same
slices, the replicas train on duplicated data and the run no longer matches one device.
``get_strategy("multi_worker")`` also works around a Keras 3 bug that stops ``fit``
under this strategy (:func:`patch_keras_multi_worker_reduction`). Tested with two worker
processes talking over localhost (``tests/test_multi_worker.py``): the workers' weights
equal those of one device trained on the same global batches.

What the trainers do about it (``gan_keras.trainers``, through ``gan_keras.engine``): each replica sees
``global_batch / num_replicas`` samples and divides its mean loss by the number of
replicas, because the replicas' gradients are *summed*; each replica draws its own slice
of the global batch's noise. One update on ``n`` devices then equals one update on one
device with the same global batch (tested on two logical CPU devices, and on two worker
processes). Batch normalisation is not synchronised across replicas (each normalises its
own slice), so models with ``BatchNormalization`` match a single device only
approximately, on one machine or several.

On JAX there is no ``tf.distribute``: :func:`data_parallel` returns Keras'
``keras.distribution.DataParallel`` over the local devices (every GPU, or the CPU devices
that ``XLA_FLAGS=--xla_force_host_platform_device_count=N`` makes, see :func:`split_cpu`)::

    with distribute.data_parallel().scope():    # variables replicated on every device
        gan = recipes.gan.build(latent_dim, image_shape, seed=0)
        gan.compile(engine.make_optimizer(), engine.make_optimizer())
        gan.fit(dataset_of_global_batches, ...)  # each batch is sharded across the devices

The distribution must be in force while the models are built *and* while they train (the
batches are sharded as ``fit`` reads them). A step is then one global computation that XLA
partitions: losses are means over the global batch, nothing is divided by replicas
(``engine.num_replicas()`` is 1), the noise is the single-device noise, and batch
normalisation sees the global batch, so a two-device run matches one device up to the order
of floating-point sums (``tests/test_distribute_jax.py``). ``train --strategy mirrored`` uses it
on JAX; PyTorch has neither path (a clear error).

The backend's part of each function (the ``tf.distribute`` strategies and the multi-worker
patch, the XLA device flag, ``DataParallel``'s devices) lives in the engine's backend module
(``engine.current().split_cpu``, ``.strategy``, ``.data_parallel``); this module is its front door
and the backend-free arithmetic.
"""

from __future__ import annotations

import json
import socket

from gan_keras import engine, validate

STRATEGIES = ("default", "mirrored", "multi_worker")


def split_cpu(num_devices: int = 2) -> list:
    """Split the CPU into ``num_devices`` logical devices; call before TensorFlow runs any op.

    For testing multi-device code on a laptop. Raises ``RuntimeError`` if TensorFlow has
    already initialised its devices (do it first thing in a fresh process). On JAX it sets
    ``XLA_FLAGS=--xla_force_host_platform_device_count=N`` and returns JAX's CPU devices;
    JAX reads that flag once, when it first starts its CPU backend.
    """
    num_devices = validate.positive_int(num_devices, "num_devices")
    return engine.current().split_cpu(num_devices)


def get_strategy(name: str = "default", devices=None):
    """Return a ``tf.distribute`` strategy: ``"default"``, ``"mirrored"`` or ``"multi_worker"``.

    ``"mirrored"`` uses every GPU, else every logical CPU device (or ``devices``).
    ``"multi_worker"`` reads the cluster from the ``TF_CONFIG`` environment variable.
    On another backend than TensorFlow a ``ValueError`` says what to use instead.
    """
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}: expected one of {', '.join(STRATEGIES)}")
    return engine.current().strategy(name, devices)


def jax_devices() -> list:
    """Return Keras' names of the local devices JAX trains on: every GPU (or TPU), else every CPU device."""
    import keras

    return list(keras.distribution.list_devices())


def data_parallel(devices=None, num_devices: int | None = None):
    """Return ``keras.distribution.DataParallel`` over the local devices (JAX only).

    ``devices``: Keras' device names (``"gpu:0"``...), default every device of
    :func:`jax_devices`; or ``num_devices``: the first that many. Use it as
    ``with distribution.scope():`` around building *and* training the models (or
    ``keras.distribution.set_distribution``); variables are replicated on every device and
    each batch is sharded along its first axis, so the global batch must split evenly.
    """
    return engine.current().data_parallel(devices, num_devices)


def num_devices_of(distribution) -> int:
    """Return how many devices a ``keras.distribution`` distribution spreads each batch over."""
    return int(distribution.device_mesh.devices.size)


def patch_keras_multi_worker_reduction() -> bool:
    """Let ``Model.fit`` run under ``MultiWorkerMirroredStrategy`` (a Keras 3 bug); idempotent.

    TensorFlow only: see :func:`gan_keras.engine.tensorflow_engine.patch_keras_multi_worker_reduction`.
    ``get_strategy("multi_worker")`` calls it. Returns True if the wrapper is in place.
    """
    from gan_keras.engine import tensorflow_engine

    return tensorflow_engine.patch_keras_multi_worker_reduction()


def per_replica_batch_size(global_batch_size: int, num_replicas: int) -> int:
    """Return the batch each replica sees; the global batch must split evenly."""
    for value, name in ((global_batch_size, "global_batch_size"), (num_replicas, "num_replicas")):
        validate.positive_int(value, name)
    if global_batch_size % num_replicas:
        raise ValueError(f"the global batch of {global_batch_size} does not split evenly over "
                         f"{num_replicas} replicas; use a multiple of {num_replicas}")
    return global_batch_size // num_replicas


def free_ports(count: int, host: str = "127.0.0.1") -> list[int]:
    """Return ``count`` distinct ports that were free on ``host`` a moment ago.

    Each port comes from binding a socket to port 0 (the system picks a free one); all
    sockets stay open until every port is chosen, so the ports differ. Another program
    may still take a port before a worker binds it (a small race on a busy machine).
    """
    count = validate.positive_int(count, "count")
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sockets.append(sock)
            sock.bind((host, 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def local_cluster(num_workers: int = 2, base_port: int | None = None,
                  host: str = "127.0.0.1") -> list[dict]:
    """Return one ``TF_CONFIG`` dict per worker for a cluster of processes on this machine.

    Worker ``i`` listens on ``host:port_i``; the ports are ``base_port, base_port + 1,
    ...`` if ``base_port`` is given, else free ports picked by the system
    (:func:`free_ports`). Put ``tf_config_json(configs[i])`` in the ``TF_CONFIG``
    environment variable of worker ``i`` and run the same script in every worker.
    """
    num_workers = validate.positive_int(num_workers, "num_workers")
    if base_port is None:
        ports = free_ports(num_workers, host)
    else:
        if not 1 <= validate.integer(base_port, "base_port") <= 65536 - num_workers:
            raise ValueError(f"base_port must be an integer from 1 to {65536 - num_workers} "
                             f"for {num_workers} workers, got {base_port!r}")
        ports = list(range(base_port, base_port + num_workers))
    workers = [f"{host}:{port}" for port in ports]
    return [{"cluster": {"worker": list(workers)}, "task": {"type": "worker", "index": i}}
            for i in range(num_workers)]


def tf_config_json(config: dict) -> str:
    """Return ``config`` (one entry of :func:`local_cluster`) as the ``TF_CONFIG`` string."""
    if not isinstance(config, dict) or "cluster" not in config or "task" not in config:
        raise ValueError("a TF_CONFIG needs a dict with 'cluster' and 'task' entries, "
                         f"got {config!r}")
    return json.dumps(config)
