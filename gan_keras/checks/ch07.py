"""Exercise checks of chapter 07 (VAE against GAN): the reparameterisation trick and the KL term."""

from __future__ import annotations

import numpy as np

from gan_keras.checks._core import call, close, exercise, explain, scalar, to_numpy

# Five examples of a 3-d latent space: batch and latent sizes differ, so a sum or a mean over
# the wrong axis (or "mean over everything times the batch size") gives another number.
MEAN = np.array([[0.5, -1.0, 0.0], [2.0, 0.3, -0.4], [-0.8, 1.1, 0.6], [0.1, 0.9, -1.7],
                 [1.3, -0.2, 0.4]], dtype=np.float32)
LOG_VAR = np.array([[0.0, -2.0, 1.0], [-0.5, 0.7, -1.2], [0.4, -0.3, 0.2], [1.1, -0.8, 0.5],
                    [-1.5, 0.3, -0.1]], dtype=np.float32)
EPSILON = np.array([[1.0, -0.5, 2.0], [0.3, -1.5, 0.8], [-1.2, 0.4, 0.9], [0.6, 1.7, -0.3],
                    [-0.9, -0.2, 1.4]], dtype=np.float32)


def _tensor(x):
    import keras

    return keras.ops.convert_to_tensor(x)


@exercise("7.1", "the reparameterisation trick", reference="gan_keras.models.vae:reparameterize")
def check_reparameterize(fn):
    """Check ``fn(mean, log_var, epsilon)`` returns ``mean + exp(log_var / 2) * epsilon``."""
    got = to_numpy(call(fn, _tensor(MEAN), _tensor(LOG_VAR), _tensor(EPSILON)), "your z")
    std = np.exp(0.5 * LOG_VAR.astype(np.float64))
    expected = MEAN + std * EPSILON
    explain(got.shape == expected.shape,
            f"z should have the shape of mean, {expected.shape}, got {got.shape}: one sample per row.")
    if close(got, MEAN + np.exp(LOG_VAR) * EPSILON):
        explain(False, "you scaled epsilon by exp(log_var), the variance. A N(0, 1) sample is "
                       "scaled by the standard deviation: sigma = exp(log_var / 2).")
    if close(got, MEAN + LOG_VAR * EPSILON):
        explain(False, "log_var is the logarithm of the variance, not a standard deviation: "
                       "sigma = exp(log_var / 2).")
    if close(got, MEAN + np.sqrt(np.abs(LOG_VAR)) * EPSILON):
        explain(False, "the square root of log_var is not sigma: undo the log first, "
                       "sigma = exp(log_var / 2).")
    if close(got, MEAN):
        explain(False, "z equals the mean: the noise is missing. Without epsilon the encoder "
                       "is a plain autoencoder and the prior cannot be sampled.")
    if close(got, std * EPSILON):
        explain(False, "the mean is missing: z = mean + sigma * epsilon.")
    if close(got, MEAN + np.exp(-0.5 * LOG_VAR.astype(np.float64)) * EPSILON):
        explain(False, "the sign inside the exponential is flipped: sigma = exp(+log_var / 2).")
    again = to_numpy(call(fn, _tensor(MEAN), _tensor(LOG_VAR), _tensor(EPSILON)), "your z")
    explain(close(got, again), "two calls with the same mean, log_var and epsilon gave different z: your "
                               "function draws its own noise. Use the epsilon it is given (the trick "
                               "keeps the randomness outside, in epsilon).")
    explain(close(got, expected),
            "expected z = mean + exp(log_var / 2) * epsilon, so that z ~ N(mean, exp(log_var)) "
            "while the randomness stays in epsilon and gradients reach mean and log_var.")


def _kl(mean, log_var):
    mean, log_var = mean.astype(np.float64), log_var.astype(np.float64)
    return -0.5 * (1 + log_var - mean ** 2 - np.exp(log_var))


