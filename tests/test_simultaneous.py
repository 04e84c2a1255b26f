"""``SimultaneousGAN`` (and its conditional kin): the TensorFlow tutorial's update, beside the paper's order.

``GAN`` must train exactly as the trainer did before the simultaneous update existed:
``TodayGAN`` below is a verbatim copy of that ``train_step`` (with its ``d_step`` and
``g_step``). ``SimultaneousGAN`` must equal a hand-written ``GradientTape`` step that takes
both players' gradients from one generator pass and applies them together; so must
``SimultaneousConditionalGAN`` with the labels, and ``SimultaneousAuxiliaryClassifierGAN``
reports its class metrics.
"""

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import ops

from gan_keras import engine, models
from gan_keras import losses as gan_losses
from gan_keras.engine import prepare_loss, split_batch
from gan_keras.trainers.gan import GAN, d_step_minibatches
from gan_keras.trainers.simultaneous import (
    Simultaneous,
    SimultaneousAuxiliaryClassifierGAN,
    SimultaneousConditionalGAN,
    SimultaneousGAN,
)

LATENT, SHAPE, BATCH, STEPS = 3, (4, 5, 1), 6, 4



def apply_loss_gradients(tape, scaled_loss, optimizer, variables):
    """The hand-written TensorFlow update the reference steps below use (``tape`` recorded the loss)."""
    grads = tape.gradient(scaled_loss, variables)
    optimizer.apply_gradients(zip(grads, variables))

class TodayGAN(GAN):
    """The alternating train_step of before the option (copied, not called)."""

    def d_step(self, real_samples):
        batch_size = ops.shape(real_samples)[0]
        z = self.sample_latent(batch_size)
        with tf.GradientTape() as tape:
            fake_samples = self.generator(z, training=True)
            real_logits = self.discriminator(real_samples, training=True)
            fake_logits = self.discriminator(fake_samples, training=True)
            d_loss = self.d_loss_fn(real_logits, fake_logits)
            if self.gradient_penalty_weight:
                alpha_shape = [batch_size] + [1] * (len(real_samples.shape) - 1)
                alpha = engine.replica_random(keras.random.uniform, alpha_shape, self.seed_generator)
                d_loss += self.gradient_penalty_weight * gan_losses.gradient_penalty(
                    self.discriminator, real_samples, fake_samples, alpha=alpha
                )
            scaled_loss = prepare_loss(d_loss, self.d_optimizer)
        apply_loss_gradients(tape, scaled_loss, self.d_optimizer, self.discriminator.trainable_weights)
        return d_loss, real_logits, fake_logits

    def g_step(self, batch_size):
        z = self.sample_latent(batch_size)
        with tf.GradientTape() as tape:
            fake_logits = self.discriminator(self.generator(z, training=True), training=True)
            g_loss = self.g_loss_fn(fake_logits)
            scaled_loss = prepare_loss(g_loss, self.g_optimizer)
        apply_loss_gradients(tape, scaled_loss, self.g_optimizer, self.generator.trainable_weights)
        return g_loss

    def train_step(self, data):
        real_samples, _ = split_batch(data)
        minibatches = d_step_minibatches(real_samples, self.d_steps)
        for real_minibatch in minibatches:
            d_loss, real_logits, fake_logits = self.d_step(real_minibatch)
        g_loss = self.g_step(ops.shape(minibatches[0])[0])
        return self.update_trackers(d_loss, g_loss, real_logits, fake_logits)


def players():
    keras.utils.set_random_seed(0)
    g = models.build_mlp_generator(LATENT, SHAPE, hidden_units=(7,))
    d = models.build_mlp_discriminator(SHAPE, hidden_units=(9,), leaky=True)
    return g, d


def copy_of(model):
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def data(d_steps=1):
    x = np.random.default_rng(1).uniform(-1, 1, (BATCH * d_steps * STEPS,) + SHAPE).astype("float32")
    return x, tf.data.Dataset.from_tensor_slices(x).batch(BATCH * d_steps)


