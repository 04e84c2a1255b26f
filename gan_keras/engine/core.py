"""The engine's functions on Keras objects: updates, replicas, optimizers, precision, saved state.

Each update is handed to the active backend's engine module (:func:`current`); the rest is the
same on every backend. ``gan_keras.engine`` re-exports everything here; see its docstring for
the whole engine and the protocol its backend modules follow.
"""

from __future__ import annotations

import contextlib
import sys

import keras

from gan_keras.engine.backends import current, name

# ---------------------------------------------------------------------------------------
# Updates: what every trainer calls
# ---------------------------------------------------------------------------------------

def minimize(loss_fn, optimizer, variables):
    """Update ``variables`` with ``optimizer`` to lower the loss that ``loss_fn()`` computes.

    ``loss_fn()`` returns ``(loss, aux)``: the player's loss (a scalar averaged over the
    batch) and anything else the step reports (logits, parts of the loss: a tensor, a tuple
    or a dict of them). The forward pass runs inside ``loss_fn``, so the engine can
    differentiate it on every backend. Returns ``(loss, aux)``, unscaled.
    """
    (loss,), aux = minimize_each(lambda: _one(loss_fn()), [(optimizer, variables)])
    return loss, aux


def _one(result):
    loss, aux = result
    return (loss,), aux


def minimize_each(loss_fn, players):
    """Update several players from one forward pass: ``loss_fn()`` returns ``(losses, aux)``.

    ``players`` is a list of ``(optimizer, variables)``; ``losses[i]`` is player ``i``'s loss.
    Every player's gradient is taken (each of its own loss only) before any optimizer is
    applied, so each player's update sees the others as they were before this step.
    Returns ``(losses, aux)``.
    """
    players = [(optimizer, list(variables)) for optimizer, variables in players]
    return current().minimize_each(loss_fn, players)


def gradients(loss_fn, variables):
    """Return ``(loss, [d loss / d v for v in variables])`` of ``loss_fn()`` (a scalar), changing nothing.

    For looking at gradients (chapter 01 checks its NumPy backward pass against them); the
    trainers use :func:`minimize`, which also applies them.
    """
    return current().gradients(loss_fn, list(variables))


def input_gradient(fn, x):
    """Return ``(fn(x), d fn(x) / d x)`` for a scalar ``fn``; differentiable again inside a player's loss."""
    return current().input_gradient(fn, x)


def gradient_function(fn, models=(), has_aux: bool = False):
    """Return a compiled ``g(x, *args) -> (fn(x, *args), d fn / d x)`` for repeated gradient steps on an input.

    ``models`` are the Keras models ``fn`` calls (their weights are read, never changed).
    TensorFlow compiles ``g`` with ``tf.function``, JAX with ``jax.jit`` (the weights passed
    in as state), PyTorch runs it eagerly. DeepDream, style transfer and latent inversion use
    it. With ``has_aux=True``, ``fn`` returns ``(value, aux)`` (values it only reports, such
    as the terms of a loss, from the same forward pass) and ``g`` returns
    ``((value, aux), d value / d x)``.
    """
    return current().gradient_function(fn, list(models), has_aux=has_aux)


# ---------------------------------------------------------------------------------------
# Replicas: only ``tf.distribute`` runs one step per replica; JAX's data parallelism
# (``keras.distribution``) runs one global step, so there each step sees one replica.
# ---------------------------------------------------------------------------------------

def num_replicas() -> int:
    """Return how many replicas compute this step (1 outside ``tf.distribute``)."""
    return current().num_replicas()


def replica_index():
    """Return this replica's index in its group (0 outside ``tf.distribute``)."""
    return current().replica_index()


def scale_for_replicas(loss):
    """Divide a loss averaged over the *local* batch by the number of replicas.

    ``tf.distribute`` sums the replicas' gradients, so each replica must contribute
    ``local_mean / num_replicas`` for the update to equal that of one device seeing the
    global batch. The losses of ``gan_keras.losses`` are plain means, so they need this;
    a ``keras.losses.Loss`` object already divides by the replicas (do not divide twice).
    """
    n = num_replicas()
    return loss if n == 1 else loss / float(n)


def replica_random(draw, shape, seed_generator, dtype="float32"):
    """Call ``draw(shape, dtype=, seed=)`` (``keras.random.normal``, ``uniform``...) per replica.

    ``shape[0]`` is the local batch. Every replica draws the *global* batch from the same
    seed generator state and keeps its own slice, so replicas get distinct noise and the
    union equals what a single device draws for the same global batch (a distributed run
    matches a single-device run). Elsewhere this is one plain ``draw`` call.
    """
    n = num_replicas()
    shape = list(shape)
    if n == 1:
        return draw(shape, dtype=dtype, seed=seed_generator)
    batch_size = shape[0]
    values = draw([batch_size * n] + shape[1:], dtype=dtype, seed=seed_generator)
    start = replica_index() * batch_size
    return values[start:start + batch_size]


def replica_latent(seed_generator, batch_size, latent_dim, dtype="float32"):
    """Draw N(0, I) latent vectors for this replica's share of the global batch (see :func:`replica_random`)."""
    return replica_random(keras.random.normal, (batch_size, latent_dim), seed_generator, dtype)


# ---------------------------------------------------------------------------------------
# Optimizers, precision and saved state
# ---------------------------------------------------------------------------------------

