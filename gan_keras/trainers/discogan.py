"""DiscoGAN: generators A -> B and B -> A, a discriminator per domain, adversarial + reconstruction.

``fit`` receives ``(a, b)`` batches of unrelated images. Each step updates both
discriminators (one optimizer), then both generators (the other optimizer) on fooling the
other domain's discriminator plus ``reconstruction_weight`` times the cycle loss, each
through :func:`gan_keras.engine.minimize`. Metric names: ``d_loss``, ``g_loss``,
``d_real``, ``d_fake``, ``cycle_loss``.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from gan_keras import engine
from gan_keras import losses as gan_losses
from gan_keras.engine import compile_players
from gan_keras.engine.trainer import GAME_METRICS, Trainer, check_model, model_input_shape, model_output_shape
from gan_keras.trainers._translator import check_pair, check_weight

__all__ = ["DiscoGAN", "cycle_loss", "reconstruction_loss"]


def reconstruction_loss(real_images, reconstructed_images):
    """Return the reconstruction distance ``E|x - G_BA(G_AB(x))|`` of one round trip (L1)."""
    return ops.mean(ops.abs(ops.cast(real_images, "float32") - ops.cast(reconstructed_images, "float32")))


def cycle_loss(real_a, real_b, generator_ab, generator_ba):
    """Return DiscoGAN's reconstruction loss over both round trips, A -> B -> A and B -> A -> B.

    ``E|a - G_BA(G_AB(a))| + E|b - G_AB(G_BA(b))|``: zero when each generator undoes the
    other (for example two identities), positive otherwise. The generators are callables
    (Keras models or plain functions). Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    round_trip_a = generator_ba(generator_ab(real_a))
    round_trip_b = generator_ab(generator_ba(real_b))
    return reconstruction_loss(real_a, round_trip_a) + reconstruction_loss(real_b, round_trip_b)


