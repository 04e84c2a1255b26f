"""The standard FID and KID: Inception-v3 pool features (2048-d, 299x299 bilinear, 3 channels),
`evaluate --features inception`.

A random Inception-v3 at 299x299 costs about 0.1-0.2 s per image on 2 CPU cores, so the
network tests use 16 images per set (one module-scoped model, built once).
"""

import json

import keras
import numpy as np
import pytest

from gan_keras import data
from gan_keras.app.cli import main
from gan_keras.measure import inception, metrics

# One worker runs this file (pytest-xdist): its module fixtures are made once.
pytestmark = pytest.mark.xdist_group("test_inception")


def frechet_by_eigenvalues(a, b):
    """The formula ||mu_a - mu_b||^2 + Tr(S_a + S_b - 2 (S_a S_b)^(1/2)), written independently here.

    The eigenvalues of S_a S_b (a product of two covariance matrices) are real and >= 0;
    the trace of the square root is the sum of their square roots.
    """
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    cov_a, cov_b = np.cov(a.T), np.cov(b.T)
    eigenvalues = np.linalg.eigvals(cov_a @ cov_b).real
    diff = a.mean(0) - b.mean(0)
    return diff @ diff + np.trace(cov_a) + np.trace(cov_b) - 2 * np.sqrt(np.clip(eigenvalues, 0, None)).sum()


@pytest.mark.parametrize("n_a, n_b, dim", [(37, 53, 6), (20, 31, 50), (64, 45, 64)])
def test_frechet_distance_matches_the_formula_on_fixed_features(n_a, n_b, dim):
    rng = np.random.default_rng(dim)
    mixing = rng.normal(size=(dim, dim))
    a = rng.normal(size=(n_a, dim)) @ mixing
    b = rng.normal(0.3, 1.5, size=(n_b, dim)) @ mixing.T + 0.5
    expected = frechet_by_eigenvalues(a, b)
    assert expected > 1.0
    assert metrics.frechet_distance(a, b, method="exact") == pytest.approx(expected, rel=1e-6)
    assert metrics.trace_sqrt_product(a, b) == pytest.approx(metrics.trace_sqrt_product(b, a), rel=1e-8)
    if min(n_a, n_b) > dim:  # sqrtm (the default) needs no eps here
        assert metrics.frechet_distance(a, b) == pytest.approx(expected, rel=1e-6)
    # A set against itself is at distance 0; the distance grows with a shift of the mean.
    assert metrics.frechet_distance(a, a, method="exact") == pytest.approx(0.0, abs=1e-6 * expected)
    shift = np.full(dim, 2.0)
    assert metrics.frechet_distance(a, a + shift, method="exact") == pytest.approx(4.0 * dim, rel=1e-6)
    with pytest.raises(ValueError, match="method must be one of"):
        metrics.frechet_distance(a, b, method="svd")


def test_prepare_resizes_bilinearly_to_299_and_replicates_grayscale():
    from PIL import Image

    rng = np.random.default_rng(0)
    gray = rng.uniform(-1, 1, (3, 28, 27, 1)).astype("float32")  # not square on purpose
    prepared = inception.prepare(gray)
    assert prepared.shape == (3, 299, 299, 3) and prepared.dtype == np.float32
    assert np.array_equal(prepared[..., 0], prepared[..., 1]) and np.array_equal(prepared[..., 0], prepared[..., 2])
    # Pillow's bilinear upscaling, an independent implementation.
    pillow = np.stack([np.asarray(Image.fromarray(img[..., 0], mode="F").resize((299, 299), Image.BILINEAR))
                       for img in gray])
    assert np.abs(prepared[..., 0] - pillow).max() < 1e-4
    colour = rng.uniform(-1, 1, (2, 10, 12, 3)).astype("float32")
    prepared = inception.prepare(colour)
    assert prepared.shape == (2, 299, 299, 3) and not np.array_equal(prepared[..., 0], prepared[..., 1])
    with pytest.raises(ValueError, match="1 or 3 channels, got 2"):
        inception.prepare(np.zeros((2, 8, 8, 2), "float32"))
    with pytest.raises(ValueError, match=r"\[-1, 1\]"):
        inception.prepare(np.full((2, 8, 8, 1), 255.0, "float32"))


