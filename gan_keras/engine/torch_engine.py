"""The PyTorch engine: autograd.

Keras calls ``train_step(data)`` eagerly with gradients enabled. A player's gradient is
``torch.autograd.grad`` of its (loss-scaled) loss with respect to its own parameters only,
so no ``.grad`` fields need zeroing; the optimizer is applied under ``torch.no_grad()``.
One device: Keras has no data parallelism for PyTorch, so every step sees one replica.
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
    return tuple(l.detach() for l in losses), _detach(aux)


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
