"""The plain autoencoder: encode, decode, minimise the reconstruction loss only.

One step: ``z = encoder(x)``, ``logits = decoder(z)``, minimise

    reconstruction_loss = -log p(x | z)   (independent Bernoulli pixels, nats per image)

the same term as the VAE's (:func:`gan_keras.trainers.vae.reconstruction_loss`), so the two
are measured in the same units, with :func:`gan_keras.engine.minimize` (one player, one
optimizer). There is no KL term and no noise: the codes of the training images land
wherever reconstruction puts them, so a code drawn from N(0, I) need not decode to anything
like an image. Chapter 07 measures that against the VAE's samples.
Metric name: ``reconstruction_loss`` (as the VAE's).
"""

from __future__ import annotations

import numpy as np

from gan_keras import engine
from gan_keras.engine import split_batch
from gan_keras.engine.trainer import check_model
from gan_keras.trainers.vae import _EncoderDecoder, encoder_decoder_parts, reconstruction_loss

__all__ = ["Autoencoder", "reconstruction_loss"]


class Autoencoder(_EncoderDecoder):
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
                             "(a VAE's encoder returns [z_mean, z_log_var]: use gan_keras.trainers.vae.VAE)")
        self.latent_dim, self.sample_shape, self.decoder_logits = encoder_decoder_parts(
            encoder, decoder, "gan_keras.models.autoencoder.build_autoencoder")
        self.add_trackers("reconstruction_loss")
        self.built = True

    def compile(self, optimizer=None, **kwargs):
        """Set the optimizer (Adam, learning rate 1e-3, by default), as ``VAE.compile`` does."""
        super().compile(optimizer, **kwargs)

    # ----------------------------------------------------------------------------------
    def call(self, images, training=False):
        return self.decoder(self.encoder(images, training=training), training=training)

    def loss_of(self, images, training=False):
        """Return the reconstruction loss of a batch of images (nats per image)."""
        # Encode to one code per image (no noise)
        z = self.encoder(images, training=training)
        # Decode to pixel logits and score the reconstruction
        return reconstruction_loss(images, self.decoder_logits(z, training=training))

    def step(self, data):
        """One batch: update the encoder and the decoder together on the reconstruction loss."""
        images, _ = split_batch(data)
        rec, _ = engine.minimize(lambda: (self.loss_of(images, training=True), ()),
                                 self.optimizer, self.player_weights())
        return self.track(reconstruction_loss=rec)

    def evaluate_step(self, data):
        """One batch of ``evaluate``: the reconstruction loss in inference mode, no update."""
        images, _ = split_batch(data)
        return self.track(reconstruction_loss=self.loss_of(images, training=False))

    # ----------------------------------------------------------------------------------
    def encode(self, images, batch_size: int = 256) -> np.ndarray:
        """Return the codes of images as a NumPy array ``(n, latent_dim)``."""
        return self.encoder.predict(np.asarray(images, "float32"), batch_size=batch_size, verbose=0)

    def reconstruct(self, images, batch_size: int = 256) -> np.ndarray:
        """Return the reconstructions of images."""
        return self.decode(self.encode(images, batch_size), batch_size)

    def generate(self, z_or_count, batch_size: int = 256) -> np.ndarray:
        """Decode random codes from N(0, I) (or the given codes): what sampling it like a VAE gives."""
        return super().generate(z_or_count, batch_size)
