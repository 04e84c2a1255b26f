"""Self-conditioning: k-means clusters as labels, the noise-only cluster generator, cluster shares, the ablation."""

import importlib.util
import json
from pathlib import Path

import keras
import numpy as np
import pytest

from gan_keras import data, io, models, recipes
from gan_keras.models import clusters
from gan_keras.trainers.cgan import ConditionalGAN
from gan_keras.trainers.gan import GAN

ROOT = Path(__file__).resolve().parents[1]


def test_clusters_are_deterministic_and_their_shares_sum_to_one():
    images = data.load_images("digits", limit=300).images
    labels, shares = models.cluster_images(images, 7, seed=3)
    again, _ = models.cluster_images(images, 7, seed=3)
    np.testing.assert_array_equal(labels, again)
    assert labels.dtype == np.int32 and labels.shape == (300,)
    assert set(np.unique(labels)) == set(range(7))
    np.testing.assert_allclose(shares, np.bincount(labels, minlength=7) / 300)
    assert shares.sum() == pytest.approx(1.0)


def test_clusters_group_digits_without_labels():
    """Pixel k-means on the digits: most clusters hold mostly one digit (labels read only to check)."""
    digits = data.load_images("digits")
    labels, _ = models.cluster_images(digits.images, 30, seed=0)
    purity = sum(np.bincount(digits.labels[labels == k]).max() for k in range(30)) / len(labels)
    # A clustering that ignores the images (random groups) has about the largest digit share, 0.10
    shuffled = np.random.default_rng(0).permutation(labels)
    chance = sum(np.bincount(digits.labels[shuffled == k]).max() for k in range(30)) / len(labels)
    assert purity > 0.8 > 2 * chance, (purity, chance)


def test_more_clusters_than_images_is_refused():
    with pytest.raises(ValueError, match="clusters must be at most the number of images"):
        models.cluster_images(np.zeros((5, 28, 28, 1), "float32"), 6)


def test_cluster_choice_draws_each_cluster_with_its_share():
    shares = [0.1, 0.3, 0.05, 0.15, 0.4]
    z = np.random.default_rng(0).standard_normal((40000, 9)).astype("float32")
    picked = keras.ops.convert_to_numpy(clusters.ClusterChoice(shares)(z))
    np.testing.assert_array_equal(picked, clusters.choose_clusters(z, shares))
    np.testing.assert_allclose(np.bincount(picked, minlength=5) / len(z), shares, atol=0.01)
    # Only the first coordinate decides: the others are the noise
    z2 = z.copy()
    z2[:, 1:] = 0
    np.testing.assert_array_equal(clusters.choose_clusters(z2, shares), picked)


@pytest.mark.parametrize("shares", [[0.5, 0.6], [1.2, -0.2], [float("nan"), 1.0], [[0.5, 0.5]]])
def test_bad_shares_get_one_clear_error(shares):
    with pytest.raises(ValueError, match="frequencies must be"):
        clusters.ClusterChoice(shares)


def test_noise_only_generator_is_the_conditional_one_on_the_chosen_cluster(tmp_path):
    shares = [0.2, 0.5, 0.3]
    conditional = models.build_conditional_generator(6, 3, (28, 20, 1), (8, 4), upsampling="nearest")
    wrapped = models.build_cluster_generator(conditional, shares)
    z = np.random.default_rng(1).standard_normal((12, 6)).astype("float32")
    chosen = clusters.choose_clusters(z, shares)
    np.testing.assert_allclose(wrapped.predict(z, verbose=0), conditional.predict([z, chosen], verbose=0), atol=1e-6)
    path = io.save_model(wrapped, tmp_path / "generator.keras")
    loaded = io.load_model(path)  # safe mode; the package's layer is registered by the loader
    np.testing.assert_allclose(loaded.predict(z, verbose=0), wrapped.predict(z, verbose=0), atol=1e-6)


