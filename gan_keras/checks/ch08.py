"""Exercise checks of chapter 08 (the semi-supervised GAN)."""

from __future__ import annotations

import numpy as np

from gan_keras.checks._core import DOUBLE_SIGMOID, call, call_loss, close, exercise, explain, scalar, to_numpy

# Four images, three classes: confident, unsure, all-low (looks fake), very large logits.
CLASS_LOGITS = np.array([[4.0, -1.0, 0.5],
                         [0.2, 0.1, 0.3],
                         [-3.0, -4.0, -2.5],
                         [90.0, 88.0, -5.0]], dtype=np.float32)
FAKE_CLASS_LOGITS = np.array([[-2.0, -1.0, -3.0],
                              [1.0, 0.0, 0.5],
                              [-0.5, -0.5, -0.5],
                              [92.0, -6.0, 1.0]], dtype=np.float32)  # exp(92) overflows float32


def _tensor(x):
    import keras

    return keras.ops.convert_to_tensor(x)


def _logsumexp(x):
    x = np.asarray(x, dtype=np.float64)
    top = x.max(axis=-1, keepdims=True)
    return (top + np.log(np.exp(x - top).sum(axis=-1, keepdims=True)))[..., 0]


def _softplus(x):
    return np.logaddexp(0.0, np.asarray(x, dtype=np.float64))


@exercise("8.1", "the real-against-fake logit of K class logits",
          reference="gan_keras.trainers.sgan:real_fake_logit")
def check_real_fake_logit(fn):
    """Check ``fn(class_logits)`` returns ``logsumexp`` over the classes, one value per image."""
    expected = _logsumexp(CLASS_LOGITS)
    got = to_numpy(call(fn, _tensor(CLASS_LOGITS)), "the real-against-fake logit")
    if got.shape == (len(CLASS_LOGITS), 1):
        got = got[:, 0]
    explain(got.shape == expected.shape,
            f"expected one logit per image, shape {expected.shape}, got shape {got.shape}. Reduce "
            "over the class axis (axis=-1), not over the batch.")
    explain(np.all(np.isfinite(got)),
            "the result has inf or NaN: exp(90) overflows in float32. Subtract the largest logit "
            "before exponentiating, or use keras.ops.logsumexp.")
    if close(got, CLASS_LOGITS.max(axis=-1), rtol=1e-3):
        explain(False, "you took the largest class logit. D(x) = Z / (Z + 1) with Z the sum of "
                       "exp(l_k) over all classes, so the logit is log Z = logsumexp(l): every "
                       "class adds evidence that the image is real.")
    if close(got, np.zeros_like(expected), atol=1e-4):
        explain(False, "you got 0 for every image: the log of a sum of softmax probabilities is "
                       "always log 1. Sum exp(l_k) of the raw logits, not of the softmax.")
    if close(got, CLASS_LOGITS.sum(axis=-1)) or close(got, CLASS_LOGITS.mean(axis=-1)):
        explain(False, "you summed or averaged the logits; the logit of D is log(sum_k exp(l_k)).")
    if close(got, np.log(np.exp(CLASS_LOGITS.astype(np.float64)).sum(axis=-1) + 1.0), rtol=1e-4):
        explain(False, "you added the fake class's exp(0) = 1 inside the log: that gives "
                       "log(Z + 1), the normaliser. The real-against-fake logit is log Z "
                       "(sigmoid(log Z) = Z / (Z + 1)).")
    explain(close(got, expected, rtol=1e-4, atol=1e-4),
            f"expected logsumexp over the classes {np.round(expected, 4).tolist()}, got "
            f"{np.round(got, 4).tolist()}.")


@exercise("8.2", "the SGAN's unsupervised discriminator loss",
          reference="gan_keras.trainers.sgan:unsupervised_loss")
def check_unsupervised_loss(fn):
    """Check ``fn(real_class_logits, fake_class_logits)`` is the real/fake cross-entropy on ``logsumexp``."""
    real, fake = _logsumexp(CLASS_LOGITS), _logsumexp(FAKE_CLASS_LOGITS)
    expected = float(np.mean(_softplus(-real)) + np.mean(_softplus(fake)))
    got = scalar(call_loss(fn, _tensor(CLASS_LOGITS), _tensor(FAKE_CLASS_LOGITS)), "the unsupervised loss")
    explain(np.isfinite(got), f"the loss is {got}, not a finite number: work with logits "
                              "(softplus or from_logits=True) and a stable logsumexp.")
    swapped = float(np.mean(_softplus(real)) + np.mean(_softplus(-fake)))
    if close(got, swapped):
        explain(False, "the labels are swapped: unlabelled real images should be called real "
                       "(label 1), generated images fake (label 0).")
    if close(got, -expected):
        explain(False, "the sign is flipped: the loss to minimise is -log D(x) - log(1 - D(G(z))).")
    sig = lambda x: 1.0 / (1.0 + np.exp(-x))  # noqa: E731
    explain(not close(got, float(np.mean(_softplus(-sig(real))) + np.mean(_softplus(sig(fake))))), DOUBLE_SIGMOID)
    if close(got, float(np.mean(_softplus(-real)) + np.mean(_softplus(-fake)))):
        explain(False, "both batches are called real: generated images take the label 0 (fake), "
                       "so their term is softplus(logsumexp(fake)), -log(1 - D(G(z))).")
    max_real, max_fake = CLASS_LOGITS.max(axis=-1), FAKE_CLASS_LOGITS.max(axis=-1)
    if close(got, float(np.mean(_softplus(-max_real)) + np.mean(_softplus(max_fake))), rtol=1e-3):
        explain(False, "you used the largest class logit as the real/fake logit; use logsumexp "
                       "over the classes (exercise 8.1).")
    if close(got, float(np.mean(_softplus(-real)))) or close(got, float(np.mean(_softplus(fake)))):
        explain(False, "the loss has two terms: real images called real and generated images "
                       "called fake; yours has one.")
    explain(close(got, expected) or close(got, expected / 2),
            f"expected {expected:.5f} = mean softplus(-logsumexp(real)) + mean "
            f"softplus(logsumexp(fake)), got {got:.5f}.")
