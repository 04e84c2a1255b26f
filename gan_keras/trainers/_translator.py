"""What the image-to-image trainers share: checks of their arguments and batches, sample-grid panels,
and the two-player base of pix2pix and SRGAN (one generator, one discriminator, two optimizers).

The trainers follow :class:`gan_keras.trainers.gan.GAN`: ``compile(d_optimizer=..., g_optimizer=...)``,
trackers listed in ``metrics``, a ``d_step`` and a ``g_step`` that each hand one player's loss to
:func:`gan_keras.engine.minimize`, and the metric names ``d_loss``, ``g_loss``, ``d_real``,
``d_fake`` plus one model-specific term (``l1``, ``content_loss``, ``cycle_loss``).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from gan_keras import validate
from gan_keras.engine import compile_players
from gan_keras.engine.trainer import GAME_METRICS, Trainer, check_model, model_input_shape


def check_weight(value, name: str) -> float:
    """Return a loss weight as a float, or raise if it is not a finite number >= 0."""
    value = validate.number(value, name)
    if value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return float(value)


def check_pair(data, what: str):
    """Return a ``(input_images, target_images)`` batch as two float32 tensors, or raise a clear error."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(f"{what} expects (input_images, target_images) batches, got {type(data).__name__}")
    # Tensors, so that a NumPy batch passed to train_step directly mixes with the generator's output.
    return ops.convert_to_tensor(data[0], "float32"), ops.convert_to_tensor(data[1], "float32")


def nearest_resize(images: np.ndarray, size) -> np.ndarray:
    """Enlarge images by repeating pixels (for showing a small input next to a large output)."""
    h, w = images.shape[1:3]
    if (h, w) == tuple(size):
        return images
    if size[0] % h or size[1] % w:
        raise ValueError(f"cannot show {h}x{w} images next to {size[0]}x{size[1]} ones")
    return np.repeat(np.repeat(images, size[0] // h, axis=1), size[1] // w, axis=2)


def match_channels(images: np.ndarray, channels: int) -> np.ndarray:
    """Repeat a grey image's channel to ``channels`` (for showing it next to colour images)."""
    if images.shape[-1] == channels:
        return images
    if images.shape[-1] == 1:
        return np.repeat(images, channels, axis=-1)
    raise ValueError(f"cannot show {images.shape[-1]}-channel images next to {channels}-channel ones")


class _TwoPlayerTranslator(Trainer):
    """What pix2pix and SRGAN share: one generator, one discriminator, two optimizers.

    A subclass writes ``d_step(inputs, targets) -> (d_loss, real_logits, fake_logits)`` and
    ``g_step(inputs, targets) -> (g_loss, extra, fake_logits)``; :meth:`step` runs them in that
    order (the discriminator first, then the generator against the updated discriminator).
    ``d_real`` is the mean ``D`` of the real batch in the discriminator's update, ``d_fake``
    that of the generator's outputs in the generator's update (after the discriminator's).
    """

    extra_metric = "extra"

    def __init__(self, generator, discriminator, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.generator = check_model(generator, "generator")
        self.discriminator = check_model(discriminator, "discriminator")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.add_trackers(*GAME_METRICS, self.extra_metric)
        self.built = True

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Set the two optimizers (never shared); the adversarial loss is the logits' cross-entropy."""
        compile_players(self, d_optimizer, g_optimizer, self.discriminator, self.generator, **kwargs)

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def translate(self, inputs, batch_size: int = 256) -> np.ndarray:
        """Return the generator's outputs for a NumPy batch of inputs."""
        inputs = np.asarray(inputs, dtype=np.float32)
        expected = model_input_shape(self.generator)
        if inputs.ndim != 4 or tuple(inputs.shape[1:]) != expected:
            raise ValueError(f"inputs must have shape (n, {', '.join(map(str, expected))}), got {inputs.shape}")
        return self.generator.predict(inputs, batch_size=batch_size, verbose=0)

    def panels(self, inputs, targets=None) -> list[np.ndarray]:
        """Return the columns of a sample grid: input | output | target."""
        outputs = self.translate(inputs)
        size = outputs.shape[1:3]
        columns = [nearest_resize(np.asarray(inputs, np.float32), size), outputs]
        if targets is not None:
            columns.append(np.asarray(targets, np.float32))
        return [match_channels(c, outputs.shape[-1]) for c in columns]

    def d_step(self, inputs, targets):
        """Update the discriminator once; return ``(d_loss, real_logits, fake_logits)``."""
        raise NotImplementedError(f"{type(self).__name__} must define d_step(inputs, targets)")

    def g_step(self, inputs, targets):
        """Update the generator once; return ``(g_loss, extra_term, fake_logits)``."""
        raise NotImplementedError(f"{type(self).__name__} must define g_step(inputs, targets)")

    def step(self, data):
        """One batch: a discriminator update, then a generator update (the discriminator's weights fixed)."""
        inputs, targets = check_pair(data, type(self).__name__)
        # Train the discriminator
        d_loss, real_logits, _ = self.d_step(inputs, targets)
        # Train the generator (the discriminator's weights stay fixed)
        g_loss, extra, fake_logits = self.g_step(inputs, targets)
        # Update the trackers
        return self.track(d_loss=d_loss, g_loss=g_loss, d_real=ops.mean(ops.sigmoid(real_logits)),
                          d_fake=ops.mean(ops.sigmoid(fake_logits)), **{self.extra_metric: extra})
