"""Image-to-image trainers (pix2pix, SRGAN, DiscoGAN) and the loss pieces they add to the GAN game.

The trainers follow ``gan_keras.gans.GAN``: ``compile(d_optimizer=..., g_optimizer=...)``,
trackers listed in ``metrics``, one comment per step of ``train_step``, and the metric
names ``d_loss``, ``g_loss``, ``d_real``, ``d_fake`` plus one model-specific term
(``l1``, ``content_loss``, ``cycle_loss``). ``fit`` receives ``(input, target)`` batches
(DiscoGAN: ``(a, b)`` batches of unrelated images).

The losses are pure functions (tensors in, a scalar out), next to the trainers that use
them: the L1 term of pix2pix, SRGAN's content loss and DiscoGAN's reconstruction (cycle)
loss. The adversarial parts come from ``gan_keras.losses``.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from gan_keras import callbacks as gk_callbacks
from gan_keras import losses as gan_losses
from gan_keras import plots
from gan_keras.config import require_tensorflow_backend
from gan_keras.gans import (
    TrainerMixin, apply_loss_gradients, check_model, compile_players, model_input_shape, model_output_shape,
    prepare_loss,
)
from gan_keras import validate

require_tensorflow_backend()


# ---------------------------------------------------------------------------------------
# Loss pieces
# ---------------------------------------------------------------------------------------

def l1_loss(target_images, fake_images):
    """Return the mean absolute difference ``E|y - G(x)|`` (pix2pix's L1 term).

    Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    return ops.mean(ops.abs(ops.cast(target_images, "float32") - ops.cast(fake_images, "float32")))


def pix2pix_generator_loss(fake_logits, fake_images, target_images, l1_weight: float = 100.0):
    """Return pix2pix's generator loss: adversarial term plus ``l1_weight`` times the L1 term.

    ``-E[log D(x, G(x))] + lambda * E|y - G(x)|`` with the discriminator's patch logits;
    the adversarial term makes outputs sharp, the L1 term keeps them on the target.
    Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    adversarial = gan_losses.generator_loss(fake_logits)
    return adversarial + l1_weight * l1_loss(target_images, fake_images)


def content_loss(real_images, fake_images, feature_extractor=None):
    """Return SRGAN's content loss: mean squared error in pixels, or in a network's features.

    With ``feature_extractor`` (a model mapping images to feature maps, like the paper's
    VGG layer) the distance is taken between the features of the two images.
    Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    real_images = ops.cast(real_images, "float32")
    fake_images = ops.cast(fake_images, "float32")
    if feature_extractor is not None:
        real_images = feature_extractor(real_images, training=False)
        fake_images = feature_extractor(fake_images, training=False)
    return ops.mean(ops.square(real_images - fake_images))


def reconstruction_loss(real_images, reconstructed_images):
    """Return the reconstruction distance ``E|x - G_BA(G_AB(x))|`` of one round trip (L1)."""
    return ops.mean(ops.abs(ops.cast(real_images, "float32") - ops.cast(reconstructed_images, "float32")))


def cycle_loss(real_a, real_b, generator_ab, generator_ba):
    """Return DiscoGAN's reconstruction loss over both round trips, A -> B -> A and B -> A -> B.

    ``E|a - G_BA(G_AB(a))| + E|b - G_AB(G_BA(b))|``: zero when each generator undoes the
    other (for example two identities), positive otherwise. The generators are callables
    (Keras models or plain functions). Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    round_trip_a = generator_ba(generator_ab(real_a))
    round_trip_b = generator_ab(generator_ba(real_b))
    return reconstruction_loss(real_a, round_trip_a) + reconstruction_loss(real_b, round_trip_b)


def psnr(reference, images, data_range: float = 2.0) -> float:
    """Return the peak signal-to-noise ratio in dB, ``10 log10(range^2 / MSE)``, over a whole set.

    For images in ``[-1, 1]`` the range is 2. Higher is closer to the reference.
    """
    reference = np.asarray(reference, dtype=np.float64)
    images = np.asarray(images, dtype=np.float64)
    if reference.shape != images.shape:
        raise ValueError(f"psnr needs two arrays of one shape, got {reference.shape} and {images.shape}")
    mse = float(np.mean((reference - images) ** 2))
    return float("inf") if mse == 0 else float(10.0 * np.log10(data_range ** 2 / mse))


def mean_abs_error(reference, images) -> float:
    """Return the mean absolute pixel difference between two image sets (the translation error)."""
    reference = np.asarray(reference, dtype=np.float64)
    images = np.asarray(images, dtype=np.float64)
    if reference.shape != images.shape:
        raise ValueError(f"need two arrays of one shape, got {reference.shape} and {images.shape}")
    return float(np.mean(np.abs(reference - images)))


def _check_weight(value, name: str) -> float:
    value = validate.number(value, name)
    if value < 0:
        raise ValueError(f"{name} must be a finite number >= 0, got {value}")
    return float(value)


def _check_pair(data, what: str):
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise ValueError(f"{what} expects (input_images, target_images) batches, got {type(data).__name__}")
    # Tensors, so that a NumPy batch passed to train_step directly mixes with the generator's output.
    return ops.convert_to_tensor(data[0], "float32"), ops.convert_to_tensor(data[1], "float32")


def _nearest_resize(images: np.ndarray, size) -> np.ndarray:
    """Enlarge images by repeating pixels (for showing a small input next to a large output)."""
    h, w = images.shape[1:3]
    if (h, w) == tuple(size):
        return images
    if size[0] % h or size[1] % w:
        raise ValueError(f"cannot show {h}x{w} images next to {size[0]}x{size[1]} ones")
    return np.repeat(np.repeat(images, size[0] // h, axis=1), size[1] // w, axis=2)


# ---------------------------------------------------------------------------------------
# Trainers
# ---------------------------------------------------------------------------------------

class _TwoPlayerTranslator(TrainerMixin, keras.Model):
    """What pix2pix and SRGAN share: one generator, one discriminator, two optimizers."""

    extra_metric = "extra"

    def __init__(self, generator, discriminator, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.generator = check_model(generator, "generator")
        self.discriminator = check_model(discriminator, "discriminator")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        self.extra_tracker = keras.metrics.Mean(name=self.extra_metric)
        self.built = True

    def compile(self, d_optimizer=None, g_optimizer=None, loss_scale: bool | None = None, **kwargs):
        """Set the two optimizers (never shared); the adversarial loss is the logits' cross-entropy."""
        compile_players(self, d_optimizer, g_optimizer, self.discriminator, self.generator,
                        loss_scale=loss_scale, **kwargs)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker,
                self.extra_tracker]

    def call(self, inputs, training=False):
        return self.generator(inputs, training=training)

    def translate(self, inputs, batch_size: int = 256) -> np.ndarray:
        """Return the generator's outputs for a NumPy batch of inputs."""
        inputs = np.asarray(inputs, dtype=np.float32)
        expected = model_input_shape(self.generator)
        if inputs.ndim != 4 or tuple(inputs.shape[1:]) != expected:
            raise ValueError(f"inputs must have shape (n, {', '.join(map(str, expected))}), got {inputs.shape}")
        return self.generator.predict(inputs, batch_size=batch_size, verbose=0)

    def panels(self, inputs, targets=None) -> list[np.ndarray]:
        """Return the columns of a sample grid: input | output | target."""
        outputs = self.translate(inputs)
        size = outputs.shape[1:3]
        columns = [_nearest_resize(np.asarray(inputs, np.float32), size), outputs]
        if targets is not None:
            columns.append(np.asarray(targets, np.float32))
        return [_match_channels(c, outputs.shape[-1]) for c in columns]

    def _update_trackers(self, d_loss, g_loss, real_logits, fake_logits, extra):
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_real_tracker.update_state(ops.mean(ops.sigmoid(real_logits)))
        self.d_fake_tracker.update_state(ops.mean(ops.sigmoid(fake_logits)))
        self.extra_tracker.update_state(extra)
        return {m.name: m.result() for m in self.metrics}


