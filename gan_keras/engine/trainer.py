"""``Trainer``: the ``keras.Model`` every trainer subclasses; its ``train_step`` exists once.

Keras calls ``train_step(data)`` on TensorFlow and PyTorch and ``train_step(state, data)``
on JAX (where a step is a pure function of the model's state). ``Trainer.train_step`` takes
either and hands the game's :meth:`Trainer.step` to the active backend's engine, which runs
it (on JAX: with every variable's value threaded through) and returns the step's logs.
A game only writes ``step(data)``: draw noise, compute each player's loss inside a function
given to :func:`gan_keras.engine.minimize`, update the trackers, return their results.
"""

from __future__ import annotations

import sys

import keras
import numpy as np

from gan_keras import validate
from gan_keras.engine import core as engine  # the engine's functions (the package's __init__ imports this module)

# The metrics every two-player game reports: the players' losses, mean D(x) and mean D(G(z))
GAME_METRICS = ("d_loss", "g_loss", "d_real", "d_fake")


def check_model(model, name: str) -> keras.Model:
    """Return ``model`` if it is a built Keras model, else raise a clear ``TypeError``."""
    if not isinstance(model, keras.Model):
        raise TypeError(f"{name} must be a keras.Model, got {type(model).__name__}")
    if not model.built:
        raise ValueError(f"{name} must be built (give it an Input or call it once on data)")
    return model


def model_input_shape(model: keras.Model, index: int = 0) -> tuple:
    """Return the shape of one input of a model without the batch axis."""
    inputs = model.inputs if isinstance(model.inputs, (list, tuple)) else [model.inputs]
    return tuple(inputs[index].shape[1:])


def model_output_shape(model: keras.Model) -> tuple:
    """Return the shape of a model's (single) output without the batch axis."""
    outputs = model.outputs if isinstance(model.outputs, (list, tuple)) else [model.outputs]
    return tuple(outputs[0].shape[1:])


def split_batch(data):
    """Return ``(images, labels_or_None)`` from what ``fit`` passes to ``train_step``."""
    if isinstance(data, (tuple, list)):
        images = data[0]
        labels = data[1] if len(data) > 1 else None
        return images, labels
    return data, None


def _as_list(players) -> list:
    return list(players) if isinstance(players, (list, tuple)) else [players]


def compile_players(model, d_optimizer, g_optimizer, d_players, g_players, **kwargs):
    """Compile a two-player trainer: checked optimizers, no unused default one, both set up.

    ``d_players``/``g_players`` are the sub-models (one, or a list) each optimizer updates.
    ``model`` must be a :class:`Trainer`: each optimizer is wrapped in a
    ``LossScaleOptimizer`` when its players compute in float16 (one given already wrapped is
    kept as it is), and built on its players' variables so that checkpoints restore its slots.
    """
    d_optimizer, g_optimizer = engine.two_optimizers(d_optimizer, g_optimizer)
    # optimizer=None: no unused default optimizer for callbacks to act on.
    kwargs.pop("optimizer", None)
    keras.Model.compile(model, optimizer=None, **kwargs)
    model.d_optimizer, model.g_optimizer = model.setup_optimizers(
        (d_optimizer, d_players), (g_optimizer, g_players))
    engine.current().players_compiled(model, engine.optimizers_of)
    return model.d_optimizer, model.g_optimizer


def compile_one_player(model, optimizer, players, **kwargs):
    """Compile a one-optimizer trainer (VAE, autoencoder): Adam(1e-3) by default, set up like a player.

    ``players`` are the sub-models the optimizer updates. As in :func:`compile_players`, the
    optimizer is wrapped in a ``LossScaleOptimizer`` when they compute in float16 (unless
    given wrapped) and built on their variables so that checkpoints restore its slots.
    """
    optimizer = optimizer if optimizer is not None else keras.optimizers.Adam(1e-3)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(f"optimizer must be a keras optimizer, got {type(optimizer).__name__}")
    # auto_scale_loss=False: the wrapping is decided here, for the sub-models' precision.
    keras.Model.compile(model, optimizer=optimizer, auto_scale_loss=False, **kwargs)
    (model.optimizer,) = model.setup_optimizers((model.optimizer, list(players)))
    return model.optimizer


