"""Exercise checks of chapter 01 (GAN basics)."""

from __future__ import annotations

import numpy as np

from gan_keras import theory
from gan_keras.checks._core import call, close, exercise, explain, to_numpy


@exercise("1.1", "the optimal discriminator D*", reference="gan_keras.theory:optimal_discriminator")
def check_optimal_discriminator(fn):
    """Check ``fn(p_data, p_g)`` returns ``D*(x) = p_data / (p_data + p_g)`` elementwise."""
    p_data = np.array([0.40, 0.10, 0.25, 0.05, 0.30])
    p_g = np.array([0.10, 0.40, 0.25, 0.30, 0.05])
    expected = theory.optimal_discriminator(p_data, p_g)
    got = to_numpy(call(fn, p_data.copy(), p_g.copy()))
    explain(got.shape == expected.shape,
            f"D* is computed point by point: for {len(p_data)} densities expected {len(p_data)} "
            f"values, got shape {got.shape}. Don't sum or average over x.")
    if close(got, 1.0 - expected):
        explain(False, "you returned p_g / (p_data + p_g): that is the probability of 'fake'. "
                       "D(x) is the probability that x is real, so p_data goes on top.")
    if close(got, p_data / p_g):
        explain(False, "you returned p_data / p_g; the denominator is p_data + p_g, the total "
                       "density of x under the mix of real and generated samples.")
    explain(np.all((got >= 0) & (got <= 1)),
            f"D*(x) is a probability and must lie in [0, 1], got values {np.round(got, 3)}")
    explain(close(got, expected),
            f"for p_data={p_data.tolist()} and p_g={p_g.tolist()} expected "
            f"{np.round(expected, 4).tolist()}, got {np.round(got, 4).tolist()}. "
            "Maximise a*log(y) + b*log(1-y) over y: the answer is y = a / (a + b).")
    # Where the two densities agree, the best discriminator can only guess.
    explain(close(got[2], 0.5), "where p_data = p_g the optimal discriminator must answer 1/2")
