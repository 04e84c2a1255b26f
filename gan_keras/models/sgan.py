"""Semi-supervised GAN builders (Odena 2016; Salimans et al. 2016): a classifier that is also the discriminator.

The discriminator returns ``num_classes`` class logits ``l_1..l_K`` and nothing else: the
"fake" class has its logit fixed at 0 (Salimans et al.), so ``D(x) = Z / (Z + 1)`` with
``Z = sum_k exp(l_k)``, i.e. the real-against-fake logit is ``logsumexp(l)``. This is the
K+1-class discriminator of Odena with one redundant logit removed.
"""

from __future__ import annotations

import keras
from keras import layers

from gan_keras.models._checks import positive_int, shape_tuple, units_tuple
from gan_keras.models.dcgan import build_dcgan_generator

FEATURE_LAYER = "features"


def build_sgan_discriminator(
    image_shape=(28, 28, 1),
    num_classes: int = 10,
    filters=(32, 64),
    feature_units: int = 128,
    dropout: float = 0.3,
    name: str = "sgan_discriminator",
) -> keras.Model:
    """Build the SGAN discriminator: strided convolutions, a feature layer, ``num_classes`` logits.

    For 28x28x1: 28x28x1 -> 14x14x32 -> 7x7x64 -> 128 features -> 10 class logits. The same
    network, trained on the labelled images alone, is the chapter's baseline.
    Introduced in ``notebooks/08_semi_supervised_gan.ipynb``.
    """
    image_shape = shape_tuple(image_shape, "image_shape")
    if len(image_shape) != 3:
        raise ValueError(f"image_shape must be (height, width, channels), got {image_shape}")
    num_classes = positive_int(num_classes, "num_classes")
    if num_classes < 2:
        raise ValueError(f"num_classes must be at least 2, got {num_classes}")
    filters = units_tuple(filters, "filters")
    feature_units = positive_int(feature_units, "feature_units")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
    images = keras.Input(shape=image_shape, name="image")
    # Noise on the input keeps the discriminator from memorising the few labelled images.
    x = layers.GaussianNoise(0.1)(images)
    for f in filters:
        # Strided convolution: HxWxC -> H/2xW/2xf
        x = layers.Conv2D(f, 3, strides=2, padding="same")(x)
        x = layers.LeakyReLU(0.2)(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(feature_units, name=FEATURE_LAYER)(x)
    x = layers.LeakyReLU(0.2)(x)
    if dropout:
        x = layers.Dropout(dropout)(x)
    class_logits = layers.Dense(num_classes, name="class_logits")(x)
    return keras.Model(images, class_logits, name=name)


def build_sgan_generator(latent_dim: int = 64, image_shape=(28, 28, 1), filters=(128, 64),
                         name: str = "sgan_generator") -> keras.Model:
    """Build the SGAN generator: the DCGAN generator of chapter 03 (7x7x128 -> 14x14x64 -> 28x28x1)."""
    return build_dcgan_generator(latent_dim, image_shape, filters, name=name)
