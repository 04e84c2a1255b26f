"""The vanilla GAN of the lecture: fully connected generator and discriminator.

Defaults follow the lecture's from-scratch GAN: generator 64 -> 128 -> 784 (ReLU hidden
layer), discriminator 784 -> 128 -> 1. The generator ends in ``tanh`` (images in ``[-1, 1]``)
or ``sigmoid`` (images in ``[0, 1]``, as in the lecture); the discriminator returns a
logit, and ``sigmoid(logit)`` is the lecture's ``D(x)``.
"""

from __future__ import annotations

import math

import keras
from keras import layers

from gan_keras.models._checks import positive_int, shape_tuple, units_tuple

OUTPUT_ACTIVATIONS = ("tanh", "sigmoid", "linear", None)


def build_mlp_generator(
    latent_dim: int = 64,
    output_shape=(28, 28, 1),
    hidden_units=(128,),
    output_activation: str | None = "tanh",
    name: str = "mlp_generator",
) -> keras.Model:
    """Build the fully connected generator ``z -> hidden (ReLU) -> image``.

    Introduced in ``notebooks/01_gan_basics.ipynb``.
    """
    latent_dim = positive_int(latent_dim, "latent_dim")
    output_shape = shape_tuple(output_shape, "output_shape")
    hidden_units = units_tuple(hidden_units, "hidden_units")
    if output_activation not in OUTPUT_ACTIVATIONS:
        raise ValueError(
            f"output_activation must be one of {OUTPUT_ACTIVATIONS}, got {output_activation!r}"
        )
    z = keras.Input(shape=(latent_dim,), name="z")
    x = z
    for i, units in enumerate(hidden_units):
        x = layers.Dense(units, activation="relu", name=f"hidden_{i}")(x)
    x = layers.Dense(math.prod(output_shape), activation=output_activation or "linear", name="out")(x)
    images = layers.Reshape(output_shape, name="image")(x)
    return keras.Model(z, images, name=name)


def build_mlp_discriminator(
    input_shape=(28, 28, 1),
    hidden_units=(128,),
    leaky: bool = False,
    dropout: float = 0.0,
    name: str = "mlp_discriminator",
) -> keras.Model:
    """Build the fully connected discriminator ``image -> hidden -> one logit``.

    The hidden layers use ReLU as in the lecture, or LeakyReLU with ``leaky=True`` (which
    keeps gradients flowing to the generator where ReLU units are off).
    Introduced in ``notebooks/01_gan_basics.ipynb``.
    """
    input_shape = shape_tuple(input_shape, "input_shape")
    hidden_units = units_tuple(hidden_units, "hidden_units")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
    images = keras.Input(shape=input_shape, name="image")
    x = layers.Flatten()(images) if len(input_shape) > 1 else images
    for i, units in enumerate(hidden_units):
        x = layers.Dense(units, name=f"hidden_{i}")(x)
        x = layers.LeakyReLU(0.2)(x) if leaky else layers.ReLU()(x)
        if dropout:
            x = layers.Dropout(dropout)(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(images, logit, name=name)


def build_toy_generator(latent_dim: int = 8, data_dim: int = 1, hidden_units=(32, 32),
                        name: str = "toy_generator") -> keras.Model:
    """Build a small generator for 1-D or 2-D toy data: ReLU MLP with a linear output."""
    return build_mlp_generator(latent_dim, (data_dim,), hidden_units, output_activation=None, name=name)


def build_toy_discriminator(data_dim: int = 1, hidden_units=(32, 32),
                            name: str = "toy_discriminator") -> keras.Model:
    """Build a small discriminator for 1-D or 2-D toy data: LeakyReLU MLP, one logit."""
    return build_mlp_discriminator((data_dim,), hidden_units, leaky=True, name=name)
