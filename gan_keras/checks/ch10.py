"""Exercise checks of chapter 10 (image-to-image translation: pix2pix, SRGAN, DiscoGAN)."""

from __future__ import annotations

import numpy as np

from gan_keras.checks._core import DOUBLE_SIGMOID, call, call_loss, close, exercise, explain, scalar

_RNG = np.random.default_rng(10)
# Patch logits of a PatchGAN (batch 2, 3x4 patches) and small batches of images, every axis
# with its own length (batch, height, width, channels), so a wrong axis or reduction shows.
FAKE_LOGITS = _RNG.normal(0.0, 1.5, size=(2, 3, 4, 1)).astype(np.float32)
FAKE_IMAGES = np.tanh(_RNG.normal(0.0, 1.0, size=(2, 5, 7, 3))).astype(np.float32)
TARGET_IMAGES = np.tanh(_RNG.normal(0.0, 1.0, size=(2, 5, 7, 3))).astype(np.float32)
REAL_A = np.tanh(_RNG.normal(0.0, 1.0, size=(3, 4, 6, 2))).astype(np.float32)
REAL_B = np.tanh(_RNG.normal(0.0, 1.0, size=(3, 4, 6, 2))).astype(np.float32)
L1_WEIGHT = 100.0


def _tensor(x):
    import keras

    return keras.ops.convert_to_tensor(x)


def _softplus(x):
    return np.logaddexp(0.0, np.asarray(x, dtype=np.float64))


# Two generators that do not undo each other, and whose order matters.
def _np_ab(x):
    return np.tanh(2.0 * np.asarray(x, np.float64) + 0.3)


def _np_ba(x):
    return 0.8 * np.asarray(x, np.float64) - 0.1


def _generator_ab(x):
    from keras import ops

    return ops.tanh(2.0 * ops.cast(x, "float32") + 0.3)


def _generator_ba(x):
    from keras import ops

    return 0.8 * ops.cast(x, "float32") - 0.1


@exercise("10.1", "the pix2pix generator loss", reference="gan_keras.trainers.pix2pix:pix2pix_generator_loss")
def check_pix2pix_generator_loss(fn):
    """Check ``fn(fake_logits, fake_images, target_images, l1_weight)`` = adversarial + weight * L1."""
    got = scalar(call_loss(fn, _tensor(FAKE_LOGITS), _tensor(FAKE_IMAGES), _tensor(TARGET_IMAGES), L1_WEIGHT),
                 "the pix2pix generator loss")
    explain(np.isfinite(got), f"the loss is {got}: not a finite number. The discriminator gives logits; "
                              "use softplus or from_logits=True rather than log(sigmoid(...)).")
    adversarial = float(np.mean(_softplus(-FAKE_LOGITS)))
    diff = np.asarray(TARGET_IMAGES, np.float64) - FAKE_IMAGES
    l1 = float(np.mean(np.abs(diff)))
    expected = adversarial + L1_WEIGHT * l1
    twice = float(np.mean(_softplus(-1.0 / (1.0 + np.exp(-FAKE_LOGITS.astype(np.float64))))))
    explain(not close(got, twice + L1_WEIGHT * l1), DOUBLE_SIGMOID)
    p_fake = np.clip(FAKE_LOGITS.astype(np.float64), 1e-7, 1 - 1e-7)
    if close(got, float(np.mean(-np.log(p_fake))) + L1_WEIGHT * l1, rtol=1e-3):
        explain(False, "the adversarial term treats the patch logits as probabilities: use "
                       "from_logits=True, or softplus(-logits).")
    if close(got, L1_WEIGHT * l1):
        explain(False, "only the L1 term is there: without the adversarial term -log D(x, G(x)) the "
                       "generator is plain regression and its outputs turn blurry (the average of the "
                       "plausible answers).")
    if close(got, adversarial):
        explain(False, "only the adversarial term is there: add l1_weight times the mean absolute "
                       "difference between the target and the generated image, which keeps the output "
                       "on the target that belongs to this input.")
    if close(got, adversarial + l1):
        explain(False, "the L1 term is not weighted: multiply it by l1_weight (lambda = 100 in the paper).")
    if close(got, adversarial + L1_WEIGHT * float(np.mean(diff ** 2))):
        explain(False, "that is a squared (L2) distance: pix2pix uses L1, the mean absolute difference, "
                       "which blurs less than L2.")
    if close(got, float(np.mean(_softplus(FAKE_LOGITS))) + L1_WEIGHT * l1) or \
            close(got, float(np.mean(-_softplus(FAKE_LOGITS))) + L1_WEIGHT * l1):
        explain(False, "the adversarial term scores the generated images against the label 0: the "
                       "generator wants D to answer 'real', so use -log D(x, G(x)) = softplus(-logits).")
    if close(got, float(np.sum(_softplus(-FAKE_LOGITS))) + L1_WEIGHT * l1) or \
            close(got, adversarial + L1_WEIGHT * float(np.sum(np.abs(diff)))):
        explain(False, "you summed over the patches or pixels: take means, so the loss does not grow "
                       "with the image size.")
    explain(close(got, expected), f"expected {expected:.5f} (adversarial {adversarial:.5f} + "
                                  f"{L1_WEIGHT:g} x L1 {l1:.5f}), got {got:.5f}.")
    # A second weight catches a hard-coded 100.
    got_10 = scalar(call_loss(fn, _tensor(FAKE_LOGITS), _tensor(FAKE_IMAGES), _tensor(TARGET_IMAGES), 10.0),
                    "the pix2pix generator loss")
    explain(close(got_10, adversarial + 10.0 * l1),
            "with l1_weight=10 the loss should be adversarial + 10 x L1: use the l1_weight argument "
            "rather than a fixed number.")


