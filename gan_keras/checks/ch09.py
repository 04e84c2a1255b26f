"""Exercise checks of chapter 09 (loss variants and mode collapse)."""

from __future__ import annotations

import inspect

import numpy as np

from gan_keras.checks._core import call, exercise, explain, scalar, to_numpy

CENTERS = np.array([[0.0, 0.0], [4.0, 0.0], [0.0, 4.0]])
STD = 0.1
SAMPLES = np.array([
    [0.05, 0.0], [0.0, 0.12], [-0.2, 0.08], [0.25, 0.0], [0.0, -0.29], [0.2, 0.2],  # within 0.3 of mode 0
    [0.26, -0.24],                                # in the 0.3 box around mode 0, not in the circle
    [0.35, 0.0], [0.0, 0.5], [-0.4, -0.1], [1.0, 1.0],                             # near mode 0, too far
    [4.11, 0.0], [3.93, 0.05], [4.0, -0.22],                                      # within 0.3 of mode 1
    [4.22, 0.25],                                 # in the 0.3 box around mode 1, not in the circle
    [0.0, 3.0], [0.5, 3.2], [-0.5, 3.3],                                          # nearest mode 2, too far
    [2.0, 2.5], [np.nan, 0.0],                                                    # between modes; a NaN
])
# Within 3 * STD = 0.3 of the nearest centre: 6 + 3 = 9 of the 20 samples; none near mode 2.
HQ_SHARE = 9 / 20
# The same samples with other arguments: 2 std (radius 0.2) -> 4 of 20; std 0.08 (radius 0.24) -> 6 of 20.
HQ_SHARE_2_STD = 4 / 20
HQ_SHARE_STD_008 = 6 / 20


def _distances(samples, centers, metric="circle"):
    """Return every sample's distance to every centre (NaN samples: NaN), in one of the usual metrics."""
    diff = samples[:, None, :] - centers[None]
    with np.errstate(invalid="ignore"):
        if metric == "box":
            return np.max(np.abs(diff), axis=-1)
        if metric == "diamond":
            return np.sum(np.abs(diff), axis=-1)
        if metric == "squared":
            return np.sum(diff ** 2, axis=-1)
        return np.linalg.norm(diff, axis=-1)


def _share_within(samples, centers, radius, drop_nan=False, first_mode_only=False, metric="circle"):
    """Return the share of samples within ``radius`` of their nearest centre (for the typical mistakes)."""
    if drop_nan:
        samples = samples[np.all(np.isfinite(samples), axis=1)]
    d = _distances(samples, centers, metric)
    d = d[:, :1] if first_mode_only else d
    return float(np.mean(np.min(np.where(np.isnan(d), np.inf, d), axis=1) < radius))


def _covered(samples, centers, radius, min_count, metric="circle"):
    d = np.where(np.isnan(_distances(samples, centers, metric)), np.inf, _distances(samples, centers, metric))
    nearest, best = np.argmin(d, axis=1), np.min(d, axis=1)
    counts = np.bincount(nearest[best < radius], minlength=len(centers))
    return int(np.sum(counts >= min_count))


_SQUARE_BOX = ("you kept the samples inside a square box around the mode (|dx| and |dy| both below the "
               "radius); the papers' test is a circle: the Euclidean distance sqrt(dx^2 + dy^2) to the "
               "nearest mode below num_std * std (np.linalg.norm(..., axis=-1)).")


@exercise("9.1", "the share of high-quality samples", reference="gan_keras.modes:high_quality_share")
def check_high_quality_share(fn):
    """Check ``fn(samples, centers, std, num_std=3.0)`` returns the share within ``num_std * std`` of the nearest
    mode."""
    got = scalar(call(fn, SAMPLES.copy(), CENTERS.copy(), STD), "the high-quality share")
    explain(np.isfinite(got), "the share is NaN: a generator that diverged gives NaN points; "
                              "count them as not high quality (np.isfinite, or compare with < so "
                              "that NaN is False) and divide by the number of all samples.")
    explain(0.0 <= got <= 1.0, f"a share lies in [0, 1], got {got:.4f}: divide the count by the number of samples.")
    radius = 3 * STD
    for drop_nan in (False, True):
        if abs(got - _share_within(SAMPLES, CENTERS, STD, drop_nan)) < 1e-9:
            explain(False, "you kept only points within 1 standard deviation; the papers' "
                           "threshold is 3 standard deviations of the nearest mode (num_std=3.0 by default).")
    if abs(got - _share_within(SAMPLES, CENTERS, radius, drop_nan=True)) < 1e-9:
        explain(False, "you dropped the NaN sample from the count; a sample that is not a point "
                       "near a mode is not high quality, but it still counts in the total.")
    if abs(got - _share_within(SAMPLES, CENTERS, radius, first_mode_only=True)) < 1e-9:
        explain(False, "you measured distances to one mode only; use each sample's nearest mode.")
    if abs(got - _share_within(SAMPLES, CENTERS, radius, metric="box")) < 1e-9:
        explain(False, _SQUARE_BOX)
    if abs(got - _share_within(SAMPLES, CENTERS, radius, metric="diamond")) < 1e-9:
        explain(False, "you added the absolute differences |dx| + |dy| (a diamond around the mode); "
                       "the distance is Euclidean, sqrt(dx^2 + dy^2).")
    if abs(got - _share_within(SAMPLES, CENTERS, radius, metric="squared")) < 1e-9:
        explain(False, "you compared the squared distance dx^2 + dy^2 with the radius itself: compare "
                       "the distance (its square root) with num_std * std, or the squared distance "
                       "with (num_std * std)^2.")
    explain(abs(got - HQ_SHARE) < 1e-6,
            f"expected {HQ_SHARE:.4f} (9 of the {len(SAMPLES)} samples lie within 3 * std = {radius} of their "
            f"nearest centre), got {got:.4f}.")
    # The other arguments: num_std and std are used, not fixed at 3 and 0.1.
    got_2 = scalar(call(fn, SAMPLES.copy(), CENTERS.copy(), STD, 2.0), "the high-quality share")
    explain(abs(got_2 - HQ_SHARE_2_STD) < 1e-6,
            f"with num_std=2.0 expected {HQ_SHARE_2_STD:.4f} (4 samples within 2 * std = 0.2), got {got_2:.4f}: "
            "use the num_std argument rather than a fixed 3.")
    got_std = scalar(call(fn, SAMPLES.copy(), CENTERS.copy(), 0.08, 3.0), "the high-quality share")
    explain(abs(got_std - HQ_SHARE_STD_008) < 1e-6,
            f"with std=0.08 expected {HQ_SHARE_STD_008:.4f} (6 samples within 3 * 0.08 = 0.24), got "
            f"{got_std:.4f}: use the std argument rather than a fixed 0.1.")


