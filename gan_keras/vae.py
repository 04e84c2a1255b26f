"""The variational autoencoder of chapter 07: the trainer, its losses and latent-space pictures.

The trainer and its losses live in :mod:`gan_keras.trainers.vae` (written in ``keras.ops``;
its ``step`` runs on TensorFlow, JAX and PyTorch through :func:`gan_keras.engine.minimize`);
this module re-exports them under the names the chapter uses (``from gan_keras import vae``)
and keeps the latent-space helpers (NumPy).

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

import numpy as np

from gan_keras import validate
from gan_keras.trainers.vae import VAE, encoder_decoder_parts, kl_loss, reconstruction_loss  # noqa: F401

__all__ = ["VAE", "encoder_decoder_parts", "interpolate", "kl_loss", "latent_grid", "reconstruction_loss"]


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