@exercise("10.2", "the DiscoGAN reconstruction (cycle) loss", reference="gan_keras.trainers.discogan:cycle_loss")
def check_cycle_loss(fn):
    """Check ``fn(real_a, real_b, generator_ab, generator_ba)`` = E|a - G_BA(G_AB(a))| + E|b - G_AB(G_BA(b))|."""
    identity = lambda x: x  # noqa: E731
    got_identity = scalar(call(fn, _tensor(REAL_A), _tensor(REAL_B), identity, identity), "the cycle loss")
    explain(abs(got_identity) < 1e-6,
            f"with two identity generators every round trip returns the image itself, so the loss must "
            f"be 0, got {got_identity:.5f}.")
    got = scalar(call(fn, _tensor(REAL_A), _tensor(REAL_B), _generator_ab, _generator_ba), "the cycle loss")
    a, b = REAL_A.astype(np.float64), REAL_B.astype(np.float64)
    loss_a = float(np.mean(np.abs(a - _np_ba(_np_ab(a)))))
    loss_b = float(np.mean(np.abs(b - _np_ab(_np_ba(b)))))
    expected = loss_a + loss_b
    explain(np.isfinite(got), f"the loss is {got}: not a finite number.")
    if close(got, loss_a) or close(got, loss_b):
        explain(False, "only one round trip is there: DiscoGAN reconstructs both ways, "
                       "A -> B -> A and B -> A -> B, and adds the two distances.")
    translation = float(np.mean(np.abs(a - _np_ab(a))) + np.mean(np.abs(b - _np_ba(b))))
    if close(got, translation):
        explain(False, "you compared each image with its translation, G_AB(a) with a: the images of "
                       "the two domains are meant to differ. Compare a with the way back, G_BA(G_AB(a)).")
    swapped = float(np.mean(np.abs(a - _np_ab(_np_ba(a)))) + np.mean(np.abs(b - _np_ba(_np_ab(b)))))
    if close(got, swapped):
        explain(False, "the generators are applied in the wrong order: an A image goes through "
                       "generator_ab first (to B), then generator_ba (back to A).")
    squared = float(np.mean((a - _np_ba(_np_ab(a))) ** 2) + np.mean((b - _np_ab(_np_ba(b))) ** 2))
    if close(got, squared):
        explain(False, "that is a squared distance; this exercise asks for the L1 distance, the mean "
                       "absolute difference (the original DiscoGAN also tried squared errors; L1 is "
                       "what the package uses).")
    if close(got, expected / 2):
        explain(False, "you averaged the two round trips: add them instead.")
    summed = float(np.sum(np.abs(a - _np_ba(_np_ab(a)))) + np.sum(np.abs(b - _np_ab(_np_ba(b)))))
    if close(got, summed):
        explain(False, "you summed over the pixels: take the mean, so the loss does not grow with "
                       "the image size.")
    explain(close(got, expected), f"expected {expected:.5f} (A -> B -> A: {loss_a:.5f}, "
                                  f"B -> A -> B: {loss_b:.5f}), got {got:.5f}.")
