"""Chapter 03: the DCGAN builders, the recipe's run folder, latent interpolation and the checks."""

import json

import keras
import numpy as np
import pytest
from baselines import mean_image_samples, one_image_samples, pca_basis, pca_frechet, spread

from gan_keras import checks, data, engine, latent, models, plots, recipes
from gan_keras.checks._core import ExerciseError, reference_of
from gan_keras.data import batches
from gan_keras.trainers.gan import GAN


def param_count(model):
    return sum(int(np.prod(w.shape)) for w in model.trainable_weights)


@pytest.mark.parametrize("image_shape, filters", [
    ((28, 28, 1), (128, 64)),      # MNIST, Fashion-MNIST
    ((32, 32, 3), (256, 128, 64)),  # CIFAR-like colour images
    ((16, 24, 2), (32, 16)),        # not square, two channels
])
def test_generator_shapes_and_tanh_range(image_shape, filters):
    keras.utils.set_random_seed(0)
    g = models.build_dcgan_generator(latent_dim=16, image_shape=image_shape, filters=filters)
    z = np.random.default_rng(0).standard_normal((5, 16)).astype("float32") * 20  # saturate tanh
    images = keras.ops.convert_to_numpy(g(z, training=False))
    assert images.shape == (5, *image_shape)
    assert images.min() >= -1.0 and images.max() <= 1.0
    assert images.min() < 0.0 < images.max()  # tanh output, not a sigmoid's [0, 1]


@pytest.mark.parametrize("image_shape, filters", [((28, 28, 1), (64, 128)), ((32, 32, 3), (32, 64, 128))])
def test_discriminator_gives_one_unbounded_logit(image_shape, filters):
    keras.utils.set_random_seed(0)
    d = models.build_dcgan_discriminator(image_shape, filters=filters, dropout=0.0, batchnorm=True)
    x = np.random.default_rng(0).uniform(-1, 1, (4, *image_shape)).astype("float32")
    logits = keras.ops.convert_to_numpy(d(x, training=False))
    assert logits.shape == (4, 1)
    assert np.all(np.isfinite(logits))
    # Logits, not probabilities: scaling the last layer moves them outside [0, 1]
    dense = d.get_layer("logit")
    w, b = dense.get_weights()
    dense.set_weights([w * 100, b])
    assert np.abs(keras.ops.convert_to_numpy(d(x, training=False))).max() > 1.0


def test_dcgan_follows_the_guidelines():
    g = models.build_dcgan_generator(64, (28, 28, 1), (128, 64))
    d = models.build_dcgan_discriminator((28, 28, 1), (64, 128), batchnorm=True)
    kinds_g = [type(layer).__name__ for layer in g.layers]
    kinds_d = [type(layer).__name__ for layer in d.layers]
    assert "MaxPooling2D" not in kinds_d and "MaxPooling2D" not in kinds_g  # strided, no pooling
    assert kinds_g.count("Conv2DTranspose") == 2 and "ReLU" in kinds_g and "BatchNormalization" in kinds_g
    assert g.layers[-1].activation.__name__ == "tanh"
    assert "LeakyReLU" in kinds_d and "ReLU" not in kinds_d
    # No batch normalization on the discriminator's first layer (it sees the real data directly)
    first_conv = next(i for i, k in enumerate(kinds_d) if k == "Conv2D")
    assert kinds_d[first_conv + 1] != "BatchNormalization"


@pytest.mark.parametrize("kwargs, error", [
    (dict(latent_dim=0), ValueError),
    (dict(latent_dim=2.5), TypeError),
    (dict(image_shape=(30, 30, 1)), ValueError),   # 30 is not divisible by 4
    (dict(image_shape=(28, 28)), ValueError),
])
def test_generator_rejects_bad_settings(kwargs, error):
    with pytest.raises(error):
        models.build_dcgan_generator(**kwargs)


def test_discriminator_rejects_bad_dropout():
    with pytest.raises(ValueError, match="dropout"):
        models.build_dcgan_discriminator(dropout=1.5)


def test_interpolation_ends_at_both_vectors_and_slerp_keeps_the_norm():
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(64), rng.standard_normal(64)
    for spherical in (False, True):
        path = latent.interpolate_latents(a, b, steps=9, spherical=spherical)
        assert path.shape == (9, 64)
        np.testing.assert_allclose(path[0], a, atol=1e-5)
        np.testing.assert_allclose(path[-1], b, atol=1e-5)
    mid_linear = np.linalg.norm(latent.interpolate_latents(a, b, 9)[4])
    mid_slerp = np.linalg.norm(latent.interpolate_latents(a, b, 9, spherical=True)[4])
    assert mid_linear < 0.85 * min(np.linalg.norm(a), np.linalg.norm(b))  # the straight line shrinks
    assert mid_slerp > 0.95 * min(np.linalg.norm(a), np.linalg.norm(b))
    with pytest.raises(ValueError):
        latent.interpolate_latents(a, b[:10])
    fig = plots.plot_interpolation(np.zeros((5, 28, 28, 1), "float32"), title="strip")
    assert len(fig.axes) == 5


