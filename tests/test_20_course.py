"""Issue 20: the course agrees with the mathematics and the lectures.

The DeepDream formula of the note against ``dream_loss``; ``d_steps=k`` draws k real
minibatches (and ``d_steps=1`` is unchanged); SGD momentum against a hand computation;
nearest training images on a known case; the plain autoencoder (its check and its learning).
"""

import re
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import ops

from gan_keras import data, engine, models, numpy_gan
from gan_keras.checks._core import ExerciseError
from gan_keras.data import batches
from gan_keras.trainers.gan import GAN

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------------------------------
# Error 2: one DeepDream formula everywhere
# ---------------------------------------------------------------------------------------

NOTE_FORMULA = (r"L(x) = \sum_l w_l \, \frac{1}{|\Omega_l| \, C_l} \sum_{(i,j) \in \Omega_l} "
                r"\sum_{c=1}^{C_l} a_l(x)_{ijc}^2")


def note_dream_loss(activations, weights):
    """The note's formula, restated term by term: interior pixels, every channel, divided by |Omega| C."""
    total = 0.0
    for name, w in weights.items():
        a = np.asarray(activations[name], np.float64)[0]  # one picture
        interior = a[1:-1, 1:-1, :]
        omega, channels = interior.shape[0] * interior.shape[1], interior.shape[2]
        total += w * np.sum(interior ** 2) / (omega * channels)
    return total


def test_the_note_states_the_formula_the_code_computes():
    from gan_keras.dream import dream_loss

    note = (ROOT / "course" / "05_deepdream.md").read_text(encoding="utf-8")
    assert NOTE_FORMULA in re.sub(r"\s+", " ", note), "the note's DeepDream formula changed: update the test"
    rng = np.random.default_rng(0)
    # Two layers of different sizes and channel counts (a sum over channels would be 5x and 3x off)
    acts = {"mixed4": rng.normal(size=(1, 7, 6, 5)).astype("float32"),
            "mixed5": rng.normal(size=(1, 5, 9, 3)).astype("float32")}
    weights = {"mixed4": 1.0, "mixed5": 1.5}
    got = float(dream_loss({k: ops.convert_to_tensor(v) for k, v in acts.items()}, weights))
    np.testing.assert_allclose(got, note_dream_loss(acts, weights), rtol=1e-5)
    summed = sum(w * np.sum(acts[k][0, 1:-1, 1:-1] ** 2) / ((acts[k].shape[1] - 2) * (acts[k].shape[2] - 2))
                 for k, w in weights.items())
    assert abs(got - summed) > 0.5 * got  # the old note's sum over channels is not what the code does


# ---------------------------------------------------------------------------------------
# Error 6: d_steps = k draws k real minibatches per generator step
# ---------------------------------------------------------------------------------------

def tiny_gan(d_steps, seed=0):
    keras.utils.set_random_seed(seed)
    g = models.build_mlp_generator(6, (4, 3, 1), hidden_units=(10,))
    d = models.build_mlp_discriminator((4, 3, 1), hidden_units=(10,))
    gan = GAN(g, d, d_steps=d_steps, seed=seed)
    gan.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05), run_eagerly=True)
    return gan


def images(n, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, (n, 4, 3, 1)).astype("float32")


def test_k_discriminator_steps_each_see_their_own_real_minibatch():
    k, m = 3, 5
    gan = tiny_gan(k)
    seen, g_batches = [], []
    d_step, g_step = gan.d_step, gan.g_step
    gan.d_step = lambda real: (seen.append(ops.convert_to_numpy(real)), d_step(real))[1]
    gan.g_step = lambda n: (g_batches.append(int(n)), g_step(n))[1]
    batch = images(k * m)
    gan.train_step(ops.convert_to_tensor(batch))
    assert len(seen) == k and g_batches == [m]
    assert all(s.shape == (m, 4, 3, 1) for s in seen)
    rows = [{r.tobytes() for r in s} for s in seen]
    assert all(len(rows[i] & rows[j]) == 0 for i in range(k) for j in range(i + 1, k))  # distinct minibatches
    assert set().union(*rows) == {r.tobytes() for r in batch}  # together: the whole batch
    np.testing.assert_array_equal(seen[1], batch[1::k])
    assert int(gan.d_optimizer.iterations) == k and int(gan.g_optimizer.iterations) == 1