def test_warnings_say_when_numbers_are_not_the_papers():
    assert inception.sample_warnings(10_000, 10_000, "imagenet") == []
    few = inception.sample_warnings(5000, 10_000, "imagenet")
    assert len(few) == 1 and "10,000 or more" in few[0] and "singular" not in few[0]
    tiny = inception.sample_warnings(128, 300, "random")
    assert len(tiny) == 2 and "singular" in tiny[0] and "not comparable with papers" in tiny[1]
    with pytest.raises(ValueError, match="'imagenet' or 'none'"):
        inception.build_feature_model("cifar")


@pytest.fixture(scope="module")
def random_inception():
    return inception.build_feature_model("none", seed=0)


def test_random_inception_distances_tell_digits_from_noise(random_inception):
    digits = data.load_images("digits", split="test").images
    rng = np.random.default_rng(0)
    order = rng.permutation(len(digits))
    real, other_real = digits[order[:16]], digits[order[16:32]]
    noise = rng.uniform(-1, 1, (16, 28, 28, 1)).astype("float32")
    features = {name: inception.pool_features(images, random_inception, batch_size=batch)
                for (name, images), batch in zip({"real": real, "other": other_real, "noise": noise}.items(),
                                                  (7, 16, 5))}  # batches of unequal sizes
    assert all(f.shape == (16, inception.FEATURE_SIZE) and np.all(np.isfinite(f)) for f in features.values())
    same = metrics.frechet_distance(features["real"], features["other"], method="exact")
    apart = metrics.frechet_distance(features["real"], features["noise"], method="exact")
    # Two halves of the real digits are closer than digits and noise, on both distances.
    assert apart > 2 * same > 0
    kid_same = metrics.kernel_distance(features["real"], features["other"])
    kid_apart = metrics.kernel_distance(features["real"], features["noise"])
    assert kid_apart > 2 * abs(kid_same)
    result = inception.inception_distances(real[:8], other_real[:6], model=random_inception)
    assert result["feature_size"] == 2048 and result["weights"] == "random" and not result["comparable"]
    assert result["num_samples"] == 6 and result["num_real"] == 8 and len(result["warnings"]) == 2
    expected = metrics.frechet_distance(features["real"][:8], features["other"][:6], method="exact")
    assert result["frechet_distance"] == pytest.approx(expected, rel=1e-3)


def test_evaluate_features_inception_on_the_command_line(tmp_path, capsys):
    from gan_keras import io
    from gan_keras.models import build_dcgan_generator

    keras.utils.set_random_seed(0)
    run = tmp_path / "run"
    run.mkdir()
    io.save_model(build_dcgan_generator(8), run / "generator.keras")
    io.write_json(run / "run.json", {"config": {"model": "dcgan", "data": "digits"}})
    # Offline, the default ImageNet request falls back to a random Inception and says so.
    assert main(["evaluate", str(run), "--features", "inception", "--num-samples", "16"]) == 0
    captured = capsys.readouterr()
    assert "FID (Inception-v3 pool features, 2048-d)" in captured.out and "KID" in captured.out
    assert "16 samples against 16 test images of digits" in captured.out
    assert "offline mode" in captured.err and "not comparable with papers" in captured.err
    assert "only 16 generated" in captured.err
    saved = json.loads((run / "evaluation-inception.json").read_text())
    assert saved["feature_size"] == 2048 and saved["weights"] == "random" and saved["num_samples"] == 16
    assert saved["kernel_distance_std"] > 0  # subsets of 8 of the 16: their spread is measured
    assert f"{saved['frechet_distance']:.2f}" in captured.out
    assert not (run / "evaluation.json").exists()  # the classifier's evaluation is a separate file
    assert main(["evaluate", str(run), "--weights", "none"]) == 2
    assert "--weights applies to --features inception" in capsys.readouterr().err
    assert main(["evaluate", str(run), "--features", "pixels"]) == 2  # refused while parsing
    assert "invalid choice" in capsys.readouterr().err
