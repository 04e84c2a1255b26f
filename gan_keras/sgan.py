"""The semi-supervised GAN (Odena 2016; Salimans et al. 2016): a discriminator that also classifies.

The discriminator outputs ``K`` class logits ``l``. Its "fake" logit is fixed at 0, so the
probability that an image is real is ``D(x) = Z / (Z + 1)`` with ``Z = sum_k exp(l_k)``:
the real-against-fake logit is ``logsumexp(l)``. One ``train_step`` sees

- a labelled batch ``(labelled_images, labels)``: cross-entropy over the ``K`` classes;
- an unlabelled batch ``real_images``: it should be called real (``logsumexp(l)`` high);
- a generated batch ``fake_images``: it should be called fake (``logsumexp(l)`` low).

The generator learns by feature matching (Salimans et al.): the mean of the
discriminator's ``features`` layer on generated images should match that on real ones.
The generated images need not look good; they teach the classifier where the data is not.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gan_keras import losses as gan_losses
from gan_keras import validate
from gan_keras.config import require_tensorflow_backend
from gan_keras.gans import (
    TrainerMixin, apply_loss_gradients, check_model, compile_players, make_optimizer, model_input_shape,
    model_output_shape, prepare_loss, replica_latent,
)
from gan_keras.models.sgan import FEATURE_LAYER

require_tensorflow_backend()

GENERATOR_OBJECTIVES = ("feature_matching", "non_saturating")


def real_fake_logit(class_logits):
    """Return the real-against-fake logit ``logsumexp(l)`` of ``K`` class logits (fake logit = 0).

    Introduced in ``notebooks/08_semi_supervised_gan.ipynb``.
    """
    return ops.logsumexp(ops.cast(class_logits, "float32"), axis=-1)


def supervised_loss(labels, class_logits):
    """Return the mean cross-entropy of the class logits against integer labels."""
    return ops.mean(keras.losses.sparse_categorical_crossentropy(
        ops.cast(labels, "int32"), ops.cast(class_logits, "float32"), from_logits=True))


def unsupervised_loss(real_class_logits, fake_class_logits):
    """Return ``-E[log D(x)] - E[log(1 - D(G(z)))]`` with ``D = sigmoid(logsumexp(l))``.

    Introduced in ``notebooks/08_semi_supervised_gan.ipynb``.
    """
    return gan_losses.discriminator_loss(real_fake_logit(real_class_logits),
                                         real_fake_logit(fake_class_logits))


def feature_matching_loss(real_features, fake_features):
    """Return ``mean_j (E[f_j(x)] - E[f_j(G(z))])^2``, the generator's feature-matching loss."""
    real_mean = ops.mean(ops.cast(real_features, "float32"), axis=0)
    fake_mean = ops.mean(ops.cast(fake_features, "float32"), axis=0)
    return ops.mean(ops.square(real_mean - fake_mean))


