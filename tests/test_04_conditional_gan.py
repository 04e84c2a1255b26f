"""Chapter 04: conditional builders, the ConditionalGAN trainer, class_grid.png and a learning test."""

import json

import keras
import numpy as np
import pytest

from gan_keras import checks, data, engine, models, plots, recipes
from gan_keras.checks._core import ExerciseError, reference_of
from gan_keras.conditional import class_inputs, concat_label, interpolate_classes, stack_label_maps
from gan_keras.data import batches
from gan_keras.measure.classifier import get_classifier
from gan_keras.measure.metrics import label_accuracy
from gan_keras.trainers.cgan import ConditionalGAN


def small_cgan(label_mode="onehot", seed=0, latent_dim=16, gf=(32, 16), df=(16, 32)):
    keras.utils.set_random_seed(seed)
    g = models.build_conditional_generator(latent_dim, 10, (28, 28, 1), gf, label_mode=label_mode)
    d = models.build_conditional_discriminator((28, 28, 1), 10, df, label_mode=label_mode)
    gan = ConditionalGAN(g, d, num_classes=10, seed=seed)
    gan.compile(engine.make_optimizer(1e-3), engine.make_optimizer(1e-3))
    return gan


@pytest.mark.parametrize("label_mode", ["onehot", "embedding"])
@pytest.mark.parametrize("image_shape, gf, df", [((28, 28, 1), (64, 32), (32, 64)),
                                                  ((32, 32, 3), (64, 32, 16), (16, 32, 64))])
def test_builders_shapes_and_ranges(label_mode, image_shape, gf, df):
    keras.utils.set_random_seed(0)
    g = models.build_conditional_generator(8, 10, image_shape, gf, label_mode=label_mode)
    d = models.build_conditional_discriminator(image_shape, 10, df, label_mode=label_mode)
    z = np.random.default_rng(0).standard_normal((6, 8)).astype("float32") * 20
    labels = np.arange(6, dtype=np.int32)
    images = keras.ops.convert_to_numpy(g([z, labels], training=False))
    assert images.shape == (6, *image_shape)
    assert -1.0 <= images.min() < 0.0 < images.max() <= 1.0
    logits = keras.ops.convert_to_numpy(d([images, labels], training=False))
    assert logits.shape == (6, 1) and np.all(np.isfinite(logits))


@pytest.mark.parametrize("label_mode", ["onehot", "embedding"])
def test_generator_output_changes_with_the_label_at_fixed_noise(label_mode):
    keras.utils.set_random_seed(0)
    g = models.build_conditional_generator(16, 10, label_mode=label_mode)
    z = np.tile(np.random.default_rng(0).standard_normal((1, 16)).astype("float32"), (10, 1))
    images = keras.ops.convert_to_numpy(g([z, np.arange(10, dtype=np.int32)], training=False))
    again = keras.ops.convert_to_numpy(g([z, np.arange(10, dtype=np.int32)], training=False))
    np.testing.assert_array_equal(images, again)  # deterministic at fixed inputs
    diffs = [np.abs(images[i] - images[j]).mean() for i in range(10) for j in range(i + 1, 10)]
    assert min(diffs) > 1e-4  # every pair of labels gives a different image


def test_discriminator_output_depends_on_the_label():
    keras.utils.set_random_seed(0)
    d = models.build_conditional_discriminator(dropout=0.0)
    x = np.repeat(data.load_images("digits", limit=1).images, 10, axis=0)
    logits = keras.ops.convert_to_numpy(d([x, np.arange(10, dtype=np.int32)], training=False)).ravel()
    assert np.ptp(logits) > 1e-4


@pytest.mark.parametrize("kwargs, error", [
    (dict(label_mode="both"), ValueError),
    (dict(num_classes=0), ValueError),
    (dict(num_classes=2.0), TypeError),
    (dict(image_shape=(30, 30, 1)), ValueError),
])
def test_builders_reject_bad_settings(kwargs, error):
    with pytest.raises(error):
        models.build_conditional_generator(**kwargs)
    with pytest.raises(error):
        models.build_conditional_discriminator(**kwargs)


def test_trainer_rejects_unconditional_models_and_unlabelled_batches():
    g = models.build_dcgan_generator(8, filters=(16, 8))
    d = models.build_dcgan_discriminator(filters=(8, 16))
    with pytest.raises(ValueError, match="two inputs"):
        ConditionalGAN(g, d)
    gan = small_cgan()
    with pytest.raises(ValueError, match="labels"):
        gan.fit(batches.make_dataset(data.load_images("digits", limit=32).images, batch_size=16),
                epochs=1, verbose=0, shuffle=False)
    with pytest.raises(ValueError, match="0..9"):
        gan.generate([3, 10])
    with pytest.raises(TypeError):
        gan.generate(np.array([0.5, 1.0]))


def test_steps_change_only_their_own_player_and_metrics_are_named():
    gan = small_cgan()
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
    assert sorted(history) == ["d_fake", "d_loss", "d_real", "g_loss"]


def test_sampled_labels_cover_every_class():
    gan = small_cgan()
    labels = keras.ops.convert_to_numpy(gan.sample_labels(2000))
    assert labels.min() == 0 and labels.max() == 9
    assert np.bincount(labels, minlength=10).min() > 150


