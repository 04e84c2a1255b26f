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
"""

from __future__ import annotations

import json
import os
import socket
import sys

from gan_keras import validate

STRATEGIES = ("default", "mirrored", "multi_worker")


def split_cpu(num_devices: int = 2) -> list:
    """Split the CPU into ``num_devices`` logical devices; call before TensorFlow runs any op.

    For testing multi-device code on a laptop. Raises ``RuntimeError`` if TensorFlow has
    already initialised its devices (do it first thing in a fresh process). On JAX it sets
    ``XLA_FLAGS=--xla_force_host_platform_device_count=N`` and returns JAX's CPU devices;
    JAX reads that flag once, when it first starts its CPU backend.
    """
    num_devices = validate.positive_int(num_devices, "num_devices")
    if _backend() == "jax":
        return _split_jax_cpu(num_devices)
    import tensorflow as tf

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
    On another backend than TensorFlow a ``ValueError`` says what to use instead.
    """
    if name not in STRATEGIES:
        raise ValueError(f"unknown strategy {name!r}: expected one of {', '.join(STRATEGIES)}")
    backend = _backend()
    if backend != "tensorflow":
        raise ValueError(strategy_unavailable(name, backend))
    import tensorflow as tf

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
    strategy = tf.distribute.MultiWorkerMirroredStrategy()
    patch_keras_multi_worker_reduction()
    return strategy


def _backend() -> str:
    """The Keras backend; read from the settings while Keras is not imported yet (no import)."""
    if "keras" in sys.modules:
        import keras

        return keras.backend.backend()
    from gan_keras import config

    return config.backend_setting()


def strategy_unavailable(name: str, backend: str) -> str:
    """Return the one-line message for a strategy the backend ``backend`` cannot run."""
    if backend == "jax" and name == "mirrored":
        return ("the mirrored tf.distribute strategy needs Keras on TensorFlow, but Keras runs on jax: use "
                "distribute.data_parallel() (keras.distribution.DataParallel), as train --strategy mirrored does")
    if backend == "jax":
        return (f"the {name} strategy is tf.distribute's and needs Keras on TensorFlow, but Keras runs on jax "
                "(one machine's devices: distribute.data_parallel(); several machines: "
                "keras.distribution.initialize, then DataParallel)")
    return (f"the {name} strategy needs Keras on TensorFlow (tf.distribute) or JAX "
            f"(keras.distribution), but Keras runs on {backend}")


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
    import keras

    backend = keras.backend.backend()
    if backend != "jax":
        raise ValueError(f"data_parallel is keras.distribution's data parallelism, which runs on JAX, but Keras "
                         f"runs on {backend}"
                         + (": use get_strategy(\"mirrored\")" if backend == "tensorflow" else ""))
    available = jax_devices()
    if devices is None:
        devices = available
        if num_devices is not None:
            validate.positive_int(num_devices, "num_devices")
            if num_devices > len(available):
                raise ValueError(f"num_devices {num_devices} is more than the {len(available)} devices JAX has "
                                 f"({', '.join(available)})")
            devices = available[:num_devices]
    else:
        devices = list(devices)
        unknown = [d for d in devices if d not in available]
        if not devices or unknown:
            raise ValueError(f"devices must be some of {', '.join(available)}, got {devices!r}")
    return keras.distribution.DataParallel(devices=devices)


def num_devices_of(distribution) -> int:
    """Return how many devices a ``keras.distribution`` distribution spreads each batch over."""
    return int(distribution.device_mesh.devices.size)


def _split_jax_cpu(num_devices: int) -> list:
    flag = f"--xla_force_host_platform_device_count={num_devices}"
    flags = [f for f in os.environ.get("XLA_FLAGS", "").split()
             if not f.startswith("--xla_force_host_platform_device_count")]
    os.environ["XLA_FLAGS"] = " ".join(flags + [flag])
    import jax

    devices = jax.devices("cpu")
    if len(devices) != num_devices:
        raise RuntimeError(f"split_cpu must run before JAX starts its CPU backend (JAX has {len(devices)} CPU "
                           f"device(s), not {num_devices}): set XLA_FLAGS={flag} before Python starts, "
                           "or call split_cpu first thing")
    return devices


def patch_keras_multi_worker_reduction() -> bool:
    """Let ``Model.fit`` run under ``MultiWorkerMirroredStrategy`` (a Keras 3 bug); idempotent.

    After every step Keras 3's TensorFlow trainer averages the step's logs over the
    replicas with ``reduce_per_replica(..., reduction="auto")``. On a multi-worker
    strategy it calls ``strategy.reduce("MEAN", value, axis=0)``, which also reduces
    *within* each value along its axis 0, so the scalar logs every ``train_step``
    returns fail to trace ("Invalid reduction dimension 0 for input with 0
    dimensions", tensorflow/tensorflow#72388, still in Keras 3.15). This wraps that
    function so that scalar values are averaged over the replicas only
    (``axis=None``), as Keras does on one worker; everything else is left to Keras.
    ``get_strategy("multi_worker")`` calls it. Returns True if the wrapper is in place.
    """
    import tensorflow as tf

    try:
        from keras.src.backend.tensorflow import trainer as tf_trainer
        original = tf_trainer.reduce_per_replica
        is_multi_worker = tf_trainer._collective_all_reduce_multi_worker
    except (ImportError, AttributeError):  # another Keras layout: nothing to patch
        return False
    if getattr(original, "_gan_keras_multi_worker", False):
        return True

    def rank(value):
        if isinstance(value, tf.distribute.DistributedValues):
            value = value.values[0]
        shape = getattr(value, "shape", None)
        return None if shape is None else len(shape)

    def reduce_per_replica(values, strategy, reduction):
        if reduction not in ("auto", "mean") or not is_multi_worker(strategy):
            return original(values, strategy, reduction)

        def reduce(value):
            if rank(value) == 0:  # mean over the replicas of all workers
                return strategy.reduce("MEAN", value, axis=None)
            return original(value, strategy, reduction)

        return tf.nest.map_structure(reduce, values)

    reduce_per_replica._gan_keras_multi_worker = True
    reduce_per_replica.__wrapped__ = original
    tf_trainer.reduce_per_replica = reduce_per_replica
    return True


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
