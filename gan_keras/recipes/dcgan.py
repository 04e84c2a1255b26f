"""The DCGAN of chapter 03: convolutional generator and discriminator trained through ``GAN.fit``."""

from __future__ import annotations

import keras

from gan_keras import data as gk_data
from gan_keras import gans, models
from gan_keras.recipes.common import (
    ALL_OPTIONS, BASE_SETTINGS, RunResult, TrainConfig, compile_options, defaults, finish_run, fit_resumable,
    model_scope, run_folder, standard_callbacks,
)

DESCRIPTION = "DCGAN: strided convolutions, batch norm, ReLU/tanh generator, LeakyReLU discriminator"

# Speed and fault options this recipe honours (see gan_keras.recipes.train).
OPTIONS = ALL_OPTIONS
# The run settings it uses; any other one given is refused (see gan_keras.recipes.train).
SETTINGS = BASE_SETTINGS + ("latent_dim", "loss")

# The full budget is sized for the 1437-image offline digits in under 5 minutes on 2 CPU
# cores (benchmarks/RESULTS.md); on MNIST's 60000 images the same epochs take ~40x longer.
FAST = dict(epochs=2, batch_size=64, latent_dim=64, limit=512, loss="non_saturating")
FULL = dict(epochs=30, batch_size=64, latent_dim=64, limit=None, loss="non_saturating")
LEARNING_RATE = 2e-4


def build(latent_dim: int = 64, image_shape=(28, 28, 1), seed: int | None = None) -> gans.GAN:
    """Build the chapter's DCGAN (generator 7x7x128 -> 14x14x64 -> 28x28x1, discriminator mirrored)."""
    generator = models.build_dcgan_generator(latent_dim, image_shape, filters=(128, 64))
    discriminator = models.build_dcgan_discriminator(image_shape, filters=(64, 128), dropout=0.3)
    return gans.GAN(generator, discriminator, seed=seed)


def train(config: TrainConfig) -> RunResult:
    """Train the DCGAN and write its run folder."""
    config = config.with_defaults(**defaults(FAST, FULL))
    keras.utils.set_random_seed(config.seed)
    dataset = gk_data.load_images(config.data, limit=config.limit, seed=config.seed)
    out_dir = run_folder(config, data_source=dataset.source)
    lr = float(config.extra.get("learning_rate", LEARNING_RATE))
    with model_scope(config):  # float16 layers with --mixed-precision; --strategy
        gan = build(config.latent_dim, dataset.image_shape, seed=config.seed)
        gan.compile(gans.make_optimizer(lr, name="d_optimizer"), gans.make_optimizer(lr, name="g_optimizer"),
                    loss=config.loss, **compile_options(config))
    callbacks = standard_callbacks(out_dir, show=config.show)
    train_ds = gk_data.make_dataset(dataset.images, batch_size=config.batch_size, seed=config.seed)
    # Resumes from out_dir/checkpoint with --resume
    history = fit_resumable(gan, train_ds, config, callbacks)
    summary = {"data": dataset.source, "num_images": len(dataset), "learning_rate": lr}
    files = finish_run(out_dir, config, history, gan.generator, callbacks, summary)
    return RunResult(out_dir, dict(history.history), files, gan, dataset, summary)