def trained(cls, loss="non_saturating", d_steps=1, **kwargs):
    g, d = players()
    gan = cls(g, d, seed=5, d_steps=d_steps, **kwargs)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2, beta_1=0.5), loss=loss)
    history = gan.fit(data(d_steps)[1], epochs=2, verbose=0, shuffle=False).history
    return gan, history


@pytest.mark.tensorflow_only  # the step of before is written with tf.GradientTape
@pytest.mark.parametrize("loss,d_steps", [("non_saturating", 1), ("wasserstein", 2)])
def test_the_default_trains_bit_for_bit_like_the_step_of_before(loss, d_steps):
    # wasserstein: + the gradient penalty (its own uniform draws), d_steps=2: two real minibatches
    today, h_today = trained(TodayGAN, loss, d_steps)
    now, h_now = trained(GAN, loss, d_steps)
    assert not isinstance(now, Simultaneous)
    assert h_now == h_today
    for a, b in zip(today.weights, now.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    moved = trained(SimultaneousGAN, loss, d_steps)[0] if d_steps == 1 else None
    if moved is not None:  # the other order is another training (so the equality above can fail)
        assert max(float(np.max(np.abs(a.numpy() - b.numpy())))
                   for a, b in zip(now.trainable_weights, moved.trainable_weights)) > 1e-4


@pytest.mark.tensorflow_only  # the tutorial's step is written with tf.GradientTape
def test_simultaneous_takes_both_gradients_from_one_forward_pass():
    g, d = players()
    gan = SimultaneousGAN(g, d, seed=5)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2, beta_1=0.5))
    # The hand-written tutorial step, on copies of the same models and the same noise
    hg, hd = copy_of(g), copy_of(d)
    h_dopt, h_gopt = keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2, beta_1=0.5)
    seed = keras.random.SeedGenerator(5)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)

    @tf.function
    def step(real):
        z = keras.random.normal((BATCH, LATENT), seed=seed)
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake = hg(z, training=True)
            real_out, fake_out = hd(real, training=True), hd(fake, training=True)
            g_loss = bce(tf.ones_like(fake_out), fake_out)
            d_loss = bce(tf.ones_like(real_out), real_out) + bce(tf.zeros_like(fake_out), fake_out)
        g_grads = g_tape.gradient(g_loss, hg.trainable_variables)
        d_grads = d_tape.gradient(d_loss, hd.trainable_variables)
        h_gopt.apply_gradients(zip(g_grads, hg.trainable_variables))
        h_dopt.apply_gradients(zip(d_grads, hd.trainable_variables))
        return d_loss, g_loss

    x, ds = data()
    history = gan.fit(ds, epochs=1, verbose=0, shuffle=False).history
    losses = [step(tf.constant(x[i * BATCH:(i + 1) * BATCH])) for i in range(STEPS)]
    for a, b in zip(gan.generator.weights + gan.discriminator.weights, hg.weights + hd.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(history["d_loss"][-1], np.mean([float(l[0]) for l in losses]), rtol=1e-5)
    np.testing.assert_allclose(history["g_loss"][-1], np.mean([float(l[1]) for l in losses]), rtol=1e-5)
    # The weights moved: the comparison compares training, not two untouched copies
    assert max(float(np.max(np.abs(a - b.numpy()))) for a, b in zip(g.get_weights(), players()[0].weights)) > 1e-3


def test_simultaneous_is_checked():
    g, d = players()
    with pytest.raises(ValueError, match="SimultaneousGAN updates both players .* takes d_steps=1, got d_steps=2"):
        SimultaneousGAN(g, d, d_steps=2)
    cg, cd = conditional_players()
    with pytest.raises(ValueError, match="SimultaneousConditionalGAN .* takes d_steps=1, got d_steps=3"):
        SimultaneousConditionalGAN(cg, cd, num_classes=CLASSES, d_steps=3)
    with pytest.raises(ValueError, match="simultaneous"):  # the option is a class now, not an argument
        GAN(g, d, simultaneous=True)


def test_the_recipe_builds_the_simultaneous_trainer():
    from gan_keras.recipes import dcgan

    assert type(dcgan.build(8, (28, 28, 1), seed=0, simultaneous=True)) is SimultaneousGAN
    assert type(dcgan.build(8, (28, 28, 1), seed=0)) is GAN
    with pytest.raises(TypeError, match="simultaneous must be True or False, got str"):
        dcgan.build(8, (28, 28, 1), simultaneous="yes")


# -- the conditional family -------------------------------------------------------------
CLASSES = 3


def conditional_players(auxiliary=False):
    keras.utils.set_random_seed(0)
    g = models.build_conditional_generator(LATENT, CLASSES, (8, 12, 1), filters=(4, 2))
    if auxiliary:
        return g, models.build_auxiliary_discriminator((8, 12, 1), CLASSES, (2, 4), dropout=0.0)
    from gan_keras.models.conditional import build_conditional_discriminator

    return g, build_conditional_discriminator((8, 12, 1), CLASSES, filters=(2, 4), dropout=0.0)


@pytest.mark.tensorflow_only  # the tutorial's step is written with tf.GradientTape
def test_conditional_simultaneous_takes_both_gradients_from_one_forward_pass():
    g, d = conditional_players()
    gan = SimultaneousConditionalGAN(g, d, num_classes=CLASSES, seed=5)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2, beta_1=0.5))
    hg, hd = copy_of(g), copy_of(d)
    h_dopt, h_gopt = keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2, beta_1=0.5)
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    rng = np.random.default_rng(2)
    x = rng.uniform(-1, 1, (BATCH, 8, 12, 1)).astype("float32")
    y = (np.arange(BATCH) % CLASSES).astype("int32")
    # The step's own noise and requested labels: replay the seed generator
    state = gan.seed_generator.state.numpy().copy()
    z, fake_y = gan.sample_latent(BATCH), gan.sample_labels(BATCH)
    gan.seed_generator.state.assign(state)
    logs = gan.train_step((tf.constant(x), tf.constant(y)))
    with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
        fake = hg([z, fake_y], training=True)
        real_out, fake_out = hd([x, y], training=True), hd([fake, fake_y], training=True)
        g_loss = bce(tf.ones_like(fake_out), fake_out)
        d_loss = bce(tf.ones_like(real_out), real_out) + bce(tf.zeros_like(fake_out), fake_out)
    g_grads = g_tape.gradient(g_loss, hg.trainable_variables)
    d_grads = d_tape.gradient(d_loss, hd.trainable_variables)
    h_gopt.apply_gradients(zip(g_grads, hg.trainable_variables))
    h_dopt.apply_gradients(zip(d_grads, hd.trainable_variables))
    for a, b in zip(gan.generator.weights + gan.discriminator.weights, hg.weights + hd.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(float(logs["d_loss"]), float(d_loss), rtol=1e-5)
    np.testing.assert_allclose(float(logs["g_loss"]), float(g_loss), rtol=1e-5)
    assert max(float(np.max(np.abs(a - b.numpy())))
               for a, b in zip(conditional_players()[0].get_weights(), hg.weights)) > 1e-4  # it moved


def test_auxiliary_classifier_simultaneous_trains_and_reports_its_class_metrics():
    g, d = conditional_players(auxiliary=True)
    gan = SimultaneousAuxiliaryClassifierGAN(g, d, num_classes=CLASSES, seed=1, ema=0.9)
    gan.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2))
    x = np.random.default_rng(3).uniform(-1, 1, (4 * BATCH, 8, 12, 1)).astype("float32")
    y = (np.arange(4 * BATCH) % CLASSES).astype("int32")
    start = [w.copy() for w in g.get_weights()]
    history = gan.fit(x, y, batch_size=BATCH, epochs=1, verbose=0, shuffle=False).history
    assert set(history) == {"d_loss", "g_loss", "d_real", "d_fake", "class_loss", "class_accuracy"}
    assert all(np.isfinite(v[-1]) for v in history.values())
    assert 0.0 <= history["d_real"][-1] <= 1.0
    assert int(keras.ops.convert_to_numpy(gan.ema_updates)) == 4  # one generator update per batch
    assert int(keras.ops.convert_to_numpy(gan.d_optimizer.iterations)) == 4
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(start, g.get_weights())) > 1e-4
