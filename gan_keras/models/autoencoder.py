"""The plain autoencoder's builders: an encoder to one latent code, and the VAE's decoder.

The encoder is the VAE's (the same strided convolutions and dense layer) with one output,
the code ``z``, instead of a mean and a log-variance; the decoder is
:func:`gan_keras.models.vae.build_vae_decoder` (pixel logits in a layer ``"logits"``, an
image in ``[-1, 1]``). So chapter 07 compares the same networks trained two ways: to
reconstruct only (here), or to reconstruct from codes the prior N(0, I) can produce (VAE).
"""

from __future__ import annotations

import keras
from keras import layers

from gan_keras.models._checks import positive_int
from gan_keras.models.vae import build_vae_decoder, encoder_trunk


def build_autoencoder_encoder(latent_dim: int = 16, image_shape=(28, 28, 1), filters=(32, 64),
                              hidden_units: int = 128, name: str = "ae_encoder") -> keras.Model:
    """Build the encoder: strided convolutions, a dense layer, then the code ``z`` (no noise, no variance).

    For 28x28x1 and ``filters=(32, 64)``: 28x28x1 -> 14x14x32 -> 7x7x64 -> 128 -> latent_dim.
    Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    latent_dim = positive_int(latent_dim, "latent_dim")
    images, x = encoder_trunk(image_shape, filters, hidden_units)
    # One point per image: nothing asks the codes to fill any particular region
    z = layers.Dense(latent_dim, name="z")(x)
    return keras.Model(images, z, name=name)


def build_autoencoder(latent_dim: int = 16, image_shape=(28, 28, 1)):
    """Return ``(encoder, decoder)`` of a plain autoencoder sized for ``image_shape``.

    Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    return (build_autoencoder_encoder(latent_dim, image_shape),
            build_vae_decoder(latent_dim, image_shape, name="ae_decoder"))