class Trainer(keras.Model):
    """What every trainer shares: one ``train_step`` for all backends, optimizers, checks, saved state.

    A new trainer subclasses it (``class ConditionalGAN(Trainer)``; ``Trainer`` is a
    ``keras.Model``) and:

    - writes :meth:`step` (one batch of the game) and, to be evaluated, :meth:`evaluate_step`;
    - in ``compile``: ``compile_players(self, d_opt, g_opt, d_models, g_models)`` for two
      players, or ``compile_one_player(self, opt, models)`` for one optimizer;
    - in ``__init__``: ``self.add_trackers(*GAME_METRICS, ...)`` (its metric names), and in
      ``step``: ``return self.track(d_loss=..., ...)``;
    - draws noise with ``engine.replica_latent(self.seed_generator, batch_size, latent_dim)``
      (or ``engine.replica_random`` for labels and other noise);
    - updates a player with ``engine.minimize(loss_fn, optimizer, variables)``;
    - sets ``self.sample_shape`` (one sample's shape) so ``fit`` checks its data.
    """

    sample_shape: tuple | None = None

    # -- the one train_step --------------------------------------------------------------
    def train_step(self, *args):
        """Keras' hook: ``(data)`` on TensorFlow and PyTorch, ``(state, data)`` on JAX; runs :meth:`step`."""
        return engine.current().run_step(self, self.step, args, training=True)

    def test_step(self, *args):
        if type(self).evaluate_step is Trainer.evaluate_step:
            return super().test_step(*args)
        return engine.current().run_step(self, self.evaluate_step, args, training=False)

    def step(self, data):
        """One batch of the game: update the players, return the logs. Every trainer writes it."""
        raise NotImplementedError(f"{type(self).__name__} must define step(data)")

    def evaluate_step(self, data):
        """One batch of evaluation (no update): return the logs. Optional."""
        raise NotImplementedError

    # -- trackers ---------------------------------------------------------------------
    def add_trackers(self, *names: str) -> None:
        """Give the trainer a ``keras.metrics.Mean`` tracker per metric name, listed by :attr:`metrics` in order."""
        if getattr(self, "trackers", None) is None:
            self.trackers = {}
        for name in names:
            self.trackers[name] = keras.metrics.Mean(name=name)

    @property
    def metrics(self):
        trackers = getattr(self, "trackers", None)
        return list(trackers.values()) if trackers else super().metrics

    def track(self, **values) -> dict:
        """Add each value to the tracker of that metric name; return every tracker's result (a step's logs)."""
        for name, value in values.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    # -- optimizers, saved state, data checks ------------------------------------------
    def setup_optimizers(self, *pairs):
        """Wrap and build optimizers: each pair is ``(optimizer, sub_model or list of them)``.

        An optimizer is wrapped in a ``LossScaleOptimizer`` when one of its sub-models
        computes in float16 (one already wrapped stays as it is), then built on the
        sub-models' trainable variables. Returns the optimizers in order.
        """
        out = []
        for optimizer, players in pairs:
            players = _as_list(players)
            if any(engine.uses_float16(m) for m in players):
                optimizer = engine.loss_scaled(optimizer)
            optimizer.build([v for m in players for v in m.trainable_variables])
            out.append(optimizer)
        return out

    def state_variables(self):
        """Return ``(group, variable)`` pairs a checkpoint saves (see :func:`gan_keras.engine.state_variables`)."""
        return engine.state_variables(self)

    def check_training_data(self, x):
        """Raise a clear error if ``x`` cannot be this trainer's training data."""
        check_training_data(x, self.sample_shape)

    def fit(self, x=None, *args, **kwargs):
        self.check_training_data(x)
        return super().fit(x, *args, **kwargs)


def _is_tf_dataset(x) -> bool:
    tf = sys.modules.get("tensorflow")  # a tf.data pipeline means TensorFlow is already imported
    return tf is not None and hasattr(tf, "data") and isinstance(x, tf.data.Dataset)


def _is_array_batches(x) -> bool:
    """A ``gan_keras.data.batches.ArrayBatches``: what ``data.make_dataset`` serves off TensorFlow."""
    return type(x).__name__ == "ArrayBatches" and hasattr(x, "columns") and hasattr(x, "element_shapes")


def _sample_spec(x):
    """Return ``(shape, dtype)`` of one sample of a ``tf.data`` dataset or ``ArrayBatches`` without iterating it."""
    if _is_array_batches(x):  # its first column holds the images
        return tuple(x.columns[0].shape[1:]), x.columns[0].dtype
    import tensorflow as tf

    spec = x.element_spec
    if isinstance(spec, dict):
        return None
    # The images come first: (images, labels), ((labelled, labels), unlabelled), ...
    spec = tf.nest.flatten(spec)[0]
    if not hasattr(spec, "shape"):
        return None
    return tuple(spec.shape[1:]), spec.dtype.as_numpy_dtype


def check_training_data(x, sample_shape=None) -> None:
    """Raise a clear ``ValueError``/``TypeError`` for data a trainer cannot learn from.

    Arrays: numbers, finite, non-empty, one sample of ``sample_shape``, images in
    ``[-1, 1]``. ``tf.data`` datasets: not empty, elements of ``sample_shape`` and a
    float dtype (their values are not read here).
    """
    if x is None:
        return
    expected = None if sample_shape is None else tuple(sample_shape)
    if _is_tf_dataset(x) or _is_array_batches(x):
        cardinality = len(x) if _is_array_batches(x) else int(x.cardinality())
        if cardinality == 0:
            raise ValueError("the training dataset is empty (0 batches): check the data and "
                             "that batch_size is not larger than the number of samples")
        spec = _sample_spec(x)
        if spec is None:
            return
        shape, dtype = spec
        if not np.issubdtype(dtype, np.floating):
            raise TypeError(f"training samples must be floats scaled to [-1, 1], got dtype "
                            f"{np.dtype(dtype).name} (convert with data.to_signed(images / 255))")
        if expected is not None and len(shape) == len(expected) and all(
                a is None or a == b for a, b in zip(shape, expected)):
            return
        if expected is not None:
            raise ValueError(f"training samples must have shape {expected} (the generator's "
                             f"output), got {shape}")
        return
    if isinstance(x, (tuple, list)) and x and hasattr(x[0], "shape"):
        x = x[0]
    if hasattr(x, "shape") and not _is_tf_dataset(x):
        array = np.asarray(x)
        if array.dtype.kind not in "fiu":
            raise TypeError(f"training samples must hold numbers, got dtype {array.dtype}")
        if len(array) == 0:
            raise ValueError("the training data is empty: expected at least one sample")
        if expected is not None and tuple(array.shape[1:]) != expected:
            raise ValueError(f"training samples must have shape {expected} (the generator's "
                             f"output), got {tuple(array.shape[1:])}")
        if array.ndim == 4:
            validate.images(array, "training images")
        elif not np.all(np.isfinite(array.astype(np.float64))):
            raise ValueError("training samples contain NaN or infinite values")