def test_requested_labels_follow_the_class_frequencies():
    g = models.build_conditional_generator(4, 3, (28, 20, 1), (8, 4))
    d = models.build_conditional_discriminator((28, 20, 1), 3, (4, 8))
    gan = ConditionalGAN(g, d, num_classes=3, seed=0, class_frequencies=[0.6, 0.1, 0.3])
    labels = keras.ops.convert_to_numpy(gan.sample_labels(20000))
    np.testing.assert_allclose(np.bincount(labels, minlength=3) / 20000, [0.6, 0.1, 0.3], atol=0.012)
    uniform = ConditionalGAN(g, d, num_classes=3, seed=0)
    labels = keras.ops.convert_to_numpy(uniform.sample_labels(20000))
    np.testing.assert_allclose(np.bincount(labels, minlength=3) / 20000, [1 / 3] * 3, atol=0.012)
    with pytest.raises(ValueError, match="class_frequencies must be 3 shares"):
        ConditionalGAN(g, d, num_classes=3, class_frequencies=[0.5, 0.5])


def test_train_dcgan_saves_a_noise_only_self_conditioned_generator(tmp_path):
    result = recipes.train(recipes.TrainConfig(model="dcgan", data="digits", epochs=1, limit=128, batch_size=32,
                                               out=str(tmp_path / "run"), verbose=0))
    summary = json.loads((tmp_path / "run" / "run.json").read_text())["summary"]
    assert summary["clusters"] == 50 and len(summary["cluster_shares"]) == 50
    assert 0 < summary["cluster_purity"] <= 1
    g = io.load_model(tmp_path / "run" / "generator.keras")
    assert len(g.inputs) == 1 and g.input_shape == (None, 64)
    z = np.random.default_rng(0).standard_normal((4, 64)).astype("float32")
    chosen = clusters.choose_clusters(z, summary["cluster_shares"])
    np.testing.assert_allclose(g.predict(z, verbose=0),
                               result.model.sample_generator.predict([z, chosen], verbose=0), atol=1e-5)
    # The lecture's unconditional DCGAN is one setting away
    plain = recipes.train(recipes.TrainConfig(model="dcgan", data="digits", epochs=1, limit=128, batch_size=32,
                                              out=str(tmp_path / "plain"), verbose=0, extra={"clusters": 0}))
    assert type(plain.model) is GAN


def test_a_misspelt_recipe_setting_is_refused():
    with pytest.raises(ValueError, match="train dcgan has no setting 'cluster'"):
        recipes.train(recipes.TrainConfig(model="dcgan", data="digits", epochs=1, limit=64, batch_size=32,
                                          verbose=0, extra={"cluster": 10}))


def test_the_ablation_ends_at_the_recipes_defaults_and_changes_something_at_every_step():
    spec = importlib.util.spec_from_file_location("quality_ablation", ROOT / "benchmarks" / "quality_ablation.py")
    ablation = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ablation)
    from gan_keras.recipes import cgan, dcgan

    for model, recipe in (("dcgan", dcgan), ("cgan", cgan)):
        steps = [settings for _, _, settings in ablation.STEPS[model]]
        first = {k: v for k, v in steps[0].items() if k != "epochs"}
        assert {k: recipe.LECTURE[k] for k in first} == first, model  # starts at the lecture's model
        last = dict(steps[-1])
        assert last.pop("epochs") == recipe.FULL["epochs"]
        assert {k: recipe.RECIPE[k] for k in last} == last, model  # ends at the recipe's defaults
        for before, after in zip(steps, steps[1:]):
            assert before != after, model


@pytest.mark.parametrize("bad, error, words", [("cubic", ValueError, "unknown upsampling 'cubic'"),
                                               (2, TypeError, "upsampling must be a string")])
def test_bad_upsampling_gets_one_clear_error(bad, error, words):
    for build in (lambda: models.build_dcgan_generator(8, upsampling=bad),
                  lambda: models.build_conditional_generator(8, 3, upsampling=bad)):
        with pytest.raises(error, match=words):
            build()


def test_resize_generator_draws_images_in_range_without_transposed_convolutions():
    g = models.build_dcgan_generator(8, (28, 20, 1), (16, 8), upsampling="nearest")
    assert not any(isinstance(l, keras.layers.Conv2DTranspose) for l in g.layers)
    out = g.predict(np.random.default_rng(0).standard_normal((3, 8)).astype("float32"), verbose=0)
    assert out.shape == (3, 28, 20, 1) and np.abs(out).max() <= 1
