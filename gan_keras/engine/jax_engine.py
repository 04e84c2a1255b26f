"""The JAX engine: a step is a pure function of the state; ``jax.vjp`` takes the gradients.

Keras' JAX trainer calls ``train_step(state, data)`` inside ``jax.jit``, with ``state`` the
values of the model's trainable, non-trainable, optimizer and metric variables, and wants
``(logs, new_state)`` back. Here the game's ``step`` runs inside one
``keras.StatelessScope`` that maps every variable to its value in ``state``: what the step
assigns (seed generators, batch-norm statistics, the averaged generator, the trackers, the
optimizers' slots) is recorded in that scope, and the new state is read from it at the end.

A player's update differentiates a function of the player's weights: its loss runs in a
copy of the scope whose entries for those weights are the function's arguments; what the
loss assigns besides (batch-norm statistics, seed states) comes back as auxiliary output
and is written into the step's scope. The optimizer is applied with ``stateless_apply``.
With ``keras.distribution.DataParallel`` the step is one global computation sharded over
the devices, so losses are means over the global batch and nothing is divided by replicas.
The functions are those of the engine's protocol (``gan_keras/engine/__init__.py``).
"""

from __future__ import annotations

import contextlib
import os

import jax
import keras
from keras import StatelessScope
from keras.src.backend.common.stateless_scope import get_stateless_scope

from gan_keras import validate


class _RecordingScope(StatelessScope):
    """A ``StatelessScope`` that also remembers which variable each recorded update belongs to."""

    def __init__(self, state_mapping=None, variables=None):
        super().__init__(state_mapping=state_mapping)
        self.variables = dict(variables or {})
        for variable, _ in state_mapping or ():
            self.variables[id(variable)] = variable

    def add_update(self, update):
        self.variables[id(update[0])] = update[0]
        super().add_update(update)


@contextlib.contextmanager
def _scope_for_update():
    """The step's scope; outside a step (``gan.d_step(batch)`` called eagerly), a scope whose updates are
    assigned to the variables on exit."""
    scope = get_stateless_scope()
    if scope is not None:
        yield scope
        return
    with _RecordingScope() as scope:
        yield scope
    for key, value in scope.state_mapping.items():
        scope.variables[key].assign(value)


def _groups(model, training: bool) -> list:
    """The variable lists, in the order of Keras' JAX state tuple."""
    groups = [model.trainable_variables, model.non_trainable_variables]
    if training:
        groups.append(list(model.optimizer.variables) if model.optimizer is not None else [])
    groups.append(model.metrics_variables)
    return groups


def run_step(model, step, args, training=True):
    """Run ``step(data)`` statelessly. ``args`` is ``(state, data)`` under ``fit``.

    Called with ``(data,)`` alone (``gan.train_step(batch)`` in a notebook), the step runs
    on the variables' current values and writes the new values back.
    """
    groups = _groups(model, training)
    if len(args) == 1:
        (data,) = args
        state = tuple([v.value for v in group] for group in groups)
        logs, state = _stateless(step, groups, state, data)
        for group, values in zip(groups, state):
            for variable, value in zip(group, values):
                variable.assign(value)
        return logs
    state, data = args
    return _stateless(step, groups, state, data)


def _stateless(step, groups, state, data):
    mapping = [(v, x) for group, values in zip(groups, state) for v, x in zip(group, values)]
    with _RecordingScope(state_mapping=mapping) as scope:
        logs = step(data)
    new_state = tuple([_value_in(scope, v) for v in group] for group in groups)
    return logs, new_state


def _value_in(scope, variable):
    value = scope.get_current_value(variable)
    return variable.value if value is None else value


