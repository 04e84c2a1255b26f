"""Tiny models for every trainer of the course, for tests that need many fast runs.

Dense layers only, without dropout or batch norm (whose per-replica masks and statistics
legitimately differ from one device's), on 4x4 images. ``TRAINERS[name]`` is
``(make, compile, batches)``: build the trainer, compile it, and a fresh dataset of its
batches (``tf.data`` on TensorFlow, a ``keras.utils.PyDataset`` of the same batches elsewhere).
Build inside ``engine.precision_policy(True)`` for float16.
Imported by ``test_resume_every_model.py`` in-process and in its two-device subprocess.
"""

import keras
import numpy as np
from keras import layers

from gan_keras.models.sgan import FEATURE_LAYER
from gan_keras.models.vae import LOGITS_LAYER
from gan_keras.trainers.cgan import ConditionalGAN
from gan_keras.trainers.discogan import DiscoGAN
from gan_keras.trainers.pix2pix import Pix2Pix
from gan_keras.trainers.sgan import SGAN
from gan_keras.trainers.simultaneous import SimultaneousConditionalGAN
from gan_keras.trainers.srgan import SRGAN
from gan_keras.trainers.vae import VAE

S = (4, 4, 1)
BATCH = 8


def image_to(units, name, inputs=1, features=False):
    ins = [keras.Input(S) for _ in range(inputs)]
    x = layers.Concatenate()([layers.Flatten()(i) for i in ins]) if inputs > 1 else layers.Flatten()(ins[0])
    x = layers.Dense(12, activation="tanh", name=FEATURE_LAYER if features else None)(x)
    return keras.Model(ins if inputs > 1 else ins[0], layers.Dense(units, dtype="float32")(x), name=name)


def to_image(n_in, name, classes=None):
    ins = [keras.Input((n_in,))] + ([keras.Input((), dtype="int32")] if classes else [])
    x = ins[0]
    if classes:
        x = layers.Concatenate()([x, layers.CategoryEncoding(classes, output_mode="one_hot")(ins[1])])
    x = layers.Dense(12, activation="tanh")(x)
    logits = layers.Reshape(S, name=LOGITS_LAYER)(layers.Dense(16)(x))  # pixel logits, for the VAE
    return keras.Model(ins if classes else ins[0], layers.Activation("tanh", dtype="float32")(logits), name=name)


def image_to_image(name):
    i = keras.Input(S)
    x = layers.Dense(12, activation="tanh")(layers.Flatten()(i))
    return keras.Model(i, layers.Reshape(S)(layers.Dense(16, activation="tanh", dtype="float32")(x)), name=name)


def conditional_discriminator(classes=3):
    i, y = keras.Input(S), keras.Input((), dtype="int32")
    x = layers.Concatenate()([layers.Flatten()(i), layers.CategoryEncoding(classes, output_mode="one_hot")(y)])
    return keras.Model([i, y], layers.Dense(1, dtype="float32")(layers.Dense(12, activation="tanh")(x)))


def encoder():
    i = keras.Input(S)
    x = layers.Dense(12, activation="tanh")(layers.Flatten()(i))
    return keras.Model(i, [layers.Dense(2)(x), layers.Dense(2)(x)])


# Plain SGD: its update is proportional to the gradient, so a replica loss that is not
# divided by the number of replicas shows as a doubled step (Adam would hide it).
def optimizers():
    return keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05)


rng = np.random.default_rng(0)
X = rng.uniform(-1, 1, (32,) + S).astype("float32")
X2 = rng.uniform(-1, 1, (32,) + S).astype("float32")
Y = (np.arange(32) % 3).astype("int32")


if keras.backend.backend() == "tensorflow":
    import tensorflow as tf

    def pairs(a, b):
        return tf.data.Dataset.from_tensor_slices((a, b)).batch(BATCH, drop_remainder=True)

    def images(a):
        return tf.data.Dataset.from_tensor_slices(a).batch(BATCH, drop_remainder=True)

    def sgan_batches():
        return tf.data.Dataset.zip((pairs(X2, Y), images(X)))
else:
    class Batches(keras.utils.PyDataset):
        """Batch ``i`` is ``make(slice of batch i)``, in order, as the ``tf.data`` pipelines above."""

        def __init__(self, make):
            super().__init__()
            self.make = make

        def __len__(self):
            return len(X) // BATCH

        def __getitem__(self, i):
            return self.make(slice(i * BATCH, (i + 1) * BATCH))

    def pairs(a, b):
        return Batches(lambda s: (a[s], b[s]))

    def images(a):
        return Batches(lambda s: a[s])

    def sgan_batches():
        return Batches(lambda s: ((X2[s], Y[s]), X[s]))


TRAINERS = {
    "cgan": (lambda: ConditionalGAN(to_image(3, "g", classes=3), conditional_discriminator(), num_classes=3, seed=0),
             lambda m, **kw: m.compile(*optimizers(), **kw), lambda: pairs(X, Y)),
    "simultaneous_cgan": (lambda: SimultaneousConditionalGAN(to_image(3, "g", classes=3), conditional_discriminator(),
                                                             num_classes=3, seed=0),
                          lambda m, **kw: m.compile(*optimizers(), **kw), lambda: pairs(X, Y)),
    "sgan": (lambda: SGAN(to_image(3, "g"), image_to(3, "d", features=True),
                               generator_objective="non_saturating", seed=0),
             lambda m, **kw: m.compile(*optimizers(), **kw),
             sgan_batches),
    "vae": (lambda: VAE(encoder(), to_image(2, "decoder"), seed=0),
            lambda m, **kw: m.compile(keras.optimizers.SGD(0.05), **kw), lambda: images(X)),
    "pix2pix": (lambda: Pix2Pix(image_to_image("g"), image_to(1, "d", inputs=2), seed=0),
                lambda m, **kw: m.compile(*optimizers(), **kw), lambda: pairs(X, X2)),
    "srgan": (lambda: SRGAN(image_to_image("g"), image_to(1, "d"), adversarial_weight=0.1, seed=0),
              lambda m, **kw: m.compile(*optimizers(), **kw), lambda: pairs(X, X2)),
    "discogan": (lambda: DiscoGAN(image_to_image("gab"), image_to_image("gba"), image_to(1, "da"),
                                  image_to(1, "db"), seed=0),
                 lambda m, **kw: m.compile(*optimizers(), **kw), lambda: pairs(X, X2)),
}


def agreement(single, multi, start, history_single, history_multi) -> dict:
    """Compare a single-device run with a distributed one of the same global batches.

    ``diff``: largest weight difference between the two; ``moved``: largest change of the
    single-device weights from ``start`` (how far training went); ``history_diff``:
    largest difference of the last epoch's logged values.
    """
    return {
        "diff": max(float(np.max(np.abs(a.numpy() - b.numpy())))
                    for a, b in zip(single.trainable_weights, multi.trainable_weights)),
        "moved": max(float(np.max(np.abs(a.numpy() - b))) for a, b in zip(single.trainable_weights, start)),
        "history_diff": max(abs(history_single[k][-1] - history_multi[k][-1]) for k in history_single),
    }
