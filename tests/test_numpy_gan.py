"""The NumPy GAN from scratch: its hand-written gradients match tf.GradientTape, and it learns."""

import numpy as np
import pytest
import tensorflow as tf
from baselines import mean_image_samples, one_image_samples, pca_basis, pca_frechet
from baselines import spread as pixel_spread

from gan_keras import data, losses
from gan_keras import numpy_gan as ng

# One worker runs this file (pytest-xdist): its module fixtures are made once.
pytestmark = pytest.mark.xdist_group("test_numpy_gan")

# Tolerance of the gradient check: NumPy in float64 against Keras in float32, so the
# largest difference must stay below 1e-5 of the largest gradient entry (float32 rounding
# is about 1e-7 relative; a wrong term in a backward pass is off by orders of magnitude more).
RELATIVE_TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def digits():
    """The offline digits as flat [0, 1] images (the generator ends in a sigmoid)."""
    return data.to_unit(data.load_images("digits").images).reshape(-1, 784)


def lecture_gan(seed=0, **kwargs):
    return ng.NumpyGAN(latent_dim=64, hidden_units=128, image_dim=784, seed=seed, **kwargs)


def assert_gradients_match(numpy_grads, tape_grads):
    scale = max(float(np.max(np.abs(g))) for g in numpy_grads)
    assert scale > 1e-4  # not a vacuous comparison of zeros
    for mine, theirs in zip(numpy_grads, tape_grads):
        theirs = theirs.numpy()
        assert mine.shape == theirs.shape
        assert np.max(np.abs(mine - theirs)) <= RELATIVE_TOLERANCE * scale


def test_the_lecture_shapes():
    gan = lecture_gan()
    assert {k: v.shape for k, v in gan.g_params.items()} == {
        "w1": (64, 128), "b1": (128,), "w2": (128, 784), "b2": (784,)}
    assert {k: v.shape for k, v in gan.d_params.items()} == {
        "w1": (784, 128), "b1": (128,), "w2": (128, 1), "b2": (1,)}
    images = gan.generate(5)
    assert images.shape == (5, 784) and images.min() >= 0 and images.max() <= 1
    assert gan.discriminate(images).shape == (5,)


def test_discriminator_gradients_match_gradient_tape(digits):
    gan = lecture_gan(dtype="float64")
    real = digits[:32]
    fake = gan.generate(32)
    d_loss, grads = ng.discriminator_gradients(gan.d_params, real, fake)
    _, discriminator = ng.to_keras(gan.g_params, gan.d_params)
    with tf.GradientTape() as tape:
        keras_loss = losses.discriminator_loss(discriminator(real.astype("float32")),
                                               discriminator(fake.astype("float32")))
    tape_grads = tape.gradient(keras_loss, discriminator.trainable_weights)
    assert d_loss == pytest.approx(float(keras_loss), rel=1e-5)
    assert_gradients_match(ng.as_keras_order(grads), tape_grads)


@pytest.mark.parametrize("loss, keras_loss_fn", [
    ("non_saturating", losses.generator_loss),
    ("minimax", losses.minimax_generator_loss),
])
def test_generator_gradients_through_the_frozen_discriminator_match_gradient_tape(loss, keras_loss_fn):
    gan = lecture_gan(dtype="float64")
    # Make D a little trained so that D(G(z)) is not 1/2 everywhere.
    gan.d_params["b2"][:] = -1.5
    z = gan.sample_latent(32)
    g_loss, grads = ng.generator_gradients(gan.g_params, gan.d_params, z, loss=loss)
    generator, discriminator = ng.to_keras(gan.g_params, gan.d_params)
    with tf.GradientTape() as tape:
        keras_loss = keras_loss_fn(discriminator(generator(z.astype("float32"))))
    tape_grads = tape.gradient(keras_loss, generator.trainable_weights)
    assert g_loss == pytest.approx(float(keras_loss), rel=1e-5)
    assert_gradients_match(ng.as_keras_order(grads), tape_grads)


