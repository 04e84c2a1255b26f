"""Chapter 06: the Gram matrix against NumPy, the losses, style transfer on a random VGG19, image loading."""

import numpy as np
import pytest

from gan_keras import checks, images, style
from gan_keras.checks import ExerciseError

# One worker runs this file (pytest-xdist): its module fixtures are made once.
pytestmark = pytest.mark.xdist_group("test_06_style_transfer")


def test_gram_matrix_matches_numpy():
    f = np.random.default_rng(0).normal(size=(7, 5, 4)).astype(np.float32)
    flat = f.reshape(-1, 4).astype(np.float64)
    np.testing.assert_allclose(np.asarray(style.gram_matrix(f)), flat.T @ flat / 35, rtol=1e-5, atol=1e-6)


def test_gram_matrix_rejects_a_batch():
    with pytest.raises(ValueError, match="height, width, channels"):
        style.gram_matrix(np.zeros((1, 4, 4, 3), np.float32))


def test_style_loss_ignores_where_things_are_and_content_loss_does_not():
    f = np.random.default_rng(1).uniform(size=(6, 6, 3)).astype(np.float32)
    shuffled = f.reshape(-1, 3)[np.random.default_rng(2).permutation(36)].reshape(6, 6, 3)
    # Moving features around keeps every Gram matrix, so the style loss is 0 ...
    assert float(style.style_loss(f, shuffled)) < 1e-10
    # ... while the content loss sees every moved feature.
    assert float(style.content_loss(f, shuffled)) == pytest.approx(0.5 * np.sum((f - shuffled) ** 2), rel=1e-5)


def test_total_variation_is_zero_for_a_flat_image_and_grows_with_noise():
    flat = np.full((1, 8, 8, 3), 0.3, np.float32)
    noisy = flat + np.random.default_rng(0).normal(0, 0.1, flat.shape).astype(np.float32)
    assert float(style.total_variation_loss(flat)) < 1e-6
    assert float(style.total_variation_loss(noisy)) > 1e-3


def test_preprocess_and_deprocess_are_inverse():
    image = images.draw_waves(32)
    x = style.preprocess(image)
    assert x.shape == (1, 32, 32, 3)
    # BGR: the first channel is the blue one minus ImageNet's blue mean.
    np.testing.assert_allclose(x[0, ..., 0], image[..., 2] * 255 - 103.939, atol=1e-3)
    np.testing.assert_allclose(style.deprocess(x), image, atol=1e-5)


@pytest.mark.parametrize("check, reference", [
    (checks.check_gram_matrix, style.gram_matrix),
    (checks.check_style_loss, style.style_loss),
    (checks.check_content_loss, style.content_loss),
])
def test_checks_accept_the_reference(check, reference):
    assert check(reference, quiet=True) is True


def _flat(f):
    return f.reshape(-1, f.shape[-1])


@pytest.mark.parametrize("wrong, words", [
    (lambda f: _flat(f) @ _flat(f).T / _flat(f).shape[0], "positions with"),
    (lambda f: _flat(f).T @ _flat(f), "too large"),
    (lambda f: _flat(f).T @ _flat(f) / f.size, "channels as well"),
])
def test_gram_matrix_check_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        checks.check_gram_matrix(wrong)


def _gram(f):
    return _flat(f).T @ _flat(f) / _flat(f).shape[0]


@pytest.mark.parametrize("wrong, words", [
    (lambda s, g: np.sum((_gram(g) - _gram(s)) ** 2), "normalisation"),
    (lambda s, g: np.mean((_gram(g) - _gram(s)) ** 2), "4 C\\^2"),
    (lambda s, g: np.sum((g - s) ** 2), "Gram"),
])
def test_style_loss_check_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        checks.check_style_loss(wrong)