def test_conditional_gan_k_steps_see_their_own_images_with_their_own_labels():
    from gan_keras.models import conditional
    from gan_keras.trainers.cgan import ConditionalGAN

    k, m = 2, 5
    keras.utils.set_random_seed(0)
    g = conditional.build_conditional_generator(6, num_classes=3, image_shape=(8, 12, 1), filters=(4, 2))
    d = conditional.build_conditional_discriminator((8, 12, 1), num_classes=3, filters=(2, 4))
    cgan = ConditionalGAN(g, d, num_classes=3, d_steps=k, seed=0)
    cgan.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05), run_eagerly=True)
    seen, g_batches = [], []
    d_step, g_step = cgan.d_step, cgan.g_step
    cgan.d_step = lambda x, y: (seen.append((ops.convert_to_numpy(x), ops.convert_to_numpy(y))), d_step(x, y))[1]
    cgan.g_step = lambda n: (g_batches.append(int(n)), g_step(n))[1]
    batch = np.random.default_rng(0).uniform(-1, 1, (k * m, 8, 12, 1)).astype("float32")
    labels = np.arange(k * m, dtype="int32") % 3
    cgan.train_step((ops.convert_to_tensor(batch), ops.convert_to_tensor(labels)))
    assert len(seen) == k and g_batches == [m]
    for i, (x, y) in enumerate(seen):
        np.testing.assert_array_equal(x, batch[i::k])
        np.testing.assert_array_equal(y, labels[i::k])  # each image keeps its own label


class OldGAN(GAN):
    """The train_step before issue 20: every discriminator step reused the one batch."""

    def train_step(self, data):
        real_samples, _ = engine.split_batch(data)
        batch_size = ops.shape(real_samples)[0]
        for _ in range(self.d_steps):
            d_loss, real_logits, fake_logits = self.d_step(real_samples)
        g_loss = self.g_step(batch_size)
        return self.update_trackers(d_loss, g_loss, real_logits, fake_logits)


def test_one_discriminator_step_is_bit_identical_to_before():
    runs = []
    for cls in (GAN, OldGAN):
        keras.utils.set_random_seed(0)
        g = models.build_mlp_generator(6, (4, 3, 1), hidden_units=(10,))
        d = models.build_mlp_discriminator((4, 3, 1), hidden_units=(10,))
        gan = cls(g, d, d_steps=1, seed=0)
        gan.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05))
        ds = batches.make_dataset(images(40), batch_size=8, seed=0)
        history = gan.fit(ds, epochs=2, verbose=0, shuffle=False).history
        runs.append(([w.numpy() for w in gan.trainable_weights], history))
    for a, b in zip(runs[0][0], runs[1][0]):
        np.testing.assert_array_equal(a, b)
    assert runs[0][1] == runs[1][1]


def test_old_reuse_and_new_draws_differ_for_k_above_one():
    """With k = 2 the new step is not the old one (it would be if the minibatches were the same)."""
    results = []
    for cls, batch in ((GAN, images(16)), (OldGAN, images(16)[0::2])):
        keras.utils.set_random_seed(0)
        g = models.build_mlp_generator(6, (4, 3, 1), hidden_units=(10,))
        d = models.build_mlp_discriminator((4, 3, 1), hidden_units=(10,))
        gan = cls(g, d, d_steps=2, seed=0)
        gan.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05), run_eagerly=True)
        gan.train_step(ops.convert_to_tensor(batch))
        results.append([w.numpy() for w in gan.discriminator.trainable_weights])
    assert max(np.abs(a - b).max() for a, b in zip(*results)) > 1e-6


# ---------------------------------------------------------------------------------------
# Error 5: SGD with momentum, by hand
# ---------------------------------------------------------------------------------------

def test_sgd_momentum_matches_a_hand_computation():
    opt = numpy_gan.SGD(learning_rate=0.1, momentum=0.5)
    p = {"w": np.array([1.0, -2.0, 0.5])}
    grads = [np.array([0.2, -0.4, 1.0]), np.array([0.2, 0.6, -1.0]), np.array([-0.1, 0.0, 0.3])]
    # By hand: v1 = -0.1 g1; v2 = 0.5 v1 - 0.1 g2; v3 = 0.5 v2 - 0.1 g3; p = p0 + v1 + v2 + v3
    v1 = np.array([-0.02, 0.04, -0.1])
    v2 = np.array([-0.01 - 0.02, 0.02 - 0.06, -0.05 + 0.1])
    v3 = np.array([-0.015 + 0.01, -0.02 - 0.0, 0.025 - 0.03])
    expected = np.array([1.0, -2.0, 0.5]) + v1 + v2 + v3
    for g in grads:
        opt.apply(p, {"w": g})
    np.testing.assert_allclose(p["w"], expected, atol=1e-12)
    plain = {"w": np.array([1.0, -2.0, 0.5])}
    numpy_gan.SGD(0.1).apply(plain, {"w": grads[0]})
    np.testing.assert_allclose(plain["w"], [0.98, -1.96, 0.4], atol=1e-12)  # momentum 0: p - lr g


