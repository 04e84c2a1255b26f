"""The conditional GAN's helpers (chapter 04): class grids, conditioned inputs, moving between classes.

The trainers are :class:`gan_keras.trainers.cgan.ConditionalGAN` (both players also see the
class label) and :class:`gan_keras.trainers.cgan.AuxiliaryClassifierGAN`; this module holds
what the chapter does around them: the class grid's inputs, the conditioned inputs of the
exercises (4.1, 4.2) and the interpolation between classes. ``keras.ops`` and NumPy only.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops


def class_inputs(num_classes: int = 10, per_class: int = 10, latent_dim: int = 64, seed: int = 1234,
                 shared_noise: bool = False):
    """Return ``[z, labels]`` for a class grid: row ``r`` holds ``per_class`` samples of class ``r``.

    With ``shared_noise=True`` column ``c`` uses the same ``z`` in every row (style kept,
    class changed). Introduced in ``notebooks/04_conditional_gan.ipynb``.
    """
    rng = np.random.default_rng(seed)
    if shared_noise:
        z = np.tile(rng.standard_normal((per_class, latent_dim)), (num_classes, 1))
    else:
        z = rng.standard_normal((num_classes * per_class, latent_dim))
    labels = np.repeat(np.arange(num_classes), per_class).astype(np.int32)
    return [z.astype("float32"), labels]


def concat_label(z, labels, num_classes: int = 10):
    """Return ``[z, one_hot(labels)]``: the generator's conditioned input, shape ``(batch, latent_dim + num_classes)``.

    Introduced in ``notebooks/04_conditional_gan.ipynb`` (exercise 4.1).
    """
    one_hot = ops.one_hot(ops.cast(labels, "int32"), num_classes)
    return ops.concatenate([ops.cast(z, "float32"), one_hot], axis=-1)


def stack_label_maps(images, labels, num_classes: int = 10):
    """Return images with one constant channel per class appended: ``(batch, H, W, C + num_classes)``.

    Map ``k`` is 1 everywhere for an image of class ``k`` and 0 elsewhere: the conditional
    discriminator's input. Introduced in ``notebooks/04_conditional_gan.ipynb`` (exercise 4.2).
    """
    images = ops.cast(images, "float32")
    one_hot = ops.one_hot(ops.cast(labels, "int32"), num_classes)
    height, width = ops.shape(images)[1], ops.shape(images)[2]
    maps = ops.broadcast_to(one_hot[:, None, None, :], (ops.shape(images)[0], height, width, num_classes))
    return ops.concatenate([images, maps], axis=-1)


def interpolate_classes(generator, z, start: int, end: int, steps: int = 8) -> np.ndarray:
    """Return images at fixed noise ``z`` while the label moves from class ``start`` to ``end``.

    The label vector (one-hot, or the learned embedding) is interpolated linearly and fed
    through the generator's layers after its ``z_and_label`` concatenation (weights shared).
    Introduced in ``notebooks/04_conditional_gan.ipynb``.
    """
    names = [layer.name for layer in generator.layers]
    if "z_and_label" not in names:
        raise ValueError("interpolate_classes needs a generator made by build_conditional_generator "
                         "(a layer named 'z_and_label')")
    z = np.asarray(z, dtype="float32").reshape(1, -1)
    if "label_embedding" in names:
        table = generator.get_layer("label_embedding").get_weights()[0]
    else:
        table = np.eye(int(generator.get_layer("label_onehot").num_tokens), dtype="float32")
    for k, what in ((start, "start"), (end, "end")):
        if not 0 <= int(k) < len(table):
            raise ValueError(f"{what} must be a class in 0..{len(table) - 1}, got {k}")
    t = np.linspace(0.0, 1.0, int(steps), dtype="float32")[:, None]
    vectors = (1 - t) * table[int(start)] + t * table[int(end)]
    x = keras.ops.concatenate([np.repeat(z, len(t), axis=0), vectors], axis=-1)
    for layer in generator.layers[names.index("z_and_label") + 1:]:
        x = layer(x, training=False)
    return keras.ops.convert_to_numpy(x)
