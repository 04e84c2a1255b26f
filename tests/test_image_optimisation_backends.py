"""Optimising a picture (or a latent vector) through the engine, on whichever Keras backend runs.

DeepDream's ascent raises its loss, style transfer lowers its loss, latent inversion lowers
its error, each measured against doing nothing (the starting picture or latent vector).
Tiny convolutional networks stand in for InceptionV3 and VGG19 (those take minutes to build
on JAX's CPU), so each case takes seconds; the cases are plain functions so that the last
test can run them again on JAX in a process where TensorFlow cannot be imported.
"""

import os
import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from gan_keras import dream, images, style
from gan_keras.measure import evaluation, inception


def _conv(filters, name, seed):
    return keras.layers.Conv2D(filters, 3, padding="same", activation="relu", name=name,
                               kernel_initializer=keras.initializers.HeNormal(seed=seed))


def tiny_dream_model():
    """Two convolutions, their activations by name: what ``build_dream_model`` returns, in small."""
    inputs = keras.Input((None, None, 3))
    a = _conv(8, "a", 1)(inputs)
    b = _conv(8, "b", 2)(keras.layers.MaxPooling2D(2)(a))
    model = keras.Model(inputs, {"a": a, "b": b}, name="tiny_dream")
    model.weights_used, model.layer_weights = "random", {"a": 1.0, "b": 2.0}
    return model


def tiny_style_model():
    """Three convolutions: two for the style, the last for the content (``build_feature_extractor`` in small)."""
    inputs = keras.Input((None, None, 3))
    s1 = _conv(8, "s1", 3)(inputs)
    s2 = _conv(8, "s2", 4)(keras.layers.AveragePooling2D(2)(s1))
    c = _conv(8, "c", 5)(s2)
    model = keras.Model(inputs, {"s1": s1, "s2": s2, "c": c}, name="tiny_style")
    model.weights_used, model.style_layers, model.content_layer = "random", {"s1": 1.0, "s2": 1.0}, "c"
    return model


def tiny_generator():
    z = keras.Input((4,))
    pixels = keras.layers.Dense(64, activation="tanh",
                                kernel_initializer=keras.initializers.RandomNormal(0, 0.5, seed=1))(z)
    return keras.Model(z, keras.layers.Reshape((8, 8, 1))(pixels))


def dream_case():
    """Return ``(loss before, loss after, losses per step)`` of a short dream."""
    model = tiny_dream_model()
    picture = images.draw_waves(80)
    result = dream.deep_dream(picture, model, steps=3, num_octaves=2, step_size=0.05, max_loss=None,
                              progress=0)
    assert result.image.shape == picture.shape and result.image.dtype == np.float32
    assert 0.0 <= result.image.min() and result.image.max() <= 1.0
    assert len(result.losses) == 3 * len(result.octave_shapes) == 6
    return dream.layer_activation(model, picture), dream.layer_activation(model, result.image), result.losses


def style_case():
    """Return the history of a short style transfer and the distance of its picture from the content."""
    content, style_picture = images.draw_waves(32, seed=1), images.draw_mosaic(40)
    result = style.transfer_style(content, style_picture, tiny_style_model(), steps=5, progress=0)
    assert result.image.shape == content.shape
    assert 0.0 <= result.image.min() and result.image.max() <= 1.0
    return result.history, float(np.abs(result.image - content).mean())


def inversion_case():
    """Return the pixel error of the starting latent vectors and of the ones found."""
    generator = tiny_generator()
    targets = generator.predict(np.random.default_rng(3).standard_normal((4, 4)).astype("float32"), verbose=0)
    start = generator.predict(np.random.default_rng(0).standard_normal((4, 4)).astype("float32"), verbose=0)
    z, closest = evaluation.project_to_latent(generator, targets, steps=60, learning_rate=0.05, seed=0)
    assert z.shape == (4, 4) and closest.shape == targets.shape
    return float(np.mean((start - targets) ** 2)), float(np.mean((closest - targets) ** 2))


def resize_case():
    """Return Inception's 299x299 input of two grey images and a bicubic resize (finite, in range)."""
    gray = np.random.default_rng(0).uniform(-1, 1, (2, 12, 10, 1)).astype("float32")
    prepared = inception.prepare(gray)
    assert prepared.shape == (2, 299, 299, 3) and prepared.dtype == np.float32
    assert np.array_equal(prepared[..., 0], prepared[..., 2]) and np.abs(prepared).max() <= 1.0
    small = images.resize(images.draw_waves(40), 20, 30)
    assert small.shape == (20, 30, 3) and 0.0 <= small.min() and small.max() <= 1.0
    assert inception.default_batch_size() in (8, 64)


def test_dream_ascent_raises_the_loss():
    before, after, losses = dream_case()
    assert after > 1.2 * before, (before, after)
    # Within each octave every step climbs.
    assert losses[0] < losses[1] < losses[2] and losses[3] < losses[4] < losses[5], losses


def test_style_transfer_lowers_the_loss():
    history, change = style_case()
    # Doing nothing keeps the first loss; five Adam steps go below it.
    assert history["loss"][-1] < 0.9 * history["loss"][0], history["loss"]
    assert history["style_loss"][-1] < history["style_loss"][0]
    assert all(np.isfinite(v) for values in history.values() for v in values)
    assert change > 0.001


def test_latent_inversion_lowers_the_error():
    before, after = inversion_case()
    assert after < 0.5 * before, (before, after)


def test_resizing_gives_the_networks_their_inputs():
    resize_case()


def test_the_cases_run_on_jax_without_tensorflow():
    """The same cases with ``KERAS_BACKEND=jax`` where ``import tensorflow`` fails."""
    pytest.importorskip("jax")
    root = Path(__file__).resolve().parents[1]
    code = (
        "import sys, runpy\n"
        "sys.modules['tensorflow'] = None  # a TensorFlow-free environment\n"
        f"cases = runpy.run_path({str(Path(__file__).resolve())!r})\n"
        "from gan_keras import engine\n"
        "assert engine.name() == 'jax', engine.name()\n"
        "for name in ('test_dream_ascent_raises_the_loss', 'test_style_transfer_lowers_the_loss',\n"
        "             'test_latent_inversion_lowers_the_error', 'test_resizing_gives_the_networks_their_inputs'):\n"
        "    cases[name]()\n"
        "print('all passed on', engine.name())\n"
    )
    env = dict(os.environ, KERAS_BACKEND="jax", JAX_PLATFORMS="cpu")
    env["PYTHONPATH"] = os.pathsep.join([str(root)] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600, env=env,
                          cwd=str(root))
    assert done.returncode == 0, done.stderr[-3000:]
    assert "all passed on jax" in done.stdout
