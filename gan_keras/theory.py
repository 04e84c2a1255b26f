"""The theory of the original GAN paper, computed numerically on densities over a grid.

For a fixed generator the best discriminator is ``D*(x) = p_data(x) / (p_data(x) + p_g(x))``;
plugged into the game it gives ``C(G) = -log 4 + 2 JSD(p_data || p_g)``, which is smallest,
``-log 4``, exactly when ``p_g = p_data``.
"""

from __future__ import annotations

import numpy as np


def optimal_discriminator(p_data, p_g):
    """Return ``D*(x) = p_data / (p_data + p_g)`` elementwise (1/2 where both densities are 0).

    Introduced in ``notebooks/01_gan_basics.ipynb``.
    """
    p_data = np.asarray(p_data, dtype=np.float64)
    p_g = np.asarray(p_g, dtype=np.float64)
    if p_data.shape != p_g.shape:
        raise ValueError(f"p_data and p_g must have the same shape, got {p_data.shape} and {p_g.shape}")
    if np.any(p_data < 0) or np.any(p_g < 0):
        raise ValueError("densities must be non-negative")
    total = p_data + p_g
    safe = np.where(total > 0, total, 1.0)
    return np.where(total > 0, p_data / safe, 0.5)


# ---------------------------------------------------------------------------------------
# Divergences and the value of the game, by numerical integration over a grid
# ---------------------------------------------------------------------------------------

def _densities(p, q, dx):
    p = np.asarray(p, dtype=np.float64)
    q = np.asarray(q, dtype=np.float64)
    if p.shape != q.shape:
        raise ValueError(f"the two densities must have the same shape, got {p.shape} and {q.shape}")
    if p.ndim != 1 or len(p) < 2:
        raise ValueError(f"densities must be 1-D arrays of values on a grid, got shape {p.shape}")
    if np.any(p < 0) or np.any(q < 0) or not (np.all(np.isfinite(p)) and np.all(np.isfinite(q))):
        raise ValueError("densities must be finite and non-negative")
    dx = float(dx)
    if not dx > 0:
        raise ValueError(f"dx (the grid spacing) must be > 0, got {dx}")
    return p, q, dx