class SGAN(TrainerMixin, keras.Model):
    """A generator and a classifier-discriminator trained on labelled and unlabelled images.

    ``discriminator`` maps images to ``num_classes`` logits and has a layer named
    ``features`` (see ``gan_keras.models.build_sgan_discriminator``). ``fit`` takes a
    dataset of ``((labelled_images, labels), real_images)`` from :func:`make_sgan_dataset`.
    Introduced in ``notebooks/08_semi_supervised_gan.ipynb``.
    """

    def __init__(self, generator, discriminator, generator_objective: str = "feature_matching",
                 unsupervised_weight: float = 1.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.generator = check_model(generator, "generator")
        self.discriminator = check_model(discriminator, "discriminator")
        g_out = model_output_shape(generator)
        d_in = model_input_shape(discriminator)
        if g_out != d_in:
            raise ValueError(f"the generator makes images of shape {g_out} but the discriminator "
                             f"expects {d_in}")
        if generator_objective not in GENERATOR_OBJECTIVES:
            raise ValueError(f"generator_objective must be one of {GENERATOR_OBJECTIVES}, "
                             f"got {generator_objective!r}")
        validate.non_negative_number(unsupervised_weight, "unsupervised_weight")
        try:
            features = discriminator.get_layer(FEATURE_LAYER).output
        except ValueError:
            raise ValueError(f"the discriminator needs a layer named {FEATURE_LAYER!r} "
                             "(its penultimate layer) for feature matching") from None
        self.num_classes = int(model_output_shape(discriminator)[-1])
        # The same layers, read at two places: the features and the class logits.
        self.features_and_logits = keras.Model(discriminator.inputs, [features, discriminator.outputs[0]])
        self.generator_objective = generator_objective
        self.unsupervised_weight = float(unsupervised_weight)
        self.latent_dim = int(model_input_shape(generator)[-1])
        self.sample_shape = g_out
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        self.supervised_tracker = keras.metrics.Mean(name="supervised_loss")
        self.accuracy_tracker = keras.metrics.Mean(name="labelled_accuracy")
        self.built = True

    def compile(self, d_optimizer=None, g_optimizer=None, loss_scale: bool | None = None, **kwargs):
        """Set the two optimizers (never shared); loss-scaled when the models compute in float16."""
        compile_players(self, d_optimizer, g_optimizer, self.discriminator, self.generator,
                        loss_scale=loss_scale, **kwargs)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker,
                self.supervised_tracker, self.accuracy_tracker]

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def sample_latent(self, batch_size):
        """Draw ``batch_size`` latent vectors from N(0, I) (each replica its own slice)."""
        return replica_latent(self.seed_generator, batch_size, self.latent_dim)

    def train_step(self, data):
        if not (isinstance(data, (tuple, list)) and len(data) == 2
                and isinstance(data[0], (tuple, list)) and len(data[0]) == 2):
            raise ValueError("SGAN.fit expects batches ((labelled_images, labels), real_images); "
                             "build them with gan_keras.sgan.make_sgan_dataset")
        (labelled_images, labels), real_images = data
        batch_size = ops.shape(real_images)[0]

        # Train the discriminator: classify the labelled images, call unlabelled ones real, generated ones fake
        z = self.sample_latent(batch_size)
        with tf.GradientTape() as tape:
            fake_images = self.generator(z, training=True)
            labelled_logits = self.discriminator(labelled_images, training=True)
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(fake_images, training=True)
            sup_loss = supervised_loss(labels, labelled_logits)
            unsup_loss = unsupervised_loss(real_logits, fake_logits)
            d_loss = sup_loss + self.unsupervised_weight * unsup_loss
            # Per-replica share of the global-batch loss, times the loss scale
            scaled_loss = prepare_loss(d_loss, self.d_optimizer)
        apply_loss_gradients(tape, scaled_loss, self.d_optimizer, self.discriminator.trainable_weights)

        # Train the generator (the discriminator's weights stay fixed)
        z = self.sample_latent(batch_size)
        with tf.GradientTape() as tape:
            fake_images = self.generator(z, training=True)
            fake_features, fake_logits_g = self.features_and_logits(fake_images, training=True)
            if self.generator_objective == "feature_matching":
                real_features, _ = self.features_and_logits(real_images, training=True)
                g_loss = feature_matching_loss(ops.stop_gradient(real_features), fake_features)
            else:
                g_loss = gan_losses.generator_loss(real_fake_logit(fake_logits_g))
            scaled_loss = prepare_loss(g_loss, self.g_optimizer)
        apply_loss_gradients(tape, scaled_loss, self.g_optimizer, self.generator.trainable_weights)

        # Update the trackers
        predicted = ops.argmax(labelled_logits, axis=-1)
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_real_tracker.update_state(ops.mean(ops.sigmoid(real_fake_logit(real_logits))))
        self.d_fake_tracker.update_state(ops.mean(ops.sigmoid(real_fake_logit(fake_logits))))
        self.supervised_tracker.update_state(sup_loss)
        self.accuracy_tracker.update_state(ops.mean(ops.cast(
            ops.equal(predicted, ops.cast(labels, predicted.dtype)), "float32")))
        return {m.name: m.result() for m in self.metrics}


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


def make_sgan_dataset(labelled_images, labels, real_images, batch_size: int = 64,
                      labelled_batch_size: int | None = None, seed: int = 0):
    """Serve ``((labelled_images, labels), real_images)`` batches; one epoch is one pass over ``real_images``.

    The few labelled images repeat (reshuffled) as often as needed.
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
    labelled = (tf.data.Dataset.from_tensor_slices((labelled_images, labels))
                .shuffle(len(labels), seed=seed, reshuffle_each_iteration=True)
                .repeat().batch(labelled_batch_size, drop_remainder=True))
    unlabelled = (tf.data.Dataset.from_tensor_slices(real_images)
                  .shuffle(len(real_images), seed=seed + 1, reshuffle_each_iteration=True)
                  .batch(batch_size, drop_remainder=True))
    return tf.data.Dataset.zip((labelled, unlabelled)).prefetch(tf.data.AUTOTUNE)


def classifier_accuracy(discriminator, images, labels) -> float:
    """Return the share of images whose largest class logit is their label."""
    logits = discriminator.predict(np.asarray(images, dtype=np.float32), batch_size=512, verbose=0)
    labels = np.asarray(labels)
    if len(logits) != len(labels):
        raise ValueError(f"got {len(logits)} images but {len(labels)} labels")
    return float(np.mean(np.argmax(logits, axis=1) == labels))


def train_supervised(discriminator, labelled_images, labels, steps: int, batch_size: int = 64,
                     learning_rate: float = 2e-4, seed: int = 0, verbose=0):
    """Train the classifier on the labelled images only, for ``steps`` updates (the baseline)."""
    labelled_images = np.asarray(labelled_images, dtype=np.float32)
    labels = np.asarray(labels).astype(np.int32)
    batch_size = min(batch_size, len(labels))
    ds = (tf.data.Dataset.from_tensor_slices((labelled_images, labels))
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
