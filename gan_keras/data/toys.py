"""Toy distributions for the theory chapters (01, 02, 09): a 1-D Gaussian, rings and grids of 2-D Gaussians."""

from __future__ import annotations

import math

import numpy as np

from gan_keras import validate


def gaussian_1d(n: int, mean: float = 4.0, std: float = 1.25, seed: int = 0) -> np.ndarray:
    """Sample ``n`` points of a 1-D Gaussian, shape ``(n, 1)``."""
    _check_count(n)
    rng = np.random.default_rng(seed)
    return rng.normal(mean, std, size=(n, 1)).astype(np.float32)


def gaussian_pdf(x, mean: float = 4.0, std: float = 1.25) -> np.ndarray:
    """Return the density of a 1-D Gaussian at ``x``."""
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2 * math.pi))


def ring_centers(num_modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """Return the centres of the ring of Gaussians, shape ``(num_modes, 2)``."""
    angles = 2 * np.pi * np.arange(num_modes) / num_modes
    return np.stack([radius * np.cos(angles), radius * np.sin(angles)], axis=1).astype(np.float32)


def grid_centers(size: int = 5, spacing: float = 2.0) -> np.ndarray:
    """Return the centres of the ``size x size`` grid of Gaussians, centred on 0."""
    ticks = (np.arange(size) - (size - 1) / 2) * spacing
    xx, yy = np.meshgrid(ticks, ticks)
    return np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)


def mixture_2d(n: int, centers, std: float, seed: int = 0) -> np.ndarray:
    """Sample ``n`` points from equal-weight Gaussians at ``centers``, shape ``(n, 2)``."""
    _check_count(n)
    centers = np.asarray(centers, dtype=np.float32)
    rng = np.random.default_rng(seed)
    which = rng.integers(len(centers), size=n)
    return (centers[which] + rng.normal(0.0, std, size=(n, 2))).astype(np.float32)


def ring_of_gaussians(n: int, num_modes: int = 8, radius: float = 2.0, std: float = 0.02, seed: int = 0):
    """Sample the ring of 8 Gaussians used in the mode-collapse papers, shape ``(n, 2)``."""
    return mixture_2d(n, ring_centers(num_modes, radius), std, seed)


def grid_of_gaussians(n: int, size: int = 5, spacing: float = 2.0, std: float = 0.05, seed: int = 0):
    """Sample the 5x5 grid of Gaussians used in the mode-collapse papers, shape ``(n, 2)``."""
    return mixture_2d(n, grid_centers(size, spacing), std, seed)


def _check_count(n) -> None:
    validate.positive_int(n, "n")