def _run_with(scope, replaced: dict, fn, *args):
    """Run ``fn(*args)`` in a copy of ``scope`` with ``replaced`` (id -> value); return ``(result, changes)``."""
    inner = _RecordingScope(variables=getattr(scope, "variables", None))
    base = dict(scope.state_mapping)
    base.update(replaced)
    inner.state_mapping = dict(base)
    with inner:
        result = fn(*args)
    # What fn assigned (batch-norm statistics, seed states), except the differentiated weights
    changes = {key: value for key, value in inner.state_mapping.items()
               if key not in replaced and base.get(key) is not value}
    if hasattr(scope, "variables"):
        scope.variables.update({key: inner.variables[key] for key in changes})
    return result, changes


def num_replicas() -> int:
    return 1


def replica_index():
    return 0


def minimize_each(loss_fn, players):
    with _scope_for_update() as scope:
        return _minimize_each(scope, loss_fn, players)


def _minimize_each(scope, loss_fn, players):
    for optimizer, variables in players:
        built = [id(v) for v in optimizer._trainable_variables]
        if sorted(built) != sorted(id(v) for v in variables):
            raise ValueError(f"optimizer {optimizer.name} was built on other variables than the player it updates")
    values = [[_value_in(scope, v) for v in variables] for _, variables in players]

    def losses_of(*player_values):
        replaced = {id(v): x for (_, variables), xs in zip(players, player_values) for v, x in zip(variables, xs)}
        (losses, aux), changes = _run_with(scope, replaced, loss_fn)
        scaled = tuple(optimizer.scale_loss(loss) for loss, (optimizer, _) in zip(losses, players))
        return scaled, (tuple(losses), aux, changes)

    scaled, vjp, (losses, aux, changes) = jax.vjp(losses_of, *values, has_aux=True)
    grads = []
    for i in range(len(players)):
        cotangent = tuple(jax.numpy.ones_like(s) if j == i else jax.numpy.zeros_like(s) for j, s in enumerate(scaled))
        grads.append(vjp(cotangent)[i])
    scope.state_mapping.update(changes)
    for (optimizer, variables), g, xs in zip(players, grads, values):
        by_id = {id(v): (gi, xi) for v, gi, xi in zip(variables, g, xs)}
        order = optimizer._trainable_variables
        opt_values = [_value_in(scope, v) for v in optimizer.variables]
        new_values, new_opt = optimizer.stateless_apply(
            opt_values, [by_id[id(v)][0] for v in order], [by_id[id(v)][1] for v in order])
        for v, x in zip(order, new_values):
            scope.add_update((v, x))
        for v, x in zip(optimizer.variables, new_opt):
            scope.add_update((v, x))
    return losses, aux


def gradients(loss_fn, variables):
    with _scope_for_update() as scope:
        values = [_value_in(scope, v) for v in variables]

        def loss_of(values):
            replaced = {id(v): x for v, x in zip(variables, values)}
            loss, changes = _run_with(scope, replaced, loss_fn)
            return loss, changes

        (loss, changes), grads = jax.value_and_grad(loss_of, has_aux=True)(values)
        scope.state_mapping.update(changes)
    return loss, list(grads)


def input_gradient(fn, x):
    with _scope_for_update() as scope:
        return _input_gradient(scope, fn, x)


def _input_gradient(scope, fn, x):
    def traced(x):
        value, changes = _run_with(scope, {}, fn, x)
        return value, changes

    (value, changes), grad = jax.value_and_grad(traced, has_aux=True)(x)
    scope.state_mapping.update(changes)
    return value, grad


def gradient_function(fn, models, has_aux=False):
    variables = []
    seen = set()
    for model in models:
        for v in model.variables:
            if id(v) not in seen:
                seen.add(id(v))
                variables.append(v)

    @jax.jit
    def compiled(values, x, *args):
        def traced(x):
            with StatelessScope(state_mapping=list(zip(variables, values))):
                out = fn(x, *args)
            return (out[0], out) if has_aux else out

        if not has_aux:
            return jax.value_and_grad(traced)(x)
        (_, out), grad = jax.value_and_grad(traced, has_aux=True)(x)
        return out, grad

    def g(x, *args):
        return compiled([v.value for v in variables], x, *args)

    return g


