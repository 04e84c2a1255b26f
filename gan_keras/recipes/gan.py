"""The vanilla GAN of chapter 01: the lecture's MLPs trained through ``GAN.fit``."""

from __future__ import annotations

import dataclasses

from gan_keras import data as gk_data
from gan_keras import engine, models
from gan_keras.config import fast_mode
from gan_keras.data import batches
from gan_keras.recipes.common import (
    compile_options,
    epochs_for_steps,
    finish_run,
    fit_resumable,
    grid_every,
    model_scope,
    set_random_seed,
    standard_callbacks,
)
from gan_keras.recipes.registry import BASE_SETTINGS
from gan_keras.recipes.run_folder import run_folder
from gan_keras.recipes.settings import ALL_OPTIONS, RunResult, TrainConfig, defaults
from gan_keras.trainers.gan import GAN

DESCRIPTION = "vanilla GAN: the lecture's MLPs (64 -> 128 -> 784, 784 -> 128 -> 1)"

# Speed and fault options this recipe honours (see gan_keras.recipes.train).
OPTIONS = ALL_OPTIONS
# The run settings it uses; any other one given is refused (see gan_keras.recipes.train).
SETTINGS = BASE_SETTINGS + ("latent_dim", "loss")

FAST = dict(epochs=2, batch_size=64, latent_dim=64, limit=512, loss="non_saturating")
FULL = dict(epochs=50, batch_size=128, latent_dim=64, limit=None, loss="non_saturating")
# With the full settings a small dataset gets more epochs, up to this many updates: on the
# 1437 offline digits 50 epochs are 550 updates (noise blobs), 400 epochs (4400) draw digits.
FULL_MIN_STEPS = 4400


def build(latent_dim: int = 64, image_shape=(28, 28, 1), seed: int | None = None) -> GAN:
    """Build and compile the chapter's vanilla GAN."""
    generator = models.build_mlp_generator(latent_dim, image_shape, hidden_units=(128,))
    discriminator = models.build_mlp_discriminator(image_shape, hidden_units=(128,))
    return GAN(generator, discriminator, seed=seed)


def train(config: TrainConfig) -> RunResult:
    """Train the vanilla GAN and write its run folder."""
    epochs_given = config.epochs is not None
    config = config.with_defaults(**defaults(FAST, FULL))
    set_random_seed(config.seed)
    dataset = gk_data.load_images(config.data, limit=config.limit, seed=config.seed)
    if not epochs_given and not fast_mode():
        config = dataclasses.replace(config, epochs=epochs_for_steps(
            config.epochs, len(dataset), config.batch_size, FULL_MIN_STEPS))
    out_dir = run_folder(config, data_source=dataset.source)
    with model_scope(config):  # float16 layers with --mixed-precision; --strategy
        gan = build(config.latent_dim, dataset.image_shape, seed=config.seed)
        gan.compile(engine.make_optimizer(), engine.make_optimizer(), loss=config.loss, **compile_options(config))
    callbacks = standard_callbacks(out_dir, show=config.show, every=grid_every(config.epochs))
    train_ds = batches.make_dataset(dataset.images, batch_size=config.batch_size, seed=config.seed)
    # Resumes from out_dir/checkpoint with --resume
    history = fit_resumable(gan, train_ds, config, callbacks)
    summary = {"data": dataset.source, "num_images": len(dataset)}
    files = finish_run(out_dir, config, history, gan.generator, callbacks, summary)
    return RunResult(out_dir, dict(history.history), files, gan, dataset, summary)
