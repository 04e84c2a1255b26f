"""The variational autoencoder's trainer: a ``keras.Model`` subclass with its own ``train_step``.

One step: encode the images to ``(z_mean, z_log_var)``, sample ``z`` with the
reparameterisation trick, decode, and minimise the negative ELBO

    total_loss = reconstruction_loss + beta * kl_loss

Metric names (the same in the progress bar, the history and ``history.json``):

- ``reconstruction_loss``: ``-log p(x|z)`` under independent Bernoulli pixels, summed over
  the pixels of an image (nats per image), averaged over the batch. Pixels in ``[-1, 1]``
  are mapped to ``[0, 1]`` targets.
- ``kl_loss``: ``KL(q(z|x) || N(0, I))`` in closed form, summed over the latent dimensions
  (nats per image), averaged over the batch.
- ``total_loss``: their sum (``beta = 1``: the negative evidence lower bound). It is not
  called ``loss`` because Keras keeps a ``loss`` tracker of its own.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gan_keras import validate
from gan_keras.config import require_tensorflow_backend
from gan_keras.gans import (
    TrainerMixin, apply_loss_gradients, check_model, compile_one_player, model_input_shape, model_output_shape, prepare_loss,
    replica_random, split_batch,
)
from gan_keras.models.vae import LOGITS_LAYER, reparameterize

require_tensorflow_backend()


def reconstruction_loss(images, logits):
    """Return the Bernoulli negative log-likelihood of images in ``[-1, 1]``, summed per image, batch mean.

    Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    targets = (ops.cast(images, "float32") + 1.0) / 2.0
    logits = ops.cast(logits, "float32")  # float16 under mixed precision: the loss is float32
    # Binary cross-entropy from logits, stable form: max(l, 0) - l t + log(1 + exp(-|l|))
    per_pixel = ops.relu(logits) - logits * targets + ops.softplus(-ops.abs(logits))
    per_image = ops.sum(ops.reshape(per_pixel, (ops.shape(per_pixel)[0], -1)), axis=1)
    return ops.mean(per_image)