def _match_channels(images: np.ndarray, channels: int) -> np.ndarray:
    if images.shape[-1] == channels:
        return images
    if images.shape[-1] == 1:
        return np.repeat(images, channels, axis=-1)
    raise ValueError(f"cannot show {images.shape[-1]}-channel images next to {channels}-channel ones")


class Pix2Pix(_TwoPlayerTranslator):
    """pix2pix: a generator ``G(x)`` and a conditional PatchGAN ``D(x, y)``, adversarial loss + L1.

    ``generator`` maps input images to target images; ``discriminator`` takes
    ``[input_image, candidate]`` and returns patch logits. ``l1_weight`` is the paper's
    lambda (100). Introduced in ``notebooks/10_image_to_image.ipynb``.
    """

    extra_metric = "l1"

    def __init__(self, generator, discriminator, l1_weight: float = 100.0, seed: int | None = None, **kwargs):
        super().__init__(generator, discriminator, seed=seed, **kwargs)
        if len(self.discriminator.inputs) != 2:
            raise ValueError(
                "the pix2pix discriminator must take two inputs, [input_image, candidate], "
                f"got a model with {len(self.discriminator.inputs)} input(s)"
            )
        g_in, g_out = model_input_shape(self.generator), model_output_shape(self.generator)
        d_in = (model_input_shape(self.discriminator, 0), model_input_shape(self.discriminator, 1))
        if d_in != (g_in, g_out):
            raise ValueError(
                f"the discriminator takes inputs of shapes {d_in} but the generator maps {g_in} -> {g_out}"
            )
        self.l1_weight = _check_weight(l1_weight, "l1_weight")

    def train_step(self, data):
        input_images, target_images = _check_pair(data, "Pix2Pix")
        # Train the discriminator: (input, target) pairs are real, (input, G(input)) pairs are fake
        with tf.GradientTape() as tape:
            fake_images = self.generator(input_images, training=True)
            real_logits = self.discriminator([input_images, target_images], training=True)
            fake_logits = self.discriminator([input_images, fake_images], training=True)
            d_loss = gan_losses.discriminator_loss(real_logits, fake_logits)
            # Per-replica share of the global-batch loss, times the loss scale
            scaled_loss = prepare_loss(d_loss, self.d_optimizer)
        apply_loss_gradients(tape, scaled_loss, self.d_optimizer, self.discriminator.trainable_weights)
        # Train the generator (the discriminator's weights stay fixed): fool D and stay near the target
        with tf.GradientTape() as tape:
            fake_images = self.generator(input_images, training=True)
            fake_logits = self.discriminator([input_images, fake_images], training=True)
            g_loss = pix2pix_generator_loss(fake_logits, fake_images, target_images, self.l1_weight)
            l1 = l1_loss(target_images, fake_images)
            scaled_loss = prepare_loss(g_loss, self.g_optimizer)
        apply_loss_gradients(tape, scaled_loss, self.g_optimizer, self.generator.trainable_weights)
        # Update the trackers
        return self._update_trackers(d_loss, g_loss, real_logits, fake_logits, l1)


