"""Trainers: ``keras.Model`` subclasses whose ``train_step`` plays the GAN game.

Every trainer has the same shape, so reading one teaches all:
sample noise -> train the discriminator (``d_steps`` times) -> train the generator ->
update the trackers. Metric names are the same everywhere: ``d_loss``, ``g_loss``,
``d_real`` (mean ``D(x)``) and ``d_fake`` (mean ``D(G(z))``).

The loss is a choice, not a copied class: ``compile(loss="non_saturating" | "minimax" |
"least_squares" | "wasserstein" | "hinge")``; see ``gan_keras.losses``.
"""

from __future__ import annotations

import contextlib

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gan_keras import averaging, validate
from gan_keras import losses as gan_losses
from gan_keras.config import require_tensorflow_backend

require_tensorflow_backend()


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


def make_optimizer(learning_rate: float = 2e-4, beta_1: float = 0.5, name: str | None = None):
    """Return Adam with the DCGAN paper's settings (lr 2e-4, beta_1 0.5)."""
    return keras.optimizers.Adam(learning_rate=learning_rate, beta_1=beta_1, name=name)


# ---------------------------------------------------------------------------------------
# Helpers every trainer shares: replicas, loss scaling, mixed precision, state to save.
# A new trainer adopts them by inheriting ``TrainerMixin`` (see its docstring).
# ---------------------------------------------------------------------------------------

def num_replicas() -> int:
    """Return how many replicas compute this step (1 outside ``tf.distribute``)."""
    context = tf.distribute.get_replica_context()
    if context is None:  # cross-replica context: ask the strategy
        return int(tf.distribute.get_strategy().num_replicas_in_sync)
    return int(context.num_replicas_in_sync)


def replica_index():
    """Return this replica's index in its group (0 outside ``tf.distribute``)."""
    context = tf.distribute.get_replica_context()
    return 0 if context is None else context.replica_id_in_sync_group


def scale_for_replicas(loss):
    """Divide a loss averaged over the *local* batch by the number of replicas.

    ``tf.distribute`` sums the replicas' gradients, so each replica must contribute
    ``local_mean / num_replicas`` for the update to equal that of one device seeing the
    global batch. The losses of ``gan_keras.losses`` are plain means, so they need this;
    a ``keras.losses.Loss`` object already divides by the replicas (do not divide twice).
    """
    n = num_replicas()
    return loss if n == 1 else loss / float(n)


def replica_latent(seed_generator, batch_size, latent_dim, dtype="float32"):
    """Draw N(0, I) latent vectors for this replica's share of the global batch.

    Every replica draws the *global* batch from the same seed generator state and keeps
    its own slice, so replicas get distinct noise and the union equals what a single
    device draws for the same global batch (a distributed run matches a single-device
    run). Outside ``tf.distribute`` this is one plain ``keras.random.normal`` call.
    """
    return replica_random(keras.random.normal, (batch_size, latent_dim), seed_generator, dtype)


def replica_random(draw, shape, seed_generator, dtype="float32"):
    """Call ``draw(shape, dtype=, seed=)`` (``keras.random.normal``, ``uniform``...) per replica.

    ``shape[0]`` is the local batch; see :func:`replica_latent`.
    """
    n = num_replicas()
    shape = list(shape)
    if n == 1:
        return draw(shape, dtype=dtype, seed=seed_generator)
    batch_size = shape[0]
    values = draw([batch_size * n] + shape[1:], dtype=dtype, seed=seed_generator)
    start = replica_index() * batch_size
    return values[start:start + batch_size]


def uses_float16(model) -> bool:
    """Return True if any layer of ``model`` computes in float16 (mixed precision)."""
    layers = [model] + list(getattr(model, "layers", []))
    return any(getattr(getattr(l, "dtype_policy", None), "compute_dtype", None) == "float16" for l in layers)


def loss_scaled(optimizer):
    """Wrap ``optimizer`` in ``keras.optimizers.LossScaleOptimizer`` (once)."""
    if isinstance(optimizer, keras.optimizers.LossScaleOptimizer):
        return optimizer
    return keras.optimizers.LossScaleOptimizer(optimizer, name=f"{optimizer.name}_loss_scaled")