class DiscoGAN(Trainer):
    """DiscoGAN: generators A -> B and B -> A, a discriminator per domain, adversarial + reconstruction.

    ``fit`` receives ``(a, b)`` batches of unrelated images. Each generator is trained to
    fool the other domain's discriminator and, through the round trips, to keep what the
    other generator needs to undo it (``reconstruction_weight`` times the cycle loss).
    Introduced in ``notebooks/10_image_to_image.ipynb``.
    """

    def __init__(self, generator_ab, generator_ba, discriminator_a, discriminator_b,
                 reconstruction_weight: float = 10.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.generator_ab = check_model(generator_ab, "generator_ab")
        self.generator_ba = check_model(generator_ba, "generator_ba")
        self.discriminator_a = check_model(discriminator_a, "discriminator_a")
        self.discriminator_b = check_model(discriminator_b, "discriminator_b")
        shape_a, shape_b = model_input_shape(self.generator_ab), model_input_shape(self.generator_ba)
        checks = [
            ("generator_ab's output", model_output_shape(self.generator_ab), shape_b),
            ("generator_ba's output", model_output_shape(self.generator_ba), shape_a),
            ("discriminator_a's input", model_input_shape(self.discriminator_a), shape_a),
            ("discriminator_b's input", model_input_shape(self.discriminator_b), shape_b),
        ]
        for what, got, expected in checks:
            if got != expected:
                raise ValueError(f"{what} has shape {got}, expected {expected}")
        if self.generator_ab is self.generator_ba or self.discriminator_a is self.discriminator_b:
            raise ValueError("DiscoGAN needs two different generators and two different discriminators")
        self.reconstruction_weight = check_weight(reconstruction_weight, "reconstruction_weight")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.add_trackers(*GAME_METRICS, "cycle_loss")
        self.built = True

    @property
    def generator(self):
        """The A -> B generator (what the sample grids and ``call`` use)."""
        return self.generator_ab

    def _generator_weights(self):
        return self.generator_ab.trainable_weights + self.generator_ba.trainable_weights

    def _discriminator_weights(self):
        return self.discriminator_a.trainable_weights + self.discriminator_b.trainable_weights

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Set the two optimizers: one for both discriminators, one for both generators."""
        compile_players(self, d_optimizer, g_optimizer, [self.discriminator_a, self.discriminator_b],
                        [self.generator_ab, self.generator_ba], **kwargs)

    def call(self, images_a, training=False):
        return self.generator_ab(images_a, training=training)

    def translate(self, images, direction: str = "ab", batch_size: int = 256) -> np.ndarray:
        """Return images translated ``"ab"`` (A -> B) or ``"ba"`` (B -> A), as NumPy."""
        if direction not in ("ab", "ba"):
            raise ValueError(f"direction must be 'ab' or 'ba', got {direction!r}")
        model = self.generator_ab if direction == "ab" else self.generator_ba
        images = np.asarray(images, dtype=np.float32)
        expected = model_input_shape(model)
        if images.ndim != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(f"images must have shape (n, {', '.join(map(str, expected))}), got {images.shape}")
        return model.predict(images, batch_size=batch_size, verbose=0)

    def round_trip(self, images_a) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(G_AB(a), G_BA(G_AB(a)))``: the translation and the way back."""
        fake_b = self.translate(images_a, "ab")
        return fake_b, self.translate(fake_b, "ba")

    def panels(self, inputs, targets=None) -> list[np.ndarray]:
        """Return the columns of a sample grid: A | G_AB(A) | [true B |] G_BA(G_AB(A))."""
        fake_b, back = self.round_trip(inputs)
        columns = [np.asarray(inputs, np.float32), fake_b]
        if targets is not None:
            columns.append(np.asarray(targets, np.float32))
        columns.append(back)
        return columns

    # ----------------------------------------------------------------------------------
    def d_step(self, real_a, real_b):
        """Update both discriminators: each tells its domain's real images from translated ones.

        Returns ``(d_loss, (real_logits_a, real_logits_b), (fake_logits_a, fake_logits_b))``.
        """

        def d_loss():
            fake_b = self.generator_ab(real_a, training=True)
            fake_a = self.generator_ba(real_b, training=True)
            real_logits_a = self.discriminator_a(real_a, training=True)
            real_logits_b = self.discriminator_b(real_b, training=True)
            fake_logits_a = self.discriminator_a(fake_a, training=True)
            fake_logits_b = self.discriminator_b(fake_b, training=True)
            loss = (gan_losses.discriminator_loss(real_logits_a, fake_logits_a)
                    + gan_losses.discriminator_loss(real_logits_b, fake_logits_b))
            return loss, ((real_logits_a, real_logits_b), (fake_logits_a, fake_logits_b))

        loss, (real_logits, fake_logits) = engine.minimize(d_loss, self.d_optimizer, self._discriminator_weights())
        return loss, real_logits, fake_logits

    def g_step(self, real_a, real_b):
        """Update both generators (the discriminators' weights stay fixed); return ``(g_loss, cycle_loss)``."""

        def g_loss():
            fake_b = self.generator_ab(real_a, training=True)
            fake_a = self.generator_ba(real_b, training=True)
            adversarial = (gan_losses.generator_loss(self.discriminator_b(fake_b, training=True))
                           + gan_losses.generator_loss(self.discriminator_a(fake_a, training=True)))
            cycle = (reconstruction_loss(real_a, self.generator_ba(fake_b, training=True))
                     + reconstruction_loss(real_b, self.generator_ab(fake_a, training=True)))
            return adversarial + self.reconstruction_weight * cycle, cycle

        return engine.minimize(g_loss, self.g_optimizer, self._generator_weights())

    def step(self, data):
        """One batch: both discriminators, then both generators (fool them and survive the round trips)."""
        real_a, real_b = check_pair(data, "DiscoGAN")
        # Train the discriminators
        d_loss, (real_logits_a, real_logits_b), (fake_logits_a, fake_logits_b) = self.d_step(real_a, real_b)
        # Train the generators (the discriminators' weights stay fixed)
        g_loss, cycle = self.g_step(real_a, real_b)
        # Update the trackers
        return self.track(
            d_loss=d_loss, g_loss=g_loss, cycle_loss=cycle,
            d_real=(ops.mean(ops.sigmoid(real_logits_a)) + ops.mean(ops.sigmoid(real_logits_b))) / 2.0,
            d_fake=(ops.mean(ops.sigmoid(fake_logits_a)) + ops.mean(ops.sigmoid(fake_logits_b))) / 2.0)
