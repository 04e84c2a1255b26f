"""DeepDream: change a picture by gradient ascent so that chosen InceptionV3 layers fire harder.

The picture is processed at several scales (octaves), from small to full size; after each
octave the detail that shrinking lost is put back. Introduced in `notebooks/05_deepdream.ipynb`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from gan_keras import images as _images
from gan_keras import validate

# keras-io's choice: mixed4..mixed7 give eyes, arches and animal parts with ImageNet weights.
DEFAULT_LAYERS = {"mixed4": 1.0, "mixed5": 1.5, "mixed6": 2.0, "mixed7": 2.5}


@dataclass
class DreamResult:
    """The dreamed picture ``(H, W, 3)`` in ``[0, 1]``, the loss per step and what was used."""

    image: np.ndarray
    losses: list = field(default_factory=list)
    weights: str = "random"
    layers: dict = field(default_factory=dict)
    octave_shapes: list = field(default_factory=list)


def preprocess(image) -> np.ndarray:
    """Map an ``(H, W, 3)`` picture in ``[0, 1]`` to InceptionV3's input: a batch of one in ``[-1, 1]``."""
    import keras

    image = _images.check_image(image)
    # inception_v3.preprocess_input expects 0..255 RGB and returns x / 127.5 - 1.
    return keras.applications.inception_v3.preprocess_input(image[None] * 255.0).astype(np.float32)


def deprocess(x) -> np.ndarray:
    """Map InceptionV3's input ``(1, H, W, 3)`` in ``[-1, 1]`` back to a picture in ``[0, 1]``."""
    x = np.asarray(x, dtype=np.float32)
    x = x[0] if x.ndim == 4 else x
    return np.clip((x + 1.0) / 2.0, 0.0, 1.0)


def _check_layers(layers) -> dict:
    return _images.parse_layer_weights(layers, "layers")


def build_dream_model(layers=None, weights="imagenet", seed: int = 0, fallback: bool = True):
    """Return InceptionV3 cut to the chosen layers (a model image -> dict of activations).

    The model's ``weights_used`` says ``"imagenet"`` or ``"random"``; its ``layer_weights``
    holds the weight of each layer in the loss.
    """
    import keras

    layers = _check_layers(DEFAULT_LAYERS if layers is None else layers)
    base, used = _images.load_application("inception_v3", weights=weights, seed=seed, fallback=fallback)
    names = [layer.name for layer in base.layers]
    unknown = [name for name in layers if name not in names]
    if unknown:
        mixed = [n for n in names if n.startswith("mixed") and "_" not in n]
        raise ValueError(f"InceptionV3 has no layer named {unknown}; the block outputs are {mixed}")
    outputs = {name: base.get_layer(name).output for name in layers}
    model = keras.Model(base.input, outputs, name=f"inception_v3_dream_{used}")
    model.weights_used = used
    model.layer_weights = layers
    return model


def dream_loss(activations: dict, layer_weights: dict):
    """Return the weighted sum over layers of the mean squared activation (borders left out).

    Introduced in `notebooks/05_deepdream.ipynb`.
    """
    from keras import ops

    loss = 0.0
    for name, weight in layer_weights.items():
        act = activations[name]
        # Leave out a one-pixel border: the padding there makes artefacts that grow fastest.
        if act.shape[1] is None or act.shape[1] > 2:
            act = act[:, 1:-1, 1:-1, :]
        loss = loss + weight * ops.mean(ops.square(act))
    return loss


def layer_activation(model, image) -> float:
    """Return the dream loss of a picture ``(H, W, 3)`` in ``[0, 1]`` (how hard the layers fire)."""
    return float(dream_loss(model(preprocess(image), training=False), model.layer_weights))


def gradient_ascent_update(x, grads, step_size):
    """Return ``x`` moved up the normalised gradient, ``x + step_size * grads / mean|grads|``, clipped to ``[-1, 1]``.

    Introduced in `notebooks/05_deepdream.ipynb`.
    """
    from keras import ops

    # Normalise the gradient so the step size means the same at every octave and layer.
    grads = grads / (ops.mean(ops.abs(grads)) + 1e-8)
    # Clip: InceptionV3's inputs live in [-1, 1].
    return ops.clip(x + step_size * grads, -1.0, 1.0)


