"""The standard FID and KID: distances in Inception-v3 pool features (2048-d).

The papers' FID (Heusel et al., 2017) fits Gaussians to the 2048-d global-average-pool
features of Inception-v3 with ImageNet weights, computed on images resized to 299x299
(bilinear) with three channels, and compares them with the Frechet distance. KID
(Binkowski et al., 2018) is the unbiased squared MMD with a cubic kernel in the same
features. Published practice uses 10 000 samples or more (often 50 000); with fewer than
2048 the covariances are singular and the FID is biased upwards, so numbers on fewer
samples are not comparable with papers, and neither are numbers from a randomly
initialised network (``weights="none"``, what the tests and offline runs use).

    python -m gan_keras evaluate runs/dcgan-... --features inception          # ImageNet weights
    python -m gan_keras evaluate runs/dcgan-... --features inception --weights none   # offline

The network is Keras' InceptionV3 with its ImageNet weights; the reference implementations
(TTUR's TensorFlow code, pytorch-fid) use the older TF-slim "FID Inception" weights, so values
are close to theirs but not identical to the last digit: compare a model with published
numbers computed the same way, or better, with your own baselines measured here.

The digit classifier's features (``--features classifier``, the default) stay the right
choice offline and for the course's own comparisons; these are for comparing with papers.
"""

from __future__ import annotations

import numpy as np

from gan_keras import engine, validate
from gan_keras.measure import metrics

FEATURE_SIZE = 2048
IMAGE_SIZE = 299
RECOMMENDED_SAMPLES = 10_000  # published practice: 10 000 or more
WEIGHTS = ("imagenet", "none")

NOT_COMPARABLE_RANDOM = ("randomly initialised Inception-v3 (--weights none): these numbers are not "
                         "comparable with papers, only with each other")


def _check_weights(weights) -> str:
    if weights is None:
        return "none"
    if not isinstance(weights, str) or weights.lower() not in WEIGHTS + ("random",):
        raise ValueError(f"weights must be 'imagenet' or 'none', got {weights!r}")
    return "none" if weights.lower() in ("none", "random") else "imagenet"


def build_feature_model(weights: str = "imagenet", seed: int = 0):
    """Return Inception-v3 (no head) with global average pooling: ``(N, 299, 299, 3)`` in ``[-1, 1]`` -> ``(N, 2048)``.

    ``weights="imagenet"`` loads the ImageNet weights (downloaded once, about 88 MB, into
    ``~/.keras/models``); offline, or when the download fails, it says so in one line and
    uses a random network. ``"none"`` builds the random network directly (seeded
    He-normal kernels). The model's ``weights_used`` says ``"imagenet"`` or ``"random"``.
    """
    import keras

    from gan_keras import images

    weights = _check_weights(weights)
    base, used = images.load_application("inception_v3", weights=None if weights == "none" else "imagenet",
                                         seed=seed)
    pooled = keras.layers.GlobalAveragePooling2D(name="pool_2048")(base.output)
    model = keras.Model(base.input, pooled, name=f"inception_v3_pool_{used}")
    model.weights_used = used
    return model


def prepare(images) -> np.ndarray:
    """Return images ``(N, H, W, 1 or 3)`` in ``[-1, 1]`` as Inception's input: 3 channels, 299x299 bilinear.

    Inception-v3 expects RGB in ``[-1, 1]`` (``preprocess_input`` maps 0..255 there), the
    range the course's images already have; grayscale is replicated to three channels.
    """
    from keras import ops

    array = validate.images(images, "images")
    channels = array.shape[-1]
    if channels not in (1, 3):
        raise ValueError(f"images must have 1 or 3 channels, got {channels}")
    if channels == 1:
        array = np.repeat(array, 3, axis=-1)
    # On TensorFlow this is tf.image.resize(..., method="bilinear", antialias=False).
    resized = ops.image.resize(array, (IMAGE_SIZE, IMAGE_SIZE), interpolation="bilinear", antialias=False,
                               data_format="channels_last")
    return np.clip(ops.convert_to_numpy(resized), -1.0, 1.0).astype(np.float32)


