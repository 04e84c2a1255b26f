"""The GAN: a generator and a discriminator, and what a batch costs each of them.

Every trainer has the same shape, so reading one teaches all:
sample noise -> train the discriminator (``d_steps`` times) -> train the generator ->
update the trackers. Metric names are the same everywhere: ``d_loss``, ``g_loss``,
``d_real`` (mean ``D(x)``) and ``d_fake`` (mean ``D(G(z))``).

The loss is a choice, not a copied class: ``compile(loss="non_saturating" | "minimax" |
"least_squares" | "wasserstein" | "hinge")``; see ``gan_keras.losses``. The update of a
player (differentiate its loss, scale it, apply its optimizer) is the engine's
(``gan_keras.engine.minimize``), the same on TensorFlow, JAX and PyTorch.
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

    Minibatch ``i`` takes every ``d_steps``-th sample from ``i`` (``real_samples[i::d_steps]``),
    so a batch of ``d_steps * m`` samples gives ``d_steps`` distinct minibatches of ``m``.
    Strided rather than cut in blocks, so that under ``tf.distribute`` the replicas'
    slices of minibatch ``i`` are, together, minibatch ``i`` of one device (a distributed
    run still equals a single-device run). ``d_steps=1`` returns the batch itself.
    """
    if d_steps == 1:
        return [real_samples]
    return [real_samples[i::d_steps] for i in range(d_steps)]


class GAN(Trainer):
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
    ``ema_generator`` (held by a :class:`gan_keras.averaging.AveragedGenerator`, ``average``): updated after every generator step,
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
        self.average = None if self.ema is None else averaging.AveragedGenerator(
            generator, self.ema, lambda: self.statistics_inputs(self.STATISTICS_SAMPLES))
        self.add_trackers(*GAME_METRICS)
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
        **kwargs,
    ):
        """Set the two optimizers (never shared) and the loss.

        ``gradient_penalty_weight`` defaults to 10 for ``"wasserstein"`` (WGAN-GP) and 0
        otherwise. Each optimizer is wrapped in a ``LossScaleOptimizer`` exactly when its model
        computes in float16 (built inside ``precision_policy("mixed_float16")``); to scale
        anyway, pass a ``keras.optimizers.LossScaleOptimizer``. ``jit_compile=True`` turns
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
        compile_players(self, d_optimizer, g_optimizer, self.discriminator, self.generator, **kwargs)

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
        return self.generator if self.average is None else self.average.sampled()

    ema_generator = property(lambda self: self.average.model, doc="The weight average (with ``ema``).")
    ema_updates = property(lambda self: self.average.updates, doc="How often the average moved (saved).")

    def statistics_inputs(self, count: int):
        """Return ``count`` fixed generator inputs (noise from seed 0) for the average's statistics."""
        return np.random.default_rng(0).standard_normal((count, self.latent_dim)).astype("float32")

    def update_average(self):
        """Move ``ema_generator`` towards the generator after a generator step (nothing without ``ema``)."""
        if self.average is not None:
            self.average.update(self.generator)

    def discriminate(self, samples, *conditions):
        """Return the discriminator's logits for ``samples`` (and the conditions, e.g. labels), in training mode."""
        inputs = [samples, *conditions] if conditions else samples
        return self.discriminator(inputs, training=True)

    def sample_latent(self, batch_size):
        """Draw ``batch_size`` latent vectors from N(0, I) with the model's seed generator.

        Under ``tf.distribute`` each replica gets its own slice of the global batch's noise.
        """
        return engine.replica_latent(self.seed_generator, batch_size, self.latent_dim)

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
            alpha = engine.replica_random(keras.random.uniform, alpha_shape, self.seed_generator)
            d_loss += self.gradient_penalty_weight * gan_losses.gradient_penalty(
                self.discriminator, real_samples, fake_samples, alpha=alpha
            )
        return d_loss

    def d_step(self, real_samples):
        """Update the discriminator once; return ``(d_loss, real_logits, fake_logits)``."""
        z = self.sample_latent(ops.shape(real_samples)[0])

        def d_loss():
            fake_samples = self.generator(z, training=True)
            real_logits = self.discriminate(real_samples)
            fake_logits = self.discriminate(fake_samples)
            return (self.discriminator_loss(real_samples, fake_samples, real_logits, fake_logits),
                    (real_logits, fake_logits))

        loss, (real_logits, fake_logits) = engine.minimize(
            d_loss, self.d_optimizer, self.discriminator.trainable_weights)
        return loss, real_logits, fake_logits

    def g_step(self, batch_size):
        """Update the generator once (the discriminator's weights stay fixed); return ``g_loss``."""
        z = self.sample_latent(batch_size)

        def g_loss():
            fake_logits = self.discriminate(self.generator(z, training=True))
            return self.g_loss_fn(fake_logits), ()

        loss, _ = engine.minimize(g_loss, self.g_optimizer, self.generator.trainable_weights)
        return loss

    def simultaneous_step(self, real_samples):
        """Update both players from one forward pass (the tutorial's order, ``simultaneous=True``).

        One noise batch, one generator pass; the discriminator's loss and the generator's
        loss come from the same discriminator outputs, and both gradients are taken before
        either update is applied. Returns ``(d_loss, g_loss, real_logits, fake_logits)``.
        """
        z = self.sample_latent(ops.shape(real_samples)[0])

        def both_losses():
            fake_samples = self.generator(z, training=True)
            real_logits = self.discriminate(real_samples)
            fake_logits = self.discriminate(fake_samples)
            d_loss = self.discriminator_loss(real_samples, fake_samples, real_logits, fake_logits)
            return (d_loss, self.g_loss_fn(fake_logits)), (real_logits, fake_logits)

        (d_loss, g_loss), (real_logits, fake_logits) = engine.minimize_each(
            both_losses, [(self.d_optimizer, self.discriminator.trainable_weights),
                          (self.g_optimizer, self.generator.trainable_weights)])
        return d_loss, g_loss, real_logits, fake_logits

    def update_trackers(self, d_loss, g_loss, real_logits, fake_logits):
        """Add one step's losses and mean ``D(x)``, ``D(G(z))`` to the trackers; return their results."""
        return self.track(d_loss=d_loss, g_loss=g_loss, d_real=ops.mean(self.probability(real_logits)),
                          d_fake=ops.mean(self.probability(fake_logits)))

    def step(self, data):
        """One batch of the game: ``d_steps`` discriminator updates, one generator update (Algorithm 1)."""
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
