"""Each ``compile(loss=...)`` choice really trains with its own formula.

On a fixed batch (fixed real samples, fixed noise, fixed labels) one ``train_step`` of
``GAN`` and of ``ConditionalGAN`` must report ``d_loss`` and ``g_loss`` equal to the
loss's formula, written out below with plain TensorFlow ops (not ``gan_keras.losses``),
and must move the weights by exactly ``-learning_rate * gradient`` of that formula (plain
SGD). The formulas of the five losses differ on this batch (checked first), so a choice
wired to another loss's functions, a swapped real/fake pair or a missing gradient penalty
fails. Measured on the fixed batch (d_loss, g_loss): non-saturating (2.417, 1.331), minimax
(2.417, -1.028), least squares (7.410, 3.251), Wasserstein (-0.559, 0.303; 32.59 with the
penalty), hinge (3.209, 0.303): the closest two (non-saturating, hinge) differ by 1.03,
against a tolerance of 1e-5. Wired wrongly on purpose, the test fails: hinge wired to the
Wasserstein functions reports d_loss -0.559 for the formula's 3.209; minimax wired to the
non-saturating pair g_loss 0.925 for -1.405; least squares with real and fake swapped d_loss
7.969 for 7.410; Wasserstein with its critic's sign flipped 33.71 for 32.59.
"""

import itertools

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_keras import engine
from gan_keras.trainers.cgan import ConditionalGAN
from gan_keras.trainers.gan import GAN

# The formulas are written with TensorFlow ops; tests/test_engine.py shows the JAX engine
# trains a GAN to TensorFlow's weights (the losses are the same keras.ops on every backend).
pytestmark = pytest.mark.tensorflow_only

LATENT, FEATURES, BATCH, CLASSES = 3, 5, 7, 4
LEARNING_RATE = 0.1
GP_WEIGHT = 10.0  # the default for "wasserstein" (WGAN-GP)


def _log_d(logits):
    return tf.math.log(tf.sigmoid(logits))


def _log_1_minus_d(logits):
    return tf.math.log(1.0 - tf.sigmoid(logits))


# name -> (d_loss(real, fake), g_loss(fake)), the lecture's formulas on the raw outputs
FORMULAS = {
    "non_saturating": (lambda r, f: -tf.reduce_mean(_log_d(r)) - tf.reduce_mean(_log_1_minus_d(f)),
                       lambda f: -tf.reduce_mean(_log_d(f))),
    "minimax": (lambda r, f: -tf.reduce_mean(_log_d(r)) - tf.reduce_mean(_log_1_minus_d(f)),
                lambda f: tf.reduce_mean(_log_1_minus_d(f))),
    "least_squares": (lambda r, f: 0.5 * tf.reduce_mean((r - 1.0) ** 2) + 0.5 * tf.reduce_mean(f ** 2),
                      lambda f: 0.5 * tf.reduce_mean((f - 1.0) ** 2)),
    "wasserstein": (lambda r, f: tf.reduce_mean(f) - tf.reduce_mean(r),
                    lambda f: -tf.reduce_mean(f)),
    "hinge": (lambda r, f: tf.reduce_mean(tf.nn.relu(1.0 - r)) + tf.reduce_mean(tf.nn.relu(1.0 + f)),
              lambda f: -tf.reduce_mean(f)),
}
ALIASES = {"lsgan": "least_squares", "wgan": "wasserstein", "ns": "non_saturating"}


def fixed_batch():
    rng = np.random.default_rng(3)
    real = rng.normal(0.5, 1.0, (BATCH, FEATURES)).astype("float32")
    z_d = rng.standard_normal((BATCH, LATENT)).astype("float32")
    z_g = rng.standard_normal((BATCH, LATENT)).astype("float32")
    alpha = rng.uniform(0, 1, (BATCH, 1)).astype("float32")
    labels = np.array([0, 1, 2, 3, 1, 2, 0], "int32")
    fake_labels_d = np.array([3, 2, 1, 0, 0, 1, 2], "int32")
    fake_labels_g = np.array([1, 1, 3, 0, 2, 3, 0], "int32")
    return real, z_d, z_g, alpha, labels, fake_labels_d, fake_labels_g


