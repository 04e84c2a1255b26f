"""The TensorFlow engine: ``tf.GradientTape``, ``tf.distribute`` replicas, ``tf.function``, ``tf.data``.

Keras calls ``train_step(data)`` once per replica inside ``tf.distribute`` (and traces it
into a graph); each player's loss is divided by the replicas and times the loss scale
before it is differentiated, and ``apply_gradients`` sums the replicas' gradients.
The functions are those of the engine's protocol (``gan_keras/engine/__init__.py``).
"""

from __future__ import annotations

import os

import tensorflow as tf


def run_step(model, step, args, training=True):
    """Run one step of the game: ``args`` is ``(data,)``; returns the step's logs."""
    (data,) = args
    return step(data)


def num_replicas() -> int:
    context = tf.distribute.get_replica_context()
    if context is None:  # cross-replica context: ask the strategy
        return int(tf.distribute.get_strategy().num_replicas_in_sync)
    return int(context.num_replicas_in_sync)


def replica_index():
    context = tf.distribute.get_replica_context()
    return 0 if context is None else context.replica_id_in_sync_group


def _prepare_loss(loss, optimizer):
    """The loss to differentiate: this replica's share of the global-batch loss, times the loss scale.

    ``tf.distribute`` sums the replicas' gradients, so each replica contributes
    ``local_mean / num_replicas`` (``engine.prepare_loss``, computed here).
    """
    n = num_replicas()
    return optimizer.scale_loss(loss if n == 1 else loss / float(n))


def minimize_each(loss_fn, players):
    tapes = [tf.GradientTape() for _ in players]
    for tape in tapes:
        tape.__enter__()
    try:
        losses, aux = loss_fn()
        # Per-replica share of the global-batch loss, times the loss scale
        scaled = [_prepare_loss(loss, optimizer) for loss, (optimizer, _) in zip(losses, players)]
    finally:
        for tape in reversed(tapes):
            tape.__exit__(None, None, None)
    grads = [tape.gradient(s, variables) for tape, s, (_, variables) in zip(tapes, scaled, players)]
    for g, (optimizer, variables) in zip(grads, players):
        optimizer.apply_gradients(zip(g, variables))
    return tuple(losses), aux


def gradients(loss_fn, variables):
    with tf.GradientTape() as tape:
        loss = loss_fn()
    return loss, tape.gradient(loss, variables)


def input_gradient(fn, x):
    with tf.GradientTape() as tape:
        tape.watch(x)
        value = fn(x)
    return value, tape.gradient(value, x)


def gradient_function(fn, models, has_aux=False):
    @tf.function(reduce_retracing=True)
    def g(x, *args):
        with tf.GradientTape() as tape:
            tape.watch(x)
            out = fn(x, *args)
        return out, tape.gradient(out[0] if has_aux else out, x)

    return g


# ---------------------------------------------------------------------------------------
# State, data and devices
# ---------------------------------------------------------------------------------------

def counter_dtype() -> str:
    return "int64"


def players_compiled(model, optimizers_of) -> None:
    """Nothing: Keras' TensorFlow trainer updates the variables in place (``model.optimizer`` stays None)."""


def sync_state(model) -> None:
    """Nothing: the variables hold the true values all along."""


def tf_data():
    return tf.data


def has_gpu() -> bool:
    return bool(tf.config.list_logical_devices("GPU"))


def start_devices() -> None:
    tf.config.list_logical_devices()


def split_cpu(num_devices: int) -> list:
    cpu = tf.config.list_physical_devices("CPU")[0]
    try:
        tf.config.set_logical_device_configuration(
            cpu, [tf.config.LogicalDeviceConfiguration() for _ in range(num_devices)])
    except RuntimeError as exc:
        raise RuntimeError(
            "split_cpu must run before TensorFlow initialises its devices (before any "
            f"tensor is made): {exc}") from exc
    return tf.config.list_logical_devices("CPU")


# ---------------------------------------------------------------------------------------
# Several devices: tf.distribute
# ---------------------------------------------------------------------------------------

def strategy(name: str, devices=None):
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
    found = tf.distribute.MultiWorkerMirroredStrategy()
    patch_keras_multi_worker_reduction()
    return found


def data_parallel(devices=None, num_devices=None):
    raise ValueError("data_parallel is keras.distribution's data parallelism, which runs on JAX, but Keras "
                     "runs on tensorflow: use get_strategy(\"mirrored\")")


def check_strategy(name: str) -> None:
    """Every strategy runs here (``multi_worker`` needs ``TF_CONFIG``, checked when it is made)."""


def training_distribution(name: str):
    found = strategy(name)
    replicas = int(found.num_replicas_in_sync)
    return found, replicas, f"{replicas} replicas ({name})"


def shards_while_fitting() -> bool:
    return False


def patch_keras_multi_worker_reduction() -> bool:
    """Let ``Model.fit`` run under ``MultiWorkerMirroredStrategy`` (a Keras 3 bug); idempotent.

    After every step Keras 3's TensorFlow trainer averages the step's logs over the
    replicas with ``reduce_per_replica(..., reduction="auto")``. On a multi-worker
    strategy it calls ``strategy.reduce("MEAN", value, axis=0)``, which also reduces
    *within* each value along its axis 0, so the scalar logs every ``train_step``
    returns fail to trace ("Invalid reduction dimension 0 for input with 0
    dimensions", tensorflow/tensorflow#72388, still in Keras 3.15). This wraps that
    function (in Keras' private ``keras.src.backend.tensorflow.trainer``) so that scalar
    values are averaged over the replicas only (``axis=None``), as Keras does on one
    worker; everything else is left to Keras. :func:`strategy` calls it for
    ``"multi_worker"``. Returns True if the wrapper is in place.
    """
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
