"""Chapter 09: the mode metrics on hand-made point sets, the toy training loop, its pictures and the checks."""

import numpy as np
import pytest

from gan_keras import checks, modes, plots
from gan_keras.checks._core import ExerciseError
from gan_keras.data import toys

RING = toys.ring_centers()


def test_points_on_every_centre_cover_every_mode_with_full_quality():
    samples = np.repeat(RING, 25, axis=0)
    m = modes.mode_metrics(samples, RING, std=0.02)
    assert m["modes_covered"] == 8 and m["num_modes"] == 8
    assert m["high_quality"] == 1.0
    assert m["counts"] == [25] * 8


def test_a_collapsed_generator_covers_one_mode():
    samples = RING[3] + np.random.default_rng(0).normal(0, 0.01, size=(500, 2))
    m = modes.mode_metrics(samples, RING, std=0.02)
    assert m["modes_covered"] == 1
    assert m["counts"][3] == 500
    # 3 std = 0.06 and the points have std 0.01 per axis: all of them are high quality.
    assert m["high_quality"] == 1.0


def test_points_between_modes_are_low_quality_and_cover_nothing():
    between = (RING + np.roll(RING, 1, axis=0)) / 2  # halfway between neighbours, far from both
    m = modes.mode_metrics(np.repeat(between, 30, axis=0), RING, std=0.02)
    assert m["modes_covered"] == 0 and m["high_quality"] == 0.0


def test_threshold_is_three_standard_deviations_and_min_count_is_inclusive():
    centers = np.array([[0.0, 0.0], [10.0, 0.0]])
    samples = np.array([[0.29, 0.0], [0.0, 0.31], [10.0, 0.05], [10.2, 0.0], [10.0, -0.25]])
    m = modes.mode_metrics(samples, centers, std=0.1, min_count=3)
    assert m["counts"] == [1, 3]
    assert m["modes_covered"] == 1  # mode 1 has exactly min_count=3
    assert m["high_quality"] == pytest.approx(4 / 5)
    assert modes.high_quality_share(samples, centers, 0.1, num_std=1.0) == pytest.approx(1 / 5)
    assert modes.modes_covered(samples, centers, 0.1, min_count=1) == 2


def test_nan_samples_count_as_bad_but_stay_in_the_total():
    samples = np.array([[2.0, 0.0], [np.nan, 0.0], [np.inf, 1.0], [0.0, 2.01]])
    assert modes.high_quality_share(samples, RING, 0.02) == pytest.approx(2 / 4)


def test_real_ring_and_grid_samples_score_like_the_gaussian_says():
    # For a 2-D Gaussian, P(r < 3 std) = 1 - exp(-9/2) = 0.989.
    for name in ("ring", "grid"):
        toy = modes.toy_set(name)
        m = modes.mode_metrics(toy.sample(2500, seed=1), toy.centers, toy.std)
        assert m["modes_covered"] == m["num_modes"] == len(toy.centers)
        assert m["high_quality"] == pytest.approx(1 - np.exp(-4.5), abs=0.01)


@pytest.mark.parametrize("bad, error", [
    (dict(samples=np.zeros((4, 3))), ValueError),
    (dict(samples=np.zeros(4)), ValueError),
    (dict(std=0.0), ValueError),
    (dict(std=-1.0), ValueError),
    (dict(min_count=0), ValueError),
])
def test_bad_inputs_raise_clear_errors(bad, error):
    kwargs = dict(samples=np.zeros((4, 2)), centers=RING, std=0.02, min_count=1)
    kwargs.update(bad)
    with pytest.raises(error):
        modes.mode_metrics(**kwargs)
    with pytest.raises(ValueError, match="toy set"):
        modes.toy_set("spiral")


def test_toy_training_records_snapshots_and_draws_them(seeded):
    run = modes.train_toy_gan("ring", "hinge", steps=40, steps_per_epoch=20, batch_size=64,
                              snapshot_every=1, hidden_units=(16, 16))
    assert run.loss == "hinge" and run.steps == 40
    assert [s["step"] for s in run.snapshots] == [0, 20, 40]
    assert run.snapshots[-1]["values"].shape == (60, 60)
    assert not np.allclose(run.snapshots[0]["points"], run.snapshots[-1]["points"])  # G moved
    assert set(run.metrics) == {"modes_covered", "num_modes", "high_quality", "counts"}
    toy = modes.toy_set("ring")
    fig = plots.plot_toy_progress(run.snapshots, toy.centers, toy.extent)
    assert len(fig.axes) == 3
    xs, ys, values = modes.discriminator_heatmap(run.gan, toy.extent, resolution=10)
    assert values.shape == (10, 10) and np.all(np.isfinite(values))


