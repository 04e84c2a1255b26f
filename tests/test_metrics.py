import numpy as np
import pytest
from scipy import linalg

from gan_keras import data
from gan_keras.measure import metrics


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
    from gan_keras.measure import classifier

    clf = classifier.get_classifier("digits")
    test = data.load_images("digits", split="test")
    assert clf.test_accuracy > 0.9
    assert clf.accuracy(test.images, test.labels) > 0.9
    again = classifier.get_classifier("digits")
    np.testing.assert_allclose(again.logits(test.images[:5]), clf.logits(test.images[:5]), rtol=1e-5)
    assert clf.features(test.images[:3]).shape == (3, 128)
    with pytest.raises(ValueError, match="shape"):
        clf.predict(np.zeros((2, 32, 32, 1), np.float32))


# ---------------------------------------------------------------------------------------
# Chapter 07: KID, classifier score, precision/recall, Parzen window.


def test_kernel_distance_by_hand():
    # k(x, y) = (x y + 1)^3 in one dimension (gamma = 1/d = 1).
    a, b = np.array([[0.0], [1.0]]), np.array([[2.0], [3.0]])
    within_a = 1.0  # k(0, 1) = 1
    within_b = 7.0 ** 3  # k(2, 3) = 343
    between = (1 + 1 + 3 ** 3 + 4 ** 3) / 4  # k(0,2), k(0,3), k(1,2), k(1,3)
    assert np.isclose(metrics.kernel_distance(a, b), within_a + within_b - 2 * between)


def test_kernel_distance_is_unbiased_and_grows_with_a_shift():
    rng = np.random.default_rng(3)
    same = [metrics.kernel_distance(rng.normal(size=(100, 4)), rng.normal(size=(100, 4))) for _ in range(40)]
    # Unbiased: values of one distribution scatter around 0, some below it.
    assert min(same) < 0 < max(same)
    assert abs(np.mean(same)) < 3 * np.std(same) / np.sqrt(len(same))
    a = rng.normal(size=(200, 4))
    near = metrics.kernel_distance(a, rng.normal(0.3, 1, size=(200, 4)))
    far = metrics.kernel_distance(a, rng.normal(1.0, 1, size=(200, 4)))
    assert max(same) < near < far
    mean, std = metrics.kernel_distance(a, a + 1, subset_size=50, num_subsets=5, return_std=True)
    assert mean > 0 and std >= 0
    with pytest.raises(ValueError, match="subset_size"):
        metrics.kernel_distance(a, a, subset_size=500)


def test_classifier_score_by_hand():
    confident_and_varied = np.eye(10)
    assert np.isclose(metrics.classifier_score(confident_and_varied), 10.0)
    one_class = np.tile(np.eye(10)[3], (20, 1))
    assert np.isclose(metrics.classifier_score(one_class), 1.0)
    uncertain = np.full((20, 10), 0.1)
    assert np.isclose(metrics.classifier_score(uncertain), 1.0)
    # Two classes, confident, half each: exp(log 2) = 2.
    assert np.isclose(metrics.classifier_score(np.eye(10)[[0, 1] * 5]), 2.0)
    with pytest.raises(ValueError, match="softmax"):
        metrics.classifier_score(np.full((4, 10), 2.0))


def test_precision_recall_by_hand():
    real = np.array([[0.0], [1.0], [2.0], [3.0]])
    # k = 1: every real ball has radius 1, so it covers [-1, 4].
    fake = np.array([[0.5], [10.0]])
    # The fakes are 9.5 apart: each fake ball has radius 9.5 and covers every real point.
    precision, recall = metrics.precision_recall(real, fake, k=1)
    assert precision == 0.5 and recall == 1.0
    # Collapse onto one real point: realistic (precision 1) but covering little (recall 1/4).
    collapsed = np.array([[0.0], [0.0], [0.01]])
    precision, recall = metrics.precision_recall(real, collapsed, k=1)
    assert precision == 1.0 and recall == 0.25
    with pytest.raises(ValueError, match="k must be"):
        metrics.knn_radii(real, k=4)


def test_knn_radii_match_sorted_distances():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(30, 3))
    d = np.linalg.norm(x[:, None] - x[None], axis=-1)
    expected = np.sort(d, axis=1)[:, 3]
    np.testing.assert_allclose(metrics.knn_radii(x, k=3), expected, rtol=1e-10, atol=1e-12)


def direct_parzen(samples, points, sigma):
    from scipy.stats import multivariate_normal

    d = samples.shape[1]
    return np.array([
        np.log(np.mean([multivariate_normal(mean=s, cov=sigma ** 2 * np.eye(d)).pdf(x) for s in samples]))
        for x in points
    ])


def test_parzen_matches_a_direct_computation_on_tiny_data():
    rng = np.random.default_rng(5)
    samples = rng.uniform(size=(6, 3))
    points = rng.uniform(size=(4, 3))
    for sigma in (0.2, 0.5, 1.0):
        np.testing.assert_allclose(metrics.parzen_log_likelihoods(samples, points, sigma),
                                   direct_parzen(samples, points, sigma), rtol=1e-9)


def test_parzen_window_picks_the_best_sigma_on_validation_and_reports_the_test_mean():
    rng = np.random.default_rng(6)
    samples = rng.normal(size=(40, 2))
    validation = rng.normal(size=(30, 2))
    test = rng.normal(size=(20, 2))
    sigmas = (0.05, 0.3, 0.6, 3.0)
    result = metrics.parzen_window(samples, validation, test, sigmas=sigmas)
    per_sigma = [direct_parzen(samples, validation, s).mean() for s in sigmas]
    assert result["sigma"] == sigmas[int(np.argmax(per_sigma))]
    expected = direct_parzen(samples, test, result["sigma"])
    assert np.isclose(result["mean"], expected.mean())
    assert np.isclose(result["stderr"], expected.std() / np.sqrt(len(expected)))
    with pytest.raises(ValueError, match="sigma"):
        metrics.parzen_log_likelihoods(samples, test, sigma=0.0)
    with pytest.raises(ValueError, match="values each"):
        metrics.parzen_log_likelihoods(samples, np.zeros((2, 3)), sigma=1.0)


def test_parzen_is_stable_far_from_every_sample():
    # exp(-d^2 / 2 sigma^2) underflows to 0 here; log-sum-exp keeps the value finite and exact.
    samples = np.zeros((3, 1))
    far = np.array([[100.0]])
    value = metrics.parzen_log_likelihoods(samples, far, sigma=0.1)[0]
    assert np.isclose(value, -100.0 ** 2 / (2 * 0.01) - 0.5 * np.log(2 * np.pi * 0.01))
