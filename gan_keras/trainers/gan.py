"""The GAN: a generator and a discriminator, and what a batch costs each of them.

Every trainer has the same shape, so reading one teaches all: sample noise -> train the
discriminator (``d_steps`` times) -> train the generator -> update the trackers (``d_loss``,
``g_loss``, ``d_real`` = mean ``D(x)``, ``d_fake`` = mean ``D(G(z))``). The loss is a choice of
``compile(loss=...)`` (``gan_keras.losses``); the update of a player (differentiate its loss,
scale it, apply its optimizer) is the engine's ``minimize``, the same on every backend.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from gan_keras import averaging, engine, validate
from gan_keras import losses as gan_losses
from gan_keras.engine import compile_players, split_batch, two_optimizers
from gan_keras.engine.trainer import GAME_METRICS, Trainer, check_model, model_input_shape, model_output_shape


def d_step_minibatches(real_samples, d_steps: int) -> list:
    """Split one batch from ``fit`` into the ``d_steps`` real minibatches of the discriminator's steps.

    Minibatch ``i`` is ``real_samples[i::d_steps]``: strided rather than cut in blocks, so that
    under ``tf.distribute`` the replicas' slices of minibatch ``i`` are, together, minibatch ``i``
    of one device (a distributed run still equals a single-device run).
    """
    if d_steps == 1:
        return [real_samples]
    return [real_samples[i::d_steps] for i in range(d_steps)]


class GAN(Trainer):
    """A generator and a discriminator trained against each other through ``fit()``.

    ``generator`` maps ``(batch, latent_dim)`` noise to samples; ``discriminator`` maps samples
    to one logit each. ``d_steps`` is the paper's ``k``: discriminator updates per generator
    update, each on its own real minibatch (Algorithm 1; batch the dataset with ``k * batch_size``,
    see :func:`d_step_minibatches`). ``ema=0.995`` keeps a moving average of the generator's weights
    (:class:`gan_keras.averaging.AveragedGenerator`), which :attr:`sample_generator`, :meth:`generate`,
    the grids and a run's ``generator.keras`` use. The tutorial's simultaneous update is
    :class:`gan_keras.trainers.simultaneous.SimultaneousGAN`. Introduced in ``notebooks/01_gan_basics.ipynb``.
    """

    STATISTICS_SAMPLES = 512  # noise samples the average's batch-norm statistics come from

    def __init__(self, generator, discriminator, d_steps: int = 1, seed: int | None = None,
                 ema: float | None = None, **kwargs):
        super().__init__(**kwargs)
        self.generator = check_model(generator, "generator")
        self.discriminator = check_model(discriminator, "discriminator")
        g_out, d_in = model_output_shape(generator), model_input_shape(discriminator)
        if g_out != d_in:
            raise ValueError(f"the generator makes samples of shape {g_out} but the discriminator expects {d_in}")
        self.d_steps = validate.positive_int(d_steps, "d_steps")
        self.latent_dim = int(model_input_shape(generator)[-1])
        self.sample_shape = g_out
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.ema = averaging.check_decay(ema)
        self.average = None if self.ema is None else averaging.AveragedGenerator(
            generator, self.ema, lambda: self.statistics_inputs(self.STATISTICS_SAMPLES))
        self.add_trackers(*GAME_METRICS)
        self.built = True  # the sub-models are built, so the wrapper is too (save_weights works)

    def compile(self, d_optimizer=None, g_optimizer=None, loss: str = "non_saturating",
                gradient_penalty_weight: float | None = None, **kwargs):
        """Set the two optimizers (never shared) and the loss.

        ``gradient_penalty_weight`` defaults to 10 for ``"wasserstein"`` (WGAN-GP), else 0. An
        optimizer is wrapped in a ``LossScaleOptimizer`` when its model computes in float16 (or
        pass one). ``jit_compile=True`` turns on XLA (``"auto"`` leaves it off on a CPU).
        """
        d_optimizer, g_optimizer = two_optimizers(d_optimizer, g_optimizer)
        self.d_loss_fn, self.g_loss_fn, self.outputs_are_logits = gan_losses.get_loss_pair(loss)
        self.loss_name = gan_losses.canonical_loss_name(loss)
        if gradient_penalty_weight is None:
            gradient_penalty_weight = 10.0 if self.loss_name == "wasserstein" else 0.0
        if gradient_penalty_weight < 0:
            raise ValueError(f"gradient_penalty_weight must be >= 0, got {gradient_penalty_weight}")
        self.gradient_penalty_weight = float(gradient_penalty_weight)
        # The optimizers are built now so that load_weights and checkpoints restore their slots.
        compile_players(self, d_optimizer, g_optimizer, self.discriminator, self.generator, **kwargs)

    # -- the game -------------------------------------------------------------------------
    def step(self, data):
        """One batch of the game: ``d_steps`` discriminator updates, one generator update (Algorithm 1)."""
        real_samples, _ = split_batch(data)
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

    def d_step(self, real_samples):
        """Update the discriminator once (its loss is :meth:`d_loss`); return ``(d_loss, real_logits, fake_logits)``."""
        z = self.sample_latent(ops.shape(real_samples)[0])

        def loss():
            fake_samples = self.generator(z, training=True)
            real_logits, fake_logits = self.discriminate(real_samples), self.discriminate(fake_samples)
            d_loss, metrics = self.d_loss(real_logits, fake_logits, real_samples, fake_samples)
            return d_loss, (real_logits, fake_logits, metrics)

        d_loss, (real_logits, fake_logits, metrics) = engine.minimize(
            loss, self.d_optimizer, self.discriminator.trainable_weights)
        self.track(**metrics)
        return d_loss, real_logits, fake_logits

    def g_step(self, batch_size):
        """Update the generator once (its loss is :meth:`g_loss`; the discriminator stays fixed); return ``g_loss``."""
        z = self.sample_latent(batch_size)

        def loss():
            return self.g_loss(self.discriminate(self.generator(z, training=True)))

        g_loss, metrics = engine.minimize(loss, self.g_optimizer, self.generator.trainable_weights)
        self.track(**metrics)
        return g_loss

    # -- what a batch costs each player: (loss, values for the trackers of those names) ----
    def d_loss(self, real_logits, fake_logits, real_samples, fake_samples):
        """The discriminator's loss: the chosen loss of its logits, plus WGAN-GP's gradient penalty.

        Returns ``(d_loss, {})``.
        """
        d_loss = self.d_loss_fn(real_logits, fake_logits)
        if self.gradient_penalty_weight:
            alpha_shape = [ops.shape(real_samples)[0]] + [1] * (len(real_samples.shape) - 1)
            alpha = engine.replica_random(keras.random.uniform, alpha_shape, self.seed_generator)
            d_loss += self.gradient_penalty_weight * gan_losses.gradient_penalty(
                self.discriminator, real_samples, fake_samples, alpha=alpha)
        return d_loss, {}

    def g_loss(self, fake_logits):
        """The generator's loss: the chosen loss of the discriminator's logits for its samples: ``(g_loss, {})``."""
        return self.g_loss_fn(fake_logits), {}

    # -- the players, the trackers and the average ----------------------------------------
    def call(self, z, training=False):
        return self.generator(z, training=training)

    def sample_latent(self, batch_size):
        """Draw ``batch_size`` latent vectors from N(0, I) with the seed generator (each replica its own slice)."""
        return engine.replica_latent(self.seed_generator, batch_size, self.latent_dim)

    def sample_conditions(self, batch_size) -> tuple:
        """Draw what the generator is asked for besides noise: nothing here (labels in a ConditionalGAN)."""
        return ()

    def real_batch(self, data) -> tuple:
        """Return ``(real_samples, conditions)`` of a batch from ``fit``: no conditions here."""
        return split_batch(data)[0], ()

    def discriminate(self, samples, *conditions):
        """Return the discriminator's logits for ``samples`` (and the conditions, e.g. labels), in training mode."""
        return self.discriminator([samples, *conditions] if conditions else samples, training=True)

    def probability(self, logits):
        """Turn discriminator outputs into the ``D(.)`` that the trackers report."""
        return ops.sigmoid(logits) if self.outputs_are_logits else logits

    def update_trackers(self, d_loss, g_loss, real_logits, fake_logits):
        """Add one step's losses and mean ``D(x)``, ``D(G(z))`` to the trackers; return their results."""
        return self.track(d_loss=d_loss, g_loss=g_loss, d_real=ops.mean(self.probability(real_logits)),
                          d_fake=ops.mean(self.probability(fake_logits)))

    def update_average(self):
        """Move ``ema_generator`` towards the generator after a generator step (nothing without ``ema``)."""
        if self.average is not None:
            self.average.update(self.generator)

    ema_generator = property(lambda self: self.average.model, doc="The weight average (with ``ema``).")
    ema_updates = property(lambda self: self.average.updates, doc="How often the average moved (saved).")

    @property
    def sample_generator(self) -> keras.Model:
        """The generator to sample: the average with ``ema`` (its own batch-norm statistics), else the trained one."""
        return self.generator if self.average is None else self.average.sampled()

    def statistics_inputs(self, count: int):
        """Return ``count`` fixed generator inputs (noise from seed 0) for the average's statistics."""
        return np.random.default_rng(0).standard_normal((count, self.latent_dim)).astype("float32")

    def generate(self, z_or_count, batch_size: int = 256) -> np.ndarray:
        """Return generated samples as NumPy, from latent vectors or a number of samples."""
        if isinstance(z_or_count, (int, np.integer)):  # fixed noise from seed 0
            z_or_count = np.random.default_rng(0).standard_normal((int(z_or_count), self.latent_dim))
        z = np.asarray(z_or_count, dtype="float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latent vectors must have shape (n, {self.latent_dim}), got {z.shape}")
        return self.sample_generator.predict(z, batch_size=batch_size, verbose=0)
