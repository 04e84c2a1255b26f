"""Conditional DCGAN builders (Mirza and Osindero, 2014): both players also see the class label.

The generator takes ``[z, labels]`` and the discriminator ``[images, labels]``; labels are
integer class indices of shape ``(batch,)``. The label enters as a one-hot vector
(``label_mode="onehot"``) or as a learned embedding (``label_mode="embedding"``):

- generator: the label vector is concatenated to ``z`` before the projection, so every
  feature map depends on it;
- discriminator: the label vector is spread over the image as extra channels, so the first
  convolution already judges "is this a good *k*?" and not only "is this a good digit?".
"""

from __future__ import annotations

import keras
from keras import layers

from gan_keras.models._checks import positive_int, shape_tuple, units_tuple
from gan_keras.models.dcgan import _base_size, check_upsampling, discriminator_block, to_image, upsample

LABEL_MODES = ("onehot", "embedding")


def _check_label_mode(label_mode: str) -> str:
    if label_mode not in LABEL_MODES:
        raise ValueError(f"label_mode must be one of {', '.join(LABEL_MODES)}, got {label_mode!r}")
    return label_mode


def _check_image_shape(image_shape) -> tuple[int, int, int]:
    image_shape = shape_tuple(image_shape, "image_shape")
    if len(image_shape) != 3:
        raise ValueError(f"image_shape must be (height, width, channels), got {image_shape}")
    return image_shape


def label_vector(labels, num_classes: int, label_mode: str = "onehot", embedding_dim: int = 16):
    """Turn integer labels ``(batch,)`` into vectors: one-hot ``(batch, num_classes)`` or an embedding.

    Introduced in ``notebooks/04_conditional_gan.ipynb``.
    """
    if _check_label_mode(label_mode) == "onehot":
        return layers.CategoryEncoding(num_tokens=num_classes, output_mode="one_hot",
                                       name="label_onehot")(labels)
    x = layers.Embedding(num_classes, embedding_dim, name="label_embedding")(labels)
    return layers.Flatten(name="label_vector")(x)


def build_conditional_generator(
    latent_dim: int = 64,
    num_classes: int = 10,
    image_shape=(28, 28, 1),
    filters=(128, 64),
    label_mode: str = "onehot",
    embedding_dim: int = 16,
    name: str = "conditional_generator",
    upsampling: str = "transposed",
) -> keras.Model:
    """Build a conditional DCGAN generator ``[z, labels] -> images`` in ``[-1, 1]``.

    For 28x28x1 and ``filters=(128, 64)``: [z, label] -> 7x7x128 -> 14x14x64 -> 28x28x1.
    ``upsampling`` as in :func:`gan_keras.models.build_dcgan_generator`.
    Introduced in ``notebooks/04_conditional_gan.ipynb``.
    """
    check_upsampling(upsampling)
    latent_dim = positive_int(latent_dim, "latent_dim")
    num_classes = positive_int(num_classes, "num_classes")
    embedding_dim = positive_int(embedding_dim, "embedding_dim")
    image_shape = _check_image_shape(image_shape)
    filters = units_tuple(filters, "filters")
    _check_label_mode(label_mode)
    base_h, base_w = _base_size(image_shape, len(filters))

    z = keras.Input(shape=(latent_dim,), name="z")
    labels = keras.Input(shape=(), dtype="int32", name="label")
    # The condition: z and the label side by side
    x = layers.Concatenate(name="z_and_label")([z, label_vector(labels, num_classes, label_mode, embedding_dim)])
    # Project and reshape: (latent_dim + label) -> base_h x base_w x filters[0]
    x = layers.Dense(base_h * base_w * filters[0], use_bias=False)(x)
    x = layers.BatchNormalization()(x)
    x = layers.ReLU()(x)
    x = layers.Reshape((base_h, base_w, filters[0]))(x)
    for f in filters[1:]:
        # Fractionally-strided convolution (or resize and convolve), batch norm, ReLU: HxWxC -> 2Hx2Wxf
        x = upsample(x, f, upsampling)
    # Last upsampling to the image: HxWxf -> 2Hx2Wxchannels, tanh for images in [-1, 1]
    images = to_image(x, image_shape[2], upsampling)
    return keras.Model([z, labels], images, name=name)


def build_conditional_discriminator(
    image_shape=(28, 28, 1),
    num_classes: int = 10,
    filters=(64, 128),
    dropout: float = 0.3,
    label_mode: str = "onehot",
    embedding_dim: int = 16,
    name: str = "conditional_discriminator",
) -> keras.Model:
    """Build a conditional DCGAN discriminator ``[images, labels] -> logit``.

    The label vector is broadcast to label maps stacked on the image's channels:
    28x28x1 + label -> 28x28x(1 + label size) -> 14x14x64 -> 7x7x128 -> 1.
    Introduced in ``notebooks/04_conditional_gan.ipynb``.
    """
    image_shape = _check_image_shape(image_shape)
    num_classes = positive_int(num_classes, "num_classes")
    embedding_dim = positive_int(embedding_dim, "embedding_dim")
    filters = units_tuple(filters, "filters")
    _check_label_mode(label_mode)
    _base_size(image_shape, len(filters))
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
    height, width, _ = image_shape

    images = keras.Input(shape=image_shape, name="image")
    labels = keras.Input(shape=(), dtype="int32", name="label")
    vector = label_vector(labels, num_classes, label_mode, embedding_dim)
    size = num_classes if label_mode == "onehot" else embedding_dim
    # Label maps: (size,) -> 1x1xsize -> HxWxsize (the same value at every pixel)
    maps = layers.Reshape((1, 1, size))(vector)
    maps = layers.UpSampling2D(size=(height, width), name="label_maps")(maps)
    x = layers.Concatenate(name="image_and_label")([images, maps])
    for f in filters:
        # Strided convolution, LeakyReLU: HxWxC -> H/2xW/2xf
        x = discriminator_block(x, f, dropout=dropout)
    x = layers.Flatten()(x)
    logit = layers.Dense(1, name="logit")(x)
    return keras.Model([images, labels], logit, name=name)


def build_auxiliary_discriminator(
    image_shape=(28, 28, 1),
    num_classes: int = 10,
    filters=(64, 128),
    dropout: float = 0.3,
    name: str = "auxiliary_discriminator",
) -> keras.Model:
    """Build an AC-GAN discriminator ``images -> [logit, class_logits]`` (Odena et al., 2017).

    It does not see the label: the DCGAN discriminator's trunk is shared by two heads, one
    logit for real-or-fake and ``num_classes`` logits for the digit it recognises. The
    :class:`gan_keras.trainers.cgan.AuxiliaryClassifierGAN` trainer teaches the class head on real
    images and asks the generator's samples to be recognised as the requested class:
    28x28x1 -> 14x14x64 -> 7x7x128 -> [1, num_classes].
    Introduced in ``notebooks/04_conditional_gan.ipynb``.
    """
    image_shape = _check_image_shape(image_shape)
    num_classes = positive_int(num_classes, "num_classes")
    filters = units_tuple(filters, "filters")
    _base_size(image_shape, len(filters))
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
    images = keras.Input(shape=image_shape, name="image")
    x = images
    for f in filters:
        # Strided convolution, LeakyReLU: HxWxC -> H/2xW/2xf
        x = discriminator_block(x, f, dropout=dropout)
    x = layers.Flatten()(x)
    logit = layers.Dense(1, name="logit")(x)
    class_logits = layers.Dense(num_classes, name="class_logits")(x)
    return keras.Model(images, [logit, class_logits], name=name)