def default_batch_size() -> int:
    """Return 64 images per batch on a GPU, 8 on a CPU (a batch of 32 at 299x299 peaks at about 5 GB there)."""
    return 64 if engine.has_gpu() else 8


def pool_features(images, model, batch_size: int | None = None) -> np.ndarray:
    """Return the 2048-d pool features of images in ``[-1, 1]`` (resized and batched here).

    ``batch_size`` defaults to :func:`default_batch_size` (measured on a CPU: peak memory
    about 1.9 GB with batches of 8, 5.2 GB with batches of 32).
    """
    batch_size = default_batch_size() if batch_size is None else batch_size
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    array = validate.images(images, "images")
    out = []
    for start in range(0, len(array), batch_size):
        batch = prepare(array[start:start + batch_size])
        out.append(np.asarray(model(batch, training=False), dtype=np.float64))
    features = np.concatenate(out)
    if features.shape[1] != FEATURE_SIZE:
        raise ValueError(f"expected {FEATURE_SIZE}-d pool features, the model gave {features.shape[1]}")
    return features


def sample_warnings(num_samples: int, num_real: int, weights_used: str) -> list[str]:
    """Return the reasons these numbers are not the papers' FID (none when they are)."""
    warnings = []
    smallest = min(num_samples, num_real)
    if smallest < RECOMMENDED_SAMPLES:
        singular = (f"; below {FEATURE_SIZE} the covariances are singular" if smallest < FEATURE_SIZE else "")
        warnings.append(f"only {num_samples} generated and {num_real} real samples: published FIDs use "
                        f"{RECOMMENDED_SAMPLES:,} or more{singular}, and FID falls as samples grow, so this "
                        "value is not comparable with papers")
    if weights_used != "imagenet":
        warnings.append(NOT_COMPARABLE_RANDOM)
    return warnings


def inception_distances(real_images, fake_images, weights: str = "imagenet", model=None, seed: int = 0,
                        batch_size: int | None = None) -> dict:
    """Return the FID and KID of ``fake_images`` against ``real_images`` in Inception-v3 pool features.

    Keys: ``frechet_distance``, ``kernel_distance`` (with ``kernel_distance_std`` over 10
    subsets of up to 1000, half the samples when fewer), ``num_samples``, ``num_real``, ``feature_size`` (2048),
    ``weights`` (``"imagenet"`` or ``"random"``), ``comparable`` (ImageNet weights and at
    least 10 000 samples of each) and ``warnings`` (why not, one line each).
    """
    real = validate.images(real_images, "real_images")
    fake = validate.images(fake_images, "fake_images", expected_shape=real.shape[1:])
    if min(len(real), len(fake)) < 2:
        raise ValueError(f"need at least 2 real and 2 generated images, got {len(real)} and {len(fake)}")
    model = model if model is not None else build_feature_model(weights, seed=seed)
    used = getattr(model, "weights_used", "random")
    real_features = pool_features(real, model, batch_size)
    fake_features = pool_features(fake, model, batch_size)
    # Subsets of 1000 as Binkowski et al.; fewer samples get subsets of half of them, so that the
    # spread over the 10 subsets says something.
    smallest = min(len(real), len(fake))
    kid, kid_std = metrics.kernel_distance(real_features, fake_features,
                                           subset_size=min(1000, max(2, smallest // 2)),
                                           num_subsets=10, seed=seed, return_std=True)
    warnings = sample_warnings(len(fake), len(real), used)
    return {
        "frechet_distance": metrics.frechet_distance(real_features, fake_features, method="exact"),
        "kernel_distance": kid,
        "kernel_distance_std": kid_std,
        "num_samples": len(fake),
        "num_real": len(real),
        "feature_size": int(real_features.shape[1]),
        "features": "inception",
        "weights": used,
        "comparable": not warnings,
        "warnings": warnings,
    }
