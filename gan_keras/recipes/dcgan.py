"""The DCGAN of chapter 03: convolutional generator and discriminator trained through ``GAN.fit``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from gan_keras import data as gk_data
from gan_keras import engine, models, validate
from gan_keras.data import batches
from gan_keras.models.conditional import build_conditional_discriminator, build_conditional_generator
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
from gan_keras.recipes.settings import ALL_OPTIONS, RunResult, TrainConfig, defaults, recipe_choices
from gan_keras.trainers.gan import GAN
from gan_keras.trainers.simultaneous import SimultaneousGAN
from gan_keras.training import callbacks as gk_callbacks

if TYPE_CHECKING:
    from gan_keras.trainers.cgan import ConditionalGAN

DESCRIPTION = ("DCGAN: strided convolutions, batch norm, ReLU/tanh generator, LeakyReLU discriminator; "
               "by default self-conditioned on 10 k-means clusters, resize-convolutions, an averaged generator")

# Speed and fault options this recipe honours (see gan_keras.recipes.train).
OPTIONS = ALL_OPTIONS
# The run settings it uses; any other one given is refused (see gan_keras.recipes.train).
SETTINGS = BASE_SETTINGS + ("latent_dim", "loss")

# The full budget is sized for the 1437-image offline digits in under 2 minutes on 2 CPU
# cores (benchmarks/RESULTS.md); on MNIST's 60000 images the same epochs take ~40x longer.
FAST = dict(epochs=2, batch_size=64, latent_dim=64, limit=512, loss="non_saturating")
FULL = dict(epochs=50, batch_size=64, latent_dim=64, limit=None, loss="non_saturating")
LEARNING_RATE = 2e-4  # the lecture's (and DCGAN paper's); the recipe's default is RECIPE's

# The building blocks of `train dcgan`, each a step of benchmarks/quality_ablation.py:
# - upsampling: "transposed" (Radford et al.'s fractionally-strided convolutions, the lecture's)
#   or "nearest"/"bilinear" (resize, then a 3x3 convolution: no checkerboard speckle);
# - ema: decay of the averaged generator that samples are drawn from (None: no average);
# - learning_rate of both Adam optimizers; dropout of the discriminator.
# - clusters: 0 (an unconditional generator, the lecture's) or k (self-conditioning: the
#   training images' k-means clusters play the labels of a conditional GAN; no label is read).
# - simultaneous: the tutorial's update order (chapter 02: a SimultaneousGAN; only without clusters).
LECTURE = dict(upsampling="transposed", ema=None, learning_rate=LEARNING_RATE, dropout=0.3, clusters=0,
               simultaneous=False)
RECIPE = dict(upsampling="nearest", ema=0.995, learning_rate=4e-4, dropout=0.0, clusters=50, simultaneous=False)


def build(latent_dim: int = 64, image_shape=(28, 28, 1), seed: int | None = None, upsampling: str = "transposed",
          ema: float | None = None, dropout: float = 0.3, simultaneous: bool = False) -> GAN:
    """Build the chapter's DCGAN (generator 7x7x128 -> 14x14x64 -> 28x28x1, discriminator mirrored).

    The defaults are the lecture's model (Radford et al.'s transposed convolutions, dropout
    0.3, no average); ``train dcgan`` builds it with :data:`RECIPE`'s choices. ``simultaneous=True``
    gives a :class:`gan_keras.trainers.simultaneous.SimultaneousGAN` (the tutorial's update).
    """
    validate.instance(simultaneous, "simultaneous", (bool, np.bool_), "True or False")
    generator = models.build_dcgan_generator(latent_dim, image_shape, filters=(128, 64), upsampling=upsampling)
    discriminator = models.build_dcgan_discriminator(image_shape, filters=(64, 128), dropout=dropout)
    trainer = SimultaneousGAN if simultaneous else GAN
    return trainer(generator, discriminator, seed=seed, ema=ema)


def build_self_conditioned(latent_dim: int, frequencies, image_shape=(28, 28, 1), seed: int | None = None,
                           upsampling: str = "nearest", ema: float | None = 0.995,
                           dropout: float = 0.0, label_mode: str = "onehot") -> ConditionalGAN:
    """Build the self-conditioned DCGAN: the chapter 03 players, conditioned on k-means clusters.

    One cluster per entry of ``frequencies`` (its share of the training images); the fake
    images are asked for with those shares. The cluster enters both players one-hot, as in
    chapter 04 (``label_mode="embedding"``, a learned 16-d vector, is cheaper for the
    discriminator's first convolution but measured worse). Train it on ``(images, cluster labels)`` from
    :func:`gan_keras.models.cluster_images`; sample with :func:`gan_keras.models.build_cluster_generator`.
    """
    from gan_keras.trainers.cgan import ConditionalGAN

    num_clusters = len(frequencies)
    generator = build_conditional_generator(latent_dim, num_clusters, image_shape, filters=(128, 64),
                                            upsampling=upsampling, label_mode=label_mode)
    discriminator = build_conditional_discriminator(image_shape, num_clusters, filters=(64, 128), dropout=dropout,
                                                    label_mode=label_mode)
    return ConditionalGAN(generator, discriminator, num_classes=num_clusters, seed=seed, ema=ema,
                          class_frequencies=frequencies)


def train(config: TrainConfig) -> RunResult:
    """Train the DCGAN and write its run folder."""
    config = config.with_defaults(**defaults(FAST, FULL))
    choices = recipe_choices(config, RECIPE)
    set_random_seed(config.seed)
    dataset = gk_data.load_images(config.data, limit=config.limit, seed=config.seed)
    out_dir = run_folder(config, data_source=dataset.source)
    lr = float(choices.pop("learning_rate"))
    num_clusters = validate.non_negative_int(choices.pop("clusters"), "clusters")
    summary = {"data": dataset.source, "num_images": len(dataset), "learning_rate": lr, "clusters": num_clusters,
               **choices}
    labels = None
    if num_clusters:  # self-conditioning: k-means clusters of the images play the labels
        labels, frequencies = models.cluster_images(dataset.images, num_clusters, seed=config.seed)
        summary["cluster_shares"] = [float(f) for f in frequencies]
        if dataset.labels is not None:  # reported only: how often a cluster's images share its main digit
            summary["cluster_purity"] = round(float(sum(
                np.bincount(dataset.labels[labels == k]).max() for k in range(num_clusters)
                if np.any(labels == k)) / len(labels)), 4)
    simultaneous = choices.pop("simultaneous")
    if simultaneous and num_clusters:
        raise ValueError("simultaneous=True is the plain GAN's update order: give clusters=0 with it")
    if not num_clusters:
        choices["simultaneous"] = simultaneous
    with model_scope(config):  # float16 layers with --mixed-precision; --strategy
        if num_clusters:
            gan = build_self_conditioned(config.latent_dim, frequencies, dataset.image_shape, seed=config.seed,
                                         **choices)
        else:
            gan = build(config.latent_dim, dataset.image_shape, seed=config.seed, **choices)
        gan.compile(engine.make_optimizer(lr, name="d_optimizer"), engine.make_optimizer(lr, name="g_optimizer"),
                    loss=config.loss, **compile_options(config))
    grid_inputs = None
    if num_clusters:  # the grid's fixed noise, each vector with the cluster its first coordinate picks
        z = gk_callbacks.fixed_latent_vectors(64, config.latent_dim)
        grid_inputs = [z, models.clusters.choose_clusters(z, frequencies)]
    callbacks = standard_callbacks(out_dir, inputs=grid_inputs, show=config.show)
    train_ds = batches.make_dataset(dataset.images, labels, batch_size=config.batch_size, seed=config.seed)
    # Resumes from out_dir/checkpoint with --resume
    history = fit_resumable(gan, train_ds, config, callbacks)
    generator = gan.sample_generator
    if num_clusters:  # saved as noise -> image, like any DCGAN generator
        generator = models.build_cluster_generator(generator, frequencies)
    files = finish_run(out_dir, config, history, generator, callbacks, summary)
    return RunResult(out_dir, dict(history.history), files, gan, dataset, summary)


def __getattr__(name):
    # The conditional trainer is imported when a self-conditioned DCGAN is built (the
    # lecture's unconditional DCGAN does not need it); the name stays importable from here.
    if name == "ConditionalGAN":
        from gan_keras.trainers.cgan import ConditionalGAN

        return ConditionalGAN
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