def prepare_loss(loss, optimizer):
    """Return the loss to differentiate: divided by the replicas, times the loss scale.

    Call it inside the ``GradientTape``; ``optimizer.apply_gradients`` undoes the loss
    scale (a ``LossScaleOptimizer`` also skips steps whose gradients overflowed).
    """
    return optimizer.scale_loss(scale_for_replicas(loss))


def apply_loss_gradients(tape, scaled_loss, optimizer, variables):
    """Differentiate ``scaled_loss`` (from :func:`prepare_loss`) and update ``variables``."""
    grads = tape.gradient(scaled_loss, variables)
    optimizer.apply_gradients(zip(grads, variables))
    return grads


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
    name = precision_name(policy)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def optimizers_of(model) -> list:
    """Return ``(attribute name, optimizer)`` pairs a trainer holds, sorted by name."""
    found = []
    for name, value in sorted(vars(model).items()):
        if isinstance(value, keras.optimizers.Optimizer):
            found.append((name, value))
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
    for name, opt in optimizers_of(model):
        out.extend((name, v) for v in opt.variables)
    return out


def two_optimizers(d_optimizer=None, g_optimizer=None):
    """Return the two players' optimizers: Adam(2e-4, 0.5) where None, checked, never shared."""
    d_optimizer = d_optimizer if d_optimizer is not None else make_optimizer(name="d_optimizer")
    g_optimizer = g_optimizer if g_optimizer is not None else make_optimizer(name="g_optimizer")
    for opt, name in ((d_optimizer, "d_optimizer"), (g_optimizer, "g_optimizer")):
        if not isinstance(opt, keras.optimizers.Optimizer):
            raise TypeError(f"{name} must be a keras optimizer, got {type(opt).__name__}")
    if d_optimizer is g_optimizer:
        raise ValueError(
            "d_optimizer and g_optimizer must be two separate optimizers: a shared one "
            "mixes the two players' moment estimates"
        )
    return d_optimizer, g_optimizer


def _as_list(players) -> list:
    return list(players) if isinstance(players, (list, tuple)) else [players]


def compile_players(model, d_optimizer, g_optimizer, d_players, g_players, loss_scale: bool | None = None,
                    **kwargs):
    """Compile a two-player trainer: checked optimizers, no unused default one, both set up.

    ``d_players``/``g_players`` are the sub-models (one, or a list) each optimizer updates.
    ``model`` must be a :class:`TrainerMixin`: each optimizer is wrapped in a
    ``LossScaleOptimizer`` when its players compute in float16 (or ``loss_scale=True``),
    and built on its players' variables so that checkpoints restore its slots.
    """
    d_optimizer, g_optimizer = two_optimizers(d_optimizer, g_optimizer)
    # optimizer=None: no unused default optimizer for callbacks to act on.
    kwargs.pop("optimizer", None)
    keras.Model.compile(model, optimizer=None, **kwargs)
    model.d_optimizer, model.g_optimizer = model.setup_optimizers(
        (d_optimizer, d_players), (g_optimizer, g_players), loss_scale=loss_scale)
    return model.d_optimizer, model.g_optimizer


def compile_one_player(model, optimizer, players, loss_scale: bool | None = None, **kwargs):
    """Compile a one-optimizer trainer (VAE, autoencoder): Adam(1e-3) by default, set up like a player.

    ``players`` are the sub-models the optimizer updates. As in :func:`compile_players`, the
    optimizer is wrapped in a ``LossScaleOptimizer`` when they compute in float16 (or
    ``loss_scale=True``) and built on their variables so that checkpoints restore its slots.
    """
    optimizer = optimizer if optimizer is not None else keras.optimizers.Adam(1e-3)
    if not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(f"optimizer must be a keras optimizer, got {type(optimizer).__name__}")
    # auto_scale_loss=False: the wrapping is decided here, for the sub-models' precision.
    keras.Model.compile(model, optimizer=optimizer, auto_scale_loss=False, **kwargs)
    (model.optimizer,) = model.setup_optimizers((model.optimizer, list(players)), loss_scale=loss_scale)
    return model.optimizer


