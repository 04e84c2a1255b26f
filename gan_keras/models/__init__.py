"""Builders only: each function returns Keras models; the trainers in ``gan_keras.trainers`` train them.

A student swaps a generator without touching a ``train_step``: any generator mapping
``(batch, latent_dim)`` to images and any discriminator mapping images to one logit fits.
"""

from gan_keras.models.clusters import ClusterChoice, build_cluster_generator, cluster_images
from gan_keras.models.conditional import (
    build_auxiliary_discriminator,
    build_conditional_discriminator,
    build_conditional_generator,
)
from gan_keras.models.dcgan import build_dcgan_discriminator, build_dcgan_generator
from gan_keras.models.image2image import (
    build_disco_discriminator,
    build_disco_generator,
    build_patchgan_discriminator,
    build_sr_discriminator,
    build_sr_generator,
    build_unet_generator,
)
from gan_keras.models.mlp import (
    build_mlp_discriminator,
    build_mlp_generator,
    build_toy_discriminator,
    build_toy_generator,
)
from gan_keras.models.sgan import build_sgan_discriminator, build_sgan_generator
from gan_keras.models.vae import build_vae_decoder, build_vae_encoder

__all__ = [
    "ClusterChoice",
    "build_cluster_generator",
    "cluster_images",
    "build_auxiliary_discriminator",
    "build_conditional_discriminator",
    "build_conditional_generator",
    "build_dcgan_discriminator",
    "build_dcgan_generator",
    "build_disco_discriminator",
    "build_disco_generator",
    "build_mlp_discriminator",
    "build_mlp_generator",
    "build_patchgan_discriminator",
    "build_sgan_discriminator",
    "build_sgan_generator",
    "build_sr_discriminator",
    "build_sr_generator",
    "build_toy_discriminator",
    "build_toy_generator",
    "build_unet_generator",
    "build_vae_decoder",
    "build_vae_encoder",
]