def plain_players(seed=4):
    """A dense generator and critic with spread-out weights (outputs on both sides of +-1)."""
    keras.utils.set_random_seed(seed)
    init = keras.initializers.RandomNormal(stddev=1.2, seed=seed)
    g = keras.Sequential([keras.Input((LATENT,)), keras.layers.Dense(8, activation="tanh", kernel_initializer=init),
                          keras.layers.Dense(FEATURES, kernel_initializer=init)])
    d = keras.Sequential([keras.Input((FEATURES,)), keras.layers.Dense(8, activation="tanh", kernel_initializer=init),
                          keras.layers.Dense(1, kernel_initializer=init, bias_initializer="zeros")])
    return g, d


def conditional_players(seed=4):
    keras.utils.set_random_seed(seed)
    init = keras.initializers.RandomNormal(stddev=1.2, seed=seed)
    z, y = keras.Input((LATENT,)), keras.Input((), dtype="int32")
    h = keras.layers.Concatenate()([z, keras.layers.Embedding(CLASSES, 2, embeddings_initializer=init)(y)])
    g = keras.Model([z, y], keras.layers.Dense(FEATURES, kernel_initializer=init)(h))
    x, y2 = keras.Input((FEATURES,)), keras.Input((), dtype="int32")
    h = keras.layers.Concatenate()([x, keras.layers.Embedding(CLASSES, 2, embeddings_initializer=init)(y2)])
    h = keras.layers.Dense(8, activation="tanh", kernel_initializer=init)(h)
    d = keras.Model([x, y2], keras.layers.Dense(1, kernel_initializer=init, bias_initializer="zeros")(h))
    return g, d


def penalty(critic, real, fake, alpha):
    """The WGAN-GP term written out: (||grad critic(x_hat)|| - 1)^2 on x_hat = a real + (1 - a) fake."""
    mixed = alpha * real + (1.0 - alpha) * fake
    with tf.GradientTape() as tape:
        tape.watch(mixed)
        scores = critic(mixed)
    grads = tape.gradient(scores, mixed)
    return tf.reduce_mean((tf.norm(grads, axis=1) - 1.0) ** 2)


def copy_of(model):
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def expected_step(name, g, d, real, z_d, z_g, alpha=None, labels=None, fake_labels_d=None, fake_labels_g=None):
    """Return ``(d_loss, g_loss, d_weights_after, g_weights_after)`` of one SGD step by the formula."""
    d_formula, g_formula = FORMULAS[name]
    g, d = copy_of(g), copy_of(d)
    cond = labels is not None
    real, z_d, z_g = tf.constant(real), tf.constant(z_d), tf.constant(z_g)
    if cond:
        labels, fake_labels_d, fake_labels_g = (tf.constant(y) for y in (labels, fake_labels_d, fake_labels_g))
    # The discriminator's step on (real, G(z_d))
    with tf.GradientTape() as tape:
        fake = g([z_d, fake_labels_d]) if cond else g(z_d)
        r = d([real, labels]) if cond else d(real)
        f = d([fake, fake_labels_d]) if cond else d(fake)
        d_loss = d_formula(r, f)
        if alpha is not None:
            d_loss += GP_WEIGHT * penalty(d, real, fake, alpha)
    for w, grad in zip(d.trainable_weights, tape.gradient(d_loss, d.trainable_weights)):
        w.assign(w - LEARNING_RATE * tf.convert_to_tensor(grad))
    # The generator's step against the updated discriminator
    with tf.GradientTape() as tape:
        f = d([g([z_g, fake_labels_g]), fake_labels_g]) if cond else d(g(z_g))
        g_loss = g_formula(f)
    for w, grad in zip(g.trainable_weights, tape.gradient(g_loss, g.trainable_weights)):
        w.assign(w - LEARNING_RATE * tf.convert_to_tensor(grad))
    return float(d_loss), float(g_loss), d.get_weights(), g.get_weights()


def feed(*draws):
    """A stand-in for the trainer's noise (or label) sampler: returns the given arrays, in order."""
    queue = list(draws)
    return lambda batch_size: tf.constant(queue.pop(0))


def run_step(gan, real, labels=None):
    real = tf.constant(real)
    batch = (real, tf.constant(labels)) if labels is not None else real
    logs = gan.train_step(batch)
    return float(logs["d_loss"]), float(logs["g_loss"])


