"""Trainers: ``keras.Model`` subclasses whose ``train_step`` plays the GAN game.

Every trainer has the same shape, so reading one teaches all:
sample noise -> train the discriminator (``d_steps`` times) -> train the generator ->
update the trackers. Metric names are the same everywhere: ``d_loss``, ``g_loss``,
``d_real`` (mean ``D(x)``) and ``d_fake`` (mean ``D(G(z))``).

The loss is a choice, not a copied class: ``compile(loss="non_saturating" | "minimax" |
"least_squares" | "wasserstein" | "hinge")``; see ``gan_keras.losses``.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

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


class GAN(keras.Model):
    """A generator and a discriminator trained against each other through ``fit()``.

    ``generator`` maps ``(batch, latent_dim)`` noise to samples; ``discriminator`` maps
    samples to one logit each. ``d_steps`` is the paper's ``k``: discriminator updates
    per generator update. Introduced in ``notebooks/01_gan_basics.ipynb``.
    """

    def __init__(self, generator, discriminator, d_steps: int = 1, seed: int | None = None, **kwargs):
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
        if isinstance(d_steps, bool) or not isinstance(d_steps, (int, np.integer)) or d_steps < 1:
            raise ValueError(f"d_steps must be an integer >= 1, got {d_steps!r}")
        self.latent_dim = int(model_input_shape(generator)[-1])
        self.sample_shape = g_out
        self.d_steps = int(d_steps)
        self.seed_generator = keras.random.SeedGenerator(seed)
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
        **kwargs,
    ):
        """Set the two optimizers (never shared) and the loss.

        ``gradient_penalty_weight`` defaults to 10 for ``"wasserstein"`` (WGAN-GP) and 0
        otherwise.
        """
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
        self.d_loss_fn, self.g_loss_fn, self.outputs_are_logits = gan_losses.get_loss_pair(loss)
        self.loss_name = gan_losses.canonical_loss_name(loss)
        if gradient_penalty_weight is None:
            gradient_penalty_weight = 10.0 if self.loss_name == "wasserstein" else 0.0
        if gradient_penalty_weight < 0:
            raise ValueError(f"gradient_penalty_weight must be >= 0, got {gradient_penalty_weight}")
        self.gradient_penalty_weight = float(gradient_penalty_weight)
        # optimizer=None: no unused default optimizer for callbacks to act on.
        kwargs.pop("optimizer", None)
        super().compile(optimizer=None, **kwargs)
        self.d_optimizer = d_optimizer
        self.g_optimizer = g_optimizer
        # Build the optimizers now so that load_weights restores their slots.
        self.d_optimizer.build(self.discriminator.trainable_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker]

    # ----------------------------------------------------------------------------------
    def call(self, z, training=False):
        return self.generator(z, training=training)

    def sample_latent(self, batch_size):
        """Draw ``batch_size`` latent vectors from N(0, I) with the model's seed generator."""
        return keras.random.normal((batch_size, self.latent_dim), seed=self.seed_generator)

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
        return self.generator.predict(z, batch_size=batch_size, verbose=0)

    def probability(self, logits):
        """Turn discriminator outputs into the ``D(.)`` that the trackers report."""
        return ops.sigmoid(logits) if self.outputs_are_logits else logits

    # ----------------------------------------------------------------------------------
    def d_step(self, real_samples):
        """Update the discriminator once; return ``(d_loss, real_logits, fake_logits)``."""
        batch_size = ops.shape(real_samples)[0]
        z = self.sample_latent(batch_size)
        with tf.GradientTape() as tape:
            fake_samples = self.generator(z, training=True)
            real_logits = self.discriminator(real_samples, training=True)
            fake_logits = self.discriminator(fake_samples, training=True)
            d_loss = self.d_loss_fn(real_logits, fake_logits)
            if self.gradient_penalty_weight:
                d_loss += self.gradient_penalty_weight * gan_losses.gradient_penalty(
                    self.discriminator, real_samples, fake_samples, seed=self.seed_generator
                )
        grads = tape.gradient(d_loss, self.discriminator.trainable_weights)
        self.d_optimizer.apply_gradients(zip(grads, self.discriminator.trainable_weights))
        return d_loss, real_logits, fake_logits

    def g_step(self, batch_size):
        """Update the generator once (the discriminator's weights stay fixed); return ``g_loss``."""
        z = self.sample_latent(batch_size)
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = self.g_loss_fn(fake_logits)
        grads = tape.gradient(g_loss, self.generator.trainable_weights)
        self.g_optimizer.apply_gradients(zip(grads, self.generator.trainable_weights))
        return g_loss

    def train_step(self, data):
        real_samples, _ = split_batch(data)
        batch_size = ops.shape(real_samples)[0]
        # Train the discriminator (k steps, the paper's algorithm)
        for _ in range(self.d_steps):
            d_loss, real_logits, fake_logits = self.d_step(real_samples)
        # Train the generator (the discriminator's weights stay fixed)
        g_loss = self.g_step(batch_size)
        # Update the trackers
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_real_tracker.update_state(ops.mean(self.probability(real_logits)))
        self.d_fake_tracker.update_state(ops.mean(self.probability(fake_logits)))
        return {m.name: m.result() for m in self.metrics}
