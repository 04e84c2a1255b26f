"""Evaluate a trained generator (a run folder's ``generator.keras``) with every metric of the course.

    python -m gan_keras evaluate runs/vae-20260101-120000

loads the generator safely (``safe_mode=True``: no arbitrary code from the file), draws
samples from N(0, I), and measures them against held-out real images:

- in the cached digit classifier's 128-d feature space: the Frechet distance, the kernel
  distance (KID) and precision/recall with k-NN manifolds;
- with its softmax: the classifier score (the MNIST Inception score);
- in pixel space, as the GAN paper did: the Parzen-window log-likelihood (pixels in
  ``[0, 1]``, the kernel width chosen on a validation half of the test split, the mean on
  the other half with its standard error).

The real images are the test split, cut in two halves with a fixed seed: ``validation``
(for Parzen's width) and ``test`` (for everything else). The figures are printed and
written as ``evaluation.json`` in the run folder.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gan_keras import config, io, validate
from gan_keras import data as gk_data
from gan_keras.measure import metrics

EVALUATION_FILE = "evaluation.json"

# What each figure means, for the printed table and the JSON.
DESCRIPTIONS = {
    "frechet_distance": "Frechet distance in classifier features (lower is better, 0 = same Gaussians)",
    "kernel_distance": "kernel distance KID, unbiased MMD^2 (lower is better, ~0 = same distribution)",
    "classifier_score": "classifier score, MNIST Inception score (higher is better, 1..10)",
    "precision": "precision: share of samples on the real manifold (realism)",
    "recall": "recall: share of real images on the samples' manifold (coverage)",
    "parzen_log_likelihood": "Parzen-window log-likelihood of test images, nats (higher; misleading)",
}


def real_splits(data_name: str = "mnist", seed: int = 0, limit: int | None = None):
    """Return ``(validation, test)`` image arrays: the test split cut in two halves (fixed seed)."""
    test = gk_data.load_images(data_name, split="test")
    order = np.random.default_rng(seed).permutation(len(test))
    if limit is not None:
        order = order[: 2 * limit]
    half = len(order) // 2
    return test.images[order[:half]], test.images[order[half:]]


def evaluate_samples(samples, test_images, validation_images, classifier=None, data_name: str = "mnist",
                     k: int = 3, parzen_samples: int | None = None, sigmas=metrics.DEFAULT_SIGMAS) -> dict:
    """Return every metric of generated ``samples`` (images in ``[-1, 1]``) against real images.

    Also usable on things that are not generators (the training images themselves, a
    blurred mean image), which is how chapter 07 shows what each number rewards.
    Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    from gan_keras.measure.classifier import get_classifier

    shape = None if classifier is None else classifier.model.input_shape[1:]
    samples = validate.images(samples, "samples", expected_shape=shape)
    test_images = validate.images(test_images, "test_images", expected_shape=samples.shape[1:])
    validation_images = validate.images(validation_images, "validation_images",
                                             expected_shape=samples.shape[1:])
    if len(samples) <= k or len(test_images) <= k:
        raise ValueError(f"need more than k={k} samples and test images, got {len(samples)} and "
                         f"{len(test_images)}")
    clf = classifier if classifier is not None else get_classifier(data_name)
    fake_features = clf.features(samples)
    real_features = clf.features(test_images)
    kid, kid_std = metrics.kernel_distance(real_features, fake_features,
                                           subset_size=min(len(samples), len(test_images), 1000),
                                           num_subsets=10, return_std=True)
    precision, recall = metrics.precision_recall(real_features, fake_features, k=k)
    score, score_std = metrics.classifier_score(clf.predict_proba(samples), splits=min(10, len(samples) // 10 or 1),
                                                return_std=True)
    kernels = samples if parzen_samples is None else samples[:parzen_samples]
    parzen = metrics.parzen_window(gk_data.to_unit(kernels), gk_data.to_unit(validation_images),
                                   gk_data.to_unit(test_images), sigmas=sigmas)
    return {
        "frechet_distance": metrics.frechet_distance(real_features, fake_features),
        "kernel_distance": kid,
        "kernel_distance_std": kid_std,
        "classifier_score": score,
        "classifier_score_std": score_std,
        "precision": precision,
        "recall": recall,
        "parzen_log_likelihood": parzen["mean"],
        "parzen_stderr": parzen["stderr"],
        "parzen_sigma": parzen["sigma"],
        "num_samples": len(samples),
        "num_test_images": len(test_images),
        "classifier_test_accuracy": clf.test_accuracy,
        "k": k,
    }


def sample_generator(generator, num_samples: int, seed: int = 0, batch_size: int = 256) -> np.ndarray:
    """Return ``num_samples`` images from a generator fed N(0, I) latent vectors (fixed seed)."""
    import keras

    if not isinstance(generator, keras.Model):
        raise TypeError(f"generator must be a keras.Model, got {type(generator).__name__}")
    inputs = generator.inputs
    if len(inputs) != 1 or len(inputs[0].shape) != 2:
        raise ValueError("evaluation needs an unconditional generator taking one latent vector "
                         f"(batch, latent_dim); this one takes {[tuple(i.shape) for i in inputs]}")
    latent_dim = int(inputs[0].shape[-1])
    z = np.random.default_rng(seed).standard_normal((num_samples, latent_dim)).astype("float32")
    return generator.predict(z, batch_size=batch_size, verbose=0)


FEATURES = ("classifier", "inception")
# Where each kind of evaluation is written in the run folder (one never overwrites the other).
EVALUATION_FILES = {"classifier": EVALUATION_FILE, "inception": "evaluation-inception.json"}


def _check_features(features) -> None:
    if features not in FEATURES:
        raise ValueError(f"features must be one of {', '.join(FEATURES)}, got {features!r}")


def evaluate_generator_inception(generator, data_name: str = "mnist", num_samples: int | None = None,
                                 seed: int = 0, weights: str = "imagenet", model=None) -> dict:
    """Return the standard FID and KID (Inception-v3 pool features) of a generator's samples.

    The real images are the test split (up to ``num_samples`` of them, in a fixed random
    order). Default samples: 128 in fast mode, 10 000 otherwise. See :mod:`gan_keras.measure.inception`.
    """
    from gan_keras.measure import inception

    num_samples = num_samples or config.fast_or_full(128, inception.RECOMMENDED_SAMPLES)
    test = gk_data.load_images(data_name, split="test")
    order = np.random.default_rng(seed).permutation(len(test))[:num_samples]
    samples = sample_generator(generator, num_samples, seed=seed)
    result = inception.inception_distances(test.images[order], samples, weights=weights, model=model, seed=seed)
    result.update(data=test.name, seed=seed, num_test_images=result["num_real"])
    return result


def evaluate_generator(generator, data_name: str = "mnist", num_samples: int | None = None, seed: int = 0,
                       classifier=None, limit: int | None = None, features: str = "classifier",
                       weights: str = "imagenet") -> dict:
    """Sample a generator and return every metric against the held-out real images.

    ``features="inception"`` returns the standard FID and KID in Inception-v3 pool features
    instead (:func:`evaluate_generator_inception`, with ``weights`` ``"imagenet"`` or ``"none"``).
    """
    _check_features(features)
    if features == "inception":
        return evaluate_generator_inception(generator, data_name, num_samples=num_samples, seed=seed,
                                            weights=weights)
    num_samples = num_samples or config.fast_or_full(500, 5000)
    validation, test = real_splits(data_name, seed=seed, limit=limit)
    samples = sample_generator(generator, num_samples, seed=seed)
    result = evaluate_samples(samples, test, validation, classifier=classifier, data_name=data_name)
    result.update(data=data_name, seed=seed)
    return result


def load_generator(run_dir):
    """Load ``generator.keras`` from a run folder, in Keras' safe mode."""
    run_dir = Path(run_dir)
    if not run_dir.exists():
        raise FileNotFoundError(f"run folder {str(run_dir)!r} does not exist")
    if not run_dir.is_dir():
        raise ValueError(f"expected a run folder, got the file {str(run_dir)!r}")
    path = run_dir / "generator.keras"
    if not path.exists():
        raise FileNotFoundError(f"{str(run_dir)!r} holds no generator.keras: is it a finished run folder "
                                "(python -m gan_keras train MODEL --out FOLDER)?")
    # Safe mode (no lambdas, no pickle); a damaged or foreign file gets a clear ValueError.
    return io.load_model(path)


def evaluate_run(run_dir, data_name: str | None = None, num_samples: int | None = None, seed: int = 0,
                 write: bool = True, features: str = "classifier", weights: str = "imagenet") -> dict:
    """Evaluate a run folder's generator; write ``evaluation.json`` there; return the figures.

    The data defaults to the one the run was trained on (``run.json``). With
    ``features="inception"`` the standard FID and KID are written to
    ``evaluation-inception.json`` instead. Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    _check_features(features)
    run_dir = Path(run_dir)
    generator = load_generator(run_dir)
    run_info = {}
    if (run_dir / "run.json").exists():
        run_info = io.read_json(run_dir / "run.json")  # a damaged file gets an error naming it
        if not isinstance(run_info, dict) or not isinstance(run_info.get("config", {}), dict):
            raise ValueError(f"cannot read {str(run_dir / 'run.json')!r}: expected the JSON object "
                             "that train writes")
    if data_name is None:
        data_name = run_info.get("config", {}).get("data", "mnist")
        if data_name not in gk_data.DATASETS:
            raise ValueError(f"the run in {str(run_dir)!r} was trained on the folder {data_name!r}, which has "
                             "no test split and no digit classifier to measure with: give --data "
                             f"{' or '.join(gk_data.DATASETS)} to compare its samples with one of those")
    else:
        validate.choice(data_name, "data", gk_data.DATASETS)
    result = evaluate_generator(generator, data_name, num_samples=num_samples, seed=seed, features=features,
                                weights=weights)
    result["model"] = run_info.get("config", {}).get("model")
    result["run"] = str(run_dir)
    if write:
        io.write_json(run_dir / EVALUATION_FILES[features], result)
    return result


TABLE_ROWS = (("frechet_distance", "Frechet distance", "{:.2f}"),
              ("kernel_distance", "KID", "{:.3f}"),
              ("classifier_score", "classifier score", "{:.2f}"),
              ("precision", "precision", "{:.3f}"),
              ("recall", "recall", "{:.3f}"),
              ("parzen_log_likelihood", "Parzen log-lik. (nats)", "{:.1f}"))


def _table_rows(results: dict) -> list[tuple[str, list[str]]]:
    rows = []
    for key, label, fmt in TABLE_ROWS:
        cells = []
        for result in results.values():
            value = result.get(key)
            text = "-" if value is None else fmt.format(value)
            if key == "parzen_log_likelihood" and value is not None and "parzen_stderr" in result:
                text += " ± {:.1f}".format(result["parzen_stderr"])
            cells.append(text)
        rows.append((label, cells))
    return rows


def format_table(results: dict) -> str:
    """Return a plain-text table of one or more evaluations given as ``{name: figures}``."""
    names = list(results)
    width = max(14, *(len(n) for n in names)) + 2
    lines = ["metric".ljust(24) + "".join(n.rjust(width) for n in names)]
    for label, cells in _table_rows(results):
        lines.append(label.ljust(24) + "".join(c.rjust(width) for c in cells))
    return "\n".join(lines)


def format_markdown_table(results: dict) -> str:
    """Return the same table as Markdown (for the course notes)."""
    names = list(results)
    lines = ["| metric | " + " | ".join(names) + " |", "|---|" + "---:|" * len(names)]
    for label, cells in _table_rows(results):
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def project_to_latent(generator, images, steps: int = 200, learning_rate: float = 0.05, seed: int = 0,
                      prior_weight: float = 1e-3):
    """Return ``(z, reconstructions)``: latent vectors whose generated images are closest to ``images``.

    A GAN has no encoder; gradient descent on ``z`` (the generator fixed) minimising the
    pixel MSE, plus ``prior_weight * |z|^2`` to stay where N(0, I) has mass, gives it
    "reconstructions" to set beside a VAE's. Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    import keras
    from keras import ops

    from gan_keras import engine

    images = validate.images(images, "images", expected_shape=tuple(generator.outputs[0].shape[1:]))
    latent_dim = int(generator.inputs[0].shape[-1])
    z0 = np.random.default_rng(seed).standard_normal((len(images), latent_dim)).astype("float32")
    z = keras.Variable(z0, dtype="float32", trainable=True, name="latent")
    target = ops.convert_to_tensor(images)
    optimizer = keras.optimizers.Adam(learning_rate)

    def loss_of(z_value, target):
        fake_images = generator(z_value, training=False)
        per_image = ops.mean(ops.square(fake_images - target), axis=(1, 2, 3))
        return ops.sum(per_image + prior_weight * ops.sum(ops.square(z_value), axis=1))

    # The loss and its gradient with respect to z, compiled once (tf.function, jax.jit).
    loss_and_gradient = engine.gradient_function(loss_of, [generator])
    for _ in range(int(steps)):
        _, grad = loss_and_gradient(ops.convert_to_tensor(z.value), target)
        optimizer.apply([grad], [z])
    found = ops.convert_to_numpy(z.value)
    return found, generator.predict(found, verbose=0)


def blurred_mean_images(images, num: int, blur: float = 1.0, noise: float = 0.02, seed: int = 0) -> np.ndarray:
    """Return ``num`` copies of the blurred mean image (plus faint pixel noise): a trivial "generator".

    It has learned nothing but the average digit, which is why it is the baseline every
    metric should rank last. Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    from scipy.ndimage import gaussian_filter

    images = validate.images(images, "images")
    mean = images.mean(axis=0)
    blurred = np.stack([gaussian_filter(mean[..., c], blur) for c in range(mean.shape[-1])], axis=-1)
    jitter = np.random.default_rng(seed).normal(0.0, noise, (num, *images.shape[1:]))
    return np.clip(blurred[None] + jitter, -1.0, 1.0).astype("float32")