def _count(value, what):
    """Return a count as an int, explaining when it is not a whole-number type."""
    if isinstance(value, bool) or value is None:
        explain(False, f"{what} should be an int, got {value!r}.")
    if isinstance(value, (int, np.integer)):
        return int(value)
    dtype = getattr(value, "dtype", None)
    array = to_numpy(value, what)
    explain(array.size == 1, f"{what} should be one number (an int), got shape {array.shape}.")
    kind = np.dtype(getattr(dtype, "as_numpy_dtype", dtype)).kind if dtype is not None else None
    if kind not in ("i", "u"):
        explain(False, f"{what} is a count, so it should be an int; you returned a "
                       f"{type(value).__name__} ({float(array.reshape(())):g}). A share times the number "
                       "of modes, or a sum of booleans turned to float, gives a float: count with "
                       "np.sum(counts >= min_count) and return int(...) of that.")
    return int(array.reshape(()))


@exercise("9.2", "the number of modes covered", reference="gan_keras.modes:modes_covered")
def check_modes_covered(fn):
    """Check ``fn(samples, centers, std, min_count)`` counts the modes with enough high-quality samples (an int)."""
    what = "the number of modes covered"
    got = _count(call(fn, SAMPLES.copy(), CENTERS.copy(), STD, 3), what)
    if got == 3:
        explain(False, "you counted every mode that is the nearest mode of some sample. Only "
                       "high-quality samples (within 3 std) count: the points around (0, 3) have "
                       "the mode (0, 4) as their nearest mode but are nowhere near it.")
    got_strict = _count(call(fn, SAMPLES.copy(), CENTERS.copy(), STD, 4), what)
    if (got, got_strict) == (2, 2):
        # A square box gives mode 0 seven samples (a circle six); min_count ignored covers both.
        explain(_count(call(fn, SAMPLES.copy(), CENTERS.copy(), STD, 7), what) != 1, _SQUARE_BOX)
    if got == 2 and got_strict == 2:
        explain(False, "min_count is ignored: mode 1 has 3 high-quality samples, so with "
                       "min_count=4 it is no longer covered.")
    if got == 1 and got_strict == 1:
        explain(False, "with min_count=3, mode 1 has exactly 3 high-quality samples and is covered "
                       "(at least min_count, so use >=).")
    explain(got == 2 and got_strict == 1,
            f"expected 2 modes covered with min_count=3 and 1 with min_count=4, got {got} and {got_strict}.")
    got_std = _count(call(fn, SAMPLES.copy(), CENTERS.copy(), 0.08, 3), what)
    explain(got_std == _covered(SAMPLES, CENTERS, 0.24, 3) and
            _count(call(fn, SAMPLES.copy(), CENTERS.copy(), 0.08, 4), what) == 0,
            "with std=0.08 (radius 0.24) mode 0 keeps only 3 high-quality samples: expected 2 modes with "
            "min_count=3 and 0 with min_count=4: use the std argument rather than a fixed 0.1.")
    try:
        takes_num_std = "num_std" in inspect.signature(fn).parameters
    except (TypeError, ValueError):
        takes_num_std = False
    if takes_num_std:  # the chapter's stub has no num_std; a version that takes one must use it
        got_num_std = _count(call(fn, SAMPLES.copy(), CENTERS.copy(), STD, 3, num_std=2.0), what)
        explain(got_num_std == _covered(SAMPLES, CENTERS, 0.2, 3),
                f"with num_std=2.0 (radius 0.2) expected {_covered(SAMPLES, CENTERS, 0.2, 3)} modes covered "
                f"with min_count=3, got {got_num_std}: use the num_std argument rather than a fixed 3.")
