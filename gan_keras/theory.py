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
