"""Measuring generated samples: distances in a classifier's feature space, and more.

The Frechet distance compares two sets of features by the Gaussians fitted to them:
``||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))``. With the package's digit classifier
as the feature extractor it is the MNIST counterpart of FID.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg

from gan_keras import validate


def _features(x, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (samples, features), got shape {x.shape}")
    if len(x) < 2:
        raise ValueError(f"{name} needs at least 2 samples to estimate a covariance, got {len(x)}")
    if not np.all(np.isfinite(x)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return x


def trace_sqrt_product(features_a, features_b) -> float:
    """Return ``Tr((S_a S_b)^(1/2))`` for the sample covariances of two feature sets, exactly.

    With the centred data scaled by ``1/sqrt(n-1)`` as ``X_a``, ``X_b`` (so ``S = X^T X``),
    the non-zero eigenvalues of ``S_a S_b`` are those of ``K K^T`` with ``K = X_a X_b^T``:
    the trace is the sum of the singular values of ``K`` (``n_a x n_b``). When there are
    more samples than features, the same trace is the sum of ``sqrt`` of the eigenvalues of
    the symmetric ``S_a^(1/2) S_b S_a^(1/2)`` (``d x d``). Either way no ``sqrtm`` of a
    singular product is needed: 2048-d Inception features of a few hundred samples take
    milliseconds instead of minutes.
    """
    a = _features(features_a, "features_a")
    b = _features(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sizes differ: {a.shape[1]} and {b.shape[1]}")
    xa = (a - a.mean(axis=0)) / np.sqrt(len(a) - 1)
    xb = (b - b.mean(axis=0)) / np.sqrt(len(b) - 1)
    if min(len(a), len(b)) <= a.shape[1]:
        return float(np.sum(np.linalg.svd(xa @ xb.T, compute_uv=False)))
    values, vectors = np.linalg.eigh(xa.T @ xa)
    root_a = (vectors * np.sqrt(np.clip(values, 0.0, None))) @ vectors.T
    middle = root_a @ (xb.T @ xb) @ root_a
    return float(np.sum(np.sqrt(np.clip(np.linalg.eigvalsh((middle + middle.T) / 2.0), 0.0, None))))


FRECHET_METHODS = ("sqrtm", "exact")


def frechet_distance(features_a, features_b, eps: float = 1e-6, method: str = "sqrtm") -> float:
    """Return the Frechet distance between Gaussians fitted to two feature sets.

    ``method="sqrtm"`` (the default), as the standard FID implementations do: the matrix
    square root is taken with ``scipy.linalg.sqrtm``; if it is not finite (near-singular
    covariances), ``eps`` is added to both diagonals; a tiny imaginary part from rounding
    is dropped. ``method="exact"`` takes the trace term from :func:`trace_sqrt_product`
    (no ``eps``, fast in 2048 dimensions; what ``evaluate --features inception`` uses).
    Introduced in ``notebooks/04_conditional_gan.ipynb``.
    """
    if method not in FRECHET_METHODS:
        raise ValueError(f"method must be one of {FRECHET_METHODS}, got {method!r}")
    a = _features(features_a, "features_a")
    b = _features(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sizes differ: {a.shape[1]} and {b.shape[1]}")
    mu_a, mu_b = a.mean(axis=0), b.mean(axis=0)
    if method == "exact":
        diff = mu_a - mu_b
        trace_a = float(np.sum(np.var(a, axis=0, ddof=1)))
        trace_b = float(np.sum(np.var(b, axis=0, ddof=1)))
        return float(max(diff @ diff + trace_a + trace_b - 2.0 * trace_sqrt_product(a, b), 0.0))
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


# --------------------------------------------------------------------------------------
# Chapter 07: kernel distance, classifier score, precision/recall, Parzen window.


def _pair(features_a, features_b, min_samples: int = 2):
    a = _features(features_a, "features_a")
    b = _features(features_b, "features_b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"feature sizes differ: {a.shape[1]} and {b.shape[1]}")
    for x, name in ((a, "features_a"), (b, "features_b")):
        if len(x) < min_samples:
            raise ValueError(f"{name} needs at least {min_samples} samples, got {len(x)}")
    return a, b


def polynomial_kernel(x, y, degree: int = 3, gamma: float | None = None, coef0: float = 1.0) -> np.ndarray:
    """Return the kernel matrix ``(gamma x.y + coef0) ** degree`` with ``gamma = 1 / d`` by default."""
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    gamma = 1.0 / x.shape[1] if gamma is None else gamma
    return (gamma * (x @ y.T) + coef0) ** degree


def _mmd2_unbiased(a, b, degree: int = 3) -> float:
    m, n = len(a), len(b)
    k_aa = polynomial_kernel(a, a, degree)
    k_bb = polynomial_kernel(b, b, degree)
    k_ab = polynomial_kernel(a, b, degree)
    # Leave the diagonals out: k(x, x) would bias the within-set averages upwards.
    within_a = (k_aa.sum() - np.trace(k_aa)) / (m * (m - 1))
    within_b = (k_bb.sum() - np.trace(k_bb)) / (n * (n - 1))
    return float(within_a + within_b - 2.0 * k_ab.mean())


def kernel_distance(features_a, features_b, subset_size: int | None = None, num_subsets: int = 1,
                    degree: int = 3, seed: int = 0, return_std: bool = False):
    """Return the kernel distance (KID): the unbiased squared MMD with a cubic polynomial kernel.

    ``k(x, y) = (x.y / d + 1) ** 3`` as in Binkowski et al. (2018). The estimator is
    unbiased, so two samples of one distribution give values around 0, sometimes below.
    Without ``subset_size`` it is one estimate on the full sets (``num_subsets`` unused).
    With ``subset_size``, the estimate is averaged over ``num_subsets`` random subsets of
    that size (drawn without replacement inside each subset); ``return_std=True`` also
    returns their standard deviation. Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    a, b = _pair(features_a, features_b)
    validate.positive_int(num_subsets, "num_subsets")
    if subset_size is None:
        values = [_mmd2_unbiased(a, b, degree)]
    else:
        if not 2 <= subset_size <= min(len(a), len(b)):
            raise ValueError(f"subset_size must lie in [2, {min(len(a), len(b))}], got {subset_size}")
        rng = np.random.default_rng(seed)
        values = [
            _mmd2_unbiased(a[rng.choice(len(a), subset_size, replace=False)],
                           b[rng.choice(len(b), subset_size, replace=False)], degree)
            for _ in range(num_subsets)
        ]
    mean = float(np.mean(values))
    return (mean, float(np.std(values))) if return_std else mean