def test_generator_step_leaves_the_discriminator_alone(digits):
    gan = lecture_gan()
    d_before = {k: v.copy() for k, v in gan.d_params.items()}
    g_before = {k: v.copy() for k, v in gan.g_params.items()}
    gan.train_step(digits[:50])
    assert all(not np.array_equal(g_before[k], gan.g_params[k]) for k in g_before)
    assert all(not np.array_equal(d_before[k], gan.d_params[k]) for k in d_before)
    # A generator gradient never touches D's weights.
    d_now = {k: v.copy() for k, v in gan.d_params.items()}
    ng.generator_gradients(gan.g_params, gan.d_params, gan.sample_latent(8))
    assert all(np.array_equal(d_now[k], gan.d_params[k]) for k in d_now)


def test_minimax_gradient_vanishes_where_d_rejects_the_fakes():
    """With D(G(z)) near 0 the saturating loss gives the generator almost no gradient."""
    gan = lecture_gan(dtype="float64")
    gan.d_params["b2"][:] = -8.0  # D(G(z)) about 3e-4
    z = gan.sample_latent(64)
    _, ns = ng.generator_gradients(gan.g_params, gan.d_params, z, "non_saturating")
    _, mm = ng.generator_gradients(gan.g_params, gan.d_params, z, "minimax")
    assert ng.global_norm(mm) < 1e-3 * ng.global_norm(ns)


def test_bad_inputs_get_clear_errors(digits):
    gan = lecture_gan()
    with pytest.raises(ValueError, match=r"\[0, 1\]"):
        gan.train(data.load_images("digits", limit=10).images, num_epochs=1)
    with pytest.raises(ValueError, match="shape"):
        gan.train(np.zeros((10, 100)), num_epochs=1)
    with pytest.raises(ValueError, match="batch_size"):
        gan.train(digits[:10], num_epochs=1, batch_size=0)
    with pytest.raises(ValueError, match="generator_loss"):
        lecture_gan(generator_loss="hinge")
    with pytest.raises(TypeError, match="d_params"):
        ng.discriminator_gradients([1, 2], digits[:2], digits[:2])


@pytest.mark.learning
def test_numpy_gan_learns_the_digits(digits):
    """On fixed seeds the samples beat a generator that draws the mean image and one that draws one image.

    Scores on 1000 samples against the 360 held-out digits, measured on these seeds:
    the Frechet distance in the training digits' 20 principal components falls from 32.1
    at the start to 6.0 after 100 epochs (2200 steps, batch 64, Adam 2e-4); the mean training
    image scores 21.6 and one training image 39.8 (bound: half the better of the two, 10.8).
    The samples' per-pixel std across samples is 0.090 (the digits' own 0.106; bound half of
    it; 0 for both trivial generators). Pixel statistics: RMS gap of the mean image 0.055,
    dark share 0.73, mean D(x) over the last 20 steps 0.65. The mean image passes those two
    pixel bounds as well (RMS gap 0, dark share 0.67), which is why they are not enough on
    their own; after the earlier 15 epochs the samples scored 20.5, no better than the mean image.
    """
    test = data.to_unit(data.load_images("digits", split="test").images).reshape(-1, 784)
    basis = pca_basis(digits)
    gan = lecture_gan(seed=0, learning_rate=2e-4)

    def stats(samples):
        mean_gap = float(np.sqrt(np.mean((samples.mean(0) - digits.mean(0)) ** 2)))
        return mean_gap, float(np.mean(samples < 0.1))

    start = gan.generate(1000)
    gap0, dark0 = stats(start)
    fd0 = pca_frechet(basis, test, start)
    gan.train(digits, num_epochs=100, batch_size=64, verbose=0)
    samples = gan.generate(1000)
    gap, dark = stats(samples)
    fd, spread = pca_frechet(basis, test, samples), pixel_spread(samples)
    fd_mean = pca_frechet(basis, test, mean_image_samples(digits, 1000))
    fd_one = pca_frechet(basis, test, one_image_samples(digits, 1000))
    assert gap0 > 0.35 and dark0 < 0.05  # it did not start there
    assert fd < 0.5 * min(fd_mean, fd_one, fd0), (fd, fd_mean, fd_one, fd0)
    assert spread > 0.5 * pixel_spread(digits), spread
    # The pixel statistics move to the data's (the RMS gap of the mean image, the dark share)
    assert gap < 0.15, gap
    assert dark > 0.5, dark
    # D still tells real from fake only partly: neither side has won outright.
    assert 0.5 < np.mean(gan.history["d_real"][-20:]) < 0.99