@pytest.mark.parametrize("wrong, words", [
    (lambda c, g: np.sum((g - c) ** 2), "1/2"),
    (lambda c, g: 0.5 * np.mean((g - c) ** 2), "averaged"),
    (lambda c, g: 0.5 * np.sum((_gram(g) - _gram(c)) ** 2), "style loss"),
])
def test_content_loss_check_explains_mistakes(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        checks.check_content_loss(wrong)


@pytest.fixture(scope="module")
def vgg():
    return style.build_feature_extractor(weights=None, seed=0)


def test_offline_imagenet_request_falls_back_to_random_and_says_so(capsys):
    model, used = images.load_application("vgg19", weights="imagenet")
    assert used == "random"
    assert "offline" in capsys.readouterr().err
    with pytest.raises(images.WeightsUnavailableError, match="weights=None"):
        images.load_application("vgg19", weights="imagenet", fallback=False)


def test_failed_download_falls_back_or_fails_with_advice(monkeypatch, tmp_path, capsys):
    import keras

    real_vgg19 = keras.applications.VGG19

    def vgg19_without_internet(*args, weights=None, **kwargs):
        if weights == "imagenet":
            raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -3]")
        return real_vgg19(*args, weights=weights, **kwargs)

    monkeypatch.setenv("GAN_KERAS_OFFLINE", "0")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))  # no cached weights
    monkeypatch.setattr(keras.applications, "VGG19", vgg19_without_internet)
    with pytest.raises(images.WeightsUnavailableError, match="could not download.*weights=None"):
        images.load_application("vgg19", weights="imagenet", fallback=False)
    model, used = images.load_application("vgg19", weights="imagenet")
    assert used == "random"
    message = capsys.readouterr().err.strip().splitlines()
    assert len(message) == 1 and "URL fetch failure" in message[0] and "random" in message[0]


def test_unknown_layer_names_the_real_ones():
    with pytest.raises(ValueError, match="block1_conv1"):
        style.build_feature_extractor(style_layers=["block9_conv1"], weights=None)


def test_style_transfer_loss_falls_and_output_keeps_content_size(vgg):
    content = images.load_image("grace_hopper", max_size=64)  # 64x55: not square on purpose
    style_image = images.sample_image("mosaic")  # 256x256: a different size
    result = style.transfer_style(content, style_image, vgg, steps=6, progress=0)
    assert result.weights == "random"
    assert result.image.shape == content.shape
    assert 0.0 <= result.image.min() and result.image.max() <= 1.0
    losses = result.history["loss"]
    assert losses[-1] < 0.7 * losses[0]
    assert result.history["style_loss"][-1] < result.history["style_loss"][0]
    # The picture moved away from the content picture, but not into noise.
    change = np.abs(result.image - content).mean()
    assert 0.005 < change < 0.2


def test_missing_and_unreadable_images_get_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no image at"):
        images.load_image(tmp_path / "nowhere.jpg")
    junk = tmp_path / "notes.jpg"
    junk.write_text("this is not a picture")
    with pytest.raises(ValueError, match="not an image"):
        images.load_image(junk)
    with pytest.raises(ValueError, match="folder"):
        images.load_image(tmp_path)
    with pytest.raises(TypeError, match="expected an image path"):
        images.load_image(3.5)


def test_urls_are_checked_and_never_fetched_offline():
    with pytest.raises(ValueError, match="http"):
        images.load_image("ftp://example.com/a.jpg")
    with pytest.raises(ValueError, match="offline mode"):
        images.load_image("https://example.com/a.jpg")


def test_samples_load_without_network():
    for name in images.SAMPLES:
        image = images.load_image(name, max_size=48)
        assert image.ndim == 3 and image.shape[-1] == 3 and max(image.shape[:2]) == 48
        assert image.dtype == np.float32 and 0 <= image.min() and image.max() <= 1


def test_save_image_writes_a_png_that_loads_back(tmp_path):
    image = images.draw_mosaic(32)
    path = images.save_image(image, tmp_path / "m.png")
    np.testing.assert_allclose(images.load_image(path), image, atol=1 / 255 + 1e-6)


def test_style_command_keeps_the_content_size(tmp_path, capsys):
    from PIL import Image

    from gan_keras.app import cli

    out = tmp_path / "styled.png"
    code = cli.main(["style", "grace_hopper", "waves", "--out", str(out), "--fast", "--size", "64",
                     "--steps", "3", "--weights", "none", "--layers", "block1_conv1,block2_conv1"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "VGG19 weights: random" in captured.out
    with Image.open(out) as img:
        assert img.size == (55, 64)  # grace_hopper is 600x512 (HxW), scaled to a longer side of 64


def test_style_command_explains_an_unreadable_style_picture(tmp_path, capsys):
    from gan_keras.app import cli

    junk = tmp_path / "style.png"
    junk.write_bytes(b"\x89PNG not really")
    code = cli.main(["style", "grace_hopper", str(junk), "--out", str(tmp_path / "x.png"), "--weights", "none"])
    assert code == 2
    assert "not an image" in capsys.readouterr().err
