"""Image-to-image builders: pix2pix's U-Net and PatchGAN, SRGAN's 4x generator, DiscoGAN's pairs.

Every generator here maps an image to an image (no latent vector): the randomness of a
noise-driven GAN is replaced by the input picture. Sizes in the comments are for the
course's 28x28x1 digits; every builder is parameterised for other sizes.
"""

from __future__ import annotations

import math

import keras
from keras import layers

from gan_keras import validate
from gan_keras.models._checks import positive_int, shape_tuple, units_tuple


def _image_shape(shape, name: str) -> tuple[int, int, int]:
    shape = shape_tuple(shape, name)
    if len(shape) != 3:
        raise ValueError(f"{name} must be (height, width, channels), got {shape}")
    return shape


def _check_divisible(shape, num_halvings: int, name: str) -> None:
    factor = 2 ** num_halvings
    if shape[0] % factor or shape[1] % factor:
        raise ValueError(
            f"{name} height and width must be divisible by 2**{num_halvings} = {factor} "
            f"({num_halvings} stride-2 layers), got {shape[0]}x{shape[1]}"
        )


def _clip_to_image_range(x):
    """Clip to ``[-1, 1]`` with plain layers (so the saved model needs no custom objects)."""
    x = layers.Rescaling(1.0, offset=1.0)(x)  # [-1, 1] -> [0, 2]
    x = layers.ReLU(max_value=2.0)(x)  # clip to [0, 2]
    return layers.Rescaling(1.0, offset=-1.0)(x)  # back to [-1, 1]


# ---------------------------------------------------------------------------------------
# pix2pix (Isola et al., 2017)
# ---------------------------------------------------------------------------------------

def build_unet_generator(
    input_shape=(28, 28, 1),
    output_channels: int | None = None,
    filters=(32, 64),
    dropout: float = 0.0,
    name: str = "unet_generator",
) -> keras.Model:
    """Build pix2pix's U-Net: strided-conv encoder, transposed-conv decoder, skip connections.

    One 2x downsampling per entry of ``filters``; the decoder mirrors it and concatenates
    the encoder's feature map of the same size (the skip that carries the input's details
    straight across). For 28x28x1 and ``filters=(32, 64)``:
    28x28x1 -> 14x14x32 -> 7x7x64 -> (bottleneck) -> 14x14x(32+32) -> 28x28x1.
    ``dropout`` in the decoder is pix2pix's source of noise (0.5 in the paper).
    Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    input_shape = _image_shape(input_shape, "input_shape")
    output_channels = positive_int(output_channels if output_channels is not None else input_shape[2],
                                   "output_channels")
    filters = units_tuple(filters, "filters")
    _check_divisible(input_shape, len(filters), "input_shape")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout}")

    inputs = keras.Input(shape=input_shape, name="input_image")
    x = inputs
    skips = []
    for i, f in enumerate(filters):
        # Downsample: HxWxC -> H/2xW/2xf (28x28x1 -> 14x14x32, then 14x14x32 -> 7x7x64)
        x = layers.Conv2D(f, 4, strides=2, padding="same", use_bias=False)(x)
        if i > 0:  # no batch normalization on the first layer, as in pix2pix
            x = layers.BatchNormalization(momentum=0.8)(x)
        x = layers.LeakyReLU(0.2)(x)
        skips.append(x)
    # Bottleneck at the smallest size (7x7x64 -> 7x7x64): mixes information across the image
    x = layers.Conv2D(filters[-1], 3, padding="same", use_bias=False)(x)
    x = layers.BatchNormalization(momentum=0.8)(x)
    x = layers.ReLU()(x)
    for i, (f, skip) in enumerate(zip(reversed(filters[:-1]), reversed(skips[:-1]))):
        # Upsample: HxWxC -> 2Hx2Wxf (7x7x64 -> 14x14x32), then concatenate the skip (-> 14x14x64)
        x = layers.Conv2DTranspose(f, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.8)(x)
        if dropout and i < 3:
            x = layers.Dropout(dropout)(x)
        x = layers.ReLU()(x)
        x = layers.Concatenate()([x, skip])
    # Last upsampling to the image: HxWxC -> 2Hx2Wxchannels (14x14x64 -> 28x28x1), tanh for [-1, 1]
    outputs = layers.Conv2DTranspose(output_channels, 4, strides=2, padding="same",
                                     activation="tanh", name="output_image")(x)
    return keras.Model(inputs, outputs, name=name)


def build_patchgan_discriminator(
    input_shape=(28, 28, 1),
    target_shape=None,
    filters=(32, 64),
    name: str = "patchgan_discriminator",
) -> keras.Model:
    """Build a PatchGAN: one logit per patch of the (input, candidate output) pair.

    The two images are stacked along channels, so the discriminator judges whether the
    output fits *this* input (a conditional GAN). One 2x downsampling per entry of
    ``filters``, then a 3x3 convolution to one logit per position. For 28x28 and
    ``filters=(32, 64)``: 28x28x2 -> 14x14x32 -> 7x7x64 -> 7x7x1 logits, each seeing a
    patch of the image. Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    input_shape = _image_shape(input_shape, "input_shape")
    target_shape = _image_shape(target_shape if target_shape is not None else input_shape, "target_shape")
    if input_shape[:2] != target_shape[:2]:
        raise ValueError(
            f"input and target images must have the same height and width, got "
            f"{input_shape[:2]} and {target_shape[:2]}"
        )
    filters = units_tuple(filters, "filters")
    _check_divisible(input_shape, len(filters), "input_shape")

    condition = keras.Input(shape=input_shape, name="input_image")
    candidate = keras.Input(shape=target_shape, name="target_image")
    x = layers.Concatenate()([condition, candidate])
    for i, f in enumerate(filters):
        # Downsample: HxWxC -> H/2xW/2xf (28x28x2 -> 14x14x32, then 14x14x32 -> 7x7x64)
        x = layers.Conv2D(f, 4, strides=2, padding="same")(x)
        if i > 0:
            x = layers.BatchNormalization(momentum=0.8)(x)
        x = layers.LeakyReLU(0.2)(x)
    # One logit per patch (7x7x64 -> 7x7x1)
    logits = layers.Conv2D(1, 3, padding="same", name="patch_logits")(x)
    return keras.Model([condition, candidate], logits, name=name)