def _xlogy_ratio(a, b):
    """Return ``a * log(a / b)`` with ``0 log 0 = 0`` (and ``inf`` where ``a > 0 = b``)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(a > 0, a * (np.log(a) - np.log(b)), 0.0)
    return out


def kl_divergence(p, q, dx):
    """Return ``KL(p || q) = integral p log(p / q) dx`` for densities on a grid with spacing ``dx``.

    Infinite when ``q`` is 0 somewhere ``p`` is not. Introduced in ``notebooks/01_gan_basics.ipynb``.
    """
    p, q, dx = _densities(p, q, dx)
    return float(np.sum(_xlogy_ratio(p, q)) * dx)


def js_divergence(p, q, dx):
    """Return ``JSD(p || q) = KL(p || m)/2 + KL(q || m)/2`` with ``m = (p + q)/2`` (natural log).

    Always finite, between 0 and ``log 2``. Introduced in ``notebooks/01_gan_basics.ipynb``.
    """
    p, q, dx = _densities(p, q, dx)
    m = 0.5 * (p + q)
    return 0.5 * kl_divergence(p, m, dx) + 0.5 * kl_divergence(q, m, dx)


def value_of_game(p_data, p_g, d, dx):
    """Return ``V(D, G) = integral p_data log D + p_g log(1 - D) dx`` for a discriminator ``d`` on the grid.

    Where a density is 0 its term counts 0 (``0 log 0 = 0``).
    """
    p_data, p_g, dx = _densities(p_data, p_g, dx)
    d = np.asarray(d, dtype=np.float64)
    if d.shape != p_data.shape:
        raise ValueError(f"d must have the grid's shape {p_data.shape}, got {d.shape}")
    if np.any(d < 0) or np.any(d > 1):
        raise ValueError("d holds probabilities D(x), which must lie in [0, 1]")
    with np.errstate(divide="ignore", invalid="ignore"):
        real_term = np.where(p_data > 0, p_data * np.log(d), 0.0)
        fake_term = np.where(p_g > 0, p_g * np.log1p(-d), 0.0)
    return float(np.sum(real_term + fake_term) * dx)


def virtual_training_criterion(p_data, p_g, dx):
    """Return ``C(G) = max_D V(D, G)``: the value with the optimal discriminator ``D*`` plugged in.

    The paper shows ``C(G) = -log 4 + 2 JSD(p_data || p_g)``; this computes it from the
    definition, so the two can be compared. Introduced in ``notebooks/01_gan_basics.ipynb``.
    """
    p_data, p_g, dx = _densities(p_data, p_g, dx)
    # log D* = log p_data - log(p_data + p_g), log(1 - D*) = log p_g - log(p_data + p_g):
    # written with logs so that D* rounding to exactly 0 or 1 cannot give 0 * log 0.
    total = p_data + p_g
    real_term = _xlogy_ratio(p_data, total)
    fake_term = _xlogy_ratio(p_g, total)
    return float(np.sum(real_term + fake_term) * dx)


# ---------------------------------------------------------------------------------------
# A generator's 1-D density, for the figure of the adversarial process
# ---------------------------------------------------------------------------------------

def make_grid(low: float, high: float, num: int = 400):
    """Return ``(x, dx)``: ``num`` equally spaced points from ``low`` to ``high`` and their spacing."""
    if not high > low:
        raise ValueError(f"high must be greater than low, got low={low}, high={high}")
    if int(num) < 2:
        raise ValueError(f"num must be at least 2, got {num}")
    x = np.linspace(float(low), float(high), int(num))
    return x, float(x[1] - x[0])


def density_from_samples(samples, grid, bandwidth: float | None = None):
    """Estimate a 1-D density on ``grid`` from samples with a Gaussian kernel.

    ``bandwidth`` defaults to Silverman's rule ``0.9 min(std, IQR/1.34) n^(-1/5)``.
    Introduced in ``notebooks/01_gan_basics.ipynb``.
    """
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim == 2 and samples.shape[1] == 1:
        samples = samples[:, 0]
    if samples.ndim != 1 or len(samples) < 2:
        raise ValueError(f"samples must be 1-D values (n,) or (n, 1) with n >= 2, got shape {samples.shape}")
    if not np.all(np.isfinite(samples)):
        raise ValueError("samples contain NaN or infinite values")
    grid = np.asarray(grid, dtype=np.float64)
    if bandwidth is None:
        iqr = np.subtract(*np.percentile(samples, [75, 25]))
        spread = min(samples.std(), iqr / 1.34) if iqr > 0 else samples.std()
        bandwidth = 0.9 * max(spread, 1e-3) * len(samples) ** (-0.2)
    if not bandwidth > 0:
        raise ValueError(f"bandwidth must be > 0, got {bandwidth}")
    density = np.zeros_like(grid)
    for chunk in np.array_split(samples, max(1, len(samples) // 2000)):
        u = (grid[:, None] - chunk[None, :]) / bandwidth
        density += np.exp(-0.5 * u * u).sum(axis=1)
    return density / (len(samples) * bandwidth * np.sqrt(2 * np.pi))


def generator_density(generator, grid, num_samples: int = 20000, bandwidth: float | None = None, seed: int = 0):
    """Return the density of a 1-D generator's samples on ``grid`` (kernel estimate).

    ``generator`` is a Keras model from ``(n, latent_dim)`` noise to ``(n, 1)`` samples.
    """
    latent_dim = int(generator.inputs[0].shape[-1])
    z = np.random.default_rng(seed).standard_normal((num_samples, latent_dim)).astype("float32")
    samples = generator.predict(z, batch_size=4096, verbose=0)
    return density_from_samples(samples, grid, bandwidth)


def discriminator_curve(discriminator, grid):
    """Return ``D(x) = sigmoid(logit)`` of a 1-D discriminator at every grid point."""
    x = np.asarray(grid, dtype=np.float32).reshape(-1, 1)
    logits = np.asarray(discriminator.predict(x, batch_size=4096, verbose=0), dtype=np.float64).reshape(-1)
    return 1.0 / (1.0 + np.exp(-logits))
