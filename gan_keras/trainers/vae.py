"""The variational autoencoder: an encoder and a decoder trained together on the negative ELBO.

One step: encode the images to ``(z_mean, z_log_var)``, sample ``z`` with the
reparameterisation trick, decode, and minimise

    total_loss = reconstruction_loss + beta * kl_loss

with :func:`gan_keras.engine.minimize` (one player: the encoder and the decoder, one
optimizer), so it runs on TensorFlow, JAX and PyTorch.

Metric names (the same in the progress bar, the history and ``history.json``):

- ``reconstruction_loss``: ``-log p(x|z)`` under independent Bernoulli pixels, summed over
  the pixels of an image (nats per image), averaged over the batch. Pixels in ``[-1, 1]``
  are mapped to ``[0, 1]`` targets.
- ``kl_loss``: ``KL(q(z|x) || N(0, I))`` in closed form, summed over the latent dimensions
  (nats per image), averaged over the batch.
- ``total_loss``: their sum (``beta = 1``: the negative evidence lower bound). It is not
  called ``loss`` because Keras keeps a ``loss`` tracker of its own.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from gan_keras import engine, validate
from gan_keras.engine import compile_one_player, split_batch
from gan_keras.engine.trainer import Trainer, check_model, model_input_shape, model_output_shape
from gan_keras.models.vae import LOGITS_LAYER, reparameterize

__all__ = ["VAE", "encoder_decoder_parts", "kl_loss", "reconstruction_loss"]


def reconstruction_loss(images, logits):
    """Return the Bernoulli negative log-likelihood of images in ``[-1, 1]``, summed per image, batch mean.

    Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    targets = (ops.cast(images, "float32") + 1.0) / 2.0
    logits = ops.cast(logits, "float32")  # float16 under mixed precision: the loss is float32
    # Binary cross-entropy from logits, stable form: max(l, 0) - l t + log(1 + exp(-|l|))
    per_pixel = ops.relu(logits) - logits * targets + ops.softplus(-ops.abs(logits))
    per_image = ops.sum(ops.reshape(per_pixel, (ops.shape(per_pixel)[0], -1)), axis=1)
    return ops.mean(per_image)


def kl_loss(z_mean, z_log_var):
    """Return ``KL(N(mean, exp(log_var)) || N(0, I))`` summed over latent dimensions, batch mean.

    ``KL = -1/2 sum(1 + log_var - mean^2 - exp(log_var))``.
    Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """
    z_mean = ops.cast(z_mean, "float32")
    z_log_var = ops.cast(z_log_var, "float32")
    per_dim = -0.5 * (1.0 + z_log_var - ops.square(z_mean) - ops.exp(z_log_var))
    return ops.mean(ops.sum(per_dim, axis=-1))


def encoder_decoder_parts(encoder, decoder, builder: str):
    """Check that an encoder and a decoder fit; return ``(latent_dim, image_shape, decoder_logits)``.

    The encoder's (first) output must be the decoder's input ``z``, the decoder's images the
    encoder's input, and the decoder must have a layer named ``"logits"``: ``decoder_logits``
    is the same layers stopping there (the loss needs the logits, not the tanh image).
    ``builder`` names the function that builds a fitting decoder (for the message).
    """
    latent_dim = int(model_input_shape(decoder)[-1])
    enc_out = tuple(encoder.outputs[0].shape[1:])
    if enc_out != (latent_dim,):
        raise ValueError(f"the encoder gives z of shape {enc_out} but the decoder takes ({latent_dim},)")
    if model_output_shape(decoder) != model_input_shape(encoder):
        raise ValueError(f"the decoder makes images of shape {model_output_shape(decoder)} but "
                         f"the encoder takes {model_input_shape(encoder)}")
    try:
        logits = decoder.get_layer(LOGITS_LAYER).output
    except ValueError:
        raise ValueError(f"the decoder needs a layer named {LOGITS_LAYER!r} giving pixel logits "
                         f"(see {builder})") from None
    return latent_dim, model_input_shape(encoder), keras.Model(decoder.input, logits, name="decoder_logits")