# ---------------------------------------------------------------------------------------
# SRGAN (Ledig et al., 2017)
# ---------------------------------------------------------------------------------------

def build_sr_generator(
    low_res_shape=(7, 7, 1),
    scale: int = 4,
    filters: int = 32,
    num_residual_blocks: int = 3,
    bicubic_skip: bool = True,
    name: str = "sr_generator",
) -> keras.Model:
    """Build SRGAN's generator: residual blocks at low resolution, then 2x upsamplings to ``scale``x.

    For 7x7x1 and ``scale=4``: 7x7x1 -> 7x7x32 (residual blocks) -> 14x14x32 -> 28x28x32
    -> 28x28x1. The paper upsamples with sub-pixel convolutions; here nearest-neighbour
    upsampling followed by a convolution does the same job with stock layers. With
    ``bicubic_skip`` the network adds its output to the bicubic upsampling of the input,
    so it only has to learn the missing detail (a residual, as in VDSR); the result is
    clipped to ``[-1, 1]``. Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    low_res_shape = _image_shape(low_res_shape, "low_res_shape")
    scale = positive_int(scale, "scale")
    if scale < 2 or scale & (scale - 1):
        raise ValueError(f"scale must be a power of 2 (2, 4, 8, ...), got {scale}")
    filters = positive_int(filters, "filters")
    validate.non_negative_int(num_residual_blocks, "num_residual_blocks")
    channels = low_res_shape[2]

    low_res = keras.Input(shape=low_res_shape, name="low_res_image")
    x = layers.Conv2D(filters, 3, padding="same")(low_res)
    x = layers.PReLU(shared_axes=[1, 2])(x)
    head = x
    for _ in range(num_residual_blocks):
        # Residual block at low resolution: conv-BN-PReLU-conv-BN, plus its input
        y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(x)
        y = layers.BatchNormalization(momentum=0.8)(y)
        y = layers.PReLU(shared_axes=[1, 2])(y)
        y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
        y = layers.BatchNormalization(momentum=0.8)(y)
        x = layers.Add()([x, y])
    x = layers.Add()([head, x])  # the long skip over all residual blocks
    for _ in range(int(math.log2(scale))):
        # Upsample: HxWxf -> 2Hx2Wxf (7x7x32 -> 14x14x32, then 14x14x32 -> 28x28x32)
        x = layers.UpSampling2D(2, interpolation="nearest")(x)
        x = layers.Conv2D(filters, 3, padding="same")(x)
        x = layers.PReLU(shared_axes=[1, 2])(x)
    if bicubic_skip:
        # Residual over bicubic: 28x28x32 -> 28x28x1 detail, added to the 7x7x1 -> 28x28x1 bicubic image
        detail = layers.Conv2D(channels, 3, padding="same", kernel_initializer="zeros", name="detail")(x)
        base = layers.UpSampling2D(scale, interpolation="bicubic", name="bicubic")(low_res)
        outputs = _clip_to_image_range(layers.Add()([base, detail]))
    else:
        # 28x28x32 -> 28x28x1, tanh for [-1, 1]
        outputs = layers.Conv2D(channels, 3, padding="same", activation="tanh")(x)
    return keras.Model(low_res, outputs, name=name)


def _strided_discriminator(image_shape, filters, name: str) -> keras.Model:
    """Build strided convolutions (batch norm after the first), LeakyReLU, then one logit."""
    image_shape = _image_shape(image_shape, "image_shape")
    filters = units_tuple(filters, "filters")
    _check_divisible(image_shape, len(filters), "image_shape")
    images = keras.Input(shape=image_shape, name="image")
    x = images
    for i, f in enumerate(filters):
        # Downsample: HxWxC -> H/2xW/2xf (28x28x1 -> 14x14x32, then 14x14x32 -> 7x7x64)
        x = layers.Conv2D(f, 4, strides=2, padding="same")(x)
        if i > 0:
            x = layers.BatchNormalization(momentum=0.8)(x)
        x = layers.LeakyReLU(0.2)(x)
    x = layers.Flatten()(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model(images, logit, name=name)


def build_sr_discriminator(
    image_shape=(28, 28, 1),
    filters=(32, 64),
    name: str = "sr_discriminator",
) -> keras.Model:
    """Build SRGAN's discriminator: strided convolutions on the high-resolution image, one logit.

    For 28x28x1 and ``filters=(32, 64)``: 28x28x1 -> 14x14x32 -> 7x7x64 -> 1.
    Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    return _strided_discriminator(image_shape, filters, name)


