"""The semi-supervised GAN's data and its measure (chapter 08): a few labels, many unlabelled images.

The game (a discriminator with ``K`` class logits whose real-against-fake logit is
``logsumexp(l)``, a generator trained by feature matching) is :mod:`gan_keras.trainers.sgan`.
This module holds the data (:func:`make_sgan_dataset`: a ``tf.data`` pipeline on TensorFlow,
a ``keras.utils.PyDataset`` on JAX and PyTorch) and the comparison with a supervised-only
baseline (:func:`compare_with_supervised`).
"""

from __future__ import annotations

import keras
import numpy as np

from gan_keras import engine, validate
from gan_keras.data import batches
from gan_keras.engine import make_optimizer
from gan_keras.trainers.sgan import SGAN

# ---------------------------------------------------------------------------------------
# Data and the comparison with a supervised-only baseline
# ---------------------------------------------------------------------------------------

def labelled_subset(labels, per_class: int, seed: int = 0) -> np.ndarray:
    """Return sorted indices of ``per_class`` labelled examples of every class (fixed seed).

    Introduced in ``notebooks/08_semi_supervised_gan.ipynb``.
    """
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.dtype.kind not in "iu":
        raise TypeError(f"labels must be a 1-D array of integer classes, got dtype {labels.dtype} "
                        f"and shape {labels.shape}")
    validate.positive_int(per_class, "per_class")
    rng = np.random.default_rng(seed)
    chosen = []
    for c in np.unique(labels):
        where = np.flatnonzero(labels == c)
        if len(where) < per_class:
            raise ValueError(f"class {c} has only {len(where)} examples, fewer than per_class={per_class}")
        chosen.append(rng.choice(where, size=per_class, replace=False))
    return np.sort(np.concatenate(chosen))


def _key(seed) -> int:
    return int(seed) % 2**32  # NumPy seeds are >= 0; tf.data takes any int


class _ShuffledRepeat:
    """The index stream of ``shuffle(n).repeat()``.

    Pass ``k`` over ``0..n-1`` is a permutation seeded by ``(key, k)``.
    """

    def __init__(self, n: int, *key: int):
        self.n, self.key = int(n), tuple(key)
        self._passes = {}

    def _permutation(self, k: int) -> np.ndarray:
        if k not in self._passes:
            if len(self._passes) > 8:  # the stream only moves forward: forget old passes
                self._passes.clear()
            self._passes[k] = np.random.default_rng([*self.key, k]).permutation(self.n)
        return self._passes[k]

    def take(self, start: int, count: int) -> np.ndarray:
        """Return stream positions ``start .. start + count - 1``."""
        out, position = [], int(start)
        while sum(len(part) for part in out) < count:
            k, offset = divmod(position, self.n)
            need = count - sum(len(part) for part in out)
            part = self._permutation(k)[offset:offset + need]
            out.append(part)
            position += len(part)
        return np.concatenate(out)


class SGANBatches(batches.EpochCounting, keras.utils.PyDataset):
    """The batches of :func:`make_sgan_dataset` off TensorFlow: ``((labelled_images, labels), real_images)``.

    An epoch is one pass over ``real_images`` in a new shuffled order (``batch_size`` each,
    the last partial batch dropped); the labelled images repeat, reshuffled at every pass,
    ``labelled_batch_size`` at a time, and their stream starts anew each epoch, as the
    ``tf.data`` pipeline's does. The order is seeded NumPy: ``seed`` and the epoch fix it.
    """

    def __init__(self, labelled_images, labels, real_images, batch_size: int, labelled_batch_size: int,
                 seed: int = 0):
        super().__init__()
        self.labelled_images, self.labels, self.real_images = labelled_images, labels, real_images
        self.batch_size, self.labelled_batch_size = int(batch_size), int(labelled_batch_size)
        self.seed = int(seed)
        self.epoch = 0
        self._served = 0
        self._orders = {}

    def __len__(self) -> int:
        return len(self.real_images) // self.batch_size

    def _order(self):
        if self.epoch not in self._orders:
            self._orders = {self.epoch: (
                np.random.default_rng([_key(self.seed + 1), self.epoch]).permutation(len(self.real_images)),
                _ShuffledRepeat(len(self.labels), _key(self.seed), self.epoch))}
        return self._orders[self.epoch]

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"batch {index} of {len(self)}")
        self._served += 1
        unlabelled, labelled = self._order()
        real = unlabelled[index * self.batch_size:(index + 1) * self.batch_size]
        chosen = labelled.take(index * self.labelled_batch_size, self.labelled_batch_size)
        return (self.labelled_images[chosen], self.labels[chosen]), self.real_images[real]

    def stream(self, initial_epoch: int = 0):
        """Serve from epoch ``initial_epoch`` on (a resumed run sees the batches of the uninterrupted one)."""
        self.epoch, self._served = int(initial_epoch), 0
        return self


class LabelledBatches(keras.utils.PyDataset):
    """``(images, labels)`` batches without end, reshuffled at every pass (``shuffle().repeat().batch()``).

    What :func:`train_supervised` trains on where datasets are not ``tf.data`` pipelines.
    """

    def __init__(self, images, labels, batch_size: int, seed: int = 0):
        super().__init__()
        self.images, self.labels, self.batch_size = images, labels, int(batch_size)
        self._stream = _ShuffledRepeat(len(labels), _key(seed))

    @property
    def num_batches(self):
        return None  # infinite: fit(steps_per_epoch=...) decides how many are taken

    def __getitem__(self, index):
        chosen = self._stream.take(index * self.batch_size, self.batch_size)
        return self.images[chosen], self.labels[chosen]


