"""Chapter 05: DeepDream raises the chosen layers' activations; octaves, processing, checks, the CLI."""

import numpy as np
import pytest

from gan_keras import checks, dream, images
from gan_keras.checks import ExerciseError

# One worker runs this file (pytest-xdist): its module fixtures are made once.
pytestmark = pytest.mark.xdist_group("test_05_deepdream")

LAYERS = {"mixed3": 1.0, "mixed5": 2.0}


@pytest.fixture(scope="module")
def model():
    return dream.build_dream_model(LAYERS, weights=None, seed=0)


def test_dream_raises_the_chosen_layers_activation(model):
    image = images.load_image("grace_hopper", max_size=96)
    result = dream.deep_dream(image, model, steps=4, num_octaves=2, step_size=0.02,
                              max_loss=None, progress=0)
    assert result.weights == "random"
    assert result.layers == LAYERS
    assert result.image.shape == image.shape
    assert 0.0 <= result.image.min() and result.image.max() <= 1.0
    before = dream.layer_activation(model, image)
    after = dream.layer_activation(model, result.image)
    # Measured on the returned picture, not on the optimiser's internal copy.
    assert after > 1.5 * before, (before, after)
    # The dream changes the picture without erasing it.
    assert np.corrcoef(result.image.ravel(), image.ravel())[0, 1] > 0.5


def test_max_loss_stops_each_octave_early(model):
    image = images.load_image("china", max_size=120)
    start = dream.layer_activation(model, image)
    result = dream.deep_dream(image, model, steps=6, num_octaves=2, max_loss=start * 0.5, progress=0)
    # Every octave stops after its first step, whose loss is already above the limit.
    assert len(result.losses) == len(result.octave_shapes) == 2


def test_octaves_go_from_small_to_the_original_size():
    shapes = dream.octave_shapes(200, 300, num_octaves=3, octave_scale=1.4)
    assert shapes == [(102, 153), (143, 214), (200, 300)]
    # Never below the 75 pixels InceptionV3 needs to reach its last block.
    assert dream.octave_shapes(90, 90, 4, 1.4) == [(75, 75), (90, 90)]


def test_preprocess_matches_inception_and_round_trips():
    image = images.draw_waves(80)
    x = dream.preprocess(image)
    assert x.shape == (1, 80, 80, 3) and x.min() >= -1 and x.max() <= 1
    np.testing.assert_allclose(x[0], image * 2 - 1, atol=1e-5)
    np.testing.assert_allclose(dream.deprocess(x), image, atol=1e-5)


def test_bad_arguments_are_explained(model):
    image = images.draw_waves(80)
    with pytest.raises(ValueError, match="at least 75x75"):
        dream.deep_dream(images.draw_waves(40), model, progress=0)
    with pytest.raises(ValueError, match="octave_scale"):
        dream.deep_dream(image, model, octave_scale=1.0, progress=0)
    with pytest.raises(ValueError, match="steps"):
        dream.deep_dream(image, model, steps=0, progress=0)
    with pytest.raises(ValueError, match="mixed"):
        dream.build_dream_model(["mixed99"], weights=None)
    with pytest.raises(ValueError, match=r"range"):
        dream.deep_dream(image * 255, model, progress=0)


def test_checks_accept_the_references():
    assert checks.check_dream_loss(dream.dream_loss, quiet=True) is True
    assert checks.check_gradient_ascent_update(dream.gradient_ascent_update, quiet=True) is True


def _crop(a):
    return a[:, 1:-1, 1:-1, :]


@pytest.mark.parametrize("wrong, words", [
    (lambda acts, w: -sum(w[k] * np.mean(_crop(acts[k]) ** 2) for k in w), "ascent"),
    (lambda acts, w: sum(w[k] * np.mean(acts[k] ** 2) for k in w), "border"),
    (lambda acts, w: sum(np.mean(_crop(acts[k]) ** 2) for k in w), "weight"),
    (lambda acts, w: sum(w[k] * np.mean(_crop(acts[k])) for k in w), "square"),
    (lambda acts, w: sum(w[k] * np.sum(_crop(acts[k]) ** 2) for k in w), "mean"),
])
def test_dream_loss_check_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        checks.check_dream_loss(wrong)


@pytest.mark.parametrize("wrong, words", [
    (lambda x, g, s: np.clip(x - s * g / np.mean(np.abs(g)), -1, 1), "descent"),
    (lambda x, g, s: np.clip(x + s * g, -1, 1), "normalise"),
    (lambda x, g, s: x + s * g / np.mean(np.abs(g)), "clip"),
])
def test_ascent_check_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        checks.check_gradient_ascent_update(wrong)


def test_dream_command_writes_a_picture_and_says_which_weights(tmp_path, capsys):
    from PIL import Image

    from gan_keras.app import cli

    out = tmp_path / "dream.png"
    code = cli.main(["dream", "grace_hopper", "--out", str(out), "--fast", "--size", "100",
                     "--steps", "2", "--layers", "mixed3=1,mixed5=2", "--weights", "imagenet"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    # Offline, the ImageNet request falls back to a random network and says so in one line.
    assert "offline" in captured.err and "random" in captured.err
    assert "weights: random" in captured.out and "mixed3=1, mixed5=2" in captured.out
    with Image.open(out) as img:
        assert max(img.size) == 100 and img.mode == "RGB"


def test_dream_command_explains_a_missing_picture(tmp_path, capsys):
    from gan_keras.app import cli

    code = cli.main(["dream", str(tmp_path / "nope.jpg"), "--out", str(tmp_path / "x.png"), "--weights", "none"])
    assert code == 2
    err = capsys.readouterr().err
    assert "no image at" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "x.png").exists()
