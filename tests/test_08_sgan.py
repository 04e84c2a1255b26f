"""Chapter 08: the semi-supervised GAN's losses, its train_step, the recipe, the checks and a learning test."""

import json

import keras
import numpy as np
import pytest

from gan_keras import checks, data, models, recipes, semi_supervised
from gan_keras.checks._core import ExerciseError
from gan_keras.trainers.sgan import SGAN, feature_matching_loss, real_fake_logit, supervised_loss, unsupervised_loss

LOGITS = np.array([[4.0, -1.0, 0.5], [0.2, 0.1, 0.3], [90.0, 88.0, -5.0]], dtype=np.float32)


def test_real_fake_logit_gives_d_equal_z_over_z_plus_one():
    z = np.exp(LOGITS[:2].astype(np.float64)).sum(axis=1)
    d = keras.ops.convert_to_numpy(keras.ops.sigmoid(real_fake_logit(LOGITS[:2])))
    np.testing.assert_allclose(d, z / (z + 1), rtol=1e-5)
    # Stable where exp overflows in float32.
    big = keras.ops.convert_to_numpy(real_fake_logit(LOGITS))
    assert np.all(np.isfinite(big)) and big[2] == pytest.approx(90 + np.log1p(np.exp(-2.0)), rel=1e-6)


