"""The semi-supervised GAN (Odena 2016; Salimans et al. 2016): a discriminator that also classifies.

The discriminator outputs ``K`` class logits ``l``. Its "fake" logit is fixed at 0, so the
probability that an image is real is ``D(x) = Z / (Z + 1)`` with ``Z = sum_k exp(l_k)``:
the real-against-fake logit is ``logsumexp(l)``. One step sees

- a labelled batch ``(labelled_images, labels)``: cross-entropy over the ``K`` classes;
- an unlabelled batch ``real_images``: it should be called real (``logsumexp(l)`` high);
- a generated batch ``fake_images``: it should be called fake (``logsumexp(l)`` low).

The generator learns by feature matching (Salimans et al.): the mean of the
discriminator's ``features`` layer on generated images should match that on real ones.
The generated images need not look good; they teach the classifier where the data is not.
Written in ``keras.ops``; each player's update is :func:`gan_keras.engine.minimize`.
"""

from __future__ import annotations

import keras
from keras import ops

from gan_keras import engine, validate
from gan_keras import losses as gan_losses
from gan_keras.engine import compile_players
from gan_keras.engine.trainer import GAME_METRICS, Trainer, check_model, model_input_shape, model_output_shape
from gan_keras.models.sgan import FEATURE_LAYER

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


def _sgan_batch(data):
    """Return ``((labelled_images, labels), real_images)`` from a batch, or raise a clear ``ValueError``."""
    if not (isinstance(data, (tuple, list)) and len(data) == 2
            and isinstance(data[0], (tuple, list)) and len(data[0]) == 2):
        raise ValueError("SGAN.fit expects batches ((labelled_images, labels), real_images); "
                         "build them with gan_keras.semi_supervised.make_sgan_dataset")
    (labelled_images, labels), real_images = data
    return (labelled_images, labels), real_images


class SGAN(Trainer):
    """A generator and a classifier-discriminator trained on labelled and unlabelled images.

    ``discriminator`` maps images to ``num_classes`` logits and has a layer named
    ``features`` (see ``gan_keras.models.build_sgan_discriminator``). ``fit`` takes a
    dataset of ``((labelled_images, labels), real_images)`` from
    :func:`gan_keras.semi_supervised.make_sgan_dataset`. Introduced in ``notebooks/08_semi_supervised_gan.ipynb``.
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
        inputs = discriminator.inputs[0] if len(discriminator.inputs) == 1 else discriminator.inputs
        self.features_and_logits = keras.Model(inputs, [features, discriminator.outputs[0]])
        self.generator_objective = generator_objective
        self.unsupervised_weight = float(unsupervised_weight)
        self.latent_dim = int(model_input_shape(generator)[-1])
        self.sample_shape = g_out
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.add_trackers(*GAME_METRICS, "supervised_loss", "labelled_accuracy")
        self.built = True

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Set the two optimizers (never shared); loss-scaled when the models compute in float16."""
        compile_players(self, d_optimizer, g_optimizer, self.discriminator, self.generator, **kwargs)

    def call(self, z, training=False):
        return self.generator(z, training=training)

    def sample_latent(self, batch_size):
        """Draw ``batch_size`` latent vectors from N(0, I) (each replica its own slice)."""
        return engine.replica_latent(self.seed_generator, batch_size, self.latent_dim)

    # -- what a batch costs each player ---------------------------------------------------
    def d_loss(self, labelled_images, labels, real_images, fake_images):
        """The classifier's loss: cross-entropy on the labelled images plus the weighted real/fake loss.

        Returns ``(d_loss, aux)``, ``aux`` holding the three batches' class logits and the supervised loss.
        """
        labelled_logits = self.discriminator(labelled_images, training=True)
        real_logits = self.discriminator(real_images, training=True)
        fake_logits = self.discriminator(fake_images, training=True)
        sup_loss = supervised_loss(labels, labelled_logits)
        unsup_loss = unsupervised_loss(real_logits, fake_logits)
        d_loss = sup_loss + self.unsupervised_weight * unsup_loss
        return d_loss, {"labelled_logits": labelled_logits, "real_logits": real_logits,
                        "fake_logits": fake_logits, "supervised_loss": sup_loss}

    def g_loss(self, real_images, fake_images):
        """The generator's loss: feature matching against ``real_images``, or non-saturating: ``(g_loss, ())``."""
        fake_features, fake_logits = self.features_and_logits(fake_images, training=True)
        if self.generator_objective == "feature_matching":
            real_features, _ = self.features_and_logits(real_images, training=True)
            return feature_matching_loss(ops.stop_gradient(real_features), fake_features), ()
        return gan_losses.generator_loss(real_fake_logit(fake_logits)), ()

    # -- the players' updates -------------------------------------------------------------
    def d_step(self, labelled_images, labels, real_images):
        """Update the classifier-discriminator once; return ``(d_loss, aux)`` (see :meth:`d_loss`)."""
        z = self.sample_latent(ops.shape(real_images)[0])

        def d_loss():
            fake_images = self.generator(z, training=True)
            return self.d_loss(labelled_images, labels, real_images, fake_images)

        return engine.minimize(d_loss, self.d_optimizer, self.discriminator.trainable_weights)

    def g_step(self, real_images):
        """Update the generator once (the discriminator's weights stay fixed); return ``g_loss``."""
        z = self.sample_latent(ops.shape(real_images)[0])

        def g_loss():
            return self.g_loss(real_images, self.generator(z, training=True))

        loss, _ = engine.minimize(g_loss, self.g_optimizer, self.generator.trainable_weights)
        return loss

    def step(self, data):
        """One batch: classify the labelled images, call unlabelled ones real and generated ones fake; then G."""
        (labelled_images, labels), real_images = _sgan_batch(data)
        # Train the discriminator, then the generator (the discriminator's weights stay fixed)
        d_loss, aux = self.d_step(labelled_images, labels, real_images)
        g_loss = self.g_step(real_images)
        # Update the trackers
        predicted = ops.argmax(aux["labelled_logits"], axis=-1)
        return self.track(
            d_loss=d_loss, g_loss=g_loss, d_real=ops.mean(ops.sigmoid(real_fake_logit(aux["real_logits"]))),
            d_fake=ops.mean(ops.sigmoid(real_fake_logit(aux["fake_logits"]))),
            supervised_loss=aux["supervised_loss"],
            labelled_accuracy=ops.mean(ops.cast(ops.equal(predicted, ops.cast(labels, predicted.dtype)), "float32")))
