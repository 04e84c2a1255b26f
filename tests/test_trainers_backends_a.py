"""ConditionalGAN, AC-GAN and SGAN on whichever Keras backend runs: one player's step, the game, the data.

Written for every backend (``KERAS_BACKEND=jax pytest ...`` runs them on JAX): a player's
update runs inside ``train_step`` (the engine's, which also takes a batch given directly),
so a step that updates one player only is the trainer's ``step`` replaced for the test.
"""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from gan_keras import engine, models, semi_supervised
from gan_keras.trainers.cgan import AuxiliaryClassifierGAN, ConditionalGAN
from gan_keras.trainers.sgan import SGAN

CLASSES, LATENT, SHAPE = 3, 4, (8, 8, 1)


def images(n=12, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, *SHAPE)).astype("float32")


def labels(n=12):
    return (np.arange(n) % CLASSES).astype("int32")


def small_cgan():
    keras.utils.set_random_seed(0)
    g = models.build_conditional_generator(LATENT, CLASSES, SHAPE, (8, 4))
    d = models.build_conditional_discriminator(SHAPE, CLASSES, (4, 8), dropout=0.0)
    gan = ConditionalGAN(g, d, num_classes=CLASSES, seed=1)
    gan.compile()
    return gan


def small_acgan():
    keras.utils.set_random_seed(0)
    g = models.build_conditional_generator(LATENT, CLASSES, SHAPE, (8, 4))
    d = models.build_auxiliary_discriminator(SHAPE, CLASSES, (4, 8), dropout=0.0)
    gan = AuxiliaryClassifierGAN(g, d, num_classes=CLASSES, class_weight=0.5, seed=1, ema=0.9)
    gan.compile()
    return gan


def small_sgan():
    keras.utils.set_random_seed(0)
    g = models.build_sgan_generator(LATENT, SHAPE, filters=(8, 4))
    d = models.build_sgan_discriminator(SHAPE, CLASSES, filters=(4, 4), feature_units=8)
    model = SGAN(g, d, seed=0)
    model.compile()
    return model


def trainable(model):
    return [np.array(keras.ops.convert_to_numpy(w)) for w in model.trainable_weights]


def iterations(optimizer):
    return int(keras.ops.convert_to_numpy(optimizer.iterations))


def run_only(trainer, step, batch):
    """Run ``step(data) -> loss`` through ``train_step`` (the engine's way on every backend); return the loss."""
    trainer.step = lambda data: {"loss": step(data)}
    try:
        return float(keras.ops.convert_to_numpy(trainer.train_step(batch)["loss"]))
    finally:
        del trainer.step


def conditional_steps(gan):
    def d_only(data):
        x, y = data
        return gan.d_step(keras.ops.convert_to_tensor(x), keras.ops.convert_to_tensor(y))[0]

    return d_only, lambda data: gan.g_step(4)


def sgan_steps(model):
    def d_only(data):
        (x_lab, y_lab), x = data
        return model.d_step(x_lab, y_lab, x)[0]

    return d_only, lambda data: model.g_step(data[1])


