"""Exercise checks of chapter 09 (loss variants and mode collapse)."""

from __future__ import annotations

import numpy as np

from gan_keras.checks._core import call, exercise, explain, scalar

CENTERS = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
STD = 0.1
SAMPLES = np.array([
    [0.05, 0.0], [0.0, 0.12], [-0.2, 0.1], [0.25, 0.0], [0.0, -0.29], [0.1, 0.1],  # within 0.3 of mode 0
    [0.35, 0.0], [0.0, 0.5], [-0.4, -0.1], [1.0, 1.0],                             # near mode 0, too far
    [4.1, 0.0], [3.93, 0.05], [4.0, -0.2],                                        # within 0.3 of mode 1
    [0.0, 3.0], [0.5, 3.2], [-0.5, 3.3],                                          # nearest mode 2, too far
    [2.0, 2.5], [np.nan, 0.0],                                                    # between modes; a NaN
])
# Within 3 * STD = 0.3 of the nearest centre: 6 + 3 = 9 of the 18 samples; none near mode 2.
HQ_SHARE = 9 / 18


def _share_within(samples, centers, radius, drop_nan=False, first_mode_only=False):
    """Return the share of samples within ``radius`` of their nearest centre (for the typical mistakes)."""
    with np.errstate(invalid="ignore"):
        if drop_nan:
            samples = samples[np.all(np.isfinite(samples), axis=1)]
        d = np.linalg.norm(samples[:, None, :] - centers[None], axis=-1)
        d = d[:, :1] if first_mode_only else d
        return float(np.mean(np.nanmin(np.where(np.isnan(d), np.inf, d), axis=1) < radius))


def _as_float(fn_result, what):
    return scalar(fn_result, what)


@exercise("9.1", "the share of high-quality samples", reference="gan_keras.modes:high_quality_share")
def check_high_quality_share(fn):
    """Check ``fn(samples, centers, std)`` returns the share within 3 std of the nearest mode."""
    got = _as_float(call(fn, SAMPLES.copy(), CENTERS.copy(), STD), "the high-quality share")
    explain(np.isfinite(got), "the share is NaN: a generator that diverged gives NaN points; "
                              "count them as not high quality (np.isfinite, or compare with < so "
                              "that NaN is False) and divide by the number of all samples.")
    explain(0.0 <= got <= 1.0, f"a share lies in [0, 1], got {got:.4f}: divide the count by the number of samples.")
    for drop_nan in (False, True):
        if abs(got - _share_within(SAMPLES, CENTERS, STD, drop_nan)) < 1e-9:
            explain(False, "you kept only points within 1 standard deviation; the papers' "
                           "threshold is 3 standard deviations of the nearest mode.")
    if abs(got - _share_within(SAMPLES, CENTERS, 3 * STD, drop_nan=True)) < 1e-9:
        explain(False, "you dropped the NaN sample from the count; a sample that is not a point "
                       "near a mode is not high quality, but it still counts in the total.")
    if abs(got - _share_within(SAMPLES, CENTERS, 3 * STD, first_mode_only=True)) < 1e-9:
        explain(False, "you measured distances to one mode only; use each sample's nearest mode.")
    explain(abs(got - HQ_SHARE) < 1e-6,
            f"expected {HQ_SHARE:.4f} (9 of the 18 samples lie within 3 * std = {3 * STD} of their "
            f"nearest centre), got {got:.4f}.")


@exercise("9.2", "the number of modes covered", reference="gan_keras.modes:modes_covered")
def check_modes_covered(fn):
    """Check ``fn(samples, centers, std, min_count)`` counts modes with enough high-quality samples."""
    got = call(fn, SAMPLES.copy(), CENTERS.copy(), STD, 3)
    got = int(round(_as_float(got, "the number of modes covered")))
    if got == 3:
        explain(False, "you counted every mode that is the nearest mode of some sample. Only "
                       "high-quality samples (within 3 std) count: the points around (0, 3) have "
                       "the mode (0, 4) as their nearest mode but are nowhere near it.")
    got_strict = int(round(_as_float(call(fn, SAMPLES.copy(), CENTERS.copy(), STD, 4),
                                     "the number of modes covered")))
    if got == 2 and got_strict == 2:
        explain(False, "min_count is ignored: mode 1 has 3 high-quality samples, so with "
                       "min_count=4 it is no longer covered.")
    if got == 1 and got_strict == 1:
        explain(False, "with min_count=3, mode 1 has exactly 3 high-quality samples and is covered "
                       "(at least min_count, so use >=).")
    explain(got == 2 and got_strict == 1,
            f"expected 2 modes covered with min_count=3 and 1 with min_count=4, got {got} and {got_strict}.")
