"""Measuring generated samples: distances in a classifier's feature space, and more.

The Frechet distance compares two sets of features by the Gaussians fitted to them:
``||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))``. With the package's digit classifier
as the feature extractor it is the MNIST counterpart of FID.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg


def _features(x, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (samples, features), got shape {x.shape}")
    if len(x) < 2:
        raise ValueError(f"{name} needs at least 2 samples to estimate a covariance, got {len(x)}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def frechet_distance(features_a, features_b, eps: float = 1e-6) -> float:
    """Return the Frechet distance between Gaussians fitted to two feature sets.

    As the standard FID implementations do: the matrix square root is taken with
    ``scipy.linalg.sqrtm``; if it is not finite (near-singular covariances), ``eps`` is
    added to both diagonals; a tiny imaginary part from rounding is dropped.
    Introduced in ``notebooks/04_conditional_gan.ipynb``.
    """
    a = _features(features_a, "features_a")
    b = _features(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sizes differ: {a.shape[1]} and {b.shape[1]}")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    cov_a, cov_b = np.atleast_2d(np.cov(a, rowvar=False)), np.atleast_2d(np.cov(b, rowvar=False))
    with warnings.catch_warnings():  # dead ReLU features make singular covariances; handled below
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        covmean = linalg.sqrtm(cov_a @ cov_b)
    if not np.all(np.isfinite(covmean)):
        offset = np.eye(len(cov_a)) * eps
        covmean = linalg.sqrtm((cov_a + offset) @ (cov_b + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3):
            raise ValueError(f"imaginary component {np.max(np.abs(covmean.imag)):.3g} in sqrtm")
        covmean = covmean.real
    diff = mu_a - mu_b
    return float(max(diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2.0 * np.trace(covmean), 0.0))


def label_accuracy(classifier, images, requested_labels) -> float:
    """Return the share of generated images that the classifier assigns to the requested label."""
    return classifier.accuracy(images, requested_labels)
