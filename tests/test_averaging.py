"""The averaged generator (``GAN(ema=...)``): the formula, its warm-up, sampling, checkpoints, errors."""

import keras
import numpy as np
import pytest

from gan_keras import averaging, engine, models
from gan_keras.models.conditional import build_conditional_discriminator, build_conditional_generator
from gan_keras.trainers.cgan import ConditionalGAN
from gan_keras.trainers.gan import GAN
from gan_keras.training import callbacks


def tiny_gan(ema=0.9, seed=3, **kwargs):
    generator = models.build_dcgan_generator(6, (28, 20, 1), filters=(10, 4))
    discriminator = models.build_dcgan_discriminator((28, 20, 1), filters=(4, 10), dropout=0.0)
    gan = GAN(generator, discriminator, seed=seed, ema=ema, **kwargs)
    gan.compile(engine.make_optimizer(1e-2, name="d"), engine.make_optimizer(1e-2, name="g"))
    return gan


def images(n=12, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 28, 20, 1)).astype("float32")


def weights(model):
    return [np.array(w.numpy()) for w in model.weights]


def test_average_follows_the_formula_with_its_warm_up():
    gan = tiny_gan(ema=0.9)
    start = weights(gan.generator)
    for a, b in zip(weights(gan.ema_generator), start):  # starts as a copy
        np.testing.assert_array_equal(a, b)
    trainable = [w.trainable for w in gan.generator.weights]
    expected = start
    batch = keras.ops.convert_to_tensor(images())
    for n in range(4):
        gan.train_step(batch)
        now = weights(gan.generator)
        decay = min(0.9, (1 + n) / (10 + n))  # 0.1, 0.18, 0.25, 0.31: the warm-up, under 0.9
        expected = [decay * e + (1 - decay) * w if t else w for e, w, t in zip(expected, now, trainable)]
        for got, want, w in zip(weights(gan.ema_generator), expected, now):
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
        assert int(gan.ema_updates.numpy()) == n + 1
    # The average is not the trained generator (the formula moved it part way only)
    moved = [np.abs(a - b).max() for a, b, t in zip(weights(gan.ema_generator), weights(gan.generator), trainable) if t]
    assert max(moved) > 1e-4


def test_long_run_reaches_the_asked_decay():
    assert float(averaging.effective_decay(0.995, 0)) == pytest.approx(0.1)
    assert float(averaging.effective_decay(0.995, 10_000)) == pytest.approx(0.995)
    assert float(averaging.effective_decay(0.5, 3)) == pytest.approx(4 / 13)  # still warming up
    assert float(averaging.effective_decay(0.5, 20)) == pytest.approx(0.5)


def test_without_ema_the_trained_generator_is_sampled():
    gan = tiny_gan(ema=None)
    assert gan.sample_generator is gan.generator
    assert not hasattr(gan, "ema_generator")
    gan.train_step(keras.ops.convert_to_tensor(images()))  # no average to move: nothing fails


def test_samples_and_grids_come_from_the_average(tmp_path):
    gan = tiny_gan(ema=0.9)
    gan.fit(images(24), batch_size=12, epochs=1, verbose=0)
    z = np.random.default_rng(1).standard_normal((5, 6)).astype("float32")
    assert gan.sample_generator is gan.ema_generator
    from_average = gan.ema_generator.predict(z, verbose=0)
    from_trained = gan.generator.predict(z, verbose=0)
    assert np.abs(from_average - from_trained).max() > 1e-4
    np.testing.assert_allclose(gan.generate(z), from_average, atol=1e-6)
    grid = callbacks.SampleGrid(tmp_path, inputs=z, nrows=1)
    grid.set_model(gan)
    grid.on_epoch_end(0)
    from gan_keras import plots
    np.testing.assert_allclose(grid.frames[0], plots.image_grid(from_average, nrows=1), atol=1e-6)


def test_the_average_gets_batch_statistics_of_its_own():
    """Before sampling, the average's batch-norm statistics are those of its own outputs on fixed noise."""
    from keras import layers

    gan = tiny_gan(ema=0.9)
    gan.fit(images(24), batch_size=12, epochs=2, verbose=0)
    trained_stats = [w.numpy().copy() for w in gan.generator.non_trainable_weights]
    average = gan.sample_generator
    norm = next(l for l in average.layers if isinstance(l, layers.BatchNormalization))
    # The first batch norm follows the projection of z: its statistics are the moments of that projection
    noise = gan.statistics_inputs(gan.STATISTICS_SAMPLES)
    projected = keras.ops.convert_to_numpy(average.layers[1](noise))
    np.testing.assert_allclose(norm.moving_mean.numpy(), projected.mean(0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(norm.moving_variance.numpy(), projected.var(0), rtol=1e-3, atol=1e-5)
    assert norm.momentum == 0.99  # restored
    # Not the trained generator's: those belong to other weights
    assert max(np.abs(a - w.numpy()).max() for a, w in zip(trained_stats, average.non_trainable_weights)) > 1e-3
    # The trained generator's own statistics are untouched
    for a, w in zip(trained_stats, gan.generator.non_trainable_weights):
        np.testing.assert_array_equal(a, w.numpy())
    # Computed once per position of the average: a second look changes nothing
    before = [w.numpy().copy() for w in average.non_trainable_weights]
    assert gan.sample_generator is average
    for a, w in zip(before, average.non_trainable_weights):
        np.testing.assert_array_equal(a, w.numpy())


def test_conditional_gan_keeps_an_average_too():
    generator = build_conditional_generator(5, 3, (28, 20, 1), filters=(8, 4))
    discriminator = build_conditional_discriminator((28, 20, 1), 3, filters=(4, 8), dropout=0.0)
    gan = ConditionalGAN(generator, discriminator, num_classes=3, seed=0, ema=0.8)
    gan.compile(engine.make_optimizer(1e-2, name="d"), engine.make_optimizer(1e-2, name="g"))
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1], dtype="int32")
    gan.fit(images(8), labels, batch_size=8, epochs=2, verbose=0, shuffle=False)
    assert int(gan.ema_updates.numpy()) == 2
    out = gan.generate([0, 2], seed=4)
    z = np.random.default_rng(4).standard_normal((2, 5)).astype("float32")
    np.testing.assert_allclose(out, gan.ema_generator.predict([z, np.array([0, 2], "int32")], verbose=0), atol=1e-6)


def test_the_average_is_part_of_the_saved_state():
    gan = tiny_gan(ema=0.9)
    assert isinstance(gan.average, averaging.AveragedGenerator)  # one object holds the copy and its count
    assert gan.ema_generator is gan.average.model and gan.ema_updates is gan.average.updates
    saved = {id(v) for _, v in engine.state_variables(gan)}
    assert all(id(v) in saved for v in gan.ema_generator.weights)
    assert id(gan.ema_updates) in saved
    assert len(saved) == len(engine.state_variables(tiny_gan(ema=None))) + len(gan.ema_generator.weights) + 1


@pytest.mark.parametrize("bad, error, words", [
    (1.0, ValueError, "ema must be a decay in [0, 1)"),
    (-0.1, ValueError, "ema must be a decay in [0, 1)"),
    (float("nan"), ValueError, "ema must be a finite number"),
    ("0.99", TypeError, "ema must be a number"),
    (True, TypeError, "ema must be a number"),
])
def test_bad_decay_gets_one_clear_error(bad, error, words):
    with pytest.raises(error, match=words.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        tiny_gan(ema=bad)