class _EncoderDecoder(Trainer):
    """What the VAE and the plain autoencoder share: one player (encoder + decoder), one optimizer."""

    @property
    def generator(self):
        """The decoder, under the name the GAN tools use."""
        return self.decoder

    def compile(self, optimizer=None, **kwargs):
        """Set the optimizer (Adam, learning rate 1e-3, by default).

        It is wrapped in a ``LossScaleOptimizer`` when the encoder or decoder computes in
        float16 (built inside ``engine.precision_policy("mixed_float16")``); pass a
        ``keras.optimizers.LossScaleOptimizer`` to scale the loss anyway.
        """
        compile_one_player(self, optimizer, [self.encoder, self.decoder], **kwargs)

    def player_weights(self) -> list:
        """The weights the optimizer updates: the encoder's, then the decoder's (``decoder_logits`` shares them)."""
        return self.encoder.trainable_weights + self.decoder.trainable_weights

    def decode(self, z, batch_size: int = 256) -> np.ndarray:
        """Return the decoder's images of latent vectors."""
        z = np.asarray(z, dtype="float32")
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"latent vectors must have shape (n, {self.latent_dim}), got {z.shape}")
        return self.decoder.predict(z, batch_size=batch_size, verbose=0)

    def generate(self, z_or_count, batch_size: int = 256) -> np.ndarray:
        """Decode N(0, I) vectors (a number of them, drawn from seed 0) or the given latent vectors."""
        if isinstance(z_or_count, (int, np.integer)):
            rng = np.random.default_rng(0)
            z_or_count = rng.standard_normal((int(z_or_count), self.latent_dim)).astype("float32")
        return self.decode(z_or_count, batch_size)


class VAE(_EncoderDecoder):
    """An encoder and a decoder trained together on the negative ELBO through ``fit()``.

    ``encoder`` maps images to ``[z_mean, z_log_var]``; ``decoder`` maps ``z`` to images in
    ``[-1, 1]`` and has a layer named ``"logits"`` (pixel logits before the output
    activation). ``beta`` weighs the KL term (1 = the plain VAE). ``generator`` is the
    decoder, so the GAN callbacks (sample grids) work unchanged.
    Introduced in ``notebooks/07_vae_vs_gan.ipynb``.
    """

    def __init__(self, encoder, decoder, beta: float = 1.0, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = check_model(encoder, "encoder")
        self.decoder = check_model(decoder, "decoder")
        if len(encoder.outputs) != 2:
            raise ValueError(f"the encoder must return [z_mean, z_log_var], got {len(encoder.outputs)} outputs")
        self.latent_dim, self.sample_shape, self.decoder_logits = encoder_decoder_parts(
            encoder, decoder, "gan_keras.models.build_vae_decoder")
        validate.non_negative_number(beta, "beta")
        self.beta = float(beta)
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.add_trackers("total_loss", "reconstruction_loss", "kl_loss")
        self.built = True

    # ----------------------------------------------------------------------------------
    def call(self, images, training=False):
        z_mean, _ = self.encoder(images, training=training)
        return self.decoder(z_mean, training=training)

    def losses_of(self, images, training=False):
        """Return ``(total_loss, reconstruction_loss, kl_loss)`` on a batch of images."""
        # Encode to the parameters of q(z|x)
        z_mean, z_log_var = self.encoder(images, training=training)
        # Sample z with the reparameterisation trick (the noise is outside the graph's weights)
        epsilon = engine.replica_random(keras.random.normal, ops.shape(z_mean), self.seed_generator)
        # In float32 (the encoder's outputs are float16 under mixed precision)
        z = reparameterize(ops.cast(z_mean, "float32"), ops.cast(z_log_var, "float32"), epsilon)
        # Decode and score the reconstruction and the distance to the prior
        rec = reconstruction_loss(images, self.decoder_logits(z, training=training))
        kl = kl_loss(z_mean, z_log_var)
        return rec + self.beta * kl, rec, kl

    def step(self, data):
        """One batch: update the encoder and the decoder together on the negative ELBO."""
        images, _ = split_batch(data)

        def negative_elbo():
            total, rec, kl = self.losses_of(images, training=True)
            return total, (rec, kl)

        total, (rec, kl) = engine.minimize(negative_elbo, self.optimizer, self.player_weights())
        return self.track(total_loss=total, reconstruction_loss=rec, kl_loss=kl)

    def evaluate_step(self, data):
        """One batch of ``evaluate``: the three losses in inference mode, no update."""
        images, _ = split_batch(data)
        total, rec, kl = self.losses_of(images, training=False)
        return self.track(total_loss=total, reconstruction_loss=rec, kl_loss=kl)

    # ----------------------------------------------------------------------------------
    def encode(self, images, batch_size: int = 256):
        """Return ``(z_mean, z_log_var)`` of images as NumPy arrays."""
        z_mean, z_log_var = self.encoder.predict(np.asarray(images, "float32"), batch_size=batch_size, verbose=0)
        return z_mean, z_log_var

    def reconstruct(self, images, batch_size: int = 256) -> np.ndarray:
        """Return the reconstructions of images (decoded from the encoder's mean)."""
        return self.decode(self.encode(images, batch_size)[0], batch_size)

    def generate(self, z_or_count, batch_size: int = 256) -> np.ndarray:
        """Return samples from the prior: decode N(0, I) vectors (or the given latent vectors)."""
        return super().generate(z_or_count, batch_size)
