"""AC-GAN (``AuxiliaryClassifierGAN``): the builder, the two losses, the steps, errors, and that it learns."""

import keras
import numpy as np
import pytest

from gan_keras import data, engine, models
from gan_keras.conditional import class_inputs
from gan_keras.data import batches
from gan_keras.measure.classifier import get_classifier
from gan_keras.measure.metrics import label_accuracy
from gan_keras.trainers.cgan import AuxiliaryClassifierGAN


def small_acgan(seed=0, latent_dim=16, num_classes=10, gf=(32, 16), df=(16, 32), class_weight=1.0, lr=1e-3,
                image_shape=(28, 28, 1)):
    keras.utils.set_random_seed(seed)
    g = models.build_conditional_generator(latent_dim, num_classes, image_shape, gf)
    d = models.build_auxiliary_discriminator(image_shape, num_classes, df, dropout=0.0)
    gan = AuxiliaryClassifierGAN(g, d, num_classes=num_classes, class_weight=class_weight, seed=seed)
    gan.compile(engine.make_optimizer(lr, name="d"), engine.make_optimizer(lr, name="g"))
    return gan


def test_builder_maps_images_to_a_logit_and_class_logits():
    d = models.build_auxiliary_discriminator((32, 20, 3), 7, (8, 16), dropout=0.0)
    logit, classes = d(np.zeros((5, 32, 20, 3), "float32"))
    assert logit.shape == (5, 1) and classes.shape == (5, 7)
    assert len(d.inputs) == 1  # it is not shown the label


def test_losses_are_the_gan_losses_plus_the_weighted_class_losses():
    """One discriminator step and one generator step against the formulas, on fixed noise."""
    gan = small_acgan(num_classes=3, latent_dim=5, image_shape=(28, 20, 1), class_weight=0.7)
    x = keras.ops.convert_to_tensor(np.random.default_rng(0).uniform(-1, 1, (6, 28, 20, 1)).astype("float32"))
    y = keras.ops.convert_to_tensor(np.array([0, 1, 2, 2, 1, 0], "int32"))
    # Replay the seed generator to get the step's own noise and labels
    state = gan.seed_generator.state.numpy().copy()
    z = gan.sample_latent(6)
    fake_y = gan.sample_labels(6)
    gan.seed_generator.state.assign(state)
    fake = gan.generator([z, fake_y], training=True)
    real_logit, real_cls = gan.discriminator(x, training=True)
    fake_logit, _ = gan.discriminator(fake, training=True)
    softplus = lambda t: np.log1p(np.exp(t))
    ce = lambda labels, logits: float(np.mean(
        keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)))
    adv = float(np.mean(softplus(-keras.ops.convert_to_numpy(real_logit)))
                + np.mean(softplus(keras.ops.convert_to_numpy(fake_logit))))
    want = adv + 0.7 * ce(y, real_cls)
    d_loss, _, _ = gan.d_step(x, y)
    assert float(d_loss) == pytest.approx(want, rel=1e-4)
    assert ce(y, real_cls) > 0.5  # the class term is not negligible in this check

    state = gan.seed_generator.state.numpy().copy()
    z = gan.sample_latent(6)
    fake_y = gan.sample_labels(6)
    gan.seed_generator.state.assign(state)
    fake_logit, fake_cls = gan.discriminator(gan.generator([z, fake_y], training=True), training=True)
    want = float(np.mean(softplus(-keras.ops.convert_to_numpy(fake_logit)))) + 0.7 * ce(fake_y, fake_cls)
    assert float(gan.g_step(6)) == pytest.approx(want, rel=1e-4)