# ---------------------------------------------------------------------------------------
# DiscoGAN (Kim et al., 2017)
# ---------------------------------------------------------------------------------------

def build_disco_generator(
    image_shape=(28, 28, 1),
    output_channels: int | None = None,
    filters=(32, 64),
    name: str = "disco_generator",
) -> keras.Model:
    """Build a DiscoGAN generator: an encoder-decoder from one domain's images to the other's.

    No skip connections (unlike the U-Net): the image passes through a bottleneck, so the
    generator must re-draw it. For 28x28x1 and ``filters=(32, 64)``:
    28x28x1 -> 14x14x32 -> 7x7x64 -> 14x14x32 -> 28x28x1.
    Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    image_shape = _image_shape(image_shape, "image_shape")
    output_channels = positive_int(output_channels if output_channels is not None else image_shape[2],
                                   "output_channels")
    filters = units_tuple(filters, "filters")
    _check_divisible(image_shape, len(filters), "image_shape")
    images = keras.Input(shape=image_shape, name="image")
    x = images
    for i, f in enumerate(filters):
        # Downsample: HxWxC -> H/2xW/2xf (28x28x1 -> 14x14x32, then 14x14x32 -> 7x7x64)
        x = layers.Conv2D(f, 4, strides=2, padding="same", use_bias=False)(x)
        if i > 0:
            x = layers.BatchNormalization(momentum=0.8)(x)
        x = layers.LeakyReLU(0.2)(x)
    for f in reversed(filters[:-1]):
        # Upsample: HxWxC -> 2Hx2Wxf (7x7x64 -> 14x14x32)
        x = layers.Conv2DTranspose(f, 4, strides=2, padding="same", use_bias=False)(x)
        x = layers.BatchNormalization(momentum=0.8)(x)
        x = layers.ReLU()(x)
    # Last upsampling to the image: HxWxC -> 2Hx2Wxchannels (14x14x32 -> 28x28x1), tanh for [-1, 1]
    outputs = layers.Conv2DTranspose(output_channels, 4, strides=2, padding="same", activation="tanh")(x)
    return keras.Model(images, outputs, name=name)


def build_disco_discriminator(
    image_shape=(28, 28, 1),
    filters=(32, 64),
    name: str = "disco_discriminator",
) -> keras.Model:
    """Build a DiscoGAN discriminator: is this image a real member of its domain? One logit.

    For 28x28x1 and ``filters=(32, 64)``: 28x28x1 -> 14x14x32 -> 7x7x64 -> 1.
    Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    return _strided_discriminator(image_shape, filters, name)


__all__ = [
    "build_disco_discriminator",
    "build_disco_generator",
    "build_patchgan_discriminator",
    "build_sr_discriminator",
    "build_sr_generator",
    "build_unet_generator",
]