def test_unsupervised_and_supervised_losses_equal_their_formulas():
    fake = LOGITS[::-1] - 3.0
    lse = lambda x: np.log(np.exp(x.astype(np.float64) - x.max(1, keepdims=True)).sum(1)) + x.max(1)
    softplus = lambda x: np.logaddexp(0, x)
    expected = softplus(-lse(LOGITS)).mean() + softplus(lse(fake)).mean()
    assert float(unsupervised_loss(LOGITS, fake)) == pytest.approx(expected, rel=1e-5)
    labels = np.array([0, 2, 1])
    p = np.exp(LOGITS[:2] - LOGITS[:2].max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    ce = -np.mean(np.log(p[np.arange(2), labels[:2]]))
    assert float(supervised_loss(labels[:2], LOGITS[:2])) == pytest.approx(ce, rel=1e-5)
    features = np.random.default_rng(0).normal(size=(8, 5)).astype("float32")
    assert float(feature_matching_loss(features, features)) == 0.0
    assert float(feature_matching_loss(features, features + 1.0)) == pytest.approx(1.0)


def test_labelled_subset_takes_per_class_examples_of_every_class():
    labels = np.repeat(np.arange(10), 7).astype(np.int32)
    keep = semi_supervised.labelled_subset(labels, 3, seed=0)
    assert np.all(np.bincount(labels[keep]) == 3)
    np.testing.assert_array_equal(keep, semi_supervised.labelled_subset(labels, 3, seed=0))
    assert not np.array_equal(keep, semi_supervised.labelled_subset(labels, 3, seed=1))
    with pytest.raises(ValueError, match="fewer than per_class"):
        semi_supervised.labelled_subset(labels, 8)
    with pytest.raises(TypeError, match="integer classes"):
        semi_supervised.labelled_subset(labels.astype(float), 2)


def _small_sgan():
    keras.utils.set_random_seed(0)
    generator = models.build_sgan_generator(8, (8, 8, 1), filters=(8, 4))
    discriminator = models.build_sgan_discriminator((8, 8, 1), 3, filters=(4, 4), feature_units=8)
    model = SGAN(generator, discriminator, seed=0)
    model.compile()
    return model


def test_one_train_step_updates_both_players_and_logs_the_metrics():
    model = _small_sgan()
    rng = np.random.default_rng(0)
    x = rng.uniform(-1, 1, size=(12, 8, 8, 1)).astype("float32")
    y = np.arange(12) % 3
    d_before = [w.copy() for w in model.discriminator.get_weights()]
    g_before = [w.copy() for w in model.generator.get_weights()]
    history = model.fit(semi_supervised.make_sgan_dataset(x[:6], y[:6], x, batch_size=4), epochs=1, verbose=0,
                        shuffle=False)
    assert set(history.history) == {"d_loss", "g_loss", "d_real", "d_fake", "supervised_loss",
                                    "labelled_accuracy"}
    assert all(np.isfinite(v[0]) for v in history.history.values())
    assert any(not np.allclose(a, b) for a, b in zip(d_before, model.discriminator.get_weights()))
    assert any(not np.allclose(a, b) for a, b in zip(g_before, model.generator.get_weights()))


def test_bad_inputs_raise_clear_errors():
    model = _small_sgan()
    x = np.zeros((4, 8, 8, 1), "float32")
    with pytest.raises(ValueError, match="labelled_images, labels"):
        model.train_step(x)
    with pytest.raises(ValueError, match="feature"):
        plain = models.build_dcgan_discriminator((8, 8, 1), filters=(4,))
        SGAN(model.generator, plain)
    with pytest.raises(ValueError, match="generator_objective"):
        SGAN(model.generator, model.discriminator, generator_objective="minimax")
    with pytest.raises(ValueError, match="labels"):
        semi_supervised.make_sgan_dataset(x, [0, 1], x, batch_size=2)


def test_train_sgan_recipe_writes_the_run_files_and_the_test_accuracy(in_tmp):
    config = recipes.TrainConfig(model="sgan", data="digits", epochs=1, out="run", verbose=0)
    result = recipes.train(config)
    run = in_tmp / "run"
    for name in ("history.json", "history.csv", "history.png", "run.json", "generator.keras",
                 "classifier.keras", "progress.gif"):
        assert (run / name).stat().st_size > 0, name
    summary = json.loads((run / "run.json").read_text())["summary"]
    assert summary["num_labelled"] == 100 and summary["per_class"] == 10
    # One epoch on 100 labels: the classifier beats always answering the most common test class
    # (measured 0.694 against 0.103; bound 0.403).
    test_labels = data.load_images("digits", split="test").labels
    majority = float(np.bincount(test_labels).max() / len(test_labels))
    assert summary["test_accuracy"] > majority + 0.3, (summary["test_accuracy"], majority)
    assert result.summary["test_accuracy"] == summary["test_accuracy"]
    with pytest.raises(ValueError, match="own losses"):
        recipes.train(recipes.TrainConfig(model="sgan", data="digits", loss="hinge", out="run2"))


@pytest.mark.learning
def test_sgan_classifier_beats_the_supervised_only_baseline_on_the_same_labels():
    train = data.load_images("digits")
    test = data.load_images("digits", split="test")
    # 3 labels per class (30 labelled images) and the 1437 training images unlabelled;
    # both networks start from the same weights and take the same 660 updates (30 epochs).
    # Measured on an Intel Xeon (AVX-512), test accuracy SGAN / labels only:
    #   30 epochs: seed 0 0.853 / 0.847, seed 1 0.814 / 0.764 (this test), seed 2 0.844 / 0.789.
    #   10 epochs: seed 0 0.844 / 0.842; earlier, on an AMD EPYC, seeds 0, 1, 2 gave
    #   0.853 / 0.842, 0.786 / 0.769, 0.789 / 0.797.
    # After 10 epochs the gain is within the noise and changes sign between CPUs (their
    # oneDNN kernels round differently); after 30 the labels-only network has stopped
    # improving and the SGAN gains 0.6 to 5.6 points on every seed.
    # This seed, rerun for issue 14 (Xeon, AVX-512): 0.811 / 0.764, chance (the most common
    # test class) 0.103. Bounds: SGAN 2 points over labels-only (was 0.5), labels-only 0.5
    # over chance, SGAN over 0.8.
    result = semi_supervised.compare_with_supervised(train, test, per_class=3, epochs=30, seed=1)
    # Chance: always answering the most common test class (0.10 on the balanced digits).
    majority = float(np.bincount(test.labels).max() / len(test.labels))
    assert result["sgan_accuracy"] > result["supervised_accuracy"] + 0.02, result
    assert result["supervised_accuracy"] > majority + 0.5, (result, majority)  # the baseline itself learned
    assert result["sgan_accuracy"] > 0.8, result


# --- exercise checks -------------------------------------------------------------------

def test_checks_accept_the_references():
    assert checks.check_real_fake_logit(real_fake_logit, quiet=True)
    assert checks.check_unsupervised_loss(unsupervised_loss, quiet=True)


@pytest.mark.parametrize("wrong, words", [
    (lambda l: keras.ops.max(l, axis=-1), "largest class logit"),
    (lambda l: keras.ops.log(keras.ops.sum(keras.ops.softmax(l), axis=-1)), "softmax"),
    (lambda l: keras.ops.log(keras.ops.sum(keras.ops.exp(l), axis=-1)), "overflows"),
    (lambda l: keras.ops.logsumexp(l), "class axis"),
])
def test_real_fake_logit_check_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        checks.check_real_fake_logit(wrong)


def _unsup(swap=False, use_max=False, only_real=False):
    def fn(real, fake):
        reduce = (lambda l: keras.ops.max(l, axis=-1)) if use_max else real_fake_logit
        r, f = reduce(real), reduce(fake)
        if swap:
            r, f = -r, -f
        loss = keras.ops.mean(keras.ops.softplus(-r))
        return loss if only_real else loss + keras.ops.mean(keras.ops.softplus(f))
    return fn


@pytest.mark.parametrize("wrong, words", [
    (_unsup(swap=True), "swapped"),
    (_unsup(use_max=True), "largest class logit"),
    (_unsup(only_real=True), "two terms"),
])
def test_unsupervised_loss_check_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        checks.check_unsupervised_loss(wrong)