class SRGAN(_TwoPlayerTranslator):
    """SRGAN: a super-resolution generator and a discriminator on high-resolution images.

    The generator loss is the content loss plus ``adversarial_weight`` times the
    adversarial loss (1e-3 in the paper). ``feature_extractor`` switches the content loss
    from pixels to features (the paper's VGG loss). Introduced in
    ``notebooks/10_image_to_image.ipynb``.
    """

    extra_metric = "content_loss"

    def __init__(self, generator, discriminator, adversarial_weight: float = 1e-3,
                 feature_extractor=None, seed: int | None = None, **kwargs):
        super().__init__(generator, discriminator, seed=seed, **kwargs)
        g_out, d_in = model_output_shape(self.generator), model_input_shape(self.discriminator)
        if g_out != d_in:
            raise ValueError(f"the generator makes images of shape {g_out} but the discriminator expects {d_in}")
        self.adversarial_weight = _check_weight(adversarial_weight, "adversarial_weight")
        if feature_extractor is not None:
            feature_extractor = check_model(feature_extractor, "feature_extractor")
            feature_extractor.trainable = False
        self.feature_extractor = feature_extractor

    def train_step(self, data):
        low_res_images, real_images = _check_pair(data, "SRGAN")
        # Train the discriminator: real high-resolution images against upsampled ones
        with tf.GradientTape() as tape:
            fake_images = self.generator(low_res_images, training=True)
            real_logits = self.discriminator(real_images, training=True)
            fake_logits = self.discriminator(fake_images, training=True)
            d_loss = gan_losses.discriminator_loss(real_logits, fake_logits)
            # Per-replica share of the global-batch loss, times the loss scale
            scaled_loss = prepare_loss(d_loss, self.d_optimizer)
        apply_loss_gradients(tape, scaled_loss, self.d_optimizer, self.discriminator.trainable_weights)
        # Train the generator (the discriminator's weights stay fixed): content + weighted adversarial
        with tf.GradientTape() as tape:
            fake_images = self.generator(low_res_images, training=True)
            fake_logits = self.discriminator(fake_images, training=True)
            c_loss = content_loss(real_images, fake_images, self.feature_extractor)
            g_loss = c_loss + self.adversarial_weight * gan_losses.generator_loss(fake_logits)
            scaled_loss = prepare_loss(g_loss, self.g_optimizer)
        apply_loss_gradients(tape, scaled_loss, self.g_optimizer, self.generator.trainable_weights)
        # Update the trackers
        return self._update_trackers(d_loss, g_loss, real_logits, fake_logits, c_loss)


