"""The plain autoencoder's trainer: encode, decode, minimise the reconstruction loss only.

One step: ``z = encoder(x)``, ``logits = decoder(z)``, minimise

    reconstruction_loss = -log p(x | z)   (independent Bernoulli pixels, nats per image)

the same term as the VAE's (``gan_keras.vae.reconstruction_loss``), so the two are measured
in the same units. There is no KL term and no noise: the codes of the training images land
wherever reconstruction puts them, so a code drawn from N(0, I) need not decode to anything
like an image. Chapter 07 measures that against the VAE's samples.
Metric name: ``reconstruction_loss`` (as the VAE's).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from gan_keras.config import require_tensorflow_backend
from gan_keras.gans import (
    TrainerMixin, apply_loss_gradients, check_model, compile_one_player, prepare_loss, split_batch,
)
from gan_keras.vae import encoder_decoder_parts, reconstruction_loss

require_tensorflow_backend()

__all__ = ["Autoencoder", "reconstruction_loss", "fit_latent_gaussian"]


class Autoencoder(TrainerMixin, keras.Model):
    """An encoder ``x -> z`` and a decoder ``z -> x`` trained on the reconstruction loss through ``fit()``.

    ``decoder`` maps ``z`` to images in ``[-1, 1]`` and has a layer named ``"logits"``
    (see ``gan_keras.models.autoencoder.build_autoencoder``). ``generator`` is the decoder,
    so the GAN tools (sample grids, evaluation) work unchanged.
    Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """

    def __init__(self, encoder, decoder, **kwargs):
        super().__init__(**kwargs)
        self.encoder = check_model(encoder, "encoder")
        self.decoder = check_model(decoder, "decoder")
        if len(encoder.outputs) != 1:
            raise ValueError(f"the encoder must return one code z, got {len(encoder.outputs)} outputs "
                             "(a VAE's encoder returns [z_mean, z_log_var]: use gan_keras.vae.VAE)")
        self.latent_dim, self.sample_shape, self.decoder_logits = encoder_decoder_parts(
            encoder, decoder, "gan_keras.models.autoencoder.build_autoencoder")
        self.reconstruction_loss_tracker = keras.metrics.Mean(name="reconstruction_loss")
        self.built = True

    @property
    def generator(self):
        """The decoder, under the name the GAN tools use."""
        return self.decoder

    @property
    def metrics(self):
        return [self.reconstruction_loss_tracker]

    def compile(self, optimizer=None, loss_scale: bool | None = None, **kwargs):
        """Set the optimizer (Adam, learning rate 1e-3, by default), as ``VAE.compile`` does."""
        compile_one_player(self, optimizer, [self.encoder, self.decoder], loss_scale=loss_scale, **kwargs)

    # ----------------------------------------------------------------------------------
    def call(self, images, training=False):
        return self.decoder(self.encoder(images, training=training), training=training)

    def loss_of(self, images, training=False):
        """Return the reconstruction loss of a batch of images (nats per image)."""
        # Encode to one code per image (no noise)
        z = self.encoder(images, training=training)
        # Decode to pixel logits and score the reconstruction
        return reconstruction_loss(images, self.decoder_logits(z, training=training))

    def train_step(self, data):
        images, _ = split_batch(data)
        with tf.GradientTape() as tape:
            rec = self.loss_of(images, training=True)
            # Per-replica share of the global-batch loss, times the loss scale
            scaled_loss = prepare_loss(rec, self.optimizer)
        # Update encoder and decoder together on the reconstruction loss
        apply_loss_gradients(tape, scaled_loss, self.optimizer, self.trainable_weights)
        self.reconstruction_loss_tracker.update_state(rec)
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        images, _ = split_batch(data)
        self.reconstruction_loss_tracker.update_state(self.loss_of(images, training=False))
        return {m.name: m.result() for m in self.metrics}

    # ----------------------------------------------------------------------------------
    def encode(self, images, batch_size: int = 256) -> np.ndarray:
        """Return the codes of images as a NumPy array ``(n, latent_dim)``."""
        return self.encoder.predict(np.asarray(images, "float32"), batch_size=batch_size, verbose=0)

    def decode(self, z, batch_size: int = 256) -> np.ndarray:
        """Return the decoder's images of latent vectors."""
        z = np.asarray(z, dtype="float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latent vectors must have shape (n, {self.latent_dim}), got {z.shape}")
        return self.decoder.predict(z, batch_size=batch_size, verbose=0)

    def reconstruct(self, images, batch_size: int = 256) -> np.ndarray:
        """Return the reconstructions of images."""
        return self.decode(self.encode(images, batch_size), batch_size)

    def generate(self, z_or_count, batch_size: int = 256) -> np.ndarray:
        """Decode random codes from N(0, I) (or the given codes): what sampling it like a VAE gives."""
        if isinstance(z_or_count, (int, np.integer)):
            rng = np.random.default_rng(0)
            z_or_count = rng.standard_normal((int(z_or_count), self.latent_dim)).astype("float32")
        return self.decode(z_or_count, batch_size)


def fit_latent_gaussian(codes):
    """Return ``(mean, covariance)`` of codes: a Gaussian fitted afterwards to the autoencoder's codes.

    Sampling from it is the usual repair of a plain autoencoder; chapter 07 shows it next to N(0, I).
    """
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or len(codes) < 2:
        raise ValueError(f"codes must be (n >= 2, latent_dim), got shape {codes.shape}")
    return codes.mean(axis=0), np.cov(codes, rowvar=False)
