"""The conditional GAN trainer: ``GAN`` whose two players also see the class label.

``fit`` gets ``(real_images, labels)`` batches. The discriminator learns to accept a real
image *with its own label* and to reject a generated image with the label it was asked
for; the generator learns to make images that pass as the requested class. Same idiom and
metric names as :class:`gan_keras.gans.GAN` (``d_loss``, ``g_loss``, ``d_real``, ``d_fake``).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gan_keras import gans, validate
from gan_keras.gans import model_input_shape, model_output_shape, split_batch


def _two_inputs(model, name: str, first: str) -> None:
    inputs = model.inputs if isinstance(model.inputs, (list, tuple)) else [model.inputs]
    if len(inputs) != 2:
        raise ValueError(
            f"a conditional {name} takes two inputs [{first}, labels], got {len(inputs)} input(s): "
            f"build it with gan_keras.models.build_conditional_{name}"
        )


class ConditionalGAN(gans.GAN):
    """A generator ``[z, labels] -> images`` and a discriminator ``[images, labels] -> logit``.

    ``num_classes`` is read from nothing: pass it (10 for digits). Labels are int class
    indices. The labels the generator is asked for are drawn uniformly, or with
    ``class_frequencies`` (one share per class, summing to 1: the data's, when its classes
    are uneven, as k-means clusters are). Introduced in ``notebooks/04_conditional_gan.ipynb``.
    """

    def __init__(self, generator, discriminator, num_classes: int = 10, d_steps: int = 1,
                 seed: int | None = None, class_frequencies=None, **kwargs):
        for model, name, first in ((generator, "generator", "z"), (discriminator, "discriminator", "images")):
            gans.check_model(model, name)
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
        u = gans.replica_random(keras.random.uniform, (batch_size,), self.seed_generator)
        if self.class_frequencies is not None:
            # Cut the uniform draw at the cumulative shares: class k with probability frequencies[k]
            edges = np.cumsum(self.class_frequencies)[:-1].astype("float32")
            return ops.sum(ops.cast(ops.greater(u[:, None], ops.convert_to_tensor(edges)[None, :]), "int32"), axis=1)
        return ops.minimum(ops.cast(ops.floor(u * float(self.num_classes)), "int32"), self.num_classes - 1)

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

    # ----------------------------------------------------------------------------------
    def d_step(self, real_images, labels):
        """Update the discriminator once; return ``(d_loss, real_logits, fake_logits)``."""
        batch_size = ops.shape(real_images)[0]
        z = self.sample_latent(batch_size)
        fake_labels = self.sample_labels(batch_size)
        with tf.GradientTape() as tape:
            fake_images = self.generator([z, fake_labels], training=True)
            real_logits = self.discriminate(real_images, labels)
            fake_logits = self.discriminate(fake_images, fake_labels)
            d_loss = self.d_loss_fn(real_logits, fake_logits)
            # Per-replica share of the global-batch loss, times the loss scale
            scaled_loss = gans.prepare_loss(d_loss, self.d_optimizer)
        gans.apply_loss_gradients(tape, scaled_loss, self.d_optimizer, self.discriminator.trainable_weights)
        return d_loss, real_logits, fake_logits

    def g_step(self, batch_size):
        """Update the generator once (the discriminator's weights stay fixed); return ``g_loss``."""
        z = self.sample_latent(batch_size)
        fake_labels = self.sample_labels(batch_size)
        with tf.GradientTape() as tape:
            fake_images = self.generator([z, fake_labels], training=True)
            fake_logits = self.discriminate(fake_images, fake_labels)
            g_loss = self.g_loss_fn(fake_logits)
            scaled_loss = gans.prepare_loss(g_loss, self.g_optimizer)
        gans.apply_loss_gradients(tape, scaled_loss, self.g_optimizer, self.generator.trainable_weights)
        return g_loss

    def train_step(self, data):
        real_images, labels = split_batch(data)
        if labels is None:
            raise ValueError("ConditionalGAN.fit needs (images, labels) batches: "
                             "make the dataset with data.make_dataset(images, labels)")
        labels = ops.cast(ops.reshape(labels, (-1,)), "int32")
        # Train the discriminator: real images with their labels -> 1, fakes with requested labels -> 0
        # (k steps, each on a new real minibatch, as in the paper's algorithm)
        image_batches = gans.d_step_minibatches(real_images, self.d_steps)
        label_batches = gans.d_step_minibatches(labels, self.d_steps)
        for real_minibatch, label_minibatch in zip(image_batches, label_batches):
            d_loss, real_logits, fake_logits = self.d_step(real_minibatch, label_minibatch)
        # Train the generator (the discriminator's weights stay fixed)
        g_loss = self.g_step(ops.shape(image_batches[0])[0])
        # Move the averaged generator (with ema)
        self.update_average()
        # Update the trackers
        return self.update_trackers(d_loss, g_loss, real_logits, fake_logits)


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
    Introduced in ``notebooks/04_conditional_gan.ipynb``.
    """

    def __init__(self, generator, discriminator, num_classes: int = 10, class_weight: float = 1.0,
                 d_steps: int = 1, seed: int | None = None, **kwargs):
        gans.check_model(generator, "generator")
        _two_inputs(generator, "generator", "z")
        gans.check_model(discriminator, "discriminator")
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
        gans.GAN.__init__(self, generator, discriminator, d_steps=d_steps, seed=seed, **kwargs)
        self.num_classes = int(num_classes)
        self.set_class_frequencies(None)
        self.class_loss_tracker = keras.metrics.Mean(name="class_loss")
        self.class_accuracy_tracker = keras.metrics.Mean(name="class_accuracy")

    @property
    def metrics(self):
        return super().metrics + [self.class_loss_tracker, self.class_accuracy_tracker]

    def discriminate(self, samples, *conditions):
        """Return ``(logits, class_logits)`` of the discriminator for ``samples`` (the label is not shown)."""
        logits, class_logits = self.discriminator(samples, training=True)
        return logits, class_logits

    def class_loss(self, labels, class_logits):
        """Return the mean cross-entropy of ``class_logits`` with the int ``labels``."""
        class_logits = ops.cast(class_logits, "float32")  # float32 loss under 16-bit compute
        return ops.mean(keras.losses.sparse_categorical_crossentropy(labels, class_logits, from_logits=True))

    def d_step(self, real_images, labels):
        """Update the discriminator once: its GAN loss plus the class loss on the real images."""
        batch_size = ops.shape(real_images)[0]
        z = self.sample_latent(batch_size)
        fake_labels = self.sample_labels(batch_size)
        with tf.GradientTape() as tape:
            fake_images = self.generator([z, fake_labels], training=True)
            real_logits, real_classes = self.discriminate(real_images)
            fake_logits, _ = self.discriminate(fake_images)
            class_loss = self.class_loss(labels, real_classes)
            d_loss = self.d_loss_fn(real_logits, fake_logits) + self.class_weight * class_loss
            scaled_loss = gans.prepare_loss(d_loss, self.d_optimizer)
        gans.apply_loss_gradients(tape, scaled_loss, self.d_optimizer, self.discriminator.trainable_weights)
        correct = ops.cast(ops.equal(ops.cast(ops.argmax(real_classes, axis=-1), "int32"), labels), "float32")
        self.class_loss_tracker.update_state(class_loss)
        self.class_accuracy_tracker.update_state(ops.mean(correct))
        return d_loss, real_logits, fake_logits

    def g_step(self, batch_size):
        """Update the generator once: its GAN loss plus the class loss of its samples for the requested labels."""
        z = self.sample_latent(batch_size)
        fake_labels = self.sample_labels(batch_size)
        with tf.GradientTape() as tape:
            fake_images = self.generator([z, fake_labels], training=True)
            fake_logits, fake_classes = self.discriminate(fake_images)
            g_loss = self.g_loss_fn(fake_logits) + self.class_weight * self.class_loss(fake_labels, fake_classes)
            scaled_loss = gans.prepare_loss(g_loss, self.g_optimizer)
        gans.apply_loss_gradients(tape, scaled_loss, self.g_optimizer, self.generator.trainable_weights)
        return g_loss


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
