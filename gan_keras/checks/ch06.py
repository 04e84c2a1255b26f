"""Exercise checks of chapter 06 (neural style transfer): Gram matrix, style loss, content loss."""

from __future__ import annotations

import numpy as np

from gan_keras.checks._core import call, close, exercise, explain, scalar, to_numpy


def _features(seed: int, h: int = 5, w: int = 4, c: int = 3) -> np.ndarray:
    # Non-negative, like ReLU features, and not square in H x W so transposes show.
    return np.random.default_rng(seed).uniform(0.0, 2.0, (h, w, c)).astype(np.float32)


def _gram(f: np.ndarray) -> np.ndarray:
    flat = f.reshape(-1, f.shape[-1]).astype(np.float64)
    return flat.T @ flat / flat.shape[0]


@exercise("6.1", "the Gram matrix", reference="gan_keras.style:gram_matrix")
def check_gram_matrix(fn):
    """Check ``fn(features)`` with features ``(H, W, C)`` returns ``F^T F / (H W)``, a ``(C, C)`` matrix."""
    features = _features(0)
    h, w, c = features.shape
    expected = _gram(features)
    got = to_numpy(call(fn, features.copy()))
    if got.shape == (h * w, h * w):
        explain(False, f"you returned a ({h * w}, {h * w}) matrix: that compares positions with "
                       f"positions (F F^T). Style compares channels with channels: F^T F, which is "
                       f"({c}, {c}) for {c} channels.")
    explain(got.shape == (c, c),
            f"for features of shape {features.shape} the Gram matrix has one row and one column "
            f"per channel: expected shape ({c}, {c}), got {got.shape}. Flatten to (H*W, C) first.")
    if close(got, expected * h * w):
        explain(False, f"your matrix is {h * w} times too large: divide F^T F by the number of "
                       "positions H*W so that the Gram matrix is an average, the same for a small "
                       "and a large picture.")
    if close(got, expected * h * w / (h * w * c)) or close(got, expected / c):
        explain(False, "divide by the number of positions H*W only, not by the channels as well.")
    explain(close(got, got.T), "a Gram matrix is symmetric (G[i, j] = G[j, i]); yours is not. "
                               "Did you reshape to (C, H*W) without transposing the features first?")
    scrambled = features.reshape(c, h * w).astype(np.float64)
    if close(got, scrambled @ scrambled.T / (h * w)):
        explain(False, "you reshaped the features to (C, H*W) directly: that mixes up positions and "
                       "channels (the channels are the last axis). Reshape to (H*W, C), then F^T F.")
    explain(close(got, expected),
            f"expected G = F^T F / (H W) = {np.round(expected, 3).tolist()}, got "
            f"{np.round(got, 3).tolist()}. G[i, j] is the mean over positions of channel i times channel j.")
    # Another shape: the sizes come from the features, not from constants.
    other = _features(5, h=3, w=6, c=2)
    got_other = to_numpy(call(fn, other.copy()))
    explain(close(got_other, _gram(other)),
            f"for features of shape {other.shape} expected the (2, 2) matrix {np.round(_gram(other), 3).tolist()}, "
            f"got {np.round(got_other, 3).tolist()}: take H, W and C from the features' shape.")


@exercise("6.2", "the style loss of one layer", reference="gan_keras.style:style_loss")
def check_style_loss(fn):
    """Check ``fn(style_features, generated_features)`` is ``sum((G - A)^2) / (4 C^2)`` of the Gram matrices."""
    style, generated = _features(1), _features(2)
    c = style.shape[-1]
    a, g = _gram(style), _gram(generated)
    expected = float(np.sum((g - a) ** 2) / (4.0 * c ** 2))
    got = scalar(call(fn, style.copy(), generated.copy()), "the style loss")
    same = scalar(call(fn, style.copy(), style.copy()), "the style loss")
    explain(abs(same) < 1e-6, f"the style loss of a picture against itself must be 0, got {same:.4g}")
    raw = float(np.sum((generated - style) ** 2))
    if np.isclose(got, raw, rtol=1e-3) or np.isclose(got, raw / (4.0 * c ** 2), rtol=1e-3) \
            or np.isclose(got, 0.5 * raw, rtol=1e-3):
        explain(False, "you compared the features themselves; the style loss compares their Gram "
                       "matrices, so that where things are in the picture does not matter.")
    if np.isclose(got, expected * 4.0 * c ** 2, rtol=1e-3):
        explain(False, f"you forgot the normalisation: divide the sum of squares by 4 C^2 (= {4 * c ** 2} "
                       f"here, for C = {c} channels).")
    if np.isclose(got, expected * 4.0, rtol=1e-3):
        explain(False, "you divided by C^2 only (or took the mean over the C x C entries); "
                       "Gatys' style loss divides the sum by 4 C^2.")
    h, w = style.shape[:2]
    if np.isclose(got, expected * (h * w) ** 2, rtol=1e-3):
        explain(False, "your Gram matrices are not averaged over positions: divide F^T F by H*W "
                       "(exercise 6.1), then the loss is sum((G - A)^2) / (4 C^2).")
    explain(got >= 0, f"a sum of squares cannot be negative, got {got:.4g}")
    explain(np.isclose(got, expected, rtol=1e-3),
            f"expected sum((G - A)^2) / (4 C^2) = {expected:.5g}, got {got:.5g}; G and A are the "
            "Gram matrices (averaged over positions) of the generated and style features.")


@exercise("6.3", "the content loss", reference="gan_keras.style:content_loss")
def check_content_loss(fn):
    """Check ``fn(content_features, generated_features)`` is ``1/2 sum (F - P)^2``."""
    content, generated = _features(3), _features(4)
    expected = 0.5 * float(np.sum((generated.astype(np.float64) - content) ** 2))
    got = scalar(call(fn, content.copy(), generated.copy()), "the content loss")
    explain(got >= 0, f"a sum of squares cannot be negative, got {got:.4g}")
    if np.isclose(got, 2 * expected, rtol=1e-3):
        explain(False, "Gatys' content loss has a factor 1/2 in front of the sum of squares.")
    if np.isclose(got, expected / content.size, rtol=1e-3) or np.isclose(got, 2 * expected / content.size, rtol=1e-3):
        explain(False, "you averaged over the features; Gatys' content loss sums the squared "
                       "differences (times 1/2).")
    gram_version = 0.5 * float(np.sum((_gram(generated) - _gram(content)) ** 2))
    if np.isclose(got, gram_version, rtol=1e-3):
        explain(False, "you compared Gram matrices: that is the style loss. Content compares the "
                       "features themselves, position by position.")
    explain(np.isclose(got, expected, rtol=1e-3),
            f"expected 1/2 sum (F - P)^2 = {expected:.5g}, got {got:.5g}.")