@exercise("7.2", "the KL term of the VAE loss", reference="gan_keras.trainers.vae:kl_loss")
def check_kl_loss(fn):
    """Check ``fn(z_mean, z_log_var)`` returns the closed-form KL to N(0, I), summed over dims, batch mean."""
    got = scalar(call(fn, _tensor(MEAN), _tensor(LOG_VAR)), "the KL term")
    per_dim = _kl(MEAN, LOG_VAR)
    expected = float(per_dim.sum(axis=1).mean())
    explain(np.isfinite(got), f"the KL term is {got}: not a finite number.")
    if close(got, -expected):
        explain(False, "the sign is flipped: a KL divergence is never negative. "
                       "KL = -1/2 sum(1 + log_var - mean^2 - exp(log_var)).")
    if close(got, float(per_dim.mean())):
        explain(False, "you averaged over the latent dimensions: sum them (the KL of independent "
                       "dimensions adds up), then average over the batch. Averaging shrinks the "
                       "KL next to the reconstruction term, which is summed over pixels.")
    if close(got, float(per_dim.sum())):
        explain(False, "you summed over the batch too: take the mean over the batch, so that "
                       "the loss does not grow with the batch size.")
    if close(got, float(per_dim.mean(axis=1).sum())):
        # Also "the mean over everything times the batch size": both are sum / latent_dim.
        explain(False, "the reductions are swapped: that is a sum over the batch and a mean over the "
                       "latent dimensions (the same number as the mean over everything times the batch "
                       "size). Sum over the latent axis (axis=-1), then average over the batch.")
    if close(got, 2 * expected):
        explain(False, "the factor 1/2 is missing: KL = -1/2 sum(1 + log_var - mean^2 - exp(log_var)).")
    with_std = -0.5 * (1 + LOG_VAR - MEAN ** 2 - np.exp(0.5 * LOG_VAR))
    if close(got, float(with_std.sum(axis=1).mean())):
        explain(False, "exp(log_var) is the variance; you used exp(log_var / 2), the standard "
                       "deviation.")
    explain(close(got, expected),
            f"expected {expected:.5f} = mean over the batch of -1/2 sum(1 + log_var - mean^2 - "
            f"exp(log_var)), got {got:.5f}.")


# The plain autoencoder's loss: images (batch 3, 4x5 pixels, 2 channels: every axis of its own
# length, so "mean over pixels", "summed over the batch" and a transposed reshape all differ).
AE_IMAGES = np.random.default_rng(7).uniform(-1.0, 1.0, (3, 4, 5, 2)).astype(np.float32)
AE_LOGITS = np.random.default_rng(8).normal(0.0, 2.0, (3, 4, 5, 2)).astype(np.float32)


def _bce_per_pixel(targets, logits):
    targets, logits = targets.astype(np.float64), logits.astype(np.float64)
    return np.maximum(logits, 0) - logits * targets + np.log1p(np.exp(-np.abs(logits)))


@exercise("7.3", "the plain autoencoder's reconstruction loss",
          reference="gan_keras.trainers.autoencoder:reconstruction_loss")
def check_autoencoder_loss(fn):
    """Check ``fn(images, logits)`` returns the Bernoulli NLL of ``[-1, 1]`` images, summed per image, batch mean."""
    got = scalar(call(fn, _tensor(AE_IMAGES), _tensor(AE_LOGITS)), "the reconstruction loss")
    targets = (AE_IMAGES.astype(np.float64) + 1.0) / 2.0
    per_pixel = _bce_per_pixel(targets, AE_LOGITS)
    expected = float(per_pixel.reshape(3, -1).sum(axis=1).mean())
    explain(np.isfinite(got), f"the reconstruction loss is {got}: not a finite number.")
    if close(got, -expected):
        explain(False, "the sign is flipped: a negative log-likelihood is >= 0 and is minimised.")
    if close(got, float(_bce_per_pixel(AE_IMAGES, AE_LOGITS).reshape(3, -1).sum(axis=1).mean())):
        explain(False, "the targets are the images in [-1, 1]: a Bernoulli pixel needs a target in "
                       "[0, 1], so map them first with (images + 1) / 2.")
    if close(got, float(per_pixel.mean())):
        explain(False, "you averaged over the pixels: sum them (one log-likelihood per image, in nats), "
                       "then average over the batch. The VAE's KL term is summed the same way, so a "
                       "per-pixel mean would make the two losses incomparable.")
    if close(got, float(per_pixel.sum())):
        explain(False, "you summed over the batch too: take the mean over the batch, so that the loss "
                       "does not grow with the batch size.")
    probs = 1.0 / (1.0 + np.exp(-AE_LOGITS.astype(np.float64)))
    if close(got, float(np.sum((probs - targets) ** 2) / 3)) or \
            close(got, float(np.sum((np.tanh(AE_LOGITS / 2.0) - AE_IMAGES) ** 2) / 3)):
        explain(False, "that is a squared error: the course's autoencoder scores pixels as Bernoulli "
                       "variables, -[t log p + (1 - t) log(1 - p)] with p = sigmoid(logit), the same "
                       "term as the VAE's, so that the two are measured in the same units.")
    # Keras clips probabilities to [1e-7, 1 - 1e-7] in float32
    clipped = np.clip(AE_LOGITS, np.float32(1e-7), np.float32(1 - 1e-7)).astype(np.float64)
    as_probs = -(targets * np.log(clipped) + (1 - targets) * np.log(1 - clipped))
    if close(got, float(as_probs.reshape(3, -1).sum(axis=1).mean())) or close(got, float(as_probs.mean())):
        explain(False, "the decoder's 'logits' layer gives logits, not probabilities: use a cross-entropy "
                       "from logits (from_logits=True), or apply the sigmoid first.")
    explain(close(got, expected),
            f"expected {expected:.4f} = mean over the batch of the sum over pixels of "
            f"-[t log sigmoid(l) + (1 - t) log(1 - sigmoid(l))] with t = (image + 1) / 2, got {got:.4f}.")