class DiscoGAN(TrainerMixin, keras.Model):
    """DiscoGAN: generators A -> B and B -> A, a discriminator per domain, adversarial + reconstruction.

    ``fit`` receives ``(a, b)`` batches of unrelated images. Each generator is trained to
    fool the other domain's discriminator and, through the round trips, to keep what the
    other generator needs to undo it (``reconstruction_weight`` times the cycle loss).
    Introduced in ``notebooks/10_image_to_image.ipynb``.
    """

    def __init__(self, generator_ab, generator_ba, discriminator_a, discriminator_b,
                 reconstruction_weight: float = 10.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.generator_ab = check_model(generator_ab, "generator_ab")
        self.generator_ba = check_model(generator_ba, "generator_ba")
        self.discriminator_a = check_model(discriminator_a, "discriminator_a")
        self.discriminator_b = check_model(discriminator_b, "discriminator_b")
        shape_a, shape_b = model_input_shape(self.generator_ab), model_input_shape(self.generator_ba)
        checks = [
            ("generator_ab's output", model_output_shape(self.generator_ab), shape_b),
            ("generator_ba's output", model_output_shape(self.generator_ba), shape_a),
            ("discriminator_a's input", model_input_shape(self.discriminator_a), shape_a),
            ("discriminator_b's input", model_input_shape(self.discriminator_b), shape_b),
        ]
        for what, got, expected in checks:
            if got != expected:
                raise ValueError(f"{what} has shape {got}, expected {expected}")
        if self.generator_ab is self.generator_ba or self.discriminator_a is self.discriminator_b:
            raise ValueError("DiscoGAN needs two different generators and two different discriminators")
        self.reconstruction_weight = _check_weight(reconstruction_weight, "reconstruction_weight")
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.d_loss_tracker = keras.metrics.Mean(name="d_loss")
        self.g_loss_tracker = keras.metrics.Mean(name="g_loss")
        self.d_real_tracker = keras.metrics.Mean(name="d_real")
        self.d_fake_tracker = keras.metrics.Mean(name="d_fake")
        self.cycle_tracker = keras.metrics.Mean(name="cycle_loss")
        self.built = True

    @property
    def generator(self):
        """The A -> B generator (what the sample grids and ``call`` use)."""
        return self.generator_ab

    def _generator_weights(self):
        return self.generator_ab.trainable_weights + self.generator_ba.trainable_weights

    def _discriminator_weights(self):
        return self.discriminator_a.trainable_weights + self.discriminator_b.trainable_weights

    def compile(self, d_optimizer=None, g_optimizer=None, loss_scale: bool | None = None, **kwargs):
        """Set the two optimizers: one for both discriminators, one for both generators."""
        compile_players(self, d_optimizer, g_optimizer, [self.discriminator_a, self.discriminator_b],
                        [self.generator_ab, self.generator_ba], loss_scale=loss_scale, **kwargs)

    @property
    def metrics(self):
        return [self.d_loss_tracker, self.g_loss_tracker, self.d_real_tracker, self.d_fake_tracker,
                self.cycle_tracker]

    def call(self, images_a, training=False):
        return self.generator_ab(images_a, training=training)

    def translate(self, images, direction: str = "ab", batch_size: int = 256) -> np.ndarray:
        """Return images translated ``"ab"`` (A -> B) or ``"ba"`` (B -> A), as NumPy."""
        if direction not in ("ab", "ba"):
            raise ValueError(f"direction must be 'ab' or 'ba', got {direction!r}")
        model = self.generator_ab if direction == "ab" else self.generator_ba
        images = np.asarray(images, dtype=np.float32)
        expected = model_input_shape(model)
        if images.ndim != 4 or tuple(images.shape[1:]) != expected:
            raise ValueError(f"images must have shape (n, {', '.join(map(str, expected))}), got {images.shape}")
        return model.predict(images, batch_size=batch_size, verbose=0)

    def round_trip(self, images_a) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(G_AB(a), G_BA(G_AB(a)))``: the translation and the way back."""
        fake_b = self.translate(images_a, "ab")
        return fake_b, self.translate(fake_b, "ba")

    def panels(self, inputs, targets=None) -> list[np.ndarray]:
        """Return the columns of a sample grid: A | G_AB(A) | [true B |] G_BA(G_AB(A))."""
        fake_b, back = self.round_trip(inputs)
        columns = [np.asarray(inputs, np.float32), fake_b]
        if targets is not None:
            columns.append(np.asarray(targets, np.float32))
        columns.append(back)
        return columns

    def train_step(self, data):
        real_a, real_b = _check_pair(data, "DiscoGAN")
        # Train the discriminators: each tells its domain's real images from translated ones
        with tf.GradientTape() as tape:
            fake_b = self.generator_ab(real_a, training=True)
            fake_a = self.generator_ba(real_b, training=True)
            real_logits_a = self.discriminator_a(real_a, training=True)
            real_logits_b = self.discriminator_b(real_b, training=True)
            fake_logits_a = self.discriminator_a(fake_a, training=True)
            fake_logits_b = self.discriminator_b(fake_b, training=True)
            d_loss = (gan_losses.discriminator_loss(real_logits_a, fake_logits_a)
                      + gan_losses.discriminator_loss(real_logits_b, fake_logits_b))
            scaled_loss = prepare_loss(d_loss, self.d_optimizer)
        apply_loss_gradients(tape, scaled_loss, self.d_optimizer, self._discriminator_weights())
        # Train the generators (the discriminators' weights stay fixed): fool them and survive the round trips
        with tf.GradientTape() as tape:
            fake_b = self.generator_ab(real_a, training=True)
            fake_a = self.generator_ba(real_b, training=True)
            adversarial = (gan_losses.generator_loss(self.discriminator_b(fake_b, training=True))
                           + gan_losses.generator_loss(self.discriminator_a(fake_a, training=True)))
            cycle = (reconstruction_loss(real_a, self.generator_ba(fake_b, training=True))
                     + reconstruction_loss(real_b, self.generator_ab(fake_a, training=True)))
            g_loss = adversarial + self.reconstruction_weight * cycle
            scaled_loss = prepare_loss(g_loss, self.g_optimizer)
        apply_loss_gradients(tape, scaled_loss, self.g_optimizer, self._generator_weights())
        # Update the trackers
        self.d_loss_tracker.update_state(d_loss)
        self.g_loss_tracker.update_state(g_loss)
        self.d_real_tracker.update_state(
            (ops.mean(ops.sigmoid(real_logits_a)) + ops.mean(ops.sigmoid(real_logits_b))) / 2.0)
        self.d_fake_tracker.update_state(
            (ops.mean(ops.sigmoid(fake_logits_a)) + ops.mean(ops.sigmoid(fake_logits_b))) / 2.0)
        self.cycle_tracker.update_state(cycle)
        return {m.name: m.result() for m in self.metrics}


# ---------------------------------------------------------------------------------------
# Sample grids
# ---------------------------------------------------------------------------------------

class TranslationGrid(gk_callbacks.SampleGrid):
    """Save a grid of fixed examples every epoch, one row each: input | output | target (PNG + GIF).

    Uses the trainer's ``panels(inputs, targets)``; DiscoGAN adds the way back
    (A | G_AB(A) | true B | G_BA(G_AB(A))). Introduced in ``notebooks/10_image_to_image.ipynb``.
    """

    def __init__(self, out_dir=None, inputs=None, targets=None, every: int = 1, show: bool = False,
                 gif_name: str = "progress.gif"):
        if inputs is None:
            raise ValueError("TranslationGrid needs the fixed input images to translate")
        super().__init__(out_dir, inputs=np.asarray(inputs, np.float32), num_images=len(inputs),
                         every=every, show=show, gif_name=gif_name)
        self.targets = None if targets is None else np.asarray(targets, np.float32)

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        columns = self.model.panels(self.inputs, self.targets)
        grid = plots.image_grid(plots.interleave_columns(columns), ncols=len(columns))
        self.frames.append(grid)
        if self.out_dir is not None:
            self.paths.append(plots.save_image(grid, self.out_dir / "samples" / f"epoch_{epoch + 1:03d}.png"))
        if self.show:
            from IPython.display import display

            display(plots.show_translations(columns, title=f"epoch {epoch + 1}"))


__all__ = [
    "DiscoGAN", "Pix2Pix", "SRGAN", "TranslationGrid", "content_loss", "cycle_loss", "l1_loss",
    "mean_abs_error", "pix2pix_generator_loss", "psnr", "reconstruction_loss",
]