def kl_loss(z_mean, z_log_var):
    """Return ``KL(N(mean, exp(log_var)) || N(0, I))`` summed over latent dimensions, batch mean.

    ``KL = -1/2 sum(1 + log_var - mean^2 - exp(log_var))``.
    Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    z_mean = ops.cast(z_mean, "float32")
    z_log_var = ops.cast(z_log_var, "float32")
    per_dim = -0.5 * (1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
    return ops.mean(ops.sum(per_dim, axis=-1))


def encoder_decoder_parts(encoder, decoder, builder: str):
    """Check that an encoder and a decoder fit; return ``(latent_dim, image_shape, decoder_logits)``.

    The encoder's (first) output must be the decoder's input ``z``, the decoder's images the
    encoder's input, and the decoder must have a layer named ``"logits"``: ``decoder_logits``
    is the same layers stopping there (the loss needs the logits, not the tanh image).
    ``builder`` names the function that builds a fitting decoder (for the message).
    """
    latent_dim = int(model_input_shape(decoder)[-1])
    enc_out = tuple(encoder.outputs[0].shape[1:])
    if enc_out != (latent_dim,):
        raise ValueError(f"the encoder gives z of shape {enc_out} but the decoder takes ({latent_dim},)")
    if model_output_shape(decoder) != model_input_shape(encoder):
        raise ValueError(f"the decoder makes images of shape {model_output_shape(decoder)} but "
                         f"the encoder takes {model_input_shape(encoder)}")
    try:
        logits = decoder.get_layer(LOGITS_LAYER).output
    except ValueError:
        raise ValueError(f"the decoder needs a layer named {LOGITS_LAYER!r} giving pixel logits "
                         f"(see {builder})") from None
    return latent_dim, model_input_shape(encoder), keras.Model(decoder.input, logits, name="decoder_logits")


class VAE(TrainerMixin, keras.Model):
    """An encoder and a decoder trained together on the negative ELBO through ``fit()``.

    ``encoder`` maps images to ``[z_mean, z_log_var]``; ``decoder`` maps ``z`` to images in
    ``[-1, 1]`` and has a layer named ``"logits"`` (pixel logits before the output
    activation). ``beta`` weighs the KL term (1 = the plain VAE). ``generator`` is the
    decoder, so the GAN callbacks (sample grids) work unchanged.
    Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """

    def __init__(self, encoder, decoder, beta: float = 1.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = check_model(encoder, "encoder")
        self.decoder = check_model(decoder, "decoder")
        if len(encoder.outputs) != 2:
            raise ValueError(f"the encoder must return [z_mean, z_log_var], got {len(encoder.outputs)} outputs")
        self.latent_dim, self.sample_shape, self.decoder_logits = encoder_decoder_parts(
            encoder, decoder, "gan_keras.models.build_vae_decoder")
        validate.non_negative_number(beta, "beta")
        self.beta = float(beta)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.total_loss_tracker = keras.metrics.Mean(name="total_loss")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.kl_loss_tracker = keras.metrics.Mean(name="kl_loss")
        self.built = True

    @property
    def generator(self):
        """The decoder, under the name the GAN tools use."""
        return self.decoder

    @property
    def metrics(self):
        return [self.total_loss_tracker, self.reconstruction_loss_tracker, self.kl_loss_tracker]

    def compile(self, optimizer=None, loss_scale: bool | None = None, **kwargs):
        """Set the optimizer (Adam, learning rate 1e-3, by default).

        It is wrapped in a ``LossScaleOptimizer`` when the encoder or decoder computes in
        float16 (built inside ``gans.precision_policy("mixed_float16")``) or ``loss_scale=True``.
        """
        compile_one_player(self, optimizer, [self.encoder, self.decoder], loss_scale=loss_scale, **kwargs)

    # ----------------------------------------------------------------------------------
    def call(self, images, training=False):
        z_mean, _ = self.encoder(images, training=training)
        return self.decoder(z_mean, training=training)

    def losses_of(self, images, training=False):
        """Return ``(total_loss, reconstruction_loss, kl_loss)`` on a batch of images."""
        # Encode to the parameters of q(z|x)
        z_mean, z_log_var = self.encoder(images, training=training)
        # Sample z with the reparameterisation trick (the noise is outside the graph's weights)
        epsilon = replica_random(keras.random.normal, ops.shape(z_mean), self.seed_generator)
        # In float32 (the encoder's outputs are float16 under mixed precision)
        z = reparameterize(ops.cast(z_mean, "float32"), ops.cast(z_log_var, "float32"), epsilon)
        # Decode and score the reconstruction and the distance to the prior
        rec = reconstruction_loss(images, self.decoder_logits(z, training=training))
        kl = kl_loss(z_mean, z_log_var)
        return rec + self.beta * kl, rec, kl

    def _update(self, total, rec, kl):
        self.total_loss_tracker.update_state(total)
        self.reconstruction_loss_tracker.update_state(rec)
        self.kl_loss_tracker.update_state(kl)
        return {m.name: m.result() for m in self.metrics}

    def train_step(self, data):
        images, _ = split_batch(data)
        with tf.GradientTape() as tape:
            total, rec, kl = self.losses_of(images, training=True)
            # Per-replica share of the global-batch loss, times the loss scale
            scaled_loss = prepare_loss(total, self.optimizer)
        # Update encoder and decoder together on the negative ELBO
        apply_loss_gradients(tape, scaled_loss, self.optimizer, self.trainable_weights)
        return self._update(total, rec, kl)

    def test_step(self, data):
        images, _ = split_batch(data)
        return self._update(*self.losses_of(images, training=False))

    # ----------------------------------------------------------------------------------
    def encode(self, images, batch_size: int = 256):
        """Return ``(z_mean, z_log_var)`` of images as NumPy arrays."""
        z_mean, z_log_var = self.encoder.predict(np.asarray(images, "float32"), batch_size=batch_size, verbose=0)
        return z_mean, z_log_var

    def decode(self, z, batch_size: int = 256) -> np.ndarray:
        """Return the decoder's images of latent vectors."""
        z = np.asarray(z, dtype="float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latent vectors must have shape (n, {self.latent_dim}), got {z.shape}")
        return self.decoder.predict(z, batch_size=batch_size, verbose=0)

    def reconstruct(self, images, batch_size: int = 256) -> np.ndarray:
        """Return the reconstructions of images (decoded from the encoder's mean)."""
        return self.decode(self.encode(images, batch_size)[0], batch_size)

    def generate(self, z_or_count, batch_size: int = 256) -> np.ndarray:
        """Return samples from the prior: decode N(0, I) vectors (or the given latent vectors)."""
        if isinstance(z_or_count, (int, np.integer)):
            rng = np.random.default_rng(0)
            z_or_count = rng.standard_normal((int(z_or_count), self.latent_dim)).astype("float32")
        return self.decode(z_or_count, batch_size)


# --------------------------------------------------------------------------------------
# Latent-space pictures (for the VAE and for any generator of the course).


def latent_grid(num_per_side: int = 15, span: float = 0.95) -> np.ndarray:
    """Return a ``num_per_side**2 x 2`` grid of latent points, evenly spaced in prior probability.

    The coordinates are Gaussian quantiles between ``(1 - span) / 2`` and ``(1 + span) / 2``,
    so the grid covers where N(0, I) puts its mass (rows go from high to low ``z_2``).
    Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    from scipy.stats import norm

    validate.integer(num_per_side, "num_per_side", minimum=2)
    if not 0 < span < 1:
        raise ValueError(f"span must lie in (0, 1), got {span!r}")
    q = norm.ppf(np.linspace((1 - span) / 2, (1 + span) / 2, num_per_side))
    z1, z2 = np.meshgrid(q, q[::-1])
    return np.stack([z1.ravel(), z2.ravel()], axis=1).astype("float32")


def interpolate(z_start, z_end, steps: int = 8) -> np.ndarray:
    """Return ``steps`` latent vectors on the straight line from ``z_start`` to ``z_end`` (both included).

    ``z_start`` and ``z_end`` may be single vectors ``(latent_dim,)`` or rows ``(n, latent_dim)``;
    the result is ``(n * steps, latent_dim)``, one row of ``steps`` per pair.
    Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    a = np.atleast_2d(np.asarray(z_start, dtype="float32"))
    b = np.atleast_2d(np.asarray(z_end, dtype="float32"))
    if a.shape != b.shape:
        raise ValueError(f"z_start and z_end must have the same shape, got {a.shape} and {b.shape}")
    validate.integer(steps, "steps", minimum=2)
    t = np.linspace(0.0, 1.0, steps, dtype="float32")[None, :, None]
    return ((1 - t) * a[:, None, :] + t * b[:, None, :]).reshape(-1, a.shape[1])
