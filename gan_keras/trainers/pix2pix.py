"""pix2pix: a generator ``G(x)`` and a conditional PatchGAN ``D(x, y)``, adversarial loss + L1.

``fit`` receives ``(input, target)`` batches. Each step updates the discriminator on
(input, target) pairs as real and (input, G(input)) pairs as fake, then the generator on
the adversarial loss plus ``l1_weight`` times the L1 distance to the target, each through
:func:`gan_keras.engine.minimize`. Metric names: ``d_loss``, ``g_loss``, ``d_real``,
``d_fake``, ``l1``.
"""

from __future__ import annotations

from keras import ops

from gan_keras import engine
from gan_keras import losses as gan_losses
from gan_keras.engine.trainer import model_input_shape, model_output_shape
from gan_keras.trainers._translator import _TwoPlayerTranslator, check_weight

__all__ = ["Pix2Pix", "l1_loss", "pix2pix_generator_loss"]


def l1_loss(target_images, fake_images):
    """Return the mean absolute difference ``E|y - G(x)|`` (pix2pix's L1 term).

    Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    return ops.mean(ops.abs(ops.cast(target_images, "float32") - ops.cast(fake_images, "float32")))


def pix2pix_generator_loss(fake_logits, fake_images, target_images, l1_weight: float = 100.0):
    """Return pix2pix's generator loss: adversarial term plus ``l1_weight`` times the L1 term.

    ``-E[log D(x, G(x))] + lambda * E|y - G(x)|`` with the discriminator's patch logits;
    the adversarial term makes outputs sharp, the L1 term keeps them on the target.
    Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    adversarial = gan_losses.generator_loss(fake_logits)
    return adversarial + l1_weight * l1_loss(target_images, fake_images)


class Pix2Pix(_TwoPlayerTranslator):
    """pix2pix: a generator ``G(x)`` and a conditional PatchGAN ``D(x, y)``, adversarial loss + L1.

    ``generator`` maps input images to target images; ``discriminator`` takes
    ``[input_image, candidate]`` and returns patch logits. ``l1_weight`` is the paper's
    lambda (100). Introduced in ``notebooks/10_image_to_image.ipynb``.
    """

    extra_metric = "l1"

    def __init__(self, generator, discriminator, l1_weight: float = 100.0, seed: int | None = None, **kwargs):
        super().__init__(generator, discriminator, seed=seed, **kwargs)
        if len(self.discriminator.inputs) != 2:
            raise ValueError(
                "the pix2pix discriminator must take two inputs, [input_image, candidate], "
                f"got a model with {len(self.discriminator.inputs)} input(s)"
            )
        g_in, g_out = model_input_shape(self.generator), model_output_shape(self.generator)
        d_in = (model_input_shape(self.discriminator, 0), model_input_shape(self.discriminator, 1))
        if d_in != (g_in, g_out):
            raise ValueError(
                f"the discriminator takes inputs of shapes {d_in} but the generator maps {g_in} -> {g_out}"
            )
        self.l1_weight = check_weight(l1_weight, "l1_weight")

    def d_step(self, input_images, target_images):
        """Update the discriminator: (input, target) pairs are real, (input, G(input)) pairs are fake."""

        def d_loss():
            fake_images = self.generator(input_images, training=True)
            real_logits = self.discriminator([input_images, target_images], training=True)
            fake_logits = self.discriminator([input_images, fake_images], training=True)
            return gan_losses.discriminator_loss(real_logits, fake_logits), (real_logits, fake_logits)

        loss, (real_logits, fake_logits) = engine.minimize(
            d_loss, self.d_optimizer, self.discriminator.trainable_weights)
        return loss, real_logits, fake_logits

    def g_step(self, input_images, target_images):
        """Update the generator (the discriminator's weights stay fixed): fool D and stay near the target.

        Returns ``(g_loss, l1, fake_logits)``.
        """

        def g_loss():
            fake_images = self.generator(input_images, training=True)
            fake_logits = self.discriminator([input_images, fake_images], training=True)
            return (pix2pix_generator_loss(fake_logits, fake_images, target_images, self.l1_weight),
                    (l1_loss(target_images, fake_images), fake_logits))

        loss, (l1, fake_logits) = engine.minimize(g_loss, self.g_optimizer, self.generator.trainable_weights)
        return loss, l1, fake_logits
