"""Chapter 01: the theory on densities, the 1-D figure, and the chapter's exercise checks."""

import numpy as np
import pytest

from gan_keras import checks, numpy_gan, plots, theory
from gan_keras.checks import ExerciseError
from gan_keras.data import toys


def gaussians(shift=2.0, scale=1.5):
    x, dx = theory.make_grid(-8.0, 12.0, 2001)
    p = toys.gaussian_pdf(x, 0.0, 1.0)
    q = toys.gaussian_pdf(x, shift, scale)
    return x, dx, p, q


def test_kl_of_two_gaussians_matches_the_closed_form():
    _, dx, p, q = gaussians()
    # KL(N(0,1) || N(2,1.5^2)) = log(1.5) + (1 + 4) / (2 * 2.25) - 1/2
    expected = np.log(1.5) + 5 / 4.5 - 0.5
    assert theory.kl_divergence(p, q, dx) == pytest.approx(expected, rel=1e-4)


def test_jsd_is_symmetric_bounded_and_zero_only_for_equal_densities():
    _, dx, p, q = gaussians()
    jsd = theory.js_divergence(p, q, dx)
    assert jsd == pytest.approx(theory.js_divergence(q, p, dx), rel=1e-9)
    assert 0 < jsd < np.log(2)
    assert theory.js_divergence(p, p, dx) == pytest.approx(0.0, abs=1e-12)
    # Disjoint supports: the JSD saturates at log 2.
    x, dx = theory.make_grid(0, 10, 1001)
    a, b = (x < 4).astype(float) / 4, (x > 6).astype(float) / 4
    assert theory.js_divergence(a, b, dx) == pytest.approx(np.log(2), rel=1e-2)


@pytest.mark.parametrize("shift, scale", [(0.0, 1.0), (0.5, 1.0), (2.0, 1.5), (6.0, 0.5)])
def test_c_of_g_is_minus_log_4_plus_twice_the_jsd(shift, scale):
    """The paper's theorem, checked numerically: C(G) computed from its definition."""
    _, dx, p, q = gaussians(shift, scale)
    c = theory.virtual_training_criterion(p, q, dx)
    assert c == pytest.approx(-np.log(4) + 2 * theory.js_divergence(p, q, dx), abs=1e-9)
    assert c >= -np.log(4) - 1e-9
    if shift == 0.0 and scale == 1.0:
        assert c == pytest.approx(-np.log(4), abs=1e-6)


def test_optimal_discriminator_beats_any_other_on_the_value():
    x, dx, p, q = gaussians()
    best = theory.value_of_game(p, q, theory.optimal_discriminator(p, q), dx)
    for d in (np.full_like(x, 0.5), 1 / (1 + np.exp(x - 1.0)), np.clip(p / (p + q + 1e-3), 0, 1)):
        assert theory.value_of_game(p, q, d, dx) <= best + 1e-12
    assert theory.value_of_game(p, p, np.full_like(x, 0.5), dx) == pytest.approx(-np.log(4), abs=1e-6)


def test_density_from_samples_recovers_a_gaussian():
    x, dx = theory.make_grid(-2, 10, 600)
    samples = toys.gaussian_1d(20000, 4.0, 1.25, seed=1)
    estimate = theory.density_from_samples(samples, x)
    assert np.sum(estimate) * dx == pytest.approx(1.0, abs=1e-2)
    assert theory.js_divergence(estimate, toys.gaussian_pdf(x), dx) < 2e-3
    with pytest.raises(ValueError, match="samples"):
        theory.density_from_samples(np.zeros((5, 2)), x)


def test_theory_rejects_bad_densities():
    with pytest.raises(ValueError, match="same shape"):
        theory.js_divergence(np.ones(3), np.ones(4), 0.1)
    with pytest.raises(ValueError, match="non-negative"):
        theory.kl_divergence(np.array([0.5, -0.1]), np.ones(2), 0.1)
    with pytest.raises(ValueError, match="dx"):
        theory.js_divergence(np.ones(3), np.ones(3), 0)
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        theory.value_of_game(np.ones(3), np.ones(3), np.array([0.2, 1.5, 0.3]), 0.1)


def test_adversarial_process_figure_draws_every_stage():
    x, dx, p, q = gaussians()
    d = theory.optimal_discriminator(p, q)
    fig = plots.plot_adversarial_process(x, p, [(q, d), (p, np.full_like(x, 0.5))],
                                         titles=["start", "end"], d_star=[d, d])
    assert len(fig.axes) == 2
    styles = [line.get_linestyle() for line in fig.axes[0].lines]
    assert styles[:3] == [":", "-", "--"]  # data dotted, generator solid, D dashed
    with pytest.raises(ValueError, match="stage 0"):
        plots.plot_adversarial_process(x, p, [(q[:10], d)])