def make_optimizer(learning_rate: float = 2e-4, beta_1: float = 0.5, name: str | None = None):
    """Return Adam with the DCGAN paper's settings (lr 2e-4, beta_1 0.5)."""
    return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, name=name)


def uses_float16(model) -> bool:
    """Return True if any layer of ``model`` computes in float16 (mixed precision)."""
    layers = [model] + list(getattr(model, "layers", []))
    return any(getattr(getattr(layer, "dtype_policy", None), "compute_dtype", None) == "float16" for layer in layers)


def loss_scaled(optimizer):
    """Wrap ``optimizer`` in ``keras.optimizers.LossScaleOptimizer`` (once)."""
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer, name=f"{optimizer.name}_loss_scaled")


def prepare_loss(loss, optimizer):
    """Return the loss to differentiate: divided by the replicas, times the loss scale."""
    return optimizer.scale_loss(scale_for_replicas(loss))


# The dtype policies a run can train under (``train --precision``). Only float16 needs loss
# scaling: bfloat16 has float32's exponent range, so its small gradients do not underflow.
PRECISIONS = ("float32", "mixed_float16", "mixed_bfloat16")


def precision_name(policy) -> str:
    """Return the policy name of ``policy``: one of :data:`PRECISIONS`, or a bool (``True``: float16)."""
    if isinstance(policy, bool):
        return "mixed_float16" if policy else "float32"
    if not isinstance(policy, str) or policy not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {policy!r}")
    return policy


@contextlib.contextmanager
def precision_policy(policy="float32"):
    """Build models inside this block to compute in ``policy``: a name of :data:`PRECISIONS`.

    ``"mixed_float16"`` and ``"mixed_bfloat16"`` keep float32 variables and compute in 16
    bits; trainers wrap an optimizer for loss scaling only when its models compute in
    float16. ``True``/``False`` still mean ``"mixed_float16"``/``"float32"``. The global
    dtype policy is restored on exit, so a notebook's later models are not affected.
    """
    name_ = precision_name(policy)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name_)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def all_layers(model) -> list:
    """Return every layer of ``model``, nested ones included, the model first (Keras' private ``_flatten_layers``)."""
    return list(model._flatten_layers())


def optimizers_of(model) -> list:
    """Return ``(attribute name, optimizer)`` pairs a trainer holds, sorted by name."""
    found = []
    for attr, value in sorted(vars(model).items()):
        if isinstance(value, keras.optimizers.Optimizer):
            found.append((attr, value))
    if not found and getattr(model, "optimizer", None) is not None:
        found.append(("optimizer", model.optimizer))
    return found


def state_variables(model) -> list:
    """Return ``(group, variable)`` for everything a resumed run needs, in a stable order.

    The model's variables (weights, batch-norm statistics and every ``SeedGenerator``
    state, which ``save_weights`` leaves out) and each optimizer's variables (step count,
    moments, loss scale). Optimizers must be built (``optimizer.build(variables)``).
    """
    out = [("model", v) for v in model.variables]
    for attr, opt in optimizers_of(model):
        out.extend((attr, v) for v in opt.variables)
    return out


def two_optimizers(d_optimizer=None, g_optimizer=None):
    """Return the two players' optimizers: Adam(2e-4, 0.5) where None, checked, never shared."""
    d_optimizer = d_optimizer if d_optimizer is not None else make_optimizer(name="d_optimizer")
    g_optimizer = g_optimizer if g_optimizer is not None else make_optimizer(name="g_optimizer")
    for opt, label in ((d_optimizer, "d_optimizer"), (g_optimizer, "g_optimizer")):
        if not isinstance(opt, keras.optimizers.Optimizer):
            raise TypeError(f"{label} must be a keras optimizer, got {type(opt).__name__}")
    if d_optimizer is g_optimizer:
        raise ValueError(
            "d_optimizer and g_optimizer must be two separate optimizers: a shared one "
            "mixes the two players' moment estimates"
        )
    return d_optimizer, g_optimizer


# ---------------------------------------------------------------------------------------
# Keras' optional uses of TensorFlow
# ---------------------------------------------------------------------------------------

@contextlib.contextmanager
def keras_without_tensorflow():
    """Inside this block Keras' optional uses of TensorFlow do not import it, off TensorFlow.

    Keras imports TensorFlow whenever it is installed to *look for* it: to seed it
    (``keras.utils.set_random_seed``) and to check for its shapes and dtypes while saving a
    model. On JAX and PyTorch nothing of gan_keras uses TensorFlow, so there Keras is told
    it is absent (as where it is not installed) for the duration of the block. Nothing
    changes on TensorFlow, or when TensorFlow is imported already. (Keras' private
    ``module_utils``: the one switch Keras reads.)
    """
    if name() == "tensorflow" or "tensorflow" in sys.modules:
        yield
        return
    try:
        from keras.src.utils import module_utils

        lazy = module_utils.tensorflow
        saved = lazy._available
    except (ImportError, AttributeError):  # another Keras layout: leave it as it is
        yield
        return
    lazy._available = False
    try:
        yield
    finally:
        lazy._available = saved


__all__ = [
    "PRECISIONS", "all_layers", "gradient_function", "gradients", "input_gradient", "keras_without_tensorflow",
    "loss_scaled", "make_optimizer", "minimize", "minimize_each", "num_replicas", "optimizers_of", "precision_name",
    "precision_policy", "prepare_loss", "replica_index", "replica_latent", "replica_random", "scale_for_replicas",
    "state_variables", "two_optimizers", "uses_float16",
]
