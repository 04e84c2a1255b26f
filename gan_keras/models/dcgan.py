"""DCGAN builders (Radford et al., 2016), sized for 28x28x1 and parameterised for others.

The guidelines, each visible below: no pooling (strided convolutions in the
discriminator, fractionally-strided ones in the generator), batch normalization in the
generator, ReLU in the generator with ``tanh`` at its output, LeakyReLU in the
discriminator, no fully connected hidden layers.
"""

from __future__ import annotations

import keras
from keras import layers

from gan_keras import validate
from gan_keras.models._checks import positive_int, shape_tuple, units_tuple


def _base_size(image_shape, num_upsamples: int) -> tuple[int, int]:
    height, width, _ = image_shape
    factor = 2 ** num_upsamples
    if height % factor or width % factor:
        raise ValueError(
            f"image height and width must be divisible by 2**{num_upsamples} = {factor}, "
            f"got {height}x{width}"
        )
    return height // factor, width // factor


def generator_block(x, filters: int):
    """Double the height and width of feature maps: transposed convolution, batch norm, ReLU.

    Introduced in ``notebooks/03_dcgan.ipynb`` (exercise 3.1).
    """
    # Fractionally-strided convolution: HxWxC -> 2Hx2Wxfilters (no bias: batch norm re-centres)
    x = layers.Conv2DTranspose(filters, 4, strides=2, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


UPSAMPLINGS = ("transposed", "nearest", "bilinear")


def check_upsampling(upsampling: str) -> str:
    """Return ``upsampling`` if it is one of :data:`UPSAMPLINGS`, else raise a clear error."""
    return validate.choice(upsampling, "upsampling", UPSAMPLINGS)


def resize_block(x, filters: int, interpolation: str = "nearest"):
    """Double the height and width by resizing, then convolve: resize, 3x3 convolution, batch norm, ReLU.

    The alternative to the transposed convolution of :func:`generator_block` (Odena et al.,
    2016, "Deconvolution and checkerboard artifacts"): a 4x4 transposed convolution with
    stride 2 adds up overlapping kernel copies unevenly, which draws a faint checkerboard
    (the speckle of early DCGAN digits); resizing first spreads every input pixel evenly,
    and the convolution only has to sharpen. Introduced in ``notebooks/03_dcgan.ipynb``.
    """
    # HxWxC -> 2Hx2WxC (every pixel repeated, or interpolated), then -> 2Hx2Wxfilters
    x = layers.UpSampling2D(size=2, interpolation=interpolation)(x)
    x = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    return layers.ReLU()(x)


def upsample(x, filters: int, upsampling: str = "transposed"):
    """One 2x upsampling block of a generator: :func:`generator_block` or :func:`resize_block`."""
    if check_upsampling(upsampling) == "transposed":
        return generator_block(x, filters)
    return resize_block(x, filters, interpolation=upsampling)


def to_image(x, channels: int, upsampling: str = "transposed"):
    """The generator's last 2x upsampling, to ``channels`` with ``tanh`` (images in [-1, 1])."""
    if check_upsampling(upsampling) == "transposed":
        return layers.Conv2DTranspose(channels, 4, strides=2, padding="same", activation="tanh")(x)
    x = layers.UpSampling2D(size=2, interpolation=upsampling)(x)
    return layers.Conv2D(channels, 3, padding="same", activation="tanh")(x)


def discriminator_block(x, filters: int, batchnorm: bool = False, dropout: float = 0.0):
    """Halve the height and width of feature maps: strided convolution, LeakyReLU(0.2), no pooling.

    Introduced in ``notebooks/03_dcgan.ipynb`` (exercise 3.2).
    """
    # Strided convolution instead of pooling: HxWxC -> H/2xW/2xfilters
    x = layers.Conv2D(filters, 4, strides=2, padding="same")(x)
    if batchnorm:
        x = layers.BatchNormalization()(x)
    # Leaky: fake images still get a gradient where a ReLU would be flat
    x = layers.LeakyReLU(0.2)(x)
    if dropout:
        x = layers.Dropout(dropout)(x)
    return x


def build_dcgan_generator(
    latent_dim: int = 64,
    image_shape=(28, 28, 1),
    filters=(128, 64),
    name: str = "dcgan_generator",
    upsampling: str = "transposed",
) -> keras.Model:
    """Build a DCGAN generator: project and reshape, then one 2x upsampling per entry of ``filters``.

    For 28x28x1 and ``filters=(128, 64)``: 7x7x128 -> 14x14x64 -> 28x28x1.
    ``upsampling="transposed"`` (the default) is Radford et al.'s fractionally-strided
    convolution; ``"nearest"`` or ``"bilinear"`` resize then convolve (:func:`resize_block`),
    what ``train dcgan`` uses by default. Introduced in ``notebooks/03_dcgan.ipynb``.
    """
    check_upsampling(upsampling)
    latent_dim = positive_int(latent_dim, "latent_dim")
    image_shape = shape_tuple(image_shape, "image_shape")
    if len(image_shape) != 3:
        raise ValueError(f"image_shape must be (height, width, channels), got {image_shape}")
    filters = units_tuple(filters, "filters")
    base_h, base_w = _base_size(image_shape, len(filters))

    z = keras.Input(shape=(latent_dim,), name="z")
    # Project and reshape: z -> base_h x base_w x filters[0]
    x = layers.Dense(base_h * base_w * filters[0], use_bias=False)(z)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((base_h, base_w, filters[0]))(x)
    for f in filters[1:]:
        # HxWxC -> 2Hx2Wxf
        x = upsample(x, f, upsampling)
    # Last upsampling to the image: HxWxf -> 2Hx2Wxchannels, tanh for images in [-1, 1]
    images = to_image(x, image_shape[2], upsampling)
    return keras.Model(z, images, name=name)


def build_dcgan_discriminator(
    image_shape=(28, 28, 1),
    filters=(64, 128),
    dropout: float = 0.3,
    batchnorm: bool = False,
    name: str = "dcgan_discriminator",
) -> keras.Model:
    """Build a DCGAN discriminator: one strided 2x downsampling per entry of ``filters``, then a logit.

    For 28x28x1 and ``filters=(64, 128)``: 28x28x1 -> 14x14x64 -> 7x7x128 -> 1.
    Introduced in ``notebooks/03_dcgan.ipynb``.
    """
    image_shape = shape_tuple(image_shape, "image_shape")
    if len(image_shape) != 3:
        raise ValueError(f"image_shape must be (height, width, channels), got {image_shape}")
    filters = units_tuple(filters, "filters")
    _base_size(image_shape, len(filters))
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout}")

    images = keras.Input(shape=image_shape, name="image")
    x = images
    for i, f in enumerate(filters):
        # HxWxC -> H/2xW/2xf; never batch norm on the first layer (DCGAN guideline)
        x = discriminator_block(x, f, batchnorm=batchnorm and i > 0, dropout=dropout)
    x = layers.Flatten()(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(images, logit, name=name)
