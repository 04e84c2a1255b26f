"""Trivial answers a learning test must beat, computed on the test's own data.

A generator is scored against two trivial generators: one that draws the data's mean image
every time, and one that draws a single training image every time. Both have zero spread
across samples; the mean image is the closest single image to the data in squared error,
so a closeness score alone (a pixel MSE, the distance of the mean samples) cannot tell it
from a learned generator. The Frechet distance between Gaussians fitted in the data's own
principal-component space needs the right mean *and* the right spread, so both fail it.
"""

import numpy as np

from gan_keras.measure import metrics


def flat(images) -> np.ndarray:
    images = np.asarray(images, dtype=np.float64)
    return images.reshape(len(images), -1)


def pca_basis(images, dims: int = 20):
    """Return ``(mean, components)``: the data's mean and its top ``dims`` principal directions."""
    x = flat(images)
    mean = x.mean(axis=0)
    _, _, vt = np.linalg.svd(x - mean, full_matrices=False)
    return mean, vt[:dims].T


def pca_frechet(basis, reference, samples) -> float:
    """Frechet distance between ``reference`` and ``samples`` in the principal-component space."""
    mean, components = basis
    return metrics.frechet_distance((flat(reference) - mean) @ components, (flat(samples) - mean) @ components)


def spread(samples) -> float:
    """Mean over pixels of the per-pixel standard deviation across samples (0 for one image)."""
    return float(flat(samples).std(axis=0).mean())


def mean_image_samples(train, n: int) -> np.ndarray:
    """``n`` copies of the training data's mean image."""
    train = np.asarray(train)
    return np.repeat(train.mean(axis=0, keepdims=True), n, axis=0)


def one_image_samples(train, n: int, index: int = 0) -> np.ndarray:
    """``n`` copies of one training image (a generator collapsed to one real-looking image)."""
    train = np.asarray(train)
    return np.repeat(train[index:index + 1], n, axis=0)
