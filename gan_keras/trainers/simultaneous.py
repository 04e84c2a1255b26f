"""The TensorFlow DCGAN tutorial's update: both players from one forward pass (chapter 02).

The paper's order (:class:`gan_keras.trainers.gan.GAN`) updates the discriminator first; the
generator then draws new noise and meets the *updated* discriminator. The tutorial (and
many code bases) makes one generator pass per step, takes both players' gradients from the
same fake batch and the same discriminator outputs, and applies both together, so the
generator follows the discriminator as it was *before* this step's update. It saves one
generator and one discriminator pass per step; it is a different algorithm, not a faster way
of computing the paper's (``course/02_loss_computation.md``).

:class:`Simultaneous` writes that ``step`` once, through the hooks of the GAN family
(``real_batch``, ``sample_latent``, ``sample_conditions``, ``discriminate``, the losses
``d_loss``/``g_loss``, ``update_average``, ``update_trackers``), so it fits every GAN with one
discriminator step: :class:`SimultaneousGAN`, :class:`SimultaneousConditionalGAN`,
:class:`SimultaneousAuxiliaryClassifierGAN`.
"""

from __future__ import annotations

from keras import ops

from gan_keras import engine
from gan_keras.trainers.cgan import AuxiliaryClassifierGAN, ConditionalGAN
from gan_keras.trainers.gan import GAN


class Simultaneous:
    """Mixin over a GAN of the family: its ``step`` becomes the tutorial's simultaneous update.

    Put it first: ``class SimultaneousGAN(Simultaneous, GAN)``. It takes ``d_steps=1`` (one
    forward pass updates both players); losses, metrics and the averaged generator are the GAN's.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.d_steps != 1:
            raise ValueError(f"{type(self).__name__} updates both players from one forward pass, so it takes "
                             f"d_steps=1, got d_steps={self.d_steps}")

    def step(self, data):
        """One batch, the tutorial's way: one generator pass, both players' gradients from it, both applied."""
        real_samples, conditions = self.real_batch(data)
        batch_size = ops.shape(real_samples)[0]
        z, fake_conditions = self.sample_latent(batch_size), self.sample_conditions(batch_size)

        def both_losses():
            fake_samples = self.generator([z, *fake_conditions] if fake_conditions else z, training=True)
            real_out = self.discriminate(real_samples, *conditions)
            fake_out = self.discriminate(fake_samples, *fake_conditions)
            d_loss, d_metrics = self.d_loss(real_out, fake_out, real_samples, fake_samples, *conditions,
                                            *fake_conditions)
            g_loss, g_metrics = self.g_loss(fake_out, *fake_conditions)  # the same outputs: one pass
            return (d_loss, g_loss), (real_out, fake_out, {**d_metrics, **g_metrics})

        # Both gradients are taken before either update is applied
        (d_loss, g_loss), (real_out, fake_out, metrics) = engine.minimize_each(
            both_losses, [(self.d_optimizer, self.discriminator.trainable_weights),
                          (self.g_optimizer, self.generator.trainable_weights)])
        # Move the averaged generator (with ema)
        self.update_average()
        # Update the trackers
        self.track(**metrics)
        return self.update_trackers(d_loss, g_loss, real_out, fake_out)


class SimultaneousGAN(Simultaneous, GAN):
    """:class:`GAN` trained with the tutorial's simultaneous update (``d_steps=1``)."""


class SimultaneousConditionalGAN(Simultaneous, ConditionalGAN):
    """:class:`ConditionalGAN` trained with the tutorial's simultaneous update (``d_steps=1``)."""


class SimultaneousAuxiliaryClassifierGAN(Simultaneous, AuxiliaryClassifierGAN):
    """:class:`AuxiliaryClassifierGAN` trained with the tutorial's simultaneous update (``d_steps=1``)."""
