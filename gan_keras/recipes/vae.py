"""The variational autoencoder of chapter 07: a convolutional VAE trained through ``VAE.fit``.

Writes the same files as the GAN recipes (sample grids per epoch from fixed prior vectors,
``progress.gif``, the history as JSON, CSV and a plot, the decoder as ``generator.keras``,
``run.json``) plus ``reconstructions.png`` (test images above their reconstructions),
``encoder.keras`` and, when ``latent_dim`` is 2, ``latent_map.png`` (the decoder over a
grid of the latent plane) and ``latent_scatter.png`` (test images' codes by label).
"""

from __future__ import annotations

import keras
import numpy as np

from gan_keras import data as gk_data
from gan_keras import io, latent, plots
from gan_keras.data import batches
from gan_keras.models.vae import build_vae_decoder, build_vae_encoder
from gan_keras.recipes.common import (
    compile_options,
    finish_run,
    fit_resumable,
    model_scope,
    set_random_seed,
    standard_callbacks,
)
from gan_keras.recipes.registry import BASE_SETTINGS
from gan_keras.recipes.run_folder import run_folder
from gan_keras.recipes.settings import ALL_OPTIONS, RunResult, TrainConfig, defaults
from gan_keras.trainers.vae import VAE

DESCRIPTION = "variational autoencoder: conv encoder (mean, log-variance), reparameterised z, decoder"

# Speed and fault options this recipe honours (see gan_keras.recipes.train).
OPTIONS = ALL_OPTIONS
# The run settings it uses; any other one given is refused (see gan_keras.recipes.train).
SETTINGS = BASE_SETTINGS + ("latent_dim",)
NOT_USED = {"loss": "the VAE has no GAN loss to choose; its loss is reconstruction + KL "
                     "(see gan_keras.trainers.vae)"}

FAST = dict(epochs=3, batch_size=64, latent_dim=16, limit=512)
FULL = dict(epochs=50, batch_size=64, latent_dim=16, limit=None)


def build(latent_dim: int = 16, image_shape=(28, 28, 1), beta: float = 1.0, seed: int | None = None) -> VAE:
    """Build the chapter's VAE (not compiled)."""
    encoder = build_vae_encoder(latent_dim, image_shape)
    decoder = build_vae_decoder(latent_dim, image_shape)
    return VAE(encoder, decoder, beta=beta, seed=seed)


def write_pictures(vae: VAE, out_dir, test_images, test_labels=None, num: int = 16) -> list:
    """Write reconstructions (and the 2-D latent map and scatter when latent_dim is 2); return paths."""
    files = []
    originals = test_images[:num]
    pair = np.concatenate([originals, vae.reconstruct(originals)])
    files.append(plots.save_image_grid(pair, out_dir / "reconstructions.png", nrows=2, pad=1))
    if vae.latent_dim == 2:
        side = 15
        files.append(plots.save_image_grid(vae.decode(latent.latent_grid(side)), out_dir / "latent_map.png",
                                           nrows=side))
        z_mean, _ = vae.encode(test_images)
        files.append(io.save_figure(plots.plot_latent_scatter(z_mean, test_labels), out_dir / "latent_scatter.png"))
    return files


def train(config: TrainConfig) -> RunResult:
    """Train the VAE and write its run folder."""
    if config.loss is not None:
        raise ValueError(f"the VAE has no GAN loss to choose (got --loss {config.loss}); its loss is "
                         "reconstruction + KL (see gan_keras.trainers.vae)")
    config = config.with_defaults(**defaults(FAST, FULL))
    beta = float(config.extra.get("beta", 1.0))
    set_random_seed(config.seed)
    dataset = gk_data.load_images(config.data, limit=config.limit, seed=config.seed)
    out_dir = run_folder(config, data_source=dataset.source)
    with model_scope(config):  # float16 layers with --mixed-precision; --strategy
        vae = build(config.latent_dim, dataset.image_shape, beta=beta, seed=config.seed)
        vae.compile(keras.optimizers.Adam(1e-3), **compile_options(config))
    callbacks = standard_callbacks(out_dir, show=config.show, trace=False)  # no discriminator to trace
    train_ds = batches.make_dataset(dataset.images, batch_size=config.batch_size, seed=config.seed)
    # Resumes from out_dir/checkpoint with --resume
    history = fit_resumable(vae, train_ds, config, callbacks)
    try:
        test = gk_data.load_images(config.data, split="test")
        test_images, test_labels = test.images, test.labels
    except Exception:  # a folder of images has no test split: show training images
        test_images, test_labels = dataset.images, dataset.labels
    test_images = test_images[:1000]
    test_labels = None if test_labels is None else test_labels[:1000]
    extra_files = write_pictures(vae, out_dir, test_images, test_labels)
    extra_files.append(io.save_model(vae.encoder, out_dir / "encoder.keras"))
    rec_error = float(np.mean((vae.reconstruct(test_images) - test_images) ** 2))
    summary = {"data": dataset.source, "num_images": len(dataset), "beta": beta,
               "test_reconstruction_mse": rec_error}
    files = finish_run(out_dir, config, history, vae.decoder, callbacks, summary)
    return RunResult(out_dir, dict(history.history), files + extra_files, vae, dataset, summary)