CASES = {
    "cgan": (small_cgan, conditional_steps, lambda: (images(4), labels(4))),
    "acgan": (small_acgan, conditional_steps, lambda: (images(4), labels(4))),
    "sgan": (small_sgan, sgan_steps, lambda: ((images(3, seed=1), labels(3)), images(4))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_players_step_changes_only_its_own_weights(name):
    build, steps, batch = CASES[name]
    trainer = build()
    d_only, g_only = steps(trainer)
    g0, d0 = trainable(trainer.generator), trainable(trainer.discriminator)
    loss = run_only(trainer, d_only, batch())
    assert np.isfinite(loss)
    assert any(not np.array_equal(a, b) for a, b in zip(d0, trainable(trainer.discriminator)))
    assert all(np.array_equal(a, b) for a, b in zip(g0, trainable(trainer.generator)))
    assert (iterations(trainer.d_optimizer), iterations(trainer.g_optimizer)) == (1, 0)
    d1 = trainable(trainer.discriminator)
    loss = run_only(trainer, g_only, batch())
    assert np.isfinite(loss)
    assert any(not np.array_equal(a, b) for a, b in zip(g0, trainable(trainer.generator)))
    assert all(np.array_equal(a, b) for a, b in zip(d1, trainable(trainer.discriminator)))
    assert (iterations(trainer.d_optimizer), iterations(trainer.g_optimizer)) == (1, 1)


METRICS = {
    "cgan": {"d_loss", "g_loss", "d_real", "d_fake"},
    "acgan": {"d_loss", "g_loss", "d_real", "d_fake", "class_loss", "class_accuracy"},
    "sgan": {"d_loss", "g_loss", "d_real", "d_fake", "supervised_loss", "labelled_accuracy"},
}


@pytest.mark.parametrize("name", list(CASES))
def test_train_step_on_a_batch_and_fit_give_finite_named_metrics(name):
    build, _, batch = CASES[name]
    trainer = build()
    logs = trainer.train_step(batch())
    assert set(logs) == METRICS[name]
    assert all(np.isfinite(float(keras.ops.convert_to_numpy(v))) for v in logs.values())
    assert (iterations(trainer.d_optimizer), iterations(trainer.g_optimizer)) == (1, 1)
    if name == "sgan":
        data = semi_supervised.make_sgan_dataset(images(6, seed=1), labels(6), images(8), batch_size=4)
        history = trainer.fit(data, epochs=2, verbose=0, shuffle=False).history
    else:
        history = trainer.fit(images(8), labels(8), batch_size=4, epochs=2, verbose=0, shuffle=False).history
    assert set(history) == METRICS[name]
    assert all(np.isfinite(v).all() for v in history.values())
    assert (iterations(trainer.d_optimizer), iterations(trainer.g_optimizer)) == (5, 5)


def test_acgan_moves_its_average_and_samples_from_it():
    gan = small_acgan()
    before = [np.array(w) for w in gan.ema_generator.get_weights()]
    gan.train_step((images(4), labels(4)))
    assert int(keras.ops.convert_to_numpy(gan.ema_updates)) == 1
    assert any(not np.array_equal(a, b) for a, b in zip(before, gan.ema_generator.get_weights()))
    samples = gan.generate([0, 1, 2])
    assert samples.shape == (3, *SHAPE) and np.isfinite(samples).all()


def test_conditional_fit_without_labels_gets_one_clear_error():
    gan = small_cgan()
    with pytest.raises(ValueError, match="needs \\(images, labels\\) batches"):
        gan.train_step(images(4))


def first_batch(data):
    if engine.name() == "tensorflow":
        return keras.tree.map_structure(keras.ops.convert_to_numpy, next(iter(data)))
    return data[0]


def test_sgan_dataset_serves_the_batches_of_its_structure_and_sizes():
    x_lab, y_lab, x = images(5, seed=1), labels(5), images(10)
    data = semi_supervised.make_sgan_dataset(x_lab, y_lab, x, batch_size=4, seed=3)
    (lab, lab_y), real = first_batch(data)
    assert lab.shape == (4, *SHAPE) and lab_y.shape == (4,) and real.shape == (4, *SHAPE)
    assert lab.dtype == np.float32 and lab_y.dtype == np.int32 and real.dtype == np.float32
    # Every labelled image with its own label; every unlabelled one from the data
    for image, label in zip(lab, lab_y):
        (i,) = np.flatnonzero([np.array_equal(image, e) for e in x_lab])
        assert label == y_lab[i]
    assert all(any(np.array_equal(r, e) for e in x) for r in real)
    (lab, _), _ = first_batch(semi_supervised.make_sgan_dataset(x_lab, y_lab, x, batch_size=8, labelled_batch_size=3))
    assert len(lab) == 3


@pytest.mark.skipif(keras.backend.backend() == "tensorflow", reason="the PyDataset is the JAX/PyTorch path")
def test_sgan_batches_are_seeded_cover_an_epoch_and_reshuffle():
    x_lab, y_lab, x = images(5, seed=1), labels(5), images(10)
    a = semi_supervised.make_sgan_dataset(x_lab, y_lab, x, batch_size=4, seed=3)
    b = semi_supervised.make_sgan_dataset(x_lab, y_lab, x, batch_size=4, seed=3)
    assert isinstance(a, keras.utils.PyDataset) and len(a) == 2  # 10 // 4, the remainder dropped
    first = [a[i] for i in range(len(a))]
    for mine, theirs in zip(first, (b[i] for i in range(len(b)))):
        np.testing.assert_array_equal(mine[1], theirs[1])
        np.testing.assert_array_equal(mine[0][0], theirs[0][0])
    real = np.concatenate([batch[1] for batch in first])
    assert len({r.tobytes() for r in real}) == 8  # distinct images of one pass
    # The labelled images repeat, reshuffled: 8 drawn from 5, the first 5 a pass over all of them
    drawn = np.concatenate([batch[0][0] for batch in first])
    assert len(drawn) == 8
    assert {r.tobytes() for r in drawn[:5]} == {r.tobytes() for r in x_lab}
    a.on_epoch_end()
    again = np.concatenate([a[i][1] for i in range(len(a))])
    assert not np.array_equal(again, real)


def test_train_supervised_runs_its_steps():
    d = models.build_sgan_discriminator(SHAPE, CLASSES, filters=(4, 4), feature_units=8)
    history = semi_supervised.train_supervised(d, images(6, seed=1), labels(6), steps=4, batch_size=4)
    assert np.isfinite(history.history["loss"]).all()
    assert iterations(d.optimizer) == 4


def test_modules_train_without_tensorflow():
    """With JAX and no TensorFlow to import: the modules import, the SGAN's data is served, AC-GAN trains."""
    pytest.importorskip("jax")
    script = textwrap.dedent("""
        import sys
        class Block:
            def find_spec(self, name, path=None, target=None):
                if name == "tensorflow" or name.startswith("tensorflow."):
                    raise ImportError("no tensorflow here")
        sys.meta_path.insert(0, Block())
        import numpy as np
        from gan_keras import models
        from gan_keras.trainers.cgan import AuxiliaryClassifierGAN
        from gan_keras import semi_supervised
        from gan_keras.trainers.sgan import SGAN
        x = np.random.default_rng(0).uniform(-1, 1, (8, 8, 8, 1)).astype("float32")
        y = (np.arange(8) % 3).astype("int32")
        (lab, lab_y), real = semi_supervised.make_sgan_dataset(x[:3], y[:3], x, batch_size=4)[1]
        g = models.build_conditional_generator(4, 3, (8, 8, 1), (8, 4))
        d = models.build_auxiliary_discriminator((8, 8, 1), 3, (4, 8))
        gan = AuxiliaryClassifierGAN(g, d, num_classes=3, seed=0)
        gan.compile()
        gan.fit(x, y, batch_size=4, epochs=1, verbose=0)
        assert "tensorflow" not in sys.modules
        print("ok", len(lab), len(real), int(gan.d_optimizer.iterations.numpy()),
              int(gan.g_optimizer.iterations.numpy()))
    """)
    env = dict(os.environ, KERAS_BACKEND="jax", PYTHONPATH=os.pathsep.join(sys.path))
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.split()[-5:] == ["ok", "3", "4", "2", "2"]
