import numpy as np
import pytest
from scipy import linalg

from gan_keras import data, metrics


def direct_frechet(a, b):
    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1 + s2 - 2 * linalg.sqrtm(s1 @ s2).real))


def test_frechet_distance_of_a_set_with_itself_is_zero_and_grows_with_noise():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(500, 8))
    assert metrics.frechet_distance(a, a) < 1e-6
    d1 = metrics.frechet_distance(a, a + rng.normal(0, 0.3, a.shape))
    d2 = metrics.frechet_distance(a, a + rng.normal(0, 1.0, a.shape))
    assert 0 < d1 < d2


def test_frechet_distance_matches_direct_computation():
    rng = np.random.default_rng(1)
    a = rng.normal(size=(300, 5))
    b = rng.normal(0.5, 1.5, size=(300, 5))
    assert np.isclose(metrics.frechet_distance(a, b), direct_frechet(a, b), rtol=1e-6)


def test_frechet_distance_survives_singular_covariances():
    rng = np.random.default_rng(2)
    a = np.concatenate([rng.normal(size=(50, 3)), np.zeros((50, 2))], axis=1)  # two dead features
    assert np.isfinite(metrics.frechet_distance(a, a + 0.1))


def test_frechet_distance_bad_input():
    with pytest.raises(ValueError, match="2-D"):
        metrics.frechet_distance(np.zeros(5), np.zeros(5))
    with pytest.raises(ValueError, match="feature sizes"):
        metrics.frechet_distance(np.zeros((5, 2)), np.zeros((5, 3)))


@pytest.mark.learning
def test_classifier_learns_the_digits_and_is_cached():
    from gan_keras import classifier

    clf = classifier.get_classifier("digits")
    test = data.load_images("digits", split="test")
    assert clf.test_accuracy > 0.9
    assert clf.accuracy(test.images, test.labels) > 0.9
    again = classifier.get_classifier("digits")
    np.testing.assert_allclose(again.logits(test.images[:5]), clf.logits(test.images[:5]), rtol=1e-5)
    assert clf.features(test.images[:3]).shape == (3, 128)
    with pytest.raises(ValueError, match="shape"):
        clf.predict(np.zeros((2, 32, 32, 1), np.float32))
