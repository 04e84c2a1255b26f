"""Self-conditioning (Liu et al., 2020): k-means clusters of the training images play the labels.

An unconditional generator maps one continuous noise space onto ten separate digits, so
between two digits it must cross ground where no digit lives: half-drawn blends, which
the discriminator rejects only slowly, and classes that shrink or swell as the boundaries
drift (the uneven class mix of a plain DCGAN). Self-conditioning cuts the noise space in
pieces without any label: the training images are grouped by k-means on their pixels, and
a conditional GAN learns "an image of cluster k" for each group, the cluster drawn with
its share of the data. No label is read; a cluster is whatever k-means found (mostly one
digit, sometimes two similar ones).

``ClusterChoice`` keeps the saved generator a function of the noise alone: it picks the
cluster from the noise's first coordinate, ``k`` with probability ``frequencies[k]``
(the normal CDF of ``z[0]`` is uniform), so ``generator.predict(z)`` works as for any
DCGAN generator. Written with ``keras.ops`` only. Introduced in ``notebooks/03_dcgan.ipynb``.
"""

from __future__ import annotations

import math

import keras
import numpy as np
from keras import layers, ops

from gan_keras.models._checks import positive_int

FIT_SAMPLES = 4096


def cluster_images(images, num_clusters: int = 10, seed: int = 0):
    """Group ``images`` by k-means on their pixels; return ``(labels, frequencies)``.

    ``labels`` are int32 cluster indices, one per image; ``frequencies[k]`` is the share of
    the images in cluster ``k`` (they sum to 1). Deterministic for a seed.
    """
    from sklearn.cluster import KMeans

    num_clusters = positive_int(num_clusters, "clusters")
    images = np.asarray(images, dtype=np.float32)
    if len(images) < num_clusters:
        raise ValueError(f"clusters must be at most the number of images ({len(images)}), got {num_clusters}")
    flat = images.reshape(len(images), -1)
    # Fit on at most FIT_SAMPLES images (MNIST's 60000 would take a minute), then assign all
    rng = np.random.default_rng(int(seed))
    fit_on = flat if len(flat) <= FIT_SAMPLES else flat[rng.choice(len(flat), FIT_SAMPLES, replace=False)]
    kmeans = KMeans(num_clusters, n_init=10, random_state=int(seed)).fit(fit_on)
    labels = kmeans.predict(flat).astype(np.int32)
    frequencies = np.bincount(labels, minlength=num_clusters) / len(labels)
    return labels, frequencies.astype(np.float64)


def _check_frequencies(frequencies) -> np.ndarray:
    frequencies = np.asarray(frequencies, dtype=np.float64)
    if frequencies.ndim != 1 or len(frequencies) < 1:
        raise ValueError(f"frequencies must be a list of cluster shares, got shape {frequencies.shape}")
    if not np.all(np.isfinite(frequencies)) or np.any(frequencies < 0) or not np.isclose(frequencies.sum(), 1.0):
        raise ValueError(f"frequencies must be shares >= 0 that sum to 1, got {frequencies.tolist()}")
    return frequencies


def choose_clusters(z, frequencies) -> np.ndarray:
    """NumPy: the cluster :class:`ClusterChoice` picks for each noise vector (``z[:, 0]`` through the normal CDF)."""
    frequencies = _check_frequencies(frequencies)
    z = np.asarray(z, dtype=np.float64)
    u = 0.5 * (1.0 + np.vectorize(math.erf)(z[:, 0] / math.sqrt(2.0)))
    edges = np.cumsum(frequencies)[:-1]
    return (u[:, None] > edges[None, :]).sum(axis=1).astype(np.int32)


@keras.saving.register_keras_serializable(package="gan_keras")
class ClusterChoice(layers.Layer):
    """Noise ``(batch, latent_dim)`` -> cluster index ``(batch,)``: ``k`` with probability ``frequencies[k]``."""

    def __init__(self, frequencies, **kwargs):
        super().__init__(**kwargs)
        self.frequencies = [float(f) for f in _check_frequencies(frequencies)]
        self.edges = np.cumsum(self.frequencies)[:-1].astype("float32")

    def call(self, z):
        # The normal CDF of the first coordinate is uniform on (0, 1): cut it at the cumulative shares
        u = 0.5 * (1.0 + ops.erf(ops.cast(z[:, 0], "float32") / math.sqrt(2.0)))
        above = ops.cast(ops.greater(u[:, None], ops.convert_to_tensor(self.edges)[None, :]), "int32")
        return ops.sum(above, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0],)

    def compute_output_spec(self, z):
        return keras.KerasTensor((z.shape[0],), dtype="int32")

    def get_config(self):
        return {**super().get_config(), "frequencies": self.frequencies}


def build_cluster_generator(conditional_generator: keras.Model, frequencies, name: str = "self_conditioned_generator"):
    """Wrap a conditional generator ``[z, labels] -> images`` as a noise-only one ``z -> images``.

    The cluster is chosen from the noise by :class:`ClusterChoice` with the clusters' shares
    of the data; the weights are the conditional generator's (shared, not copied).
    """
    latent_dim = int(conditional_generator.inputs[0].shape[-1])
    z = keras.Input(shape=(latent_dim,), name="z")
    cluster = ClusterChoice(frequencies, name="cluster_choice")(z)
    images = conditional_generator([z, cluster])
    return keras.Model(z, images, name=name)
