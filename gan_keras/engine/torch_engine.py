"""The PyTorch engine: autograd.

Keras calls ``train_step(data)`` eagerly with gradients enabled. A player's gradient is
``torch.autograd.grad`` of its (loss-scaled) loss with respect to its own parameters only,
so no ``.grad`` fields need zeroing; the optimizer is applied under ``torch.no_grad()``.
One device: Keras has no data parallelism for PyTorch, so every step sees one replica.
The functions are those of the engine's protocol (``gan_keras/engine/__init__.py``).
"""

from __future__ import annotations

import torch
from keras import tree


def run_step(model, step, args, training=True):
    (data,) = args
    logs = step(data)
    return tree.map_structure(lambda t: t.detach() if isinstance(t, torch.Tensor) else t, logs)


def num_replicas() -> int:
    return 1


def replica_index():
    return 0


def _detach(structure):
    return tree.map_structure(lambda t: t.detach() if isinstance(t, torch.Tensor) else t, structure)


def minimize_each(loss_fn, players):
    losses, aux = loss_fn()
    grads = []
    for i, (loss, (optimizer, variables)) in enumerate(zip(losses, players)):
        scaled = optimizer.scale_loss(loss)
        values = [v.value for v in variables]
        found = torch.autograd.grad(scaled, values, retain_graph=i < len(players) - 1, allow_unused=True)
        grads.append([torch.zeros_like(p) if g is None else g for g, p in zip(found, values)])
    with torch.no_grad():
        for g, (optimizer, variables) in zip(grads, players):
            optimizer.apply(g, variables)
    return tuple(loss.detach() for loss in losses), _detach(aux)


def gradients(loss_fn, variables):
    with torch.enable_grad():
        loss = loss_fn()
        values = [v.value for v in variables]
        found = torch.autograd.grad(loss, values, allow_unused=True)
    return loss.detach(), [torch.zeros_like(p) if g is None else g for g, p in zip(found, values)]


def input_gradient(fn, x):
    x = x if x.requires_grad else x.detach().requires_grad_(True)
    value = fn(x)
    (grad,) = torch.autograd.grad(value, x, create_graph=torch.is_grad_enabled())
    return value, grad


def gradient_function(fn, models, has_aux=False):
    def g(x, *args):
        with torch.enable_grad():
            x = torch.as_tensor(x).detach().requires_grad_(True)
            out = fn(x, *args)
            (grad,) = torch.autograd.grad(out[0] if has_aux else out, x)
        return _detach(out), grad.detach()

    return g


# ---------------------------------------------------------------------------------------
# State, data and devices
# ---------------------------------------------------------------------------------------

def counter_dtype() -> str:
    return "int64"


def players_compiled(model, optimizers_of) -> None:
    """Nothing: Keras' PyTorch trainer updates the variables in place (``model.optimizer`` stays None)."""


def sync_state(model) -> None:
    """Nothing: the variables hold the true values all along."""


def tf_data():
    return None


def has_gpu() -> bool:
    return bool(torch.cuda.is_available())


def start_devices() -> None:
    """Nothing: PyTorch starts its devices when first used."""


# ---------------------------------------------------------------------------------------
# Several devices: none (Keras has no data parallelism for PyTorch)
# ---------------------------------------------------------------------------------------

def split_cpu(num_devices: int) -> list:
    raise ValueError("split_cpu makes CPU devices for tf.distribute (TensorFlow) or keras.distribution (JAX), "
                     "but Keras runs on torch, which trains on one device here")


def strategy(name: str, devices=None):
    raise ValueError(f"the {name} strategy needs Keras on TensorFlow (tf.distribute) or JAX "
                     "(keras.distribution), but Keras runs on torch")


def data_parallel(devices=None, num_devices=None):
    raise ValueError("data_parallel is keras.distribution's data parallelism, which runs on JAX, but Keras "
                     "runs on torch")


def check_strategy(name: str) -> None:
    raise ValueError(f"--strategy {name} needs Keras on TensorFlow (tf.distribute) or JAX "
                     "(keras.distribution.DataParallel), but Keras runs on torch: "
                     "leave out --strategy, or set KERAS_BACKEND to tensorflow or jax")


def training_distribution(name: str):
    check_strategy(name)


def shards_while_fitting() -> bool:
    return False