def test_heatmap_of_a_cross_entropy_gan_is_a_probability(seeded):
    gan = modes.build_toy_gan("non_saturating", latent_dim=4, hidden_units=(8,))
    _, _, values = modes.discriminator_heatmap(gan, (-1, 1, -1, 1), resolution=5)
    assert np.all((values > 0) & (values < 1))


def test_wasserstein_toy_gan_uses_five_critic_steps_and_the_penalty(seeded):
    gan = modes.build_toy_gan("wasserstein", hidden_units=(8,))
    assert gan.d_steps == 5 and gan.gradient_penalty_weight == 10.0


def test_table_has_one_row_per_loss_and_toy_set():
    rows = [{"toy": t, "loss": l, "seed": s, "steps": 1, "modes_covered": 1, "num_modes": 8,
             "high_quality": 0.5} for t in ("ring",) for l in ("hinge", "minimax") for s in (0, 1)]
    text = modes.format_table(rows)
    assert text.count("\n") == 3 and "| ring | hinge | 1.0 of 8 | 0.50 |" in text


@pytest.mark.learning
def test_non_saturating_gan_learns_the_ring(seeded):
    """The generator covers more modes than a generator stuck on one point, and beats the data's mean.

    Measured on this seed (2500 samples): 7 of 8 modes, high-quality share 0.24. Trivial
    generators scored by the same functions: all samples at one real point cover 1 mode
    (share 1.00: quality alone cannot tell collapse from learning, hence the mode count); all
    at the data's mean (the ring's centre) 0 modes, share 0.00. The bounds: at least 6 modes
    (5 more than the one-point generator) and a share of at least 0.15 (the mean's 0 + 0.15).
    After 100 steps the same generator scores 0 modes and 0.00.
    """
    run = modes.train_toy_gan("ring", "non_saturating", steps=2000, seed=0)
    toy = modes.toy_set("ring")
    n = len(run.samples)
    one_point = modes.mode_metrics(np.repeat(toy.sample(1, seed=0), n, axis=0), toy.centers, toy.std)
    mean_point = modes.mode_metrics(np.repeat(toy.sample(n, seed=0).mean(0, keepdims=True), n, axis=0),
                                    toy.centers, toy.std)
    assert (one_point["modes_covered"], mean_point["modes_covered"], mean_point["high_quality"]) == (1, 0, 0.0)
    assert run.metrics["modes_covered"] >= one_point["modes_covered"] + 5, run.metrics
    assert run.metrics["modes_covered"] >= mean_point["modes_covered"] + 6, run.metrics
    assert run.metrics["high_quality"] >= mean_point["high_quality"] + 0.15, run.metrics


# --- exercise checks -------------------------------------------------------------------

def test_checks_accept_the_references():
    assert checks.check_high_quality_share(modes.high_quality_share, quiet=True)
    assert checks.check_modes_covered(modes.modes_covered, quiet=True)


def _share(radius_std, drop_nan=False, nearest=True):
    def fn(samples, centers, std):
        if drop_nan:
            samples = samples[np.all(np.isfinite(samples), axis=1)]
        d = np.linalg.norm(samples[:, None] - centers[None], axis=-1)
        d = np.nan_to_num(d, nan=np.inf)
        best = d.min(axis=1) if nearest else d[:, 0]
        return float(np.mean(best < radius_std * std))
    return fn


@pytest.mark.parametrize("wrong, words", [
    (_share(1.0), "3 standard deviations"),
    (_share(3.0, drop_nan=True), "NaN"),
    (_share(3.0, nearest=False), "nearest mode"),
])
def test_high_quality_check_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        checks.check_high_quality_share(wrong)


def _covered(use_quality=True, use_min_count=True, strict=False):
    def fn(samples, centers, std, min_count=20):
        d = np.nan_to_num(np.linalg.norm(samples[:, None] - centers[None], axis=-1), nan=np.inf)
        nearest = d.argmin(axis=1)
        good = d.min(axis=1) < 3 * std if use_quality else np.isfinite(d.min(axis=1))
        counts = np.bincount(nearest[good], minlength=len(centers))
        need = min_count if use_min_count else 1
        return int(np.sum(counts > need if strict else counts >= need))
    return fn


@pytest.mark.parametrize("wrong, words", [
    (_covered(use_quality=False), "high-quality"),
    (_covered(use_min_count=False), "min_count is ignored"),
    (_covered(strict=True), ">="),
])
def test_modes_covered_check_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        checks.check_modes_covered(wrong)