def assert_step_matches(expected, got, gan):
    d_loss, g_loss, d_after, g_after = expected
    assert got[0] == pytest.approx(d_loss, rel=1e-5, abs=1e-5), ("d_loss", got[0], d_loss)
    assert got[1] == pytest.approx(g_loss, rel=1e-5, abs=1e-5), ("g_loss", got[1], g_loss)
    for mine, theirs in zip(gan.discriminator.get_weights(), d_after):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5)
    for mine, theirs in zip(gan.generator.get_weights(), g_after):
        np.testing.assert_allclose(mine, theirs, rtol=1e-4, atol=1e-5)


def test_the_formulas_differ_on_the_fixed_batch():
    """Otherwise a loss wired to another's functions could pass."""
    real, z_d, *_ = fixed_batch()
    g, d = plain_players()
    r, f = d(real), d(g(z_d))
    assert float(tf.reduce_min(r)) < -1 < 1 < float(tf.reduce_max(r))  # both sides of the hinge margin
    assert float(tf.reduce_min(f)) < -1 < 1 < float(tf.reduce_max(f))
    values = {name: (float(dl(r, f)), float(gl(f))) for name, (dl, gl) in FORMULAS.items()}
    for a, b in itertools.combinations(values, 2):
        gap = max(abs(values[a][0] - values[b][0]), abs(values[a][1] - values[b][1]))
        assert gap > 0.05, (a, b, values)


@pytest.mark.parametrize("loss", [*FORMULAS, *ALIASES])
def test_gan_step_uses_the_formula_of_its_loss(loss, monkeypatch):
    name = ALIASES.get(loss, loss)
    real, z_d, z_g, alpha, *_ = fixed_batch()
    g, d = plain_players()
    gan = GAN(g, d, seed=0)
    gan.compile(keras.optimizers.SGD(LEARNING_RATE), keras.optimizers.SGD(LEARNING_RATE), loss=loss)
    uses_gp = name == "wasserstein"
    assert gan.gradient_penalty_weight == (GP_WEIGHT if uses_gp else 0.0)
    expected = expected_step(name, g, d, real, z_d, z_g, alpha if uses_gp else None)
    gan.sample_latent = feed(z_d, z_g)
    draws = [alpha]
    if uses_gp:  # the interpolation weights of the penalty, drawn after the noise
        monkeypatch.setattr(engine, "replica_random",
                            lambda draw, shape, seed_generator, dtype="float32": tf.constant(draws.pop(0)))
    assert_step_matches(expected, run_step(gan, real), gan)
    assert not draws or not uses_gp  # the penalty drew its weights


def test_wasserstein_without_penalty_is_the_plain_critic_loss():
    real, z_d, z_g, *_ = fixed_batch()
    g, d = plain_players()
    gan = GAN(g, d, seed=0)
    gan.compile(keras.optimizers.SGD(LEARNING_RATE), keras.optimizers.SGD(LEARNING_RATE), loss="wasserstein",
                gradient_penalty_weight=0.0)
    expected = expected_step("wasserstein", g, d, real, z_d, z_g)
    gan.sample_latent = feed(z_d, z_g)
    assert_step_matches(expected, run_step(gan, real), gan)


@pytest.mark.parametrize("loss", list(FORMULAS))
def test_conditional_gan_step_uses_the_formula_of_its_loss(loss):
    real, z_d, z_g, _, labels, fake_labels_d, fake_labels_g = fixed_batch()
    g, d = conditional_players()
    gan = ConditionalGAN(g, d, num_classes=CLASSES, seed=0)
    extra = dict(gradient_penalty_weight=0.0) if loss == "wasserstein" else {}
    gan.compile(keras.optimizers.SGD(LEARNING_RATE), keras.optimizers.SGD(LEARNING_RATE), loss=loss, **extra)
    expected = expected_step(loss, g, d, real, z_d, z_g, labels=labels, fake_labels_d=fake_labels_d,
                             fake_labels_g=fake_labels_g)
    gan.sample_latent = feed(z_d, z_g)
    gan.sample_labels = feed(fake_labels_d, fake_labels_g)
    assert_step_matches(expected, run_step(gan, real, labels), gan)
