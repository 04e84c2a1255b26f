"""Exercise checks of chapter 05 (DeepDream): the dream loss and the gradient-ascent step."""

from __future__ import annotations

import numpy as np

from gan_keras.checks._core import call, close, exercise, explain, scalar, to_numpy


def _activations(seed: int = 0) -> dict:
    # Batch 2 and maps whose height, width and channels all differ, so a crop or a mean over
    # the wrong axis gives another number; "mixed6" has no weight and must not count.
    rng = np.random.default_rng(seed)
    return {"mixed4": rng.normal(0.0, 1.0, (2, 6, 5, 4)).astype(np.float32),
            "mixed5": rng.normal(0.5, 2.0, (2, 5, 7, 3)).astype(np.float32),
            "mixed6": rng.normal(1.0, 1.5, (2, 4, 3, 6)).astype(np.float32)}


def _reference_loss(activations, layer_weights, crop: bool = True) -> float:
    total = 0.0
    for name, weight in layer_weights.items():
        act = activations[name].astype(np.float64)
        if crop:
            act = act[:, 1:-1, 1:-1, :]
        total += weight * np.mean(act ** 2)
    return float(total)


@exercise("5.1", "the dream loss", reference="gan_keras.dream:dream_loss")
def check_dream_loss(fn):
    """Check ``fn(activations, layer_weights)`` is the weighted sum of mean squared activations, border cropped."""
    acts = _activations()
    weights = {"mixed4": 1.0, "mixed5": 2.5}
    expected = _reference_loss(acts, weights)
    got = scalar(call(fn, {k: v.copy() for k, v in acts.items()}, dict(weights)), "the dream loss")
    if np.isclose(got, -expected, rtol=1e-4):
        explain(False, "DeepDream climbs the loss (gradient ascent): return the activations' energy "
                       "itself, not its negative.")
    if np.isclose(got, _reference_loss(acts, weights, crop=False), rtol=1e-4):
        explain(False, "leave out a one-pixel border of each activation map (act[:, 1:-1, 1:-1, :]): "
                       "the zero padding there gives artefacts that would grow fastest.")
    if np.isclose(got, _reference_loss(acts, {k: 1.0 for k in weights}), rtol=1e-4):
        explain(False, "multiply each layer's term by its weight from layer_weights.")
    mean_abs = sum(w * np.mean(np.abs(acts[k][:, 1:-1, 1:-1, :])) for k, w in weights.items())
    mean_plain = sum(w * np.mean(acts[k][:, 1:-1, 1:-1, :]) for k, w in weights.items())
    if np.isclose(got, mean_abs, rtol=1e-4) or np.isclose(got, mean_plain, rtol=1e-4):
        explain(False, "square the activations before averaging: the mean of act^2 measures how "
                       "strongly the layer fires whatever the sign.")
    sums = sum(w * np.sum(acts[k][:, 1:-1, 1:-1, :].astype(np.float64) ** 2) for k, w in weights.items())
    if np.isclose(got, sums, rtol=1e-4):
        explain(False, "take the mean of the squared activations, not their sum: layers of different "
                       "sizes should count by their weights, not by how many numbers they hold.")
    if np.isclose(got, _reference_loss(acts, dict(weights, mixed6=1.0)), rtol=1e-4):
        explain(False, "you summed over every activation you were given; only the layers named in "
                       "layer_weights count, each times its weight (loop over layer_weights.items()).")
    rows_only = sum(w * np.mean(acts[k][:, 1:-1, :, :].astype(np.float64) ** 2) for k, w in weights.items())
    cols_only = sum(w * np.mean(acts[k][:, :, 1:-1, :].astype(np.float64) ** 2) for k, w in weights.items())
    if np.isclose(got, rows_only, rtol=1e-4) or np.isclose(got, cols_only, rtol=1e-4):
        explain(False, "crop the border on both image axes, height and width: act[:, 1:-1, 1:-1, :].")
    explain(np.isclose(got, expected, rtol=1e-4),
            f"expected sum over layers of weight * mean(act[:, 1:-1, 1:-1, :]^2) = {expected:.5g}, got {got:.5g}")
    other = {"mixed5": 0.5, "mixed6": 3.0}
    got_other = scalar(call(fn, {k: v.copy() for k, v in acts.items()}, dict(other)), "the dream loss")
    explain(np.isclose(got_other, _reference_loss(acts, other), rtol=1e-4),
            f"with layer_weights={other} expected {_reference_loss(acts, other):.5g}, got {got_other:.5g}: "
            "use the layers and weights given in layer_weights, not fixed ones.")


@exercise("5.2", "the normalised gradient-ascent step", reference="gan_keras.dream:gradient_ascent_update")
def check_gradient_ascent_update(fn):
    """Check ``fn(x, grads, step_size)`` is ``clip(x + step_size * grads / mean|grads|, -1, 1)``."""
    rng = np.random.default_rng(5)
    x = rng.uniform(-0.9, 0.9, (2, 7, 5, 3)).astype(np.float32)
    grads = rng.normal(0.001, 0.003, (2, 7, 5, 3)).astype(np.float32)  # mean(g) != 0, != mean|g|
    step = 0.2
    normalised = grads / np.mean(np.abs(grads))
    expected = np.clip(x + step * normalised, -1.0, 1.0)
    got = to_numpy(call(fn, x.copy(), grads.copy(), step))
    explain(got.shape == x.shape, f"the new image keeps the shape {x.shape}, got {got.shape}")
    if close(got, np.clip(x - step * normalised, -1, 1), atol=1e-4):
        explain(False, "that is gradient descent: DeepDream climbs, so add step_size * gradient.")
    if close(got, np.clip(x + step * grads, -1, 1), atol=1e-4):
        explain(False, "normalise the gradient first (divide by the mean of its absolute values): "
                       "its raw size changes from layer to layer and octave to octave.")
    if close(got, x + step * normalised, atol=1e-4):
        explain(False, "clip the result to [-1, 1], the range of InceptionV3's inputs.")
    for norm, words in ((np.max(np.abs(grads)), "the largest absolute value"),
                        (np.std(grads), "the standard deviation"),
                        (np.sqrt(np.sum(grads.astype(np.float64) ** 2)), "the L2 norm"),
                        (np.mean(grads), "the mean (signed)")):
        if close(got, np.clip(x + step * grads / norm, -1, 1), atol=1e-4):
            explain(False, f"you divided the gradient by {words}; DeepDream divides by the mean of its "
                           "absolute values, mean(|grads|).")
    explain(close(got, expected, atol=1e-4),
            "expected clip(x + step_size * grads / mean(|grads|), -1, 1); your image differs by up to "
            f"{np.max(np.abs(got - expected)):.3g}")
    small = 0.05
    got_small = to_numpy(call(fn, x.copy(), grads.copy(), small))
    explain(close(got_small, np.clip(x + small * normalised, -1.0, 1.0), atol=1e-4),
            f"with step_size={small} the image should move {small} x the normalised gradient: use the "
            "step_size argument rather than a fixed number.")
