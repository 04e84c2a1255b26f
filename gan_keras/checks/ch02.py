"""Exercise checks of chapter 02 (loss computation)."""

from __future__ import annotations

import numpy as np

from gan_keras import losses
from gan_keras.checks._core import call, close, exercise, explain, scalar

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
    result = call(fn, _tensor(REAL_LOGITS), _tensor(FAKE_LOGITS))
    real, fake = REAL_LOGITS, FAKE_LOGITS
    expected = float(losses.discriminator_loss(real, fake))
    got = scalar(result, "the discriminator loss")
    explain(np.isfinite(got), f"the loss is {got}: not a finite number. If you took log(D) "
                              "of the logits directly, remember they are scores, not probabilities: "
                              "use sigmoid first, or better from_logits=True / softplus.")
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
    got = scalar(call(fn, _tensor(fake)), "the generator loss")
    expected = float(losses.generator_loss(fake))
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