def _make_ascent_step(model):
    """Return ``ascent_step(x, step_size) -> (loss, new x)`` for ``model``, on whichever backend Keras runs.

    The loss and its gradient with respect to the picture are compiled once
    (:func:`gan_keras.engine.gradient_function`: ``tf.function`` on TensorFlow, ``jax.jit``
    on JAX); the normalised step is :func:`gradient_ascent_update` in ``keras.ops``.
    """
    from gan_keras import engine

    def loss_of(x):
        return dream_loss(model(x, training=False), model.layer_weights)

    loss_and_gradient = engine.gradient_function(loss_of, [model])

    def ascent_step(x, step_size):
        loss, grads = loss_and_gradient(x)
        return loss, gradient_ascent_update(x, grads, step_size)

    return ascent_step


def _resize(x, shape):
    """Bilinear resize of a batch ``(1, H, W, 3)`` to ``shape`` (on TensorFlow: ``tf.image.resize``'s default)."""
    from keras import ops

    return ops.image.resize(x, tuple(shape), interpolation="bilinear", antialias=False,
                            data_format="channels_last")


# InceptionV3 without its head needs at least 75x75 pixels to reach its last block.
MIN_SIZE = 75


def octave_shapes(height: int, width: int, num_octaves: int, octave_scale: float) -> list:
    """Return the picture sizes from the smallest octave to the original (none below 75 pixels).

    For 200x200 and 3 octaves of scale 1.4: ``[(102, 102), (143, 143), (200, 200)]``.
    """
    shapes = [(height, width)]
    for i in range(1, num_octaves):
        shape = (max(MIN_SIZE, round(height / octave_scale ** i)), max(MIN_SIZE, round(width / octave_scale ** i)))
        if shape != shapes[-1]:
            shapes.append(shape)
    return shapes[::-1]


def deep_dream(image, model=None, steps: int = 20, step_size: float = 0.01, num_octaves: int = 3,
               octave_scale: float = 1.4, max_loss: float | None = 15.0, layers=None,
               weights="imagenet", progress: bool | int = True, seed: int = 0) -> DreamResult:
    """Dream on a picture ``(H, W, 3)`` in ``[0, 1]``; return the dreamed picture of the same size.

    ``steps`` gradient-ascent steps per octave; an octave stops early once its loss exceeds
    ``max_loss`` (``None``: never), which keeps the picture from dissolving into noise.
    Pass a ``model`` from :func:`build_dream_model`, or ``layers``/``weights`` to build one.
    Introduced in `notebooks/05_deepdream.ipynb`.
    """
    import keras
    from keras import ops

    validate.positive_int(steps, "steps")
    validate.positive_int(num_octaves, "num_octaves")
    if validate.number(octave_scale, "octave_scale") <= 1.0:
        raise ValueError(f"octave_scale must be > 1 (each octave is that much smaller), got {octave_scale}")
    validate.positive_number(step_size, "step_size")
    if max_loss is not None:
        validate.non_negative_number(max_loss, "max_loss")
    original = _images.check_image(image)
    if min(original.shape[:2]) < MIN_SIZE:
        raise ValueError(f"DeepDream on InceptionV3 needs pictures of at least {MIN_SIZE}x{MIN_SIZE} "
                         f"pixels, got {original.shape[0]}x{original.shape[1]}")
    if model is None:
        model = build_dream_model(layers, weights=weights, seed=seed)
    elif layers is not None:
        raise ValueError("pass either a model or layers, not both (the model fixes its layers)")
    ascent_step = _make_ascent_step(model)
    height, width = original.shape[:2]
    shapes = octave_shapes(height, width, num_octaves, octave_scale)
    bar = keras.utils.Progbar(steps * len(shapes), verbose=int(progress) if progress else 0,
                              stateful_metrics=["loss", "octave"])
    original_x = ops.convert_to_tensor(preprocess(original))
    x = _resize(original_x, shapes[0])
    shrunk_original = x
    losses, done = [], 0
    for octave, shape in enumerate(shapes):
        if octave > 0:
            x = _resize(x, shape)
            # Put back the detail that shrinking the original to the previous octave lost.
            upscaled_shrunk = _resize(shrunk_original, shape)
            same_size_original = _resize(original_x, shape)
            x = x + (same_size_original - upscaled_shrunk)
            shrunk_original = same_size_original
        for _ in range(steps):
            loss, x = ascent_step(x, ops.convert_to_tensor(step_size, "float32"))
            loss = float(loss)
            losses.append(loss)
            done += 1
            if max_loss is not None and loss > max_loss:
                break  # Clip: this octave has dreamed enough
            bar.update(done, [("loss", loss), ("octave", octave + 1)])
        if done < (octave + 1) * steps:
            done = (octave + 1) * steps
            bar.update(done, [("loss", loss), ("octave", octave + 1)])
    return DreamResult(image=deprocess(ops.convert_to_numpy(x)), losses=losses, weights=model.weights_used,
                       layers=dict(model.layer_weights), octave_shapes=shapes)