def test_numpy_gan_passes_momentum_to_both_players_in_the_papers_setting():
    gan = numpy_gan.NumpyGAN(seed=0, **numpy_gan.PAPER_SGD)
    assert isinstance(gan.d_optimizer, numpy_gan.SGD) and gan.d_optimizer is not gan.g_optimizer
    assert gan.d_optimizer.momentum == gan.g_optimizer.momentum == 0.5
    assert gan.d_optimizer.learning_rate == 0.1
    real = data.to_unit(data.load_images("digits", limit=200).images).reshape(-1, 784)
    plain = numpy_gan.NumpyGAN(seed=0, optimizer="sgd", learning_rate=0.1)
    for model in (gan, plain):
        for i in range(3):
            model.train_step(real[i * 50:(i + 1) * 50])
    # Same seed, same batches: the first step agrees (no velocity yet), later ones differ
    assert gan.history["d_loss"][0] == plain.history["d_loss"][0]
    assert gan.history["d_loss"][2] != plain.history["d_loss"][2]
    assert [numpy_gan.paper_momentum(e) for e in (0, 1, 125, 250, 400)] == pytest.approx(
        [0.5, 0.5, 0.5 + 0.2 * 124 / 249, 0.7, 0.7])
    with pytest.raises(ValueError, match="momentum"):
        numpy_gan.NumpyGAN(optimizer="adam", momentum=0.5)
    with pytest.raises(ValueError, match="momentum"):
        numpy_gan.NumpyGAN(optimizer="sgd", momentum=1.0)


# ---------------------------------------------------------------------------------------
# Missing: samples next to their nearest training images
# ---------------------------------------------------------------------------------------

def test_nearest_neighbours_on_a_known_case():
    from gan_keras.measure.neighbours import memorisation_summary, nearest_neighbours

    train = np.zeros((5, 2, 3, 1), np.float32)
    for i in range(5):
        train[i] = i  # image i is all i: distance between i and j is |i - j| * sqrt(6)
    samples = np.stack([np.full((2, 3, 1), 3.2), np.full((2, 3, 1), -1.0), train[1]]).astype(np.float32)
    idx, dist = nearest_neighbours(samples, train, k=2)
    np.testing.assert_array_equal(idx, [[3, 4], [0, 1], [1, 0]])  # a tie (0 and 2 for sample 1): lower first
    np.testing.assert_allclose(dist, np.sqrt(6) * np.array([[0.2, 0.8], [1.0, 2.0], [0.0, 1.0]]), atol=1e-6)
    summary = memorisation_summary(train[:2], train, samples[:2])  # copies against new images
    assert summary["samples_median"] == 0.0 and summary["ratio"] == 0.0
    with pytest.raises(ValueError, match="values per image"):
        nearest_neighbours(samples, np.zeros((4, 3, 3, 1)))
    with pytest.raises(ValueError, match="k must"):
        nearest_neighbours(samples, train, k=6)
    with pytest.raises(ValueError, match="NaN"):
        nearest_neighbours(np.full((1, 2, 3, 1), np.nan), train)


def test_nearest_neighbour_figure_has_one_row_per_sample():
    from gan_keras.measure.neighbours import plot_nearest_neighbours

    train = np.random.default_rng(0).uniform(-1, 1, (20, 6, 5, 1)).astype("float32")
    fig = plot_nearest_neighbours(train[:4] + 0.01, train, k=2)
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["sample", "nearest 1", "nearest 2"]
    assert len(ax.texts) == 4 * 2


# ---------------------------------------------------------------------------------------
# Missing: the plain autoencoder (builder, trainer, check 7.3)
# ---------------------------------------------------------------------------------------

def test_autoencoder_check_accepts_its_reference():
    from gan_keras.checks.ch07 import check_autoencoder_loss
    from gan_keras.trainers.autoencoder import reconstruction_loss

    assert check_autoencoder_loss(reconstruction_loss, quiet=True) is True