@pytest.mark.parametrize("label_mode", ["onehot", "embedding"])
def test_class_interpolation_starts_and_ends_at_the_two_classes(label_mode):
    keras.utils.set_random_seed(0)
    g = models.build_conditional_generator(16, 10, label_mode=label_mode)
    z = np.random.default_rng(0).standard_normal(16).astype("float32")
    strip = interpolate_classes(g, z, 3, 8, steps=5)
    ends = g.predict([np.stack([z, z]), np.array([3, 8], "int32")], verbose=0)
    assert strip.shape == (5, 28, 28, 1)
    np.testing.assert_allclose(strip[[0, -1]], ends, atol=1e-5)
    assert np.abs(strip[2] - strip[0]).mean() > 1e-5
    with pytest.raises(ValueError):
        interpolate_classes(g, z, 3, 10)


def test_class_inputs_rows_hold_one_class():
    z, labels = class_inputs(10, 4, 8, shared_noise=True)
    assert z.shape == (40, 8) and labels.tolist() == sorted(labels.tolist())
    np.testing.assert_array_equal(z[:4], z[4:8])  # same noise in every row
    assert plots.class_grid(np.zeros((40, 28, 28, 1), "float32")).shape == (280, 112, 1)


def test_train_cgan_writes_the_standard_files_and_the_class_grid(in_tmp):
    from PIL import Image

    recipes.train(recipes.TrainConfig(model="cgan", data="digits", epochs=1, limit=128, batch_size=32,
                                      out=str(in_tmp / "run")))
    out = in_tmp / "run"
    for name in ("samples/epoch_001.png", "progress.gif", "history.json", "history.csv", "history.png",
                 "d_outputs.png", "generator.keras", "run.json", "class_grid.png"):
        assert (out / name).exists(), name
    grid = np.asarray(Image.open(out / "class_grid.png"))
    assert grid.shape == (280, 280)  # 10x10 cells of 28x28, no gaps, grayscale
    assert json.loads((out / "run.json").read_text())["summary"]["num_classes"] == 10
    g = keras.models.load_model(out / "generator.keras")
    assert g.predict([np.zeros((2, 64), "float32"), np.array([1, 7], "int32")], verbose=0).shape == (2, 28, 28, 1)


@pytest.mark.learning
def test_label_accuracy_rises_well_above_chance():
    """A few hundred steps on fixed seeds: the classifier recognises the requested digit, drawn in varied ways.

    Measured on these seeds (200 samples, 20 per class): label accuracy 0.115 before, 0.635
    after 5 epochs; chance (the most common requested class) 0.100; bound chance + 0.25.
    Per-pixel std across the noise within a class: 0.149 (the real digits' 0.148; bound half
    of it); a generator drawing one image per class, which could pass the accuracy bound, has 0.
    """
    clf = get_classifier("digits")
    train = data.load_images("digits")
    gan = small_cgan(seed=0, latent_dim=32, gf=(64, 32), df=(32, 64))
    inputs = class_inputs(10, 20, 32, seed=7)
    before = label_accuracy(clf, gan.generator.predict(inputs, verbose=0), inputs[1])
    ds = batches.make_dataset(train.images, train.labels, batch_size=32, seed=0)
    gan.fit(ds, epochs=5, verbose=0, shuffle=False)
    images = gan.generator.predict(inputs, verbose=0)
    after = label_accuracy(clf, images, inputs[1])
    # Chance: the share of the most common requested class (20 of each of the 10 classes).
    chance = float(np.bincount(inputs[1]).max() / len(inputs[1]))
    # A generator that draws one image per class (say the class's mean digit) could score a
    # high label accuracy; it has no spread across the noise. Per-pixel std across the 20
    # samples of a class, averaged over pixels and classes, against the real digits' own.
    spread = float(np.mean([images[inputs[1] == c].std(0).mean() for c in range(10)]))
    real_spread = float(np.mean([train.images[train.labels == c].std(0).mean() for c in range(10)]))
    assert before < chance + 0.15
    assert after > chance + 0.25, f"label accuracy {after:.2f} after 5 epochs (chance is {chance:.2f})"
    assert spread > 0.5 * real_spread, (spread, real_spread)


# --- exercises -----------------------------------------------------------------------------

def test_check_concat_label_accepts_reference_and_rejects_mistakes():
    assert checks.check_concat_label(reference_of(checks.check_concat_label), quiet=True)
    assert checks.check_concat_label(concat_label, quiet=True)
    mistakes = [
        (lambda z, y, n: np.concatenate([z, np.asarray(y, "float32")[:, None]], 1), "one number"),
        (lambda z, y, n: np.concatenate([np.eye(n)[y], z], 1), "z first"),
        (lambda z, y, n: np.concatenate([z, np.eye(n + 1)[y]], 1), "num_classes"),
    ]
    for wrong, words in mistakes:
        with pytest.raises(ExerciseError, match=words):
            checks.check_concat_label(wrong, quiet=True)


def test_check_stack_label_maps_accepts_reference_and_rejects_mistakes():
    assert checks.check_stack_label_maps(stack_label_maps, quiet=True)

    def maps_only(images, labels, n):
        return np.broadcast_to(np.eye(n)[labels][:, None, None, :], images.shape[:3] + (n,))

    def one_pixel(images, labels, n):
        maps = np.zeros(images.shape[:3] + (n,), "float32")
        maps[:, 0, 0, :] = np.eye(n)[labels]
        return np.concatenate([images, maps], -1)

    def label_first(images, labels, n):
        return np.concatenate([maps_only(images, labels, n), images], -1)

    for wrong, words in ((maps_only, "image is missing"), (one_pixel, "constant"), (label_first, "image first")):
        with pytest.raises(ExerciseError, match=words):
            checks.check_stack_label_maps(wrong, quiet=True)