def test_steps_change_only_their_own_player_and_metrics_are_named():
    gan = small_acgan()
    batch = data.load_images("digits", limit=16)
    g0 = [w.numpy().copy() for w in gan.generator.trainable_weights]
    d0 = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
    gan.d_step(batch.images, batch.labels)
    assert any(not np.array_equal(a, b.numpy()) for a, b in zip(d0, gan.discriminator.trainable_weights))
    assert all(np.array_equal(a, b.numpy()) for a, b in zip(g0, gan.generator.trainable_weights))
    d1 = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
    gan.g_step(16)
    assert any(not np.array_equal(a, b.numpy()) for a, b in zip(g0, gan.generator.trainable_weights))
    assert all(np.array_equal(a, b.numpy()) for a, b in zip(d1, gan.discriminator.trainable_weights))
    ds = batches.make_dataset(batch.images, batch.labels, batch_size=8)
    history = gan.fit(ds, epochs=1, verbose=0, shuffle=False).history
    assert sorted(history) == ["class_accuracy", "class_loss", "d_fake", "d_loss", "d_real", "g_loss"]


def test_class_weight_zero_is_the_plain_gan_game():
    """With class_weight=0 the class head gets no gradient: the generator ignores the label's classifier."""
    gan = small_acgan(class_weight=0.0)
    batch = data.load_images("digits", limit=16)
    head = gan.discriminator.get_layer("class_logits")
    before = [w.numpy().copy() for w in head.weights]
    gan.d_step(batch.images, batch.labels)
    assert all(np.array_equal(a, w.numpy()) for a, w in zip(before, head.weights))


@pytest.mark.parametrize("discriminator, words", [
    (lambda: models.build_conditional_discriminator((28, 28, 1), 10, (8, 16)),
     "maps images to \\[logit, class_logits\\]"),
    (lambda: models.build_dcgan_discriminator((28, 28, 1), (8, 16)), "maps images to \\[logit, class_logits\\]"),
    (lambda: models.build_auxiliary_discriminator((28, 28, 1), 4, (8, 16)), "class_logits have shape \\(4,\\)"),
])
def test_wrong_discriminators_get_one_clear_error(discriminator, words):
    g = models.build_conditional_generator(8, 10, (28, 28, 1), (16, 8))
    with pytest.raises(ValueError, match=words):
        AuxiliaryClassifierGAN(g, discriminator(), num_classes=10)


@pytest.mark.parametrize("bad, error", [(-1.0, ValueError), ("1", TypeError), (float("inf"), ValueError)])
def test_bad_class_weight_gets_one_clear_error(bad, error):
    with pytest.raises(error, match="class_weight"):
        small_acgan(class_weight=bad)


@pytest.mark.learning
def test_acgan_draws_the_requested_digit_in_varied_ways():
    """5 epochs on fixed seeds, the settings of the cGAN learning test (chapter 04).

    Measured: label accuracy 0.115 before, 0.985 after (the label-map cGAN of the chapter
    test: 0.635); chance 0.100; bound chance + 0.40. Within-class spread 0.093 (real 0.148;
    bound half of it, 0.074; one image per class, which could pass the accuracy bound, has 0).
    """
    clf = get_classifier("digits")
    train = data.load_images("digits")
    gan = small_acgan(seed=0, latent_dim=32, gf=(64, 32), df=(32, 64))
    inputs = class_inputs(10, 20, 32, seed=7)
    before = label_accuracy(clf, gan.generator.predict(inputs, verbose=0), inputs[1])
    ds = batches.make_dataset(train.images, train.labels, batch_size=32, seed=0)
    gan.fit(ds, epochs=5, verbose=0, shuffle=False)
    images = gan.generator.predict(inputs, verbose=0)
    after = label_accuracy(clf, images, inputs[1])
    chance = float(np.bincount(inputs[1]).max() / len(inputs[1]))
    spread = float(np.mean([images[inputs[1] == c].std(0).mean() for c in range(10)]))
    real_spread = float(np.mean([train.images[train.labels == c].std(0).mean() for c in range(10)]))
    print(f"label accuracy {before:.3f} -> {after:.3f}; spread {spread:.3f} (real {real_spread:.3f})")
    assert before < chance + 0.15
    assert after > chance + 0.40, f"label accuracy {after:.2f} after 5 epochs (chance is {chance:.2f})"
    assert spread > 0.5 * real_spread, (spread, real_spread)