class TrainerMixin:
    """What a ``keras.Model`` trainer needs for replicas, mixed precision, checkpoints and checks.

    Adopt it in a new trainer (``class ConditionalGAN(TrainerMixin, keras.Model)``) and:

    - in ``compile``: ``compile_players(self, d_opt, g_opt, d_models, g_models, loss_scale=...)``
      for two players, or ``compile_one_player(self, opt, models, loss_scale=...)`` for
      one optimizer (each is wrapped in a ``LossScaleOptimizer`` when its models compute
      in float16, and built so checkpoints restore its state);
    - draw noise with ``replica_latent(self.seed_generator, batch_size, latent_dim)`` (or
      ``replica_random`` for labels and other noise);
    - inside each tape: ``scaled = prepare_loss(loss, optimizer)``, then
      ``apply_loss_gradients(tape, scaled, optimizer, variables)``; report the unscaled
      ``loss`` to the trackers;
    - set ``self.sample_shape`` (one sample's shape) so ``fit`` checks its data.
    """

    sample_shape: tuple | None = None

    def setup_optimizers(self, *pairs, loss_scale: bool | None = None):
        """Wrap and build optimizers: each pair is ``(optimizer, sub_model or list of them)``.

        An optimizer is wrapped in a ``LossScaleOptimizer`` when one of its sub-models
        computes in float16 (or ``loss_scale=True``), then built on the sub-models'
        trainable variables. Returns the optimizers in order.
        """
        out = []
        for optimizer, players in pairs:
            players = _as_list(players)
            if loss_scale or any(uses_float16(m) for m in players):
                optimizer = loss_scaled(optimizer)
            optimizer.build([v for m in players for v in m.trainable_variables])
            out.append(optimizer)
        return out

    def state_variables(self):
        """Return ``(group, variable)`` pairs a checkpoint saves (see :func:`state_variables`)."""
        return state_variables(self)

    def check_training_data(self, x):
        """Raise a clear error if ``x`` cannot be this trainer's training data."""
        check_training_data(x, self.sample_shape)

    def fit(self, x=None, *args, **kwargs):
        self.check_training_data(x)
        return super().fit(x, *args, **kwargs)


def _sample_spec(x):
    """Return ``(shape, dtype)`` of one sample of ``x`` without iterating it, or ``None``."""
    if isinstance(x, tf.data.Dataset):
        spec = x.element_spec
        if isinstance(spec, dict):
            return None
        # The images come first: (images, labels), ((labelled, labels), unlabelled), ...
        spec = tf.nest.flatten(spec)[0]
        if not hasattr(spec, "shape"):
            return None
        return tuple(spec.shape[1:]), spec.dtype.as_numpy_dtype
    return None


def check_training_data(x, sample_shape=None) -> None:
    """Raise a clear ``ValueError``/``TypeError`` for data a trainer cannot learn from.

    Arrays: numbers, finite, non-empty, one sample of ``sample_shape``, images in
    ``[-1, 1]``. ``tf.data`` datasets: not empty, elements of ``sample_shape`` and a
    float dtype (their values are not read here).
    """
    if x is None:
        return
    expected = None if sample_shape is None else tuple(sample_shape)
    if isinstance(x, tf.data.Dataset):
        cardinality = int(x.cardinality())
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
    if hasattr(x, "shape") and not isinstance(x, tf.data.Dataset):
        array = np.asarray(x)
        if array.dtype.kind not in "fiu":
            raise TypeError(f"training samples must hold numbers, got dtype {array.dtype}")
        if len(array) == 0:
            raise ValueError("the training data is empty: expected at least one sample")
        if expected is not None and tuple(array.shape[1:]) != expected:
            raise ValueError(f"training samples must have shape {expected} (the generator's "
                             f"output), got {tuple(array.shape[1:])}")
        if array.ndim == 4:
            from gan_keras import data as gk_data

            gk_data.check_images(array, "training images")
        elif not np.all(np.isfinite(array.astype(np.float64))):
            raise ValueError("training samples contain NaN or infinite values")


def d_step_minibatches(real_samples, d_steps: int) -> list:
    """Split one batch from ``fit`` into the ``d_steps`` real minibatches of the discriminator's steps.

    Minibatch ``i`` takes every ``d_steps``-th sample from ``i`` (``real_samples[i::d_steps]``),
    so a batch of ``d_steps * m`` samples gives ``d_steps`` distinct minibatches of ``m``.
    Strided rather than cut in blocks, so that under ``tf.distribute`` the replicas'
    slices of minibatch ``i`` are, together, minibatch ``i`` of one device (a distributed
    run still equals a single-device run). ``d_steps=1`` returns the batch itself.
    """
    if d_steps == 1:
        return [real_samples]
    return [real_samples[i::d_steps] for i in range(d_steps)]