@pytest.mark.learning
def test_dcgan_beats_the_mean_image_and_a_one_image_generator():
    """On fixed seeds a small DCGAN's samples beat drawing the mean digit or one digit every time.

    Frechet distance in the training digits' 20 principal components, 1000 samples against
    the 360 held-out digits, measured: 143.0 at the start, 23.6 after 8 epochs (176 steps,
    batch 64, Adam 1e-3; seed 1 gave 22.8); the mean training image scores 86.4 and one
    training image 159.0 (bound: half the better, 43.2). Per-pixel std across samples 0.166
    (the digits' 0.211; bound half of it; 0 for both trivial generators).
    """
    train = data.load_images("digits").images
    test = data.load_images("digits", split="test").images
    keras.utils.set_random_seed(0)
    g = models.build_dcgan_generator(32, (28, 28, 1), (64, 32))
    d = models.build_dcgan_discriminator((28, 28, 1), (32, 64))
    gan = GAN(g, d, seed=0)
    gan.compile(engine.make_optimizer(1e-3), engine.make_optimizer(1e-3))
    basis = pca_basis(train)
    fd_start = pca_frechet(basis, test, gan.generate(1000))
    gan.fit(batches.make_dataset(train, batch_size=64, seed=0), epochs=8, verbose=0, shuffle=False)
    samples = gan.generate(1000)
    fd = pca_frechet(basis, test, samples)
    fd_mean = pca_frechet(basis, test, mean_image_samples(train, 1000))
    fd_one = pca_frechet(basis, test, one_image_samples(train, 1000))
    assert fd < 0.5 * min(fd_mean, fd_one, fd_start), (fd, fd_mean, fd_one, fd_start)
    assert spread(samples) > 0.5 * spread(train), (spread(samples), spread(train))


def test_train_dcgan_writes_the_standard_files(in_tmp):
    result = recipes.train(recipes.TrainConfig(model="dcgan", data="digits", epochs=1, limit=128,
                                               batch_size=32, out=str(in_tmp / "run")))
    out = in_tmp / "run"
    for name in ("samples/epoch_001.png", "progress.gif", "history.json", "history.csv",
                 "history.png", "d_outputs.png", "generator.keras", "run.json"):
        assert (out / name).exists(), name
    assert sorted(json.loads((out / "history.json").read_text())) == ["d_fake", "d_loss", "d_real", "g_loss"]
    g = keras.models.load_model(out / "generator.keras")
    z = np.zeros((2, 64), "float32")
    # The saved generator is the one samples are drawn from: the averaged generator of the recipe,
    # self-conditioned (the cluster picked from z, tests/test_clusters.py)
    assert result.model.sample_generator is result.model.ema_generator
    from gan_keras.models.clusters import choose_clusters

    shares = json.loads((out / "run.json").read_text())["summary"]["cluster_shares"]
    expected = result.model.sample_generator.predict([z, choose_clusters(z, shares)], verbose=0)
    np.testing.assert_allclose(g.predict(z, verbose=0), expected, atol=1e-6)


# --- exercises -----------------------------------------------------------------------------

def test_check_generator_block_accepts_reference_and_rejects_mistakes():
    assert checks.check_generator_block(reference_of(checks.check_generator_block), quiet=True)

    def no_stride(x, filters):
        x = keras.layers.Conv2DTranspose(filters, 4, strides=1, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        return keras.layers.ReLU()(x)

    def leaky(x, filters):
        x = keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(x)
        x = keras.layers.BatchNormalization()(x)
        return keras.layers.LeakyReLU(0.2)(x)

    def no_batchnorm(x, filters):
        return keras.layers.ReLU()(keras.layers.Conv2DTranspose(filters, 4, strides=2, padding="same")(x))

    for wrong, words in ((no_stride, "stride"), (leaky, "ReLU"), (no_batchnorm, "batch normalization")):
        with pytest.raises(ExerciseError, match=words):
            checks.check_generator_block(wrong, quiet=True)


def test_check_discriminator_block_accepts_reference_and_rejects_mistakes():
    assert checks.check_discriminator_block(reference_of(checks.check_discriminator_block), quiet=True)

    def pooling(x, filters):
        x = keras.layers.Conv2D(filters, 4, padding="same")(x)
        x = keras.layers.MaxPooling2D()(x)
        return keras.layers.LeakyReLU(0.2)(x)

    def relu(x, filters):
        return keras.layers.ReLU()(keras.layers.Conv2D(filters, 4, strides=2, padding="same")(x))

    for wrong, words in ((pooling, "pooling"), (relu, "LeakyReLU")):
        with pytest.raises(ExerciseError, match=words):
            checks.check_discriminator_block(wrong, quiet=True)

