"""The VAE, the autoencoder, pix2pix, SRGAN and DiscoGAN on whichever Keras backend is active.

Each trainer's step is its losses in ``keras.ops``; ``engine.minimize`` updates a player.
These tests hold on TensorFlow, JAX and PyTorch: a player's update changes that player's
weights only, a whole step gives finite, named losses and advances each optimizer once,
and evaluation changes nothing. Small 16x16 models, so the file runs in seconds.
"""

import keras
import numpy as np
import pytest

from gan_keras import engine
from gan_keras.models import image2image as m
from gan_keras.models.autoencoder import build_autoencoder_encoder
from gan_keras.models.vae import build_vae_decoder, build_vae_encoder
from gan_keras.trainers.autoencoder import Autoencoder
from gan_keras.trainers.discogan import DiscoGAN
from gan_keras.trainers.pix2pix import Pix2Pix
from gan_keras.trainers.srgan import SRGAN
from gan_keras.trainers.vae import VAE

SHAPE = (16, 16, 1)
SMALL = dict(filters=(4, 8))


def images(n=4, seed=0, shape=SHAPE):
    return np.tanh(np.random.default_rng(seed).normal(size=(n, *shape))).astype("float32")


def numpy_weights(model):
    return [keras.ops.convert_to_numpy(w).copy() for w in model.trainable_weights]


def changed(before, model):
    """Whether any trainable weight of ``model`` differs from ``before``."""
    return any(not np.array_equal(a, keras.ops.convert_to_numpy(w)) for a, w in zip(before, model.trainable_weights))


def run(model, fn, data):
    """Run ``fn(data)`` as a step of ``model`` on the active backend (on JAX: statelessly, written back)."""
    return engine.current().run_step(model, fn, (data,), training=True)


def finite(logs):
    return all(np.isfinite(float(keras.ops.convert_to_numpy(v))) for v in logs.values())


def iterations(optimizer):
    return int(keras.ops.convert_to_numpy(optimizer.iterations))


# ---------------------------------------------------------------------------------------
# The image-to-image games: two players, two optimizers
# ---------------------------------------------------------------------------------------

def pix2pix():
    model = Pix2Pix(m.build_unet_generator(SHAPE, **SMALL), m.build_patchgan_discriminator(SHAPE, **SMALL), seed=0)
    return model, (images(4, 0), images(4, 1)), ["generator"], ["discriminator"], "l1"


def srgan():
    features = keras.Sequential([keras.Input(SHAPE), keras.layers.Conv2D(2, 3, strides=2)])
    model = SRGAN(m.build_sr_generator((4, 4, 1), filters=4, num_residual_blocks=1),
                  m.build_sr_discriminator(SHAPE, **SMALL), feature_extractor=features, seed=0)
    return model, (images(4, 0, (4, 4, 1)), images(4, 1)), ["generator"], ["discriminator"], "content_loss"


def discogan():
    model = DiscoGAN(m.build_disco_generator(SHAPE, **SMALL), m.build_disco_generator(SHAPE, **SMALL),
                     m.build_disco_discriminator(SHAPE, **SMALL), m.build_disco_discriminator(SHAPE, **SMALL), seed=0)
    return (model, (images(4, 0), images(4, 1)), ["generator_ab", "generator_ba"],
            ["discriminator_a", "discriminator_b"], "cycle_loss")


GAMES = {"pix2pix": pix2pix, "srgan": srgan, "discogan": discogan}


@pytest.mark.parametrize("name", sorted(GAMES))
def test_each_players_update_changes_only_that_players_weights(name):
    keras.utils.set_random_seed(0)
    model, batch, generators, discriminators, _ = GAMES[name]()
    model.compile()
    inputs, targets = (keras.ops.convert_to_tensor(b) for b in batch)
    for step, moved, fixed in (("d_step", discriminators, generators), ("g_step", generators, discriminators)):
        before = {p: numpy_weights(getattr(model, p)) for p in moved + fixed}

        def one_update(data, step=step):
            loss = getattr(model, step)(*data)[0]
            return {"loss": loss}

        logs = run(model, one_update, (inputs, targets))
        assert finite(logs), (step, logs)
        for p in moved:
            assert changed(before[p], getattr(model, p)), f"{step} left {p} unchanged"
        for p in fixed:
            assert not changed(before[p], getattr(model, p)), f"{step} changed {p}"
    assert iterations(model.d_optimizer) == iterations(model.g_optimizer) == 1


@pytest.mark.parametrize("name", sorted(GAMES))
def test_one_step_reports_finite_named_losses_and_advances_both_optimizers(name):
    keras.utils.set_random_seed(0)
    model, batch, generators, discriminators, extra = GAMES[name]()
    model.compile()
    frozen = None
    if name == "srgan":
        frozen = [keras.ops.convert_to_numpy(w).copy() for w in model.feature_extractor.weights]
    before = {p: numpy_weights(getattr(model, p)) for p in generators + discriminators}
    logs = model.train_step(batch)
    assert sorted(logs) == sorted(["d_loss", "g_loss", "d_real", "d_fake", extra])
    assert finite(logs), logs
    assert all(changed(before[p], getattr(model, p)) for p in before)
    assert iterations(model.d_optimizer) == iterations(model.g_optimizer) == 1
    if frozen is not None:  # the content loss's feature network is a fixed judge
        assert all(np.array_equal(a, keras.ops.convert_to_numpy(w))
                   for a, w in zip(frozen, model.feature_extractor.weights))


def test_bad_batches_are_named():
    model = pix2pix()[0]
    model.compile()
    with pytest.raises(ValueError, match=r"Pix2Pix expects \(input_images, target_images\) batches, got ndarray"):
        model.step(images(2))


# ---------------------------------------------------------------------------------------
# The VAE and the autoencoder: one player (encoder + decoder), one optimizer
# ---------------------------------------------------------------------------------------

def vae():
    return VAE(build_vae_encoder(2, SHAPE, filters=(4, 8), hidden_units=8),
               build_vae_decoder(2, SHAPE, filters=(8, 4)), seed=0)


def autoencoder():
    return Autoencoder(build_autoencoder_encoder(2, SHAPE, filters=(4, 8), hidden_units=8),
                       build_vae_decoder(2, SHAPE, filters=(8, 4)))


ONE_PLAYER = {"vae": (vae, ["kl_loss", "reconstruction_loss", "total_loss"]),
              "autoencoder": (autoencoder, ["reconstruction_loss"])}


@pytest.mark.parametrize("name", sorted(ONE_PLAYER))
def test_one_player_step_trains_encoder_and_decoder_and_evaluation_changes_nothing(name):
    keras.utils.set_random_seed(0)
    build, names = ONE_PLAYER[name]
    model = build()
    model.compile(keras.optimizers.Adam(1e-3))
    # The optimizer updates exactly the trainer's trainable weights (decoder_logits shares the decoder's)
    assert {id(w) for w in model.player_weights()} == {id(w) for w in model.trainable_weights}
    before = {p: numpy_weights(getattr(model, p)) for p in ("encoder", "decoder")}
    logs = model.train_step(images(8))
    assert sorted(logs) == names and finite(logs), logs
    assert all(changed(before[p], getattr(model, p)) for p in before)
    assert iterations(model.optimizer) == 1
    after = numpy_weights(model)
    result = model.evaluate(images(8, 1), batch_size=4, verbose=0, return_dict=True)
    assert sorted(result) == names and finite(result), result
    assert not changed(after, model)
    assert iterations(model.optimizer) == 1