def make_sgan_dataset(labelled_images, labels, real_images, batch_size: int = 64,
                      labelled_batch_size: int | None = None, seed: int = 0):
    """Serve ``((labelled_images, labels), real_images)`` batches; one epoch is one pass over ``real_images``.

    The few labelled images repeat (reshuffled) as often as needed. On TensorFlow a
    ``tf.data`` pipeline; on JAX and PyTorch an :class:`SGANBatches` (``keras.utils.PyDataset``)
    with the same batches' structure, sizes and shuffling (its own seeded order).
    """
    labelled_images = np.asarray(labelled_images, dtype=np.float32)
    labels = np.asarray(labels).astype(np.int32)
    real_images = np.asarray(real_images, dtype=np.float32)
    if len(labelled_images) != len(labels):
        raise ValueError(f"got {len(labelled_images)} labelled images but {len(labels)} labels")
    if labelled_images.shape[1:] != real_images.shape[1:]:
        raise ValueError(f"labelled images have shape {labelled_images.shape[1:]} but unlabelled "
                         f"ones {real_images.shape[1:]}")
    if len(real_images) < batch_size:
        raise ValueError(f"batch_size {batch_size} is larger than the {len(real_images)} unlabelled images")
    labelled_batch_size = labelled_batch_size or min(batch_size, len(labels))
    tf_data = engine.tf_data()  # the tf.data module on TensorFlow, else None
    if tf_data is None:
        if len(labels) == 0:
            raise ValueError("got no labelled images: the SGAN needs a few")
        return SGANBatches(labelled_images, labels, real_images, batch_size, labelled_batch_size, seed)
    labelled = (tf_data.Dataset.from_tensor_slices((labelled_images, labels))
                .shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
                .repeat().batch(labelled_batch_size, drop_remainder=True))
    unlabelled = (tf_data.Dataset.from_tensor_slices(real_images)
                  .shuffle(len(real_images), seed=seed + 1, reshuffle_each_iteration=True)
                  .batch(batch_size, drop_remainder=True))
    return tf_data.Dataset.zip((labelled, unlabelled)).prefetch(tf_data.AUTOTUNE)


def classifier_accuracy(discriminator, images, labels) -> float:
    """Return the share of images whose largest class logit is their label."""
    logits = discriminator.predict(np.asarray(images, dtype=np.float32), batch_size=512, verbose=0)
    labels = np.asarray(labels)
    if len(logits) != len(labels):
        raise ValueError(f"got {len(logits)} images but {len(labels)} labels")
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def train_supervised(discriminator, labelled_images, labels, steps: int, batch_size: int = 64,
                     learning_rate: float = 2e-4, seed: int = 0, verbose=0):
    """Train the classifier on the labelled images only, for ``steps`` updates (the baseline).

    The labelled images repeat, reshuffled at every pass: a ``tf.data`` pipeline on
    TensorFlow, a :class:`LabelledBatches` (``keras.utils.PyDataset``) on JAX and PyTorch.
    """
    labelled_images = np.asarray(labelled_images, dtype=np.float32)
    labels = np.asarray(labels).astype(np.int32)
    batch_size = min(batch_size, len(labels))
    tf_data = engine.tf_data()  # the tf.data module on TensorFlow, else None
    if tf_data is None:
        ds = LabelledBatches(labelled_images, labels, batch_size, seed)
    else:
        ds = (tf_data.Dataset.from_tensor_slices((labelled_images, labels))
              .shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
              .repeat().batch(batch_size, drop_remainder=True))
    discriminator.compile(optimizer=make_optimizer(learning_rate),
                          loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    epochs = max(1, int(steps) // 50)
    return discriminator.fit(ds, steps_per_epoch=max(1, int(steps) // epochs), epochs=epochs,
                             verbose=verbose, shuffle=False)


def compare_with_supervised(train_data, test_data, per_class: int, epochs: int, seed: int = 0,
                            latent_dim: int = 64, batch_size: int = 64, learning_rate: float = 2e-4,
                            verbose=0) -> dict:
    """Train an SGAN and the same classifier on the labelled images only; return both test accuracies.

    Both start from the same initial weights and take the same number of discriminator
    updates with the same optimizer settings. Introduced in ``notebooks/08_semi_supervised_gan.ipynb``.
    """
    from gan_keras import models

    keep = labelled_subset(train_data.labels, per_class, seed)
    x_lab, y_lab = train_data.images[keep], train_data.labels[keep]
    num_classes = int(np.max(train_data.labels)) + 1
    keras.utils.set_random_seed(seed)
    discriminator = models.build_sgan_discriminator(train_data.image_shape, num_classes)
    baseline = models.build_sgan_discriminator(train_data.image_shape, num_classes, name="supervised_only")
    baseline.set_weights(discriminator.get_weights())
    generator = models.build_sgan_generator(latent_dim, train_data.image_shape)
    sgan = SGAN(generator, discriminator, seed=seed)
    sgan.compile(make_optimizer(learning_rate, name="d_optimizer"),
                 make_optimizer(learning_rate, name="g_optimizer"))
    ds = make_sgan_dataset(x_lab, y_lab, train_data.images, batch_size=batch_size, seed=seed)
    history = sgan.fit(ds, epochs=epochs, verbose=verbose, shuffle=False)
    steps = epochs * (len(train_data.images) // batch_size)
    train_supervised(baseline, x_lab, y_lab, steps, batch_size, learning_rate, seed)
    return {
        "per_class": int(per_class), "num_labelled": int(len(keep)), "seed": int(seed),
        "epochs": int(epochs), "steps": int(steps),
        "sgan_accuracy": classifier_accuracy(discriminator, test_data.images, test_data.labels),
        "supervised_accuracy": classifier_accuracy(baseline, test_data.images, test_data.labels),
        "sgan": sgan, "baseline": baseline, "history": dict(history.history),
    }
