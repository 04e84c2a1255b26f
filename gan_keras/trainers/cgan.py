"""The conditional GAN and AC-GAN: ``GAN`` whose players also see (or recognise) the class label.

``fit`` gets ``(real_images, labels)`` batches. The discriminator learns to accept a real
image *with its own label* and to reject a generated image with the label it was asked
for; the generator learns to make images that pass as the requested class. Same idiom and
metric names as :class:`gan_keras.trainers.gan.GAN` (``d_loss``, ``g_loss``, ``d_real``, ``d_fake``).

A step is the same for both trainers (draw noise and requested labels, make the fakes,
hand the player's loss to :func:`gan_keras.engine.minimize`); what a batch costs each
player is a method of its own, :meth:`ConditionalGAN.d_loss` and :meth:`ConditionalGAN.g_loss`
(the hooks :class:`~gan_keras.trainers.gan.GAN` has too), so :class:`AuxiliaryClassifierGAN`
only says how its losses differ. The tutorial's simultaneous update of both is in
:mod:`gan_keras.trainers.simultaneous`.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from gan_keras import engine, validate
from gan_keras.engine import split_batch
from gan_keras.engine.trainer import check_model, model_input_shape, model_output_shape
from gan_keras.trainers.gan import GAN, d_step_minibatches


def _two_inputs(model, name: str, first: str) -> None:
    inputs = model.inputs if isinstance(model.inputs, (list, tuple)) else [model.inputs]
    if len(inputs) != 2:
        raise ValueError(
            f"a conditional {name} takes two inputs [{first}, labels], got {len(inputs)} input(s): "
            f"build it with gan_keras.models.build_conditional_{name}"
        )


class ConditionalGAN(GAN):
    """A generator ``[z, labels] -> images`` and a discriminator ``[images, labels] -> logit``.

    ``num_classes`` is read from nothing: pass it (10 for digits). Labels are int class
    indices. The labels the generator is asked for are drawn uniformly, or with
    ``class_frequencies`` (one share per class, summing to 1: the data's, when its classes
    are uneven, as k-means clusters are). Introduced in ``notebooks/04_conditional_gan.ipynb``.

    Each player's loss is a method, as in :class:`GAN`: :meth:`d_loss` and :meth:`g_loss` take the
    discriminator's outputs and return ``(loss, metrics)``, ``metrics`` values for trackers of
    those names (AC-GAN's ``class_loss``).
    """

    def __init__(self, generator, discriminator, num_classes: int = 10, d_steps: int = 1,
                 seed: int | None = None, class_frequencies=None, **kwargs):
        for model, name, first in ((generator, "generator", "z"), (discriminator, "discriminator", "images")):
            check_model(model, name)
            _two_inputs(model, name, first)
        validate.integer(num_classes, "num_classes", minimum=2)
        super().__init__(generator, discriminator, d_steps=d_steps, seed=seed, **kwargs)
        self.num_classes = int(num_classes)
        self.set_class_frequencies(class_frequencies)
        if model_output_shape(generator) != model_input_shape(discriminator, 0):
            raise ValueError("the generator's images do not fit the discriminator's first input")

    def compile(self, d_optimizer=None, g_optimizer=None, loss: str = "non_saturating",
                gradient_penalty_weight: float | None = None, **kwargs):
        """Set the two optimizers and the loss (every loss of ``GAN`` except the gradient penalty)."""
        super().compile(d_optimizer, g_optimizer, loss=loss,
                        gradient_penalty_weight=gradient_penalty_weight, **kwargs)
        if self.gradient_penalty_weight:
            if gradient_penalty_weight is None:  # wasserstein defaults to GP; not offered here
                raise ValueError("ConditionalGAN has no gradient penalty: use loss='non_saturating', "
                                 "'least_squares' or 'hinge', or pass gradient_penalty_weight=0")
            raise ValueError(f"ConditionalGAN has no gradient penalty, got gradient_penalty_weight="
                             f"{gradient_penalty_weight}")

    # ----------------------------------------------------------------------------------
    def call(self, inputs, training=False):
        z, labels = inputs
        return self.generator([z, labels], training=training)

    def set_class_frequencies(self, class_frequencies=None) -> None:
        """Check and keep the shares the requested labels are drawn with (``None``: uniform)."""
        if class_frequencies is None:
            self.class_frequencies = None
            return
        frequencies = np.asarray(class_frequencies, dtype=np.float64)
        if frequencies.shape != (self.num_classes,) or not np.all(np.isfinite(frequencies)) \
                or np.any(frequencies < 0) or not np.isclose(frequencies.sum(), 1.0):
            raise ValueError(f"class_frequencies must be {self.num_classes} shares >= 0 that sum to 1, got "
                             f"{np.round(frequencies, 4).tolist()}")
        self.class_frequencies = [float(f) for f in frequencies]

    def sample_labels(self, batch_size):
        """Draw ``batch_size`` class labels (uniformly, or with ``class_frequencies``) with the seed generator.

        Under ``tf.distribute`` each replica gets its own slice of the global batch's labels.
        """
        u = engine.replica_random(keras.random.uniform, (batch_size,), self.seed_generator)
        if self.class_frequencies is not None:
            # Cut the uniform draw at the cumulative shares: class k with probability frequencies[k]
            edges = np.cumsum(self.class_frequencies)[:-1].astype("float32")
            return ops.sum(ops.cast(ops.greater(u[:, None], ops.convert_to_tensor(edges)[None, :]), "int32"), axis=1)
        return ops.minimum(ops.cast(ops.floor(u * float(self.num_classes)), "int32"), self.num_classes - 1)

    def sample_conditions(self, batch_size) -> tuple:
        """Draw the labels the generator is asked for: ``(labels,)`` (see :meth:`sample_labels`)."""
        return (self.sample_labels(batch_size),)

    def real_batch(self, data) -> tuple:
        """Return ``(real_images, (labels,))`` of an ``(images, labels)`` batch from ``fit``, as tensors."""
        real_images, labels = split_batch(data)
        if labels is None:
            raise ValueError("ConditionalGAN.fit needs (images, labels) batches: "
                             "make the dataset with data.batches.make_dataset(images, labels)")
        # Tensors both (a batch of NumPy arrays, given to train_step directly, must not mix)
        return ops.convert_to_tensor(real_images), (ops.cast(ops.reshape(labels, (-1,)), "int32"),)

    def statistics_inputs(self, count: int):
        """Return ``[z, labels]``: fixed noise and every class in turn, for the average's statistics."""
        z = super().statistics_inputs(count)
        return [z, (np.arange(count) % self.num_classes).astype(np.int32)]

    def check_labels(self, labels, count: int | None = None) -> np.ndarray:
        """Return labels as int32 after checking they are class indices (and their count)."""
        labels = np.asarray(labels)
        if labels.dtype.kind not in "iu":
            raise TypeError(f"labels must be integer class indices, got dtype {labels.dtype}")
        if labels.ndim != 1:
            raise ValueError(f"labels must have shape (n,), got {labels.shape}")
        if count is not None and len(labels) != count:
            raise ValueError(f"got {count} latent vectors but {len(labels)} labels")
        if len(labels) and (labels.min() < 0 or labels.max() >= self.num_classes):
            raise ValueError(f"labels must lie in 0..{self.num_classes - 1}, got "
                             f"{labels.min()}..{labels.max()}")
        return labels.astype(np.int32)

    def generate(self, labels, z=None, seed: int = 0, batch_size: int = 256) -> np.ndarray:
        """Return images of the requested classes as NumPy (fixed noise from ``seed`` unless ``z``)."""
        labels = self.check_labels(np.atleast_1d(labels))
        if z is None:
            z = np.random.default_rng(seed).standard_normal((len(labels), self.latent_dim)).astype("float32")
        z = np.asarray(z, dtype="float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latent vectors must have shape (n, {self.latent_dim}), got {z.shape}")
        labels = self.check_labels(labels, count=len(z))
        return self.sample_generator.predict([z, labels], batch_size=batch_size, verbose=0)

    # -- the game ---------------------------------------------------------------------------
    def step(self, data):
        """One batch: ``d_steps`` discriminator updates on ``(images, labels)``, one generator update."""
        real_images, (labels,) = self.real_batch(data)
        # Train the discriminator: real images with their labels -> 1, fakes with requested labels -> 0
        # (k steps, each on a new real minibatch, as in the paper's algorithm)
        image_batches = d_step_minibatches(real_images, self.d_steps)
        label_batches = d_step_minibatches(labels, self.d_steps)
        for real_minibatch, label_minibatch in zip(image_batches, label_batches):
            d_loss, real_logits, fake_logits = self.d_step(real_minibatch, label_minibatch)
        # Train the generator (the discriminator's weights stay fixed)
        g_loss = self.g_step(ops.shape(image_batches[0])[0])
        # Move the averaged generator (with ema)
        self.update_average()
        # Update the trackers
        return self.update_trackers(d_loss, g_loss, real_logits, fake_logits)

    def d_step(self, real_images, labels):
        """Update the discriminator once (its loss is :meth:`d_loss`); return ``(d_loss, real_out, fake_out)``."""
        batch_size = ops.shape(real_images)[0]
        z = self.sample_latent(batch_size)
        fake_labels = self.sample_labels(batch_size)

        def loss():
            fake_images = self.generator([z, fake_labels], training=True)
            real_out = self.discriminate(real_images, labels)
            fake_out = self.discriminate(fake_images, fake_labels)
            d_loss, metrics = self.d_loss(real_out, fake_out, real_images, fake_images, labels, fake_labels)
            return d_loss, (real_out, fake_out, metrics)

        d_loss, (real_out, fake_out, metrics) = engine.minimize(
            loss, self.d_optimizer, self.discriminator.trainable_weights)
        self.track(**metrics)
        return d_loss, real_out, fake_out

    def g_step(self, batch_size):
        """Update the generator once (its loss is :meth:`g_loss`; the discriminator stays fixed); return ``g_loss``."""
        z = self.sample_latent(batch_size)
        fake_labels = self.sample_labels(batch_size)

        def loss():
            fake_images = self.generator([z, fake_labels], training=True)
            return self.g_loss(self.discriminate(fake_images, fake_labels), fake_labels)

        g_loss, metrics = engine.minimize(loss, self.g_optimizer, self.generator.trainable_weights)
        self.track(**metrics)
        return g_loss

    # -- what a batch costs each player: (loss, values for the trackers of those names) ------
    def d_loss(self, real_logits, fake_logits, real_images, fake_images, labels, fake_labels):
        """The discriminator's loss: real images with their labels -> real, fakes with the requested labels -> fake.

        The discriminator was shown each image with its label (:meth:`discriminate`). Returns ``(d_loss, {})``.
        """
        return self.d_loss_fn(real_logits, fake_logits), {}

    def g_loss(self, fake_logits, fake_labels):
        """The generator's loss: its images should pass as the requested class. Returns ``(g_loss, {})``."""
        return self.g_loss_fn(fake_logits), {}


class AuxiliaryClassifierGAN(ConditionalGAN):
    """AC-GAN (Odena et al., 2017): the discriminator recognises the digit instead of being told it.

    The generator is the conditional one (``[z, labels] -> images``); the discriminator maps
    images alone to ``[logit, class_logits]`` (:func:`gan_keras.models.build_auxiliary_discriminator`).
    Each player's loss is its GAN loss plus ``class_weight`` times a classification loss:

    - the discriminator learns the class of *real* images (cross-entropy with their labels);
    - the generator is asked for samples the discriminator classifies as the *requested*
      class (cross-entropy of the fakes' class logits with the requested labels).

    So the generator is rewarded directly for drawing a recognisable ``k``, where the
    label-map discriminator of :class:`ConditionalGAN` only rejects a wrong ``k``
    indirectly. Metrics: those of ``GAN`` plus ``class_loss`` (the discriminator's
    cross-entropy on the real images) and ``class_accuracy`` (its accuracy there).
    The steps are :class:`ConditionalGAN`'s; only the two losses differ.
    Introduced in ``notebooks/04_conditional_gan.ipynb``.
    """

    def __init__(self, generator, discriminator, num_classes: int = 10, class_weight: float = 1.0,
                 d_steps: int = 1, seed: int | None = None, **kwargs):
        check_model(generator, "generator")
        _two_inputs(generator, "generator", "z")
        check_model(discriminator, "discriminator")
        inputs = discriminator.inputs if isinstance(discriminator.inputs, (list, tuple)) else [discriminator.inputs]
        outputs = discriminator.outputs if isinstance(discriminator.outputs, (list, tuple)) else [discriminator.outputs]
        if len(inputs) != 1 or len(outputs) != 2:
            raise ValueError(
                f"an auxiliary-classifier discriminator maps images to [logit, class_logits], got "
                f"{len(inputs)} input(s) and {len(outputs)} output(s): build it with "
                "gan_keras.models.build_auxiliary_discriminator")
        validate.integer(num_classes, "num_classes", minimum=2)
        if tuple(outputs[1].shape[1:]) != (int(num_classes),):
            raise ValueError(f"the discriminator's class_logits have shape {tuple(outputs[1].shape[1:])}, "
                             f"expected ({int(num_classes)},) for num_classes={int(num_classes)}")
        self.class_weight = validate.non_negative_number(class_weight, "class_weight")
        # ConditionalGAN's checks want [images, labels]: skip them, keep everything else
        GAN.__init__(self, generator, discriminator, d_steps=d_steps, seed=seed, **kwargs)
        self.num_classes = int(num_classes)
        self.set_class_frequencies(None)
        self.add_trackers("class_loss", "class_accuracy")

    def discriminate(self, samples, *conditions):
        """Return ``(logits, class_logits)`` of the discriminator for ``samples`` (the label is not shown)."""
        logits, class_logits = self.discriminator(samples, training=True)
        return logits, class_logits

    def probability(self, outputs):
        """The ``D(.)`` that the trackers report, from the ``logits`` of ``(logits, class_logits)``."""
        return super().probability(outputs[0])

    def class_loss(self, labels, class_logits):
        """Return the mean cross-entropy of ``class_logits`` with the int ``labels``."""
        class_logits = ops.cast(class_logits, "float32")  # float32 loss under 16-bit compute
        return ops.mean(keras.losses.sparse_categorical_crossentropy(labels, class_logits, from_logits=True))

    def d_loss(self, real_out, fake_out, real_images, fake_images, labels, fake_labels):
        """The discriminator's GAN loss plus ``class_weight`` times the class loss on the real images.

        Returns ``(d_loss, {"class_loss": ..., "class_accuracy": ...})`` (both on the real images).
        """
        (real_logits, real_classes), (fake_logits, _) = real_out, fake_out
        class_loss = self.class_loss(labels, real_classes)
        d_loss = self.d_loss_fn(real_logits, fake_logits) + self.class_weight * class_loss
        correct = ops.cast(ops.equal(ops.cast(ops.argmax(real_classes, axis=-1), "int32"), labels), "float32")
        return d_loss, {"class_loss": class_loss, "class_accuracy": ops.mean(correct)}

    def g_loss(self, fake_out, fake_labels):
        """The generator's GAN loss plus ``class_weight`` times the class loss of its samples for their labels."""
        fake_logits, fake_classes = fake_out
        return self.g_loss_fn(fake_logits) + self.class_weight * self.class_loss(fake_labels, fake_classes), {}
