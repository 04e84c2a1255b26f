"""VAE builders (Kingma and Welling, 2014): a convolutional encoder, the sampling layer, a decoder.

The encoder maps an image to the mean and the log-variance of a Gaussian ``q(z|x)``; the
sampling layer draws ``z`` from it with the reparameterisation trick; the decoder maps
``z`` back to an image. The decoder mirrors the DCGAN generator, so that chapter 07
compares two ways of training the same kind of network.

The decoder's last layer gives pixel logits (layer ``"logits"``, used by the Bernoulli
reconstruction loss); its output is ``tanh(logits / 2) = 2 sigmoid(logits) - 1``, an image
in ``[-1, 1]`` like every generator of the course, so that the decoder saved as
``generator.keras`` is evaluated exactly like a GAN's generator.
"""

from __future__ import annotations

import keras
from keras import layers, ops

from gan_keras.models._checks import positive_int, shape_tuple, units_tuple

LOGITS_LAYER = "logits"


def reparameterize(mean, log_var, epsilon):
    """Return ``z = mean + exp(log_var / 2) * epsilon``: a sample of N(mean, exp(log_var)).

    The randomness sits in ``epsilon ~ N(0, I)``, outside the network, so gradients flow
    to ``mean`` and ``log_var``. Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    return mean + ops.exp(0.5 * log_var) * epsilon


@keras.saving.register_keras_serializable(package="gan_keras")
class Sampling(layers.Layer):
    """Draw ``z ~ N(mean, exp(log_var))`` with the reparameterisation trick."""

    def __init__(self, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        mean, log_var = inputs
        epsilon = keras.random.normal(ops.shape(mean), seed=self.seed_generator)
        return reparameterize(mean, log_var, epsilon)

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


def _check_image_shape(image_shape, num_downsamples: int) -> tuple[int, int, int]:
    image_shape = shape_tuple(image_shape, "image_shape")
    if len(image_shape) != 3:
        raise ValueError(f"image_shape must be (height, width, channels), got {image_shape}")
    factor = 2 ** num_downsamples
    if image_shape[0] % factor or image_shape[1] % factor:
        raise ValueError(
            f"image height and width must be divisible by 2**{num_downsamples} = {factor}, "
            f"got {image_shape[0]}x{image_shape[1]}"
        )
    return image_shape


def encoder_trunk(image_shape, filters, hidden_units):
    """Return ``(images, features)``: the encoders' input and their strided convolutions + dense layer.

    Shared by the VAE's encoder (two heads: mean and log-variance) and the plain
    autoencoder's (one head: the code).
    """
    filters = units_tuple(filters, "filters")
    image_shape = _check_image_shape(image_shape, len(filters))
    hidden_units = positive_int(hidden_units, "hidden_units")
    images = keras.Input(shape=image_shape, name="image")
    x = images
    for f in filters:
        # Strided convolution: HxWxC -> H/2xW/2xf
        x = layers.Conv2D(f, 3, strides=2, padding="same", activation="relu")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(hidden_units, activation="relu")(x)
    return images, x


def build_vae_encoder(latent_dim: int = 16, image_shape=(28, 28, 1), filters=(32, 64),
                      hidden_units: int = 128, name: str = "vae_encoder") -> keras.Model:
    """Build the encoder: strided convolutions, a dense layer, then ``[z_mean, z_log_var]``.

    For 28x28x1 and ``filters=(32, 64)``: 28x28x1 -> 14x14x32 -> 7x7x64 -> 128 -> 2 x latent_dim.
    Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    latent_dim = positive_int(latent_dim, "latent_dim")
    images, x = encoder_trunk(image_shape, filters, hidden_units)
    z_mean = layers.Dense(latent_dim, name="z_mean")(x)
    # The log-variance can be any real number; exp() of it is always a valid variance.
    z_log_var = layers.Dense(latent_dim, name="z_log_var")(x)
    return keras.Model(images, [z_mean, z_log_var], name=name)


def build_vae_decoder(latent_dim: int = 16, image_shape=(28, 28, 1), filters=(64, 32),
                      name: str = "vae_decoder") -> keras.Model:
    """Build the decoder: project and reshape, then one 2x upsampling per entry of ``filters``.

    For 28x28x1 and ``filters=(64, 32)``: 7x7x64 -> 14x14x32 -> 28x28x1 logits -> image in
    ``[-1, 1]``. Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    latent_dim = positive_int(latent_dim, "latent_dim")
    filters = units_tuple(filters, "filters")
    image_shape = _check_image_shape(image_shape, len(filters))
    base_h, base_w = image_shape[0] // 2 ** len(filters), image_shape[1] // 2 ** len(filters)

    z = keras.Input(shape=(latent_dim,), name="z")
    # Project and reshape: z -> base_h x base_w x filters[0]
    x = layers.Dense(base_h * base_w * filters[0], activation="relu")(z)
    x = layers.Reshape((base_h, base_w, filters[0]))(x)
    for f in filters[1:]:
        # Fractionally-strided convolution: HxWxC -> 2Hx2Wxf
        x = layers.Conv2DTranspose(f, 3, strides=2, padding="same", activation="relu")(x)
    # Last upsampling to pixel logits: HxWxf -> 2Hx2Wxchannels
    logits = layers.Conv2DTranspose(image_shape[2], 3, strides=2, padding="same", name=LOGITS_LAYER)(x)
    # tanh(logits / 2) = 2 sigmoid(logits) - 1: the Bernoulli mean, rescaled to [-1, 1]
    x = layers.Rescaling(0.5)(logits)
    images = layers.Activation("tanh", name="image")(x)
    return keras.Model(z, images, name=name)


def build_vae(latent_dim: int = 16, image_shape=(28, 28, 1)):
    """Return ``(encoder, decoder)`` sized for ``image_shape``."""
    return build_vae_encoder(latent_dim, image_shape), build_vae_decoder(latent_dim, image_shape)
