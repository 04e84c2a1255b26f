"""The engine: how a player's loss becomes an update, on whichever backend Keras runs.

A trainer (``gan_keras.trainers``) says what a batch costs each player, in ``keras.ops``.
The engine does the rest, once per backend:

- :func:`minimize` differentiates one player's loss with respect to its variables, divides
  it for the replicas, scales it for float16, and applies its optimizer;
- :func:`minimize_each` does that for several players from one forward pass (every
  gradient is taken before any update is applied);
- :func:`input_gradient` is the gradient of a scalar with respect to an input (the
  gradient penalty, DeepDream, style transfer, latent inversion);
- :class:`Trainer` is the ``keras.Model`` every trainer subclasses: its ``train_step``
  exists once and hands the game's :meth:`Trainer.step` to the backend's engine
  (``tensorflow_engine``: ``GradientTape``, ``tf.distribute``; ``jax_engine``: stateless
  calls, ``jax.vjp``, the optimizers, batch-norm statistics and seeds threaded through;
  ``torch_engine``: autograd).

The optimizer defaults, precision policies and the state a checkpoint saves live here too,
so that nothing here imports a trainer.

The engine is the only folder of the package that names a backend or uses Keras' private
API. Elsewhere, code asks it: :func:`name` (which backend runs; it answers before Keras is
imported too), :func:`tf_data` (the ``tf.data`` module when datasets are ``tf.data``
pipelines, else None), :func:`sync_state`, :func:`has_gpu`, :func:`keras_without_tensorflow`,
:func:`start_quietly`, and the backend module's parallelism (``current().strategy(...)``...).

Its modules, lowest first (no circle: tests/test_layers.py):

- ``tensorflow_engine``, ``jax_engine``, ``torch_engine``: one per backend, each following
  the protocol below; they import nothing else of the engine;
- ``backends``: :func:`name`, :func:`current` (the active backend's module) and the questions
  asked of it; imports neither Keras nor a framework until a question is asked;
- ``core``: the updates, replicas, optimizers, precision and saved state (Keras objects);
- ``trainer``: :class:`Trainer` and the ``compile`` helpers;
- this ``__init__``: the names of all of them. ``name`` and the questions of ``backends`` are
  imported here at once; the Keras-level names of ``core`` and ``trainer`` on first use, so
  that importing the engine (``gan_keras.data`` does) imports no framework.

The protocol
------------
A backend module (``gan_keras/engine/<backend>_engine.py``, picked by :func:`current`) defines
these functions (``tests/test_engine_protocol.py`` checks that all three do, with these
parameters):

``run_step(model, step, args, training=True)``
    Run ``step(data)``, one batch of a game, as Keras' ``train_step`` (``training=True``) or
    ``test_step``: ``args`` is what Keras passed (``(data,)``; on JAX ``(state, data)``, or
    ``(data,)`` when called by hand). Return what Keras wants back: the logs (on JAX, under
    ``fit``, ``(logs, new_state)``).
``num_replicas()``
    How many replicas compute this step (1 outside ``tf.distribute``).
``replica_index()``
    This replica's index in its group (0 outside ``tf.distribute``).
``minimize_each(loss_fn, players)``
    ``loss_fn()`` returns ``(losses, aux)``; ``players`` is a list of ``(optimizer,
    variables)``. Take every player's gradient of its own loss (divided by the replicas where
    the replicas' gradients are summed, times the optimizer's loss scale) before applying any
    update, apply each optimizer, and return ``(losses, aux)`` unscaled.
``gradients(loss_fn, variables)``
    ``(loss, [d loss / d v for v in variables])`` of ``loss_fn()`` (a scalar); nothing changes.
``input_gradient(fn, x)``
    ``(fn(x), d fn(x) / d x)`` for a scalar ``fn``; differentiable again inside a player's loss.
``gradient_function(fn, models, has_aux=False)``
    A compiled ``g(x, *args) -> (fn(x, *args), d fn / d x)`` (``((value, aux), grad)`` with
    ``has_aux``); ``models`` are the Keras models ``fn`` reads (never changes).
``counter_dtype()``
    The dtype of step counters (int64; int32 where 64-bit integers are off by default).
``players_compiled(model, optimizers_of)``
    Called once a trainer whose players hold their own optimizers is compiled with
    ``optimizer=None``; ``optimizers_of(model)`` lists them. Where Keras' trainer threads
    ``model.optimizer.variables`` through each step (JAX), set ``model.optimizer`` to what
    holds them; elsewhere nothing.
``sync_state(model)``
    Write the values a ``fit`` holds between batches back into the variables (JAX); elsewhere
    nothing.
``tf_data()``
    The ``tf.data`` module when datasets are ``tf.data`` pipelines (TensorFlow), else None.
``has_gpu()``
    True when the backend computes on a GPU.
``start_devices()``
    Start the framework's devices now (TensorFlow's CUDA probe), or nothing.
``split_cpu(num_devices)``
    Split the CPU into ``num_devices`` logical devices for multi-device tests and return
    them; ``RuntimeError`` when it is too late, ``ValueError`` where the backend cannot.
``strategy(name, devices=None)``
    The ``tf.distribute`` strategy ``"default"``, ``"mirrored"`` or ``"multi_worker"``
    (``name`` already checked); ``ValueError`` saying what to use instead off TensorFlow.
``data_parallel(devices=None, num_devices=None)``
    ``keras.distribution.DataParallel`` over the local devices (JAX); ``ValueError`` saying
    what to use instead elsewhere.
``check_strategy(name)``
    Raise ``ValueError`` (one line) if ``train --strategy NAME`` cannot run on this backend;
    before any work, creating nothing.
``training_distribution(name)``
    What ``train --strategy NAME`` builds and compiles its models under: ``(distribution,
    number of replicas or devices, words for "training on ...")``; ``distribution.scope()``.
``shards_while_fitting()``
    True when ``fit`` must run inside that scope too (``keras.distribution`` shards each
    batch as ``fit`` reads it); a ``tf.distribute`` model remembers its strategy.
"""

from __future__ import annotations

from gan_keras.engine.backends import (
    BACKENDS,
    PROTOCOL,
    counter_dtype,
    current,
    has_gpu,
    is_tf_dataset,
    name,
    start_quietly,
    sync_state,
    tf_data,
    uses_tf_data,
)

# Imported on first use (they need Keras): the names of engine.core, then engine.trainer.
_CORE = (
    "PRECISIONS", "all_layers", "gradient_function", "gradients", "input_gradient", "keras_without_tensorflow",
    "loss_scaled", "make_optimizer", "minimize", "minimize_each", "num_replicas", "optimizers_of", "precision_name",
    "precision_policy", "prepare_loss", "replica_index", "replica_latent", "replica_random", "scale_for_replicas",
    "state_variables", "two_optimizers", "uses_float16",
)
_TRAINER = ("Trainer", "check_training_data", "compile_one_player", "compile_players", "split_batch")


def __getattr__(attr: str):
    if attr in _CORE:
        from gan_keras.engine import core as module
    elif attr in _TRAINER:
        from gan_keras.engine import trainer as module
    else:  # a submodule not imported yet is found by the import system, not here
        raise AttributeError(f"module {__name__!r} has no attribute {attr!r}")
    value = getattr(module, attr)
    globals()[attr] = value
    return value


def __dir__():
    return sorted(set(globals()) | set(_CORE) | set(_TRAINER))


__all__ = [
    "BACKENDS", "PROTOCOL", "counter_dtype", "current", "has_gpu", "is_tf_dataset", "name", "start_quietly",
    "sync_state", "tf_data", "uses_tf_data", *_CORE, *_TRAINER,
]
