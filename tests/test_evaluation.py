"""The evaluation module and `python -m gan_keras evaluate`: offline, safe loading, sensible numbers."""

import json

import keras
import numpy as np
import pytest

from gan_keras import data, io
from gan_keras.app.cli import main
from gan_keras.measure import evaluation
from gan_keras.models import build_dcgan_generator

# One worker runs this file (pytest-xdist): its module fixtures are made once.
pytestmark = pytest.mark.xdist_group("test_evaluation")


@pytest.fixture(scope="module")
def classifier():
    from gan_keras.measure.classifier import get_classifier

    return get_classifier("digits")


def write_run(folder, generator, model="dcgan"):
    folder.mkdir(parents=True, exist_ok=True)
    io.save_model(generator, folder / "generator.keras")
    io.write_json(folder / "run.json", {"config": {"model": model, "data": "digits"}})
    return folder


def test_real_images_beat_noise_and_a_mean_image_on_every_metric_but_parzen(classifier):
    validation, test = evaluation.real_splits("digits")
    train = data.load_images("digits").images
    rng = np.random.default_rng(0)
    real = evaluation.evaluate_samples(train[:300], test, validation, classifier=classifier)
    noise = evaluation.evaluate_samples(rng.uniform(-1, 1, (300, 28, 28, 1)).astype("float32"), test,
                                        validation, classifier=classifier)
    mean_image = np.repeat(train.mean(0, keepdims=True), 300, axis=0)
    mean = evaluation.evaluate_samples(
        np.clip(mean_image + rng.normal(0, 0.01, mean_image.shape), -1, 1).astype("float32"),
        test, validation, classifier=classifier)
    for bad in (noise, mean):
        assert real["frechet_distance"] < bad["frechet_distance"]
        assert real["kernel_distance"] < bad["kernel_distance"]
        assert real["classifier_score"] > bad["classifier_score"]
        assert real["recall"] > bad["recall"]
    # 300 samples against 180 test images with k = 3 (measured: precision 0.95, recall 0.69).
    assert real["precision"] > 0.8 and real["recall"] > 0.6
    # One blurry image sits inside the real manifold (precision) but covers nothing (recall).
    assert mean["recall"] < 0.05
    assert real["classifier_score"] > 7
    assert real["parzen_log_likelihood"] > noise["parzen_log_likelihood"]
    assert set(evaluation.DESCRIPTIONS) <= set(real)


def test_evaluate_run_and_the_command_line(tmp_path, classifier, capsys):
    keras.utils.set_random_seed(0)
    run = write_run(tmp_path / "run", build_dcgan_generator(8))
    result = evaluation.evaluate_run(run, num_samples=100)
    saved = json.loads((run / "evaluation.json").read_text())
    assert saved["frechet_distance"] == pytest.approx(result["frechet_distance"])
    assert saved["model"] == "dcgan" and saved["num_samples"] == 100
    # The command prints the same figures (same seed) and rewrites the file.
    (run / "evaluation.json").unlink()
    assert main(["evaluate", str(run), "--num-samples", "100"]) == 0
    out = capsys.readouterr().out
    assert "Frechet distance" in out and "Parzen" in out and "evaluation.json" in out
    assert f"{result['frechet_distance']:.2f}" in out
    assert json.loads((run / "evaluation.json").read_text())["num_samples"] == 100


def test_evaluate_refuses_what_it_cannot_measure(tmp_path, capsys):
    assert main(["evaluate", str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert main(["evaluate", str(tmp_path / "empty")]) == 2
    assert "generator.keras" in capsys.readouterr().err
    # A file with a Lambda layer (arbitrary code) is refused by safe mode.
    z = keras.Input((4,))
    unsafe = keras.Model(z, keras.layers.Reshape((28, 28, 1))(
        keras.layers.Lambda(lambda t: keras.ops.tile(t, (1, 196)))(z)))
    run = write_run(tmp_path / "unsafe", unsafe)
    with pytest.raises(ValueError, match="(?i)lambda|unsafe|safe_mode"):
        evaluation.load_generator(run)
    with pytest.raises(ValueError, match="unconditional"):
        two = [keras.Input((4,)), keras.Input((1,))]
        evaluation.sample_generator(keras.Model(two, keras.layers.Concatenate()(two)), 5)
    with pytest.raises(ValueError, match="shape"):
        evaluation.evaluate_samples(np.zeros((10, 8, 8, 1), np.float32), np.zeros((10, 28, 28, 1), np.float32),
                                    np.zeros((10, 28, 28, 1), np.float32))


def test_format_table():
    table = evaluation.format_table({"vae": {"frechet_distance": 12.345, "parzen_log_likelihood": -100.0,
                                             "parzen_stderr": 2.0}, "gan": {}})
    assert "12.35" in table and "-100.0 ± 2.0" in table and "vae" in table.splitlines()[0]
    assert evaluation.format_markdown_table({"vae": {"recall": 0.5}}).splitlines()[1] == "|---|---:|"


def test_project_to_latent_finds_a_generated_image_again():
    keras.utils.set_random_seed(1)
    z_in = keras.Input((4,))
    pixels = keras.layers.Dense(784, activation="tanh",
                                kernel_initializer=keras.initializers.RandomNormal(0, 0.5))(z_in)
    generator = keras.Model(z_in, keras.layers.Reshape((28, 28, 1))(pixels))
    z_true = np.random.default_rng(3).standard_normal((4, 4)).astype("float32")
    targets = generator.predict(z_true, verbose=0)
    start = generator.predict(np.random.default_rng(0).standard_normal((4, 4)).astype("float32"), verbose=0)
    z, closest = evaluation.project_to_latent(generator, targets, steps=100, learning_rate=0.05, seed=0)
    before = np.mean((start - targets) ** 2)
    after = np.mean((closest - targets) ** 2)
    assert z.shape == (4, 4)
    assert after < 0.25 * before


def test_blurred_mean_images():
    images = data.load_images("digits", limit=50).images
    baseline = evaluation.blurred_mean_images(images, 7, noise=0.0)
    assert baseline.shape == (7, 28, 28, 1) and baseline.min() >= -1 and baseline.max() <= 1
    np.testing.assert_allclose(baseline[0], baseline[6])
    from scipy.ndimage import gaussian_filter

    np.testing.assert_allclose(baseline[0, ..., 0], gaussian_filter(images.mean(0)[..., 0], 1.0), atol=1e-6)