class GAN(TrainerMixin, keras.Model):
    """A generator and a discriminator trained against each other through ``fit()``.

    ``generator`` maps ``(batch, latent_dim)`` noise to samples; ``discriminator`` maps
    samples to one logit each. ``d_steps`` is the paper's ``k``: discriminator updates
    per generator update, each on its own real minibatch, as in Algorithm 1. With
    ``d_steps=k`` a batch that ``fit`` hands over holds the ``k`` minibatches (batch the
    dataset with ``k * batch_size``, see :func:`d_step_minibatches`); each minibatch and
    the generator's step have ``batch_size`` samples. Introduced in ``notebooks/01_gan_basics.ipynb``.

    ``simultaneous=False`` (the default) is the paper's alternating order: the
    discriminator is updated first, then the generator draws new noise and runs a second
    forward pass against the *updated* discriminator. ``simultaneous=True`` is the variant
    of the TensorFlow DCGAN tutorial (and of many code bases): one generator forward pass
    per step, both players' gradients taken from the same fake batch and the same
    discriminator outputs, then both applied together, so the generator follows the
    discriminator as it was *before* this step's update. It saves one generator and one
    discriminator forward pass per step; it is a different algorithm, not a faster way of
    computing the paper's (``course/02_loss_computation.md``). It needs ``d_steps=1``.

    ``ema=0.995`` keeps an exponential moving average of the generator's weights,
    ``ema_generator`` (see :mod:`gan_keras.averaging`): updated after every generator step,
    saved in checkpoints, and the model that :attr:`sample_generator`, :meth:`generate`,
    the sample grids and the saved ``generator.keras`` of a run use. ``ema=None`` (the
    default): no average, the trained generator is sampled.
    """

    def __init__(self, generator, discriminator, d_steps: int = 1, seed: int | None = None,
                 simultaneous: bool = False, ema: float | None = None, **kwargs):
        super().__init__(**kwargs)
        self.generator = check_model(generator, "generator")
        self.discriminator = check_model(discriminator, "discriminator")
        g_out = model_output_shape(generator)
        d_in = model_input_shape(discriminator)
        if g_out != d_in:
            raise ValueError(
                f"the generator makes samples of shape {g_out} but the discriminator "
                f"expects {d_in}"
            )
        validate.positive_int(d_steps, "d_steps")
        self.latent_dim = int(model_input_shape(generator)[-1])
        self.sample_shape = g_out
        self.d_steps = int(d_steps)
        if not isinstance(simultaneous, (bool, np.bool_)):
            raise TypeError(f"simultaneous must be True or False, got {type(simultaneous).__name__}")
        if simultaneous and self.d_steps != 1:
            raise ValueError(f"simultaneous=True updates both players from one forward pass, so it takes "
                             f"d_steps=1, got d_steps={self.d_steps}")
        self.simultaneous = bool(simultaneous)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.ema = averaging.check_decay(ema)
        if self.ema is not None:
            # The averaged generator: same architecture, never trained, moved after each G step
            self.ema_generator = averaging.average_copy(generator)
            self.ema_updates = self.add_weight(shape=(), dtype="int64", initializer="zeros", trainable=False,
                                               name="ema_updates", aggregation="only_first_replica")
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        # The sub-models are built, so the wrapper is too (lets save_weights and
        # BackupAndRestore work without a symbolic call).
        self.built = True

    # ----------------------------------------------------------------------------------
    def compile(
        self,
        d_optimizer=None,
        g_optimizer=None,
        loss: str = "non_saturating",
        gradient_penalty_weight: float | None = None,
        loss_scale: bool | None = None,
        **kwargs,
    ):
        """Set the two optimizers (never shared) and the loss.

        ``gradient_penalty_weight`` defaults to 10 for ``"wasserstein"`` (WGAN-GP) and 0
        otherwise. ``loss_scale=None`` wraps each optimizer in a ``LossScaleOptimizer``
        exactly when its model computes in float16 (built inside
        ``precision_policy("mixed_float16")``); ``True`` forces it. ``jit_compile=True`` turns
        on XLA (Keras' ``"auto"`` leaves it off on a CPU and under ``tf.distribute``).
        """
        d_optimizer, g_optimizer = two_optimizers(d_optimizer, g_optimizer)
        self.d_loss_fn, self.g_loss_fn, self.outputs_are_logits = gan_losses.get_loss_pair(loss)
        self.loss_name = gan_losses.canonical_loss_name(loss)
        if gradient_penalty_weight is None:
            gradient_penalty_weight = 10.0 if self.loss_name == "wasserstein" else 0.0
        if gradient_penalty_weight < 0:
            raise ValueError(f"gradient_penalty_weight must be >= 0, got {gradient_penalty_weight}")
        self.gradient_penalty_weight = float(gradient_penalty_weight)
        # Loss scaling for float16 models; the optimizers are built now so that
        # load_weights and checkpoints restore their slots.
        compile_players(self, d_optimizer, g_optimizer, self.discriminator, self.generator,
                        loss_scale=loss_scale, **kwargs)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]

    # ----------------------------------------------------------------------------------
    def call(self, z, training=False):
        return self.generator(z, training=training)

    # Noise samples the averaged generator's batch-norm statistics are computed from
    STATISTICS_SAMPLES = 512

    @property
    def sample_generator(self) -> keras.Model:
        """The generator to draw samples from: the weight average with ``ema``, else the trained one.

        The average's batch-norm statistics are computed for its own weights (one pass over
        fixed noise, :func:`gan_keras.averaging.recompute_statistics`) whenever it moved
        since the last time.
        """
        if self.ema is None:
            return self.generator
        updates = int(keras.ops.convert_to_numpy(self.ema_updates))
        if getattr(self, "_statistics_at", None) != updates:
            averaging.recompute_statistics(self.ema_generator, self.statistics_inputs(self.STATISTICS_SAMPLES))
            self._statistics_at = updates
        return self.ema_generator

    def statistics_inputs(self, count: int):
        """Return ``count`` fixed generator inputs (noise from seed 0) for the average's statistics."""
        return np.random.default_rng(0).standard_normal((count, self.latent_dim)).astype("float32")

    def update_average(self):
        """Move ``ema_generator`` towards the generator after a generator step (nothing without ``ema``)."""
        if self.ema is None:
            return
        averaging.update_average(self.ema_generator, self.generator,
                                 averaging.effective_decay(self.ema, self.ema_updates))
        self.ema_updates.assign(self.ema_updates + 1)

    def discriminate(self, samples, *conditions):
        """Return the discriminator's logits for ``samples`` (and the conditions, e.g. labels), in training mode."""
        inputs = [samples, *conditions] if conditions else samples
        return self.discriminator(inputs, training=True)

    def sample_latent(self, batch_size):
        """Draw ``batch_size`` latent vectors from N(0, I) with the model's seed generator.

        Under ``tf.distribute`` each replica gets its own slice of the global batch's noise.
        """
        return replica_latent(self.seed_generator, batch_size, self.latent_dim)

    def generate(self, z_or_count, batch_size: int = 256) -> np.ndarray:
        """Return generated samples as NumPy, from latent vectors or a number of samples."""
        if isinstance(z_or_count, (int, np.integer)):
            rng = np.random.default_rng(0)
            z = rng.standard_normal((int(z_or_count), self.latent_dim)).astype("float32")
        else:
            z = np.asarray(z_or_count, dtype="float32")
            if z.ndim != 2 or z.shape[1] != self.latent_dim:
                raise ValueError(
                    f"latent vectors must have shape (n, {self.latent_dim}), got {z.shape}"
                )
        return self.sample_generator.predict(z, batch_size=batch_size, verbose=0)

    def probability(self, logits):
        """Turn discriminator outputs into the ``D(.)`` that the trackers report."""
        return ops.sigmoid(logits) if self.outputs_are_logits else logits

    # ----------------------------------------------------------------------------------
    def discriminator_loss(self, real_samples, fake_samples, real_logits, fake_logits):
        """Return ``d_loss``: the chosen loss, plus the gradient penalty for WGAN-GP (inside a tape)."""
        d_loss = self.d_loss_fn(real_logits, fake_logits)
        if self.gradient_penalty_weight:
            alpha_shape = [ops.shape(real_samples)[0]] + [1] * (len(real_samples.shape) - 1)
            alpha = replica_random(keras.random.uniform, alpha_shape, self.seed_generator)
            d_loss += self.gradient_penalty_weight * gan_losses.gradient_penalty(
                self.discriminator, real_samples, fake_samples, alpha=alpha
            )
        return d_loss

    def d_step(self, real_samples):
        """Update the discriminator once; return ``(d_loss, real_logits, fake_logits)``."""
        batch_size = ops.shape(real_samples)[0]
        z = self.sample_latent(batch_size)
        with tf.GradientTape() as tape:
            fake_samples = self.generator(z, training=True)
            real_logits = self.discriminate(real_samples)
            fake_logits = self.discriminate(fake_samples)
            d_loss = self.discriminator_loss(real_samples, fake_samples, real_logits, fake_logits)
            # Per-replica share of the global-batch loss, times the loss scale
            scaled_loss = prepare_loss(d_loss, self.d_optimizer)
        apply_loss_gradients(tape, scaled_loss, self.d_optimizer, self.discriminator.trainable_weights)
        return d_loss, real_logits, fake_logits

    def g_step(self, batch_size):
        """Update the generator once (the discriminator's weights stay fixed); return ``g_loss``."""
        z = self.sample_latent(batch_size)
        with tf.GradientTape() as tape:
            fake_logits = self.discriminate(self.generator(z, training=True))
            g_loss = self.g_loss_fn(fake_logits)
            scaled_loss = prepare_loss(g_loss, self.g_optimizer)
        apply_loss_gradients(tape, scaled_loss, self.g_optimizer, self.generator.trainable_weights)
        return g_loss

    def simultaneous_step(self, real_samples):
        """Update both players from one forward pass (the tutorial's order, ``simultaneous=True``).

        One noise batch, one generator pass; the discriminator's loss and the generator's
        loss come from the same discriminator outputs, and both gradients are taken before
        either update is applied. Returns ``(d_loss, g_loss, real_logits, fake_logits)``.
        """
        batch_size = ops.shape(real_samples)[0]
        z = self.sample_latent(batch_size)
        with tf.GradientTape() as d_tape, tf.GradientTape() as g_tape:
            fake_samples = self.generator(z, training=True)
            real_logits = self.discriminate(real_samples)
            fake_logits = self.discriminate(fake_samples)
            d_loss = self.discriminator_loss(real_samples, fake_samples, real_logits, fake_logits)
            g_loss = self.g_loss_fn(fake_logits)
            d_scaled = prepare_loss(d_loss, self.d_optimizer)
            g_scaled = prepare_loss(g_loss, self.g_optimizer)
        d_vars, g_vars = self.discriminator.trainable_weights, self.generator.trainable_weights
        d_grads = d_tape.gradient(d_scaled, d_vars)
        g_grads = g_tape.gradient(g_scaled, g_vars)
        self.d_optimizer.apply_gradients(zip(d_grads, d_vars))
        self.g_optimizer.apply_gradients(zip(g_grads, g_vars))
        return d_loss, g_loss, real_logits, fake_logits

    def update_trackers(self, d_loss, g_loss, real_logits, fake_logits):
        """Add one step's losses and mean ``D(x)``, ``D(G(z))`` to the trackers; return their results."""
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_real_tracker.update_state(ops.mean(self.probability(real_logits)))
        self.d_fake_tracker.update_state(ops.mean(self.probability(fake_logits)))
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        real_samples, _ = split_batch(data)
        if self.simultaneous:  # the tutorial's variant: both players from one forward pass
            results = self.simultaneous_step(real_samples)
            self.update_average()
            return self.update_trackers(*results)
        # Train the discriminator (k steps, each on a new real minibatch: the paper's algorithm)
        minibatches = d_step_minibatches(real_samples, self.d_steps)
        for real_minibatch in minibatches:
            d_loss, real_logits, fake_logits = self.d_step(real_minibatch)
        # Train the generator (the discriminator's weights stay fixed)
        g_loss = self.g_step(ops.shape(minibatches[0])[0])
        # Move the averaged generator (with ema)
        self.update_average()
        # Update the trackers
        return self.update_trackers(d_loss, g_loss, real_logits, fake_logits)