def classifier_score(probabilities, splits: int = 1, return_std: bool = False, eps: float = 1e-12):
    """Return the classifier score ``exp(E_x KL(p(y|x) || p(y)))``: the MNIST Inception score.

    ``probabilities`` are a classifier's class probabilities on generated images, shape
    ``(N, num_classes)``. It lies between 1 (every image gets the same uncertain answer)
    and ``num_classes`` (confident answers, spread evenly over the classes). With
    ``splits > 1`` the score is computed on that many parts and averaged, as Salimans et
    al. (2016) did. Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    p = np.asarray(probabilities, dtype=np.float64)
    if p.ndim != 2:
        raise ValueError(f"probabilities must be a 2-D array (samples, classes), got shape {p.shape}")
    if not np.all(np.isfinite(p)) or np.any(p < 0) or not np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        raise ValueError("probabilities must be finite, non-negative and sum to 1 in each row "
                         "(pass softmax outputs, not logits)")
    if not 1 <= validate.integer(splits, "splits") <= len(p):
        raise ValueError(f"splits must be an integer in [1, {len(p)}], got {splits!r}")
    scores = []
    for part in np.array_split(p, splits):
        marginal = part.mean(axis=0, keepdims=True)
        kl = np.sum(part * (np.log(part + eps) - np.log(marginal + eps)), axis=1)
        scores.append(float(np.exp(kl.mean())))
    mean = float(np.mean(scores))
    return (mean, float(np.std(scores))) if return_std else mean


def _pairwise_distances(x, y, batch: int = 1024) -> np.ndarray:
    out = np.empty((len(x), len(y)), dtype=np.float64)
    y2 = np.sum(y * y, axis=1)
    for start in range(0, len(x), batch):
        xb = x[start:start + batch]
        d2 = np.sum(xb * xb, axis=1)[:, None] + y2[None, :] - 2.0 * xb @ y.T
        out[start:start + batch] = np.sqrt(np.maximum(d2, 0.0))
    return out


def knn_radii(features, k: int = 3) -> np.ndarray:
    """Return each point's distance to its ``k``-th nearest neighbour in its own set (itself excluded)."""
    x = _features(features, "features")
    if not 1 <= validate.integer(k, "k") < len(x):
        raise ValueError(f"k must be an integer in [1, {len(x) - 1}] for {len(x)} samples, got {k!r}")
    d = _pairwise_distances(x, x)
    # Column 0 of the sorted rows is the point itself (distance 0).
    return np.sort(d, axis=1)[:, k]


