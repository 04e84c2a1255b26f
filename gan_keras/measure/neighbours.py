"""Samples next to their nearest training images: learning or memorising?

Goodfellow et al. (2014, figure 2) show each generated sample beside its nearest training
example, to show that the model did not memorise the training set. A generator that copies
its training images has nearest-neighbour distances near 0; one that has learned the
distribution makes new images whose nearest training image is about as far as the
nearest training image of a *held-out* real image (the baseline to compare with).

Distances are Euclidean in pixel space, as in the paper's figure: they say "this exact
picture is (or is not) in the training set", not "these two digits look alike".
Introduced in ``notebooks/03_dcgan.ipynb`` and used again in ``notebooks/07_vae_vs_gan.ipynb``.
"""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure

__all__ = ["nearest_neighbours", "memorisation_summary", "plot_nearest_neighbours"]


def _flat(images, name: str) -> np.ndarray:
    array = np.asarray(images)
    if array.dtype.kind not in "fiu":
        raise TypeError(f"{name} must hold numbers, got dtype {array.dtype}")
    if array.ndim < 2 or len(array) == 0:
        raise ValueError(f"{name} must be a non-empty batch (N, ...) of images, got shape {array.shape}")
    array = array.reshape(len(array), -1).astype(np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} contains NaN or infinite values")
    return array


def nearest_neighbours(samples, train_images, k: int = 1, chunk_size: int = 1024):
    """Return ``(indices, distances)`` of the ``k`` nearest training images of each sample.

    ``indices`` is ``(num_samples, k)`` int64 into ``train_images``, ``distances`` the matching
    Euclidean distances in pixel space, nearest first (ties: the lower index first).
    Introduced in ``notebooks/03_dcgan.ipynb``.
    """
    a = _flat(samples, "samples")
    b = _flat(train_images, "train_images")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"samples have {a.shape[1]} values per image but train_images have {b.shape[1]}: "
                         f"compare images of one shape, got {np.shape(samples)[1:]} and {np.shape(train_images)[1:]}")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= len(b):
        raise ValueError(f"k must be an integer between 1 and the {len(b)} training images, got {k!r}")
    b_sq = np.sum(b * b, axis=1)
    indices = np.empty((len(a), k), dtype=np.int64)
    distances = np.empty((len(a), k), dtype=np.float64)
    for start in range(0, len(a), chunk_size):
        part = a[start:start + chunk_size]
        # ||a - b||^2 = ||a||^2 + ||b||^2 - 2 a.b, one matrix product per chunk
        sq = np.sum(part * part, axis=1)[:, None] + b_sq[None, :] - 2.0 * part @ b.T
        sq = np.maximum(sq, 0.0)
        # A stable sort keeps the lower index first among equal distances
        order = np.argsort(sq, axis=1, kind="stable")[:, :k]
        indices[start:start + len(part)] = order
        distances[start:start + len(part)] = np.sqrt(np.take_along_axis(sq, order, axis=1))
    return indices, distances


def memorisation_summary(samples, train_images, held_out_images) -> dict:
    """Return the median nearest-training distance of samples, of held-out real images, and their ratio.

    A ratio near 1: samples are as new as unseen real images; near 0: copies of training images.
    """
    _, d_samples = nearest_neighbours(samples, train_images)
    _, d_held = nearest_neighbours(held_out_images, train_images)
    samples_median, held_median = float(np.median(d_samples)), float(np.median(d_held))
    return {"samples_median": samples_median, "held_out_median": held_median,
            "ratio": samples_median / held_median if held_median > 0 else float("inf"),
            "samples_min": float(d_samples.min()), "held_out_min": float(d_held.min())}


def plot_nearest_neighbours(samples, train_images, k: int = 3, title: str | None = None,
                            size: float = 1.0) -> Figure:
    """Return a figure: one sample per row, then its ``k`` nearest training images with their distances.

    Images in ``[-1, 1]`` (the course's convention). Introduced in ``notebooks/03_dcgan.ipynb``.
    """
    from gan_keras.plots import image_grid

    samples = np.asarray(samples, dtype=np.float32)
    train_images = np.asarray(train_images, dtype=np.float32)
    indices, distances = nearest_neighbours(samples, train_images, k)
    rows = [samples] + [train_images[indices[:, j]] for j in range(k)]
    stacked = np.stack(rows, axis=1).reshape((-1,) + samples.shape[1:])
    grid = image_grid(stacked, ncols=k + 1, pad=1, pad_value=1.0)
    fig = Figure(figsize=(size * (k + 1) + 1.6, size * len(samples) + 0.8))
    ax = fig.add_subplot()
    ax.imshow(grid[..., 0] if grid.shape[-1] == 1 else grid, cmap="gray", vmin=0, vmax=1,
              interpolation="nearest")
    cell_w = (grid.shape[1] + 1) / (k + 1)
    cell_h = (grid.shape[0] + 1) / len(samples)
    ax.set_xticks([cell_w * (j + 0.5) for j in range(k + 1)],
                  ["sample"] + [f"nearest {j + 1}" for j in range(k)])
    ax.xaxis.tick_top()
    ax.set_yticks([])
    for i in range(len(samples)):
        for j in range(k):
            ax.text(cell_w * (j + 1.5), cell_h * (i + 1) - 1.5, f"{distances[i, j]:.1f}",
                    color="tab:red", fontsize=7, ha="center", va="bottom")
    ax.set_title(title or "Samples and their nearest training images (pixel distance)", pad=20)
    fig.tight_layout()
    return fig