# ---------------------------------------------------------------------------------------
# Exercise 1.2: the discriminator's backward pass
# ---------------------------------------------------------------------------------------

def test_backward_reference_and_grads_only_answer_pass():
    assert checks.check_discriminator_backward(numpy_gan.discriminator_gradients, quiet=True)
    assert checks.check_discriminator_backward(
        lambda p, r, f: numpy_gan.discriminator_gradients(p, r, f)[1], quiet=True)


def _backward(params, real, fake, real_label=1.0, fake_label=0.0, sign=1.0, mean=True,
              relu=True, only_real=False):
    """A student's backward pass, with one switch per typical mistake."""
    grads = {k: np.zeros_like(v) for k, v in params.items()}
    batches = [(real, real_label)] if only_real else [(real, real_label), (fake, fake_label)]
    for x, label in batches:
        pre = x @ params["w1"] + params["b1"]
        h = np.maximum(pre, 0)
        logit = h @ params["w2"] + params["b2"]
        g = sign * (1 / (1 + np.exp(-logit)) - label) / (len(x) if mean else 1)
        grads["w2"] += h.T @ g
        grads["b2"] += g.sum(0)
        gh = (g @ params["w2"].T) * ((pre > 0) if relu else 1.0)
        grads["w1"] += x.T @ gh
        grads["b1"] += gh.sum(0)
    return grads


def test_backward_written_by_hand_passes():
    assert checks.check_discriminator_backward(_backward, quiet=True)


@pytest.mark.parametrize("kwargs, words", [
    (dict(sign=-1.0), "sign"),
    (dict(real_label=0.0, fake_label=1.0), "swapped"),
    (dict(mean=False), "summed"),
    (dict(relu=False), "ReLU"),
    (dict(only_real=True), "only one batch"),
])
def test_backward_mistakes_are_explained(kwargs, words):
    with pytest.raises(ExerciseError, match=words):
        checks.check_discriminator_backward(lambda p, r, f: _backward(p, r, f, **kwargs))


def test_backward_shape_and_in_place_mistakes_are_explained():
    def transposed(p, r, f):
        g = _backward(p, r, f)
        return dict(g, w1=g["w1"].T)

    with pytest.raises(ExerciseError, match="shape"):
        checks.check_discriminator_backward(transposed)

    def updates_in_place(p, r, f):
        g = _backward(p, r, f)
        p["w1"] -= 0.1 * g["w1"]
        return g

    with pytest.raises(ExerciseError, match="changed the weights"):
        checks.check_discriminator_backward(updates_in_place)


# ---------------------------------------------------------------------------------------
# Exercise 1.3: the Jensen-Shannon divergence
# ---------------------------------------------------------------------------------------

def _kl(p, q, dx):
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sum(np.where(p > 0, p * np.log(p / q), 0.0)) * dx


def test_jsd_by_hand_passes():
    def jsd(p, q, dx):
        m = (p + q) / 2
        return 0.5 * _kl(p, m, dx) + 0.5 * _kl(q, m, dx)

    assert checks.check_js_divergence(theory.js_divergence, quiet=True)
    assert checks.check_js_divergence(jsd, quiet=True)


@pytest.mark.parametrize("wrong, words", [
    (lambda p, q, dx: _kl(p, q, dx), "KL divergence"),
    (lambda p, q, dx: _kl(p, (p + q) / 2, dx) + _kl(q, (p + q) / 2, dx), "1/2"),
    (lambda p, q, dx: (0.5 * _kl(p, (p + q) / 2, dx) + 0.5 * _kl(q, (p + q) / 2, dx)) / np.log(2), "base 2"),
    (lambda p, q, dx: (0.5 * _kl(p, (p + q) / 2, dx) + 0.5 * _kl(q, (p + q) / 2, dx)) / dx, "dx"),
    (lambda p, q, dx: 0.5 * _kl(p, (p + q) / 2, dx), "one of the two"),
])
def test_jsd_mistakes_are_explained(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        checks.check_js_divergence(wrong)


def test_chapter_01_stubs_are_not_attempted(capsys):
    def stub(*args):
        raise NotImplementedError

    for check in (checks.check_optimal_discriminator, checks.check_discriminator_backward,
                  checks.check_js_divergence):
        assert check(stub) is None  # prints "not attempted", returns nothing a cell would echo
    assert capsys.readouterr().out.count("not attempted") == 3