# ---------------------------------------------------------------------------------------
# State, data and devices
# ---------------------------------------------------------------------------------------

def counter_dtype() -> str:
    return "int32"  # JAX has no 64-bit integers by default


class PlayersOptimizers:
    """Stands in ``model.optimizer`` for a trainer whose players have optimizers of their own.

    Keras' JAX trainer threads ``model.optimizer.variables`` through every step; these are
    the players' optimizers' variables (``d_optimizer``, ``g_optimizer``, ...). It is not an
    optimizer: callbacks that change ``model.optimizer``'s learning rate do not apply to a
    two-player trainer on any backend.
    """

    built = True  # the players' optimizers are built by compile

    def __init__(self, model, optimizers_of):
        self._model = model
        self._optimizers_of = optimizers_of

    @property
    def variables(self) -> list:
        return [v for _, opt in self._optimizers_of(self._model) for v in opt.variables]

    def __repr__(self):
        names = ", ".join(attr for attr, _ in self._optimizers_of(self._model))
        return f"<the players' optimizers: {names}>"


def players_compiled(model, optimizers_of) -> None:
    model.optimizer = PlayersOptimizers(model, optimizers_of)


def sync_state(model) -> None:
    if model is not None and hasattr(model, "jax_state_sync"):
        model.jax_state_sync()


def tf_data():
    return None


def has_gpu() -> bool:
    # The devices of JAX's default platform: "gpu:0"... when there is a GPU, else "cpu:0".
    return any(device.split(":")[0].lower() in ("gpu", "cuda", "rocm")
               for device in keras.distribution.list_devices())


def start_devices() -> None:
    """Nothing: JAX starts its devices when first used."""


def split_cpu(num_devices: int) -> list:
    flag = f"--xla_force_host_platform_device_count={num_devices}"
    flags = [f for f in os.environ.get("XLA_FLAGS", "").split()
             if not f.startswith("--xla_force_host_platform_device_count")]
    os.environ["XLA_FLAGS"] = " ".join(flags + [flag])
    devices = jax.devices("cpu")
    if len(devices) != num_devices:
        raise RuntimeError(f"split_cpu must run before JAX starts its CPU backend (JAX has {len(devices)} CPU "
                           f"device(s), not {num_devices}): set XLA_FLAGS={flag} before Python starts, "
                           "or call split_cpu first thing")
    return devices


# ---------------------------------------------------------------------------------------
# Several devices: keras.distribution (tf.distribute's strategies are TensorFlow's)
# ---------------------------------------------------------------------------------------

def _tf_only(name: str) -> str:
    if name == "mirrored":
        return ("the mirrored tf.distribute strategy needs Keras on TensorFlow, but Keras runs on jax: use "
                "distribute.data_parallel() (keras.distribution.DataParallel), as train --strategy mirrored does")
    return (f"the {name} strategy is tf.distribute's and needs Keras on TensorFlow, but Keras runs on jax "
            "(one machine's devices: distribute.data_parallel(); several machines: "
            "keras.distribution.initialize, then DataParallel)")


def strategy(name: str, devices=None):
    raise ValueError(_tf_only(name))


def data_parallel(devices=None, num_devices=None):
    available = list(keras.distribution.list_devices())
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


def check_strategy(name: str) -> None:
    """``--strategy mirrored`` is ``keras.distribution.DataParallel`` here; the others are tf.distribute's."""
    if name != "mirrored":
        raise ValueError(_tf_only(name))


def training_distribution(name: str):
    check_strategy(name)
    distribution = data_parallel()
    devices = int(distribution.device_mesh.devices.size)
    return distribution, devices, f"{devices} devices ({name}: keras.distribution.DataParallel on JAX)"


def shards_while_fitting() -> bool:
    return True
