"""Every loss the course teaches, as pure functions: tensors in, a scalar out.

Discriminators output **logits** (unbounded scores); ``D(x) = sigmoid(logit)`` is the
probability that ``x`` is real. Working with logits keeps ``log D`` finite where
``sigmoid`` would round to 0 or 1. Labels: real = 1, fake = 0.

With ``softplus(t) = log(1 + e^t)`` the two logs of the lecture are
``log D(x) = -softplus(-l)`` and ``log(1 - D(x)) = -softplus(l)`` for a logit ``l``.

The train steps, the exercise checks and the notebooks all use these definitions.
"""

from __future__ import annotations

from keras import ops

LABEL_REAL = 1.0
LABEL_FAKE = 0.0


def _mean(x):
    return ops.mean(ops.cast(x, "float32"))


def discriminator_loss(real_logits, fake_logits):
    """Return the discriminator's binary cross-entropy: mean over real plus mean over fake.

    ``-E[log D(x)] - E[log(1 - D(G(z)))]``, the negative of the lecture's ``V(D, G)``,
    so minimising it maximises ``V``. Introduced in ``notebooks/02_loss_computation.ipynb``.
    """
    real_loss = _mean(ops.softplus(-ops.cast(real_logits, "float32")))  # real -> label 1
    fake_loss = _mean(ops.softplus(ops.cast(fake_logits, "float32")))  # fake -> label 0
    return real_loss + fake_loss


def generator_loss(fake_logits):
    """Return the non-saturating generator loss ``-E[log D(G(z))]``.

    Introduced in ``notebooks/02_loss_computation.ipynb``.
    """
    return _mean(ops.softplus(-ops.cast(fake_logits, "float32")))


def minimax_generator_loss(fake_logits):
    """Return the original (saturating) generator loss ``E[log(1 - D(G(z)))]``, minimised."""
    return _mean(-ops.softplus(ops.cast(fake_logits, "float32")))


def least_squares_discriminator_loss(real_logits, fake_logits):
    """Return the LSGAN discriminator loss ``E[(D(x) - 1)^2]/2 + E[D(G(z))^2]/2``.

    The discriminator's raw output is used as the score (no sigmoid), as in Mao et al. 2017.
    """
    real = ops.cast(real_logits, "float32")
    fake = ops.cast(fake_logits, "float32")
    return 0.5 * _mean(ops.square(real - LABEL_REAL)) + 0.5 * _mean(ops.square(fake - LABEL_FAKE))


def least_squares_generator_loss(fake_logits):
    """Return the LSGAN generator loss ``E[(D(G(z)) - 1)^2]/2``."""
    return 0.5 * _mean(ops.square(ops.cast(fake_logits, "float32") - LABEL_REAL))


def wasserstein_critic_loss(real_scores, fake_scores):
    """Return the WGAN critic loss ``E[f(G(z))] - E[f(x)]`` (the critic's scores are raw)."""
    return _mean(fake_scores) - _mean(real_scores)


def wasserstein_generator_loss(fake_scores):
    """Return the WGAN generator loss ``-E[f(G(z))]``."""
    return -_mean(fake_scores)


def hinge_discriminator_loss(real_logits, fake_logits):
    """Return the hinge loss ``E[relu(1 - D(x))] + E[relu(1 + D(G(z)))]``."""
    real = ops.cast(real_logits, "float32")
    fake = ops.cast(fake_logits, "float32")
    return _mean(ops.relu(1.0 - real)) + _mean(ops.relu(1.0 + fake))


def hinge_generator_loss(fake_logits):
    """Return the hinge generator loss ``-E[D(G(z))]``."""
    return -_mean(fake_logits)


def value_function(real_logits, fake_logits):
    """Return the lecture's game value ``V(D, G) = E[log D(x)] + E[log(1 - D(G(z)))]``.

    At the equilibrium (``D = 1/2`` everywhere) it equals ``-log 4``.
    """
    return -discriminator_loss(real_logits, fake_logits)


def gradient_penalty(critic, real, fake, alpha=None, seed=None):
    """Return the WGAN-GP penalty ``E[(||grad f(x_hat)|| - 1)^2]`` on random interpolates.

    ``x_hat = alpha * real + (1 - alpha) * fake`` with ``alpha ~ U(0, 1)`` per example.
    The norm is taken as ``sqrt(sum g^2 + 1e-12)`` so that its own gradient stays finite
    when the critic's gradient is exactly zero (the plain ``norm`` has a NaN gradient there).
    The gradient is the engine's (``GradientTape``, ``jax.grad`` or autograd), so the
    penalty can itself be differentiated inside the critic's loss on every backend.
    """
    import keras

    from gan_keras import engine

    real = ops.cast(real, "float32")
    fake = ops.cast(fake, "float32")
    batch = ops.shape(real)[0]
    if alpha is None:
        alpha_shape = [batch] + [1] * (len(real.shape) - 1)
        alpha = keras.random.uniform(alpha_shape, seed=seed)
    mixed = alpha * real + (1.0 - alpha) * fake
    _, grads = engine.input_gradient(lambda x: ops.sum(critic(x, training=True)), mixed)
    grads = ops.reshape(grads, (batch, -1))
    norms = ops.sqrt(ops.sum(ops.square(grads), axis=1) + 1e-12)
    return _mean(ops.square(norms - 1.0))


# name -> (discriminator loss, generator loss, discriminator outputs are probabilities' logits)
LOSSES = {
    "non_saturating": (discriminator_loss, generator_loss, True),
    "minimax": (discriminator_loss, minimax_generator_loss, True),
    "least_squares": (least_squares_discriminator_loss, least_squares_generator_loss, False),
    "wasserstein": (wasserstein_critic_loss, wasserstein_generator_loss, False),
    "hinge": (hinge_discriminator_loss, hinge_generator_loss, False),
}
LOSS_ALIASES = {"ns": "non_saturating", "nsgan": "non_saturating", "lsgan": "least_squares",
                "wgan": "wasserstein", "wgan-gp": "wasserstein", "wgan_gp": "wasserstein"}


def get_loss_pair(name: str):
    """Return ``(d_loss_fn, g_loss_fn, outputs_are_logits)`` for a loss name."""
    if not isinstance(name, str):
        raise TypeError(f"loss must be a name such as 'non_saturating', got {type(name).__name__}")
    key = LOSS_ALIASES.get(name.lower(), name.lower())
    if key not in LOSSES:
        raise ValueError(f"unknown loss {name!r}: expected one of {', '.join(LOSSES)}")
    return LOSSES[key]


def canonical_loss_name(name: str) -> str:
    """Return the canonical name of a loss (``'lsgan'`` -> ``'least_squares'``)."""
    get_loss_pair(name)
    return LOSS_ALIASES.get(name.lower(), name.lower())