def _coverage(points, centres, radii) -> float:
    d = _pairwise_distances(points, centres)
    return float(np.mean(np.any(d <= radii[None, :], axis=1)))


def precision_recall(real_features, fake_features, k: int = 3) -> tuple[float, float]:
    """Return ``(precision, recall)`` of generated samples with k-NN manifolds (Kynkaanniemi et al., 2019).

    The real manifold is the union of balls around real features, each with the radius to
    its ``k``-th nearest real neighbour; the generated manifold likewise. Precision is the
    share of generated samples inside the real manifold (are samples realistic?); recall is
    the share of real samples inside the generated manifold (is the data covered?).
    Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    real, fake = _pair(real_features, fake_features, min_samples=k + 1)
    precision = _coverage(fake, real, knn_radii(real, k))
    recall = _coverage(real, fake, knn_radii(fake, k))
    return precision, recall


def _flat(x, name: str) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    if x.ndim < 2:
        raise ValueError(f"{name} must have shape (N, ...) with one sample per row, got {x.shape}")
    x = x.reshape(len(x), -1)
    if len(x) == 0 or not np.all(np.isfinite(x)):
        raise ValueError(f"{name} must be non-empty and finite")
    return x


def parzen_log_likelihoods(samples, points, sigma: float, batch: int = 256) -> np.ndarray:
    """Return ``log p(x)`` of each point under Gaussian kernels of width ``sigma`` on the samples.

    ``p(x) = 1/N sum_i N(x; s_i, sigma^2 I)``, computed with log-sum-exp for stability.
    Inputs are flattened; the GAN paper worked with pixels in ``[0, 1]``.
    """
    from scipy.special import logsumexp

    s = _flat(samples, "samples")
    x = _flat(points, "points")
    if s.shape[1] != x.shape[1]:
        raise ValueError(f"samples have {s.shape[1]} values each but points have {x.shape[1]}")
    if not sigma > 0:
        raise ValueError(f"sigma must be positive, got {sigma!r}")
    n, d = s.shape
    s2 = np.sum(s * s, axis=1)
    out = np.empty(len(x))
    for start in range(0, len(x), batch):
        xb = x[start:start + batch]
        d2 = np.maximum(np.sum(xb * xb, axis=1)[:, None] + s2[None, :] - 2.0 * xb @ s.T, 0.0)
        out[start:start + batch] = logsumexp(-d2 / (2.0 * sigma ** 2), axis=1)
    return out - np.log(n) - 0.5 * d * np.log(2.0 * np.pi * sigma ** 2)


# The GAN paper's code searched logspace(-1, 0, 10) on MNIST; on the blurrier digits stand-in
# the best width can fall below 0.1, so the grid reaches down to 0.01 (never stuck on its edge).
DEFAULT_SIGMAS = tuple(float(s) for s in np.logspace(-2.0, 0.0, 21).round(4))


def parzen_window(samples, validation, test, sigmas=DEFAULT_SIGMAS) -> dict:
    """Return the Parzen-window log-likelihood as the GAN paper computed it.

    Gaussian kernels sit on the generated ``samples``; their width is the ``sigma`` from
    the grid with the highest mean log-likelihood of the ``validation`` images; the result
    is the mean log-likelihood of the ``test`` images with its standard error
    (``std / sqrt(n)``), in nats. Keys: ``mean``, ``stderr``, ``sigma``,
    ``validation`` (the mean per sigma). Chapter 07 shows why this number misleads.
    Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    sigmas = [float(s) for s in np.atleast_1d(np.asarray(sigmas, dtype=np.float64))]
    if not sigmas or min(sigmas) <= 0:
        raise ValueError(f"sigmas must be a non-empty grid of positive widths, got {sigmas}")
    scores = [float(np.mean(parzen_log_likelihoods(samples, validation, s))) for s in sigmas]
    best = sigmas[int(np.argmax(scores))]
    ll = parzen_log_likelihoods(samples, test, best)
    return {"mean": float(ll.mean()), "stderr": float(ll.std() / np.sqrt(len(ll))), "sigma": best,
            "validation": dict(zip([f"{s:g}" for s in sigmas], scores))}
