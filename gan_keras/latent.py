"""The latent space of chapter 07: grids and straight lines through it, and a Gaussian fitted to codes.

NumPy helpers for the VAE (:class:`gan_keras.trainers.vae.VAE`), the plain autoencoder
(:class:`gan_keras.trainers.autoencoder.Autoencoder`) and any generator of the course:
:func:`latent_grid` (points evenly spaced in prior probability), :func:`interpolate` (lines
between pairs of codes), :func:`interpolate_latents` (one pair, straight or along the sphere:
slerp) and :func:`fit_latent_gaussian` (the usual repair of a plain autoencoder: sample codes
from a Gaussian fitted to the training images' codes, not from N(0, I)).
"""

from __future__ import annotations

import numpy as np

from gan_keras import validate

__all__ = ["fit_latent_gaussian", "interpolate", "interpolate_latents", "latent_grid"]


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


def interpolate_latents(z_start, z_end, steps: int = 10, spherical: bool = False) -> np.ndarray:
    """Return ``steps`` latent vectors from ``z_start`` to ``z_end`` (linear, or slerp if ``spherical``).

    Introduced in ``notebooks/03_dcgan.ipynb``.
    """
    a = np.asarray(z_start, dtype=np.float64).ravel()
    b = np.asarray(z_end, dtype=np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"z_start and z_end must have the same size, got {a.size} and {b.size}")
    validate.integer(steps, "steps", minimum=2)
    t = np.linspace(0.0, 1.0, int(steps))[:, None]
    if spherical:
        # Gaussian samples live near a sphere: slerp keeps the norm, a straight line shrinks it
        cos = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b) + 1e-12)
        omega = np.arccos(np.clip(cos, -1.0, 1.0))
        if omega > 1e-6:
            return ((np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)).astype(np.float32)
    return ((1 - t) * a + t * b).astype(np.float32)


def fit_latent_gaussian(codes):
    """Return ``(mean, covariance)`` of codes: a Gaussian fitted afterwards to the autoencoder's codes.

    Sampling from it is the usual repair of a plain autoencoder; chapter 07 shows it next to N(0, I).
    """
    codes = np.asarray(codes, dtype=np.float64)
    if codes.ndim != 2 or len(codes) < 2:
        raise ValueError(f"codes must be (n >= 2, latent_dim), got shape {codes.shape}")
    return codes.mean(axis=0), np.cov(codes, rowvar=False)
