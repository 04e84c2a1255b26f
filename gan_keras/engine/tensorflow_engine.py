"""The TensorFlow engine: ``tf.GradientTape``, ``tf.distribute`` replicas, ``tf.function``.

Keras calls ``train_step(data)`` once per replica inside ``tf.distribute`` (and traces it
into a graph); each player's loss is divided by the replicas and times the loss scale
before it is differentiated, and ``apply_gradients`` sums the replicas' gradients.
"""

from __future__ import annotations

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


def minimize_each(loss_fn, players):
    from gan_keras.engine import prepare_loss

    tapes = [tf.GradientTape() for _ in players]
    for tape in tapes:
        tape.__enter__()
    try:
        losses, aux = loss_fn()
        # Per-replica share of the global-batch loss, times the loss scale
        scaled = [prepare_loss(loss, optimizer) for loss, (optimizer, _) in zip(losses, players)]
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
