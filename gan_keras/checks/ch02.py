"""Exercise checks of chapter 02 (loss computation)."""

from __future__ import annotations

import numpy as np

from gan_keras import losses
from gan_keras.checks._core import DOUBLE_SIGMOID, call_loss, close, exercise, explain, scalar

REAL_LOGITS = np.array([[2.0], [0.5], [-1.0], [3.0]], dtype=np.float32)
FAKE_LOGITS = np.array([[-2.0], [0.3], [1.5], [-0.5]], dtype=np.float32)


def _softplus(x):
    return np.logaddexp(0.0, np.asarray(x, dtype=np.float64))


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def _tensor(x):
    import keras

    return keras.ops.convert_to_tensor(x)


@exercise("2.1", "the discriminator loss", reference="gan_keras.losses:discriminator_loss")
def check_discriminator_loss(fn):
    """Check ``fn(real_logits, fake_logits)`` returns the mean binary cross-entropy of D."""
    result = call_loss(fn, _tensor(REAL_LOGITS), _tensor(FAKE_LOGITS))
    real, fake = REAL_LOGITS, FAKE_LOGITS
    expected = float(losses.discriminator_loss(real, fake))
    got = scalar(result, "the discriminator loss")
    twice = float(np.mean(_softplus(-_sigmoid(real))) + np.mean(_softplus(_sigmoid(fake))))
    explain(np.isfinite(got), f"the loss is {got}: not a finite number. If you took log(D) "
                              "of the logits directly, remember they are scores, not probabilities: "
                              "use sigmoid first, or better from_logits=True / softplus.")
    explain(not (close(got, twice) or close(got, twice / 2)), DOUBLE_SIGMOID)
    if close(got, -expected):
        explain(False, "the sign is flipped: the discriminator maximises log D(x) + log(1 - D(G(z))), "
                       "so the loss to minimise is its negative (a positive number).")
    swapped = float(np.mean(_softplus(real)) + np.mean(_softplus(-fake)))
    if close(got, swapped) or close(got, swapped / 2):
        explain(False, "the labels are swapped: real images take the label 1 and generated "
                       "images the label 0.")
    p_real = np.clip(real, 1e-7, 1 - 1e-7)
    p_fake = np.clip(fake, 1e-7, 1 - 1e-7)
    as_probs = float(np.mean(-np.log(p_real)) + np.mean(-np.log(1 - p_fake)))
    if close(got, as_probs, rtol=1e-3) or close(got, as_probs / 2, rtol=1e-3):
        explain(False, "the inputs are logits (any real number), but your loss treats them as "
                       "probabilities. Use from_logits=True, or apply sigmoid first.")
    summed = float(np.sum(_softplus(-real)) + np.sum(_softplus(fake)))
    if close(got, summed):
        explain(False, "you summed over the batch: take the mean, so that the loss does not "
                       "grow with the batch size.")
    only_real = float(np.mean(_softplus(-real)))
    if close(got, only_real) or close(got, expected - only_real):
        explain(False, "the discriminator loss has two terms, one on real images (label 1) "
                       "and one on generated images (label 0); yours has only one.")
    # Both conventions are common: mean over real + mean over fake (TensorFlow's DCGAN
    # tutorial, this package) or one mean over the concatenated batch (half of it here).
    explain(close(got, expected) or close(got, expected / 2),
            f"expected {expected:.5f} (mean BCE on real with label 1 plus mean BCE on fake with "
            f"label 0), got {got:.5f}.")


@exercise("2.2", "the non-saturating generator loss", reference="gan_keras.losses:generator_loss")
def check_generator_loss(fn):
    """Check ``fn(fake_logits)`` returns the non-saturating loss ``-mean(log D(G(z)))``."""
    fake = FAKE_LOGITS
    got = scalar(call_loss(fn, _tensor(fake)), "the generator loss")
    expected = float(losses.generator_loss(fake))
    explain(not close(got, float(np.mean(_softplus(-_sigmoid(fake))))), DOUBLE_SIGMOID)
    explain(np.isfinite(got), f"the loss is {got}: not a finite number. The inputs are logits; "
                              "use from_logits=True or softplus.")
    saturating = float(np.mean(-_softplus(fake)))
    if close(got, saturating):
        explain(False, "this is the original (saturating) loss log(1 - D(G(z))). The exercise "
                       "asks for the non-saturating one: minimise -log D(G(z)), i.e. binary "
                       "cross-entropy of the fake logits against the label 1 ('real').")
    if close(got, -saturating):
        explain(False, "the label is wrong: you scored the generated images against the label 0 "
                       "(the discriminator's target for fakes). The generator wants them taken "
                       "for real, so its loss uses the label 1.")
    if close(got, -expected):
        explain(False, "the sign is flipped: the generator wants D(G(z)) near 1, so it minimises "
                       "-log D(G(z)), a positive number.")
    as_probs = float(np.mean(-np.log(np.clip(fake, 1e-7, 1 - 1e-7))))
    if close(got, as_probs, rtol=1e-3):
        explain(False, "the inputs are logits, not probabilities: use from_logits=True, or apply "
                       "sigmoid first.")
    if close(got, float(np.sum(_softplus(-fake)))):
        explain(False, "you summed over the batch: take the mean.")
    explain(close(got, expected),
            f"expected {expected:.5f} = mean(-log sigmoid(fake_logits)), got {got:.5f}. "
            "The generator is scored as if its images were real: label 1.")