def _targets(images):
    return (ops.cast(images, "float32") + 1.0) / 2.0


def _bce(t, logits):
    return ops.relu(logits) - logits * t + ops.softplus(-ops.abs(logits))


def _per_image(x):
    return ops.sum(ops.reshape(x, (ops.shape(x)[0], -1)), axis=1)


WRONG_AUTOENCODER_LOSSES = [
    (lambda x, l: -ops.mean(_per_image(_bce(_targets(x), l))), "sign"),
    (lambda x, l: ops.mean(_per_image(_bce(x, l))), "(images + 1) / 2"),
    (lambda x, l: ops.mean(_bce(_targets(x), l)), "averaged over the pixels"),
    (lambda x, l: ops.sum(_bce(_targets(x), l)), "summed over the batch"),
    (lambda x, l: ops.mean(_per_image(ops.square(ops.sigmoid(l) - _targets(x)))), "squared error"),
    (lambda x, l: ops.mean(_per_image(ops.square(ops.tanh(l / 2) - x))), "squared error"),
    (lambda x, l: ops.mean(_per_image(-(_targets(x) * ops.log(ops.clip(l, 1e-7, 1 - 1e-7)) + (1 - _targets(x))
                                        * ops.log(1 - ops.clip(l, 1e-7, 1 - 1e-7))))), "logits, not probabilities"),
    (lambda x, l: ops.mean(_per_image(_bce(_targets(x), l))) / 2.0, "expected"),
]


@pytest.mark.parametrize("wrong,words", WRONG_AUTOENCODER_LOSSES)
def test_autoencoder_check_rejects_typical_mistakes(wrong, words):
    from gan_keras.checks.ch07 import check_autoencoder_loss

    with pytest.raises(ExerciseError, match=re.escape(words)):
        check_autoencoder_loss(wrong, quiet=True)


def test_autoencoder_refuses_a_vae_encoder_and_mismatched_parts():
    from gan_keras.models.autoencoder import build_autoencoder, build_autoencoder_encoder
    from gan_keras.trainers.autoencoder import Autoencoder

    encoder, decoder = build_autoencoder(3)
    with pytest.raises(ValueError, match="one code z"):
        Autoencoder(models.build_vae_encoder(3), decoder)
    with pytest.raises(ValueError, match="decoder takes"):
        Autoencoder(build_autoencoder_encoder(4), decoder)
    with pytest.raises(TypeError, match="keras optimizer"):
        Autoencoder(encoder, decoder).compile(optimizer="adam")


@pytest.mark.learning
def test_autoencoder_reconstructs_held_out_digits_better_than_the_mean_image():
    from gan_keras.models.autoencoder import build_autoencoder
    from gan_keras.trainers.autoencoder import Autoencoder, reconstruction_loss

    digits = data.load_images("digits").images
    train, test = digits[:1200], digits[1200:]
    keras.utils.set_random_seed(0)
    ae = Autoencoder(*build_autoencoder(8))
    ae.compile(keras.optimizers.Adam(3e-3))
    history = ae.fit(batches.make_dataset(train, batch_size=64, seed=0), epochs=15, verbose=0, shuffle=False).history
    assert history["reconstruction_loss"][-1] < history["reconstruction_loss"][0]
    test_codes = ae.encode(test)
    assert test_codes.shape == (len(test), 8)
    test_loss = float(reconstruction_loss(test, ae.decoder_logits(test_codes)))
    # The trivial answer: the best constant Bernoulli image, the training set's mean pixel values
    mean_target = np.clip((train.mean(axis=0) + 1) / 2, 1e-4, 1 - 1e-4)
    mean_logits = np.broadcast_to(np.log(mean_target / (1 - mean_target)), test.shape).astype("float32")
    baseline = float(reconstruction_loss(test, mean_logits))
    # Grey pixels make part of the loss unavoidable: their entropy. Compare what is above it.
    t = (test.astype(np.float64) + 1) / 2
    floor = float(np.mean(np.sum(-(t * np.log(np.clip(t, 1e-12, 1)) + (1 - t) * np.log(np.clip(1 - t, 1e-12, 1)))
                                 .reshape(len(t), -1), axis=1)))
    assert floor < test_loss < baseline
    assert test_loss - floor < 0.5 * (baseline - floor), (test_loss, baseline, floor)
