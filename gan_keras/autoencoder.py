"""The plain autoencoder of chapter 07: the trainer (re-exported) and the Gaussian fitted to its codes.

The trainer lives in :mod:`gan_keras.trainers.autoencoder` (its ``step`` runs on TensorFlow,
JAX and PyTorch through :func:`gan_keras.engine.minimize`). One step: ``z = encoder(x)``,
``logits = decoder(z)``, minimise

    reconstruction_loss = -log p(x | z)   (independent Bernoulli pixels, nats per image)

the same term as the VAE's (``gan_keras.vae.reconstruction_loss``), so the two are measured
in the same units. There is no KL term and no noise: the codes of the training images land
wherever reconstruction puts them, so a code drawn from N(0, I) need not decode to anything
like an image. Chapter 07 measures that against the VAE's samples.
Metric name: ``reconstruction_loss`` (as the VAE's).
"""

from __future__ import annotations

import numpy as np

from gan_keras.trainers.autoencoder import Autoencoder, reconstruction_loss  # noqa: F401

__all__ = ["Autoencoder", "reconstruction_loss", "fit_latent_gaussian"]


def fit_latent_gaussian(codes):
    """Return ``(mean, covariance)`` of codes: a Gaussian fitted afterwards to the autoencoder's codes.

    Sampling from it is the usual repair of a plain autoencoder; chapter 07 shows it next to N(0, I).
    """
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or len(codes) < 2:
        raise ValueError(f"codes must be (n >= 2, latent_dim), got shape {codes.shape}")
    return codes.mean(axis=0), np.cov(codes, rowvar=False)