SCORES_REAL = np.array([[0.9], [0.2], [1.4], [-0.3]], dtype=np.float32)
SCORES_FAKE = np.array([[0.1], [-0.6], [0.7], [1.2]], dtype=np.float32)


@exercise("2.3", "the least-squares (LSGAN) discriminator loss",
          reference="gan_keras.losses:least_squares_discriminator_loss")
def check_least_squares_discriminator_loss(fn):
    """Check ``fn(real_scores, fake_scores)`` returns ``E[(D(x) - 1)^2]/2 + E[D(G(z))^2]/2`` on raw scores."""
    real, fake = SCORES_REAL.astype(np.float64), SCORES_FAKE.astype(np.float64)
    got = scalar(call_loss(fn, _tensor(SCORES_REAL), _tensor(SCORES_FAKE)), "the LSGAN discriminator loss")
    expected = float(losses.least_squares_discriminator_loss(SCORES_REAL, SCORES_FAKE))
    explain(np.isfinite(got), f"the loss is {got}: not a finite number.")

    def ls(r, f, a=1.0, b=0.0, half=0.5):
        return half * np.mean((r - a) ** 2) + half * np.mean((f - b) ** 2)

    if close(got, ls(real, fake, a=0.0, b=1.0)):
        explain(False, "the targets are swapped: real images are pulled to 1 and generated images "
                       "to 0, so the loss is (D(x) - 1)^2 on real and D(G(z))^2 on fake.")
    if close(got, ls(_sigmoid(real), _sigmoid(fake))):
        explain(False, "you applied sigmoid first: LSGAN's discriminator outputs a raw score and "
                       "the squares are taken on that score (the sigmoid is what saturates).")
    if close(got, ls(real, fake, half=1.0)):
        explain(False, "the factor 1/2 is missing: the course follows Mao et al. (2017), "
                       "L_D = 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2].")
    if close(got, 0.5 * np.sum((real - 1) ** 2) + 0.5 * np.sum(fake ** 2)):
        explain(False, "you summed over the batch: take the mean.")
    if close(got, 0.5 * np.mean(np.abs(real - 1)) + 0.5 * np.mean(np.abs(fake))):
        explain(False, "these are absolute differences; least squares means squared differences.")
    if close(got, -expected):
        explain(False, "the sign is flipped: a squared distance to the target is minimised, so the "
                       "loss is positive.")
    only = [0.5 * np.mean((real - 1) ** 2), 0.5 * np.mean(fake ** 2)]
    if any(close(got, o) for o in only):
        explain(False, "the loss has two terms, one on real scores (target 1) and one on generated "
                       "scores (target 0); yours has only one.")
    explain(close(got, expected),
            f"expected {expected:.5f} = 1/2 mean((real - 1)^2) + 1/2 mean(fake^2), got {got:.5f}.")


@exercise("2.4", "the value of the game V(D, G)", reference="gan_keras.losses:value_function")
def check_value_function(fn):
    """Check ``fn(real_logits, fake_logits)`` returns ``V = mean log D(x) + mean log(1 - D(G(z)))``."""
    real, fake = REAL_LOGITS.astype(np.float64), FAKE_LOGITS.astype(np.float64)
    got = scalar(call_loss(fn, _tensor(REAL_LOGITS), _tensor(FAKE_LOGITS)), "V(D, G)")
    expected = float(losses.value_function(REAL_LOGITS, FAKE_LOGITS))
    twice = float(np.mean(-_softplus(-_sigmoid(real))) + np.mean(-_softplus(_sigmoid(fake))))
    explain(not close(got, twice), DOUBLE_SIGMOID)
    explain(np.isfinite(got), f"V is {got}: not a finite number. The inputs are logits: "
                              "log D(x) = -softplus(-l), log(1 - D(x)) = -softplus(l).")
    if close(got, -expected):
        explain(False, "the sign is flipped: you returned the discriminator's loss. V itself is "
                       "a sum of logs of probabilities, so it is negative (at most 0).")
    if close(got, float(np.mean(-_softplus(-real)) + np.mean(-_softplus(-fake)))):
        explain(False, "the second term is log(1 - D(G(z))), not log D(G(z)): the discriminator "
                       "scores a point for every generated image it calls fake.")
    p_real, p_fake = np.clip(real, 1e-7, 1 - 1e-7), np.clip(fake, 1e-7, 1 - 1e-7)
    # A loose tolerance: where a logit is clipped, float32 and float64 clipping differ.
    if close(got, float(np.mean(np.log(p_real)) + np.mean(np.log(1 - p_fake))), rtol=3e-2):
        explain(False, "the inputs are logits, not probabilities: D = sigmoid(logit).")
    if close(got, float(np.sum(-_softplus(-real)) + np.sum(-_softplus(fake)))):
        explain(False, "you summed over the batch: V is an expectation, so take the mean.")
    explain(close(got, expected),
            f"expected V = {expected:.5f} (mean log D(x) + mean log(1 - D(G(z)))), got {got:.5f}.")
    # At the equilibrium D = 1/2 everywhere (logit 0), V = log 1/2 + log 1/2 = -log 4.
    zeros = np.zeros((4, 1), dtype=np.float32)
    at_equilibrium = scalar(call_loss(fn, _tensor(zeros), _tensor(zeros)), "V at the equilibrium")
    explain(close(at_equilibrium, -np.log(4.0)),
            f"with D = 1/2 everywhere (all logits 0) V must be -log 4 = {-np.log(4.0):.5f}, "
            f"got {at_equilibrium:.5f}.")
