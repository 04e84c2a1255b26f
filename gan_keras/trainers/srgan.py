"""SRGAN: a super-resolution generator and a discriminator on high-resolution images.

``fit`` receives ``(low_resolution, high_resolution)`` batches. Each step updates the
discriminator on real high-resolution images against upsampled ones, then the generator on
the content loss plus ``adversarial_weight`` times the adversarial loss, each through
:func:`gan_keras.engine.minimize`. Metric names: ``d_loss``, ``g_loss``, ``d_real``,
``d_fake``, ``content_loss``.
"""

from __future__ import annotations

from keras import ops

from gan_keras import engine
from gan_keras import losses as gan_losses
from gan_keras.engine.trainer import check_model, model_input_shape, model_output_shape
from gan_keras.trainers._translator import _TwoPlayerTranslator, check_weight

__all__ = ["SRGAN", "content_loss"]


def content_loss(real_images, fake_images, feature_extractor=None):
    """Return SRGAN's content loss: mean squared error in pixels, or in a network's features.

    With ``feature_extractor`` (a model mapping images to feature maps, like the paper's
    VGG layer) the distance is taken between the features of the two images.
    Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    real_images = ops.cast(real_images, "float32")
    fake_images = ops.cast(fake_images, "float32")
    if feature_extractor is not None:
        real_images = feature_extractor(real_images, training=False)
        fake_images = feature_extractor(fake_images, training=False)
    return ops.mean(ops.square(real_images - fake_images))


class SRGAN(_TwoPlayerTranslator):
    """SRGAN: a super-resolution generator and a discriminator on high-resolution images.

    The generator loss is the content loss plus ``adversarial_weight`` times the
    adversarial loss (1e-3 in the paper). ``feature_extractor`` switches the content loss
    from pixels to features (the paper's VGG loss). Introduced in
    ``notebooks/10_image_to_image.ipynb``.
    """

    extra_metric = "content_loss"

    def __init__(self, generator, discriminator, adversarial_weight: float = 1e-3,
                 feature_extractor=None, seed: int | None = None, **kwargs):
        super().__init__(generator, discriminator, seed=seed, **kwargs)
        g_out, d_in = model_output_shape(self.generator), model_input_shape(self.discriminator)
        if g_out != d_in:
            raise ValueError(f"the generator makes images of shape {g_out} but the discriminator expects {d_in}")
        self.adversarial_weight = check_weight(adversarial_weight, "adversarial_weight")
        if feature_extractor is not None:
            feature_extractor = check_model(feature_extractor, "feature_extractor")
            feature_extractor.trainable = False
        self.feature_extractor = feature_extractor

    def d_step(self, low_res_images, real_images):
        """Update the discriminator: real high-resolution images against upsampled ones."""

        def d_loss():
            fake_images = self.generator(low_res_images, training=True)
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(fake_images, training=True)
            return gan_losses.discriminator_loss(real_logits, fake_logits), (real_logits, fake_logits)

        loss, (real_logits, fake_logits) = engine.minimize(
            d_loss, self.d_optimizer, self.discriminator.trainable_weights)
        return loss, real_logits, fake_logits

    def g_step(self, low_res_images, real_images):
        """Update the generator (the discriminator's weights stay fixed): content + weighted adversarial.

        Returns ``(g_loss, content_loss, fake_logits)``.
        """

        def g_loss():
            fake_images = self.generator(low_res_images, training=True)
            fake_logits = self.discriminator(fake_images, training=True)
            c_loss = content_loss(real_images, fake_images, self.feature_extractor)
            return c_loss + self.adversarial_weight * gan_losses.generator_loss(fake_logits), (c_loss, fake_logits)

        loss, (c_loss, fake_logits) = engine.minimize(g_loss, self.g_optimizer, self.generator.trainable_weights)
        return loss, c_loss, fake_logits
