"""The conditional GAN of chapter 04: draw the digit you ask for; writes ``class_grid.png`` too."""

from __future__ import annotations

import numpy as np

from gan_keras import data as gk_data
from gan_keras import engine, plots, validate
from gan_keras.conditional import class_inputs
from gan_keras.data import batches
from gan_keras.models.conditional import (
    build_auxiliary_discriminator,
    build_conditional_discriminator,
    build_conditional_generator,
)
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
from gan_keras.trainers.cgan import AuxiliaryClassifierGAN, ConditionalGAN

DESCRIPTION = ("conditional DCGAN: the generator sees the digit's label; by default an auxiliary-classifier "
               "discriminator (AC-GAN) and an averaged generator")

# Speed and fault options this recipe honours (see gan_keras.recipes.train).
OPTIONS = ALL_OPTIONS
# The run settings it uses; any other one given is refused (see gan_keras.recipes.train).
SETTINGS = BASE_SETTINGS + ("latent_dim", "loss")

# The full budget: >= 98% of samples classified as the requested digit on the 1437-image
# offline digits in under 2 minutes on 2 CPU cores (benchmarks/quality_03_04.py, RESULTS.md).
FAST = dict(epochs=2, batch_size=64, latent_dim=64, limit=512, loss="non_saturating")
FULL = dict(epochs=40, batch_size=64, latent_dim=64, limit=None, loss="non_saturating")
LEARNING_RATE = 2e-4  # the lecture's (and DCGAN paper's); the recipe's default is RECIPE's

# The building blocks of `train cgan`, each a step of benchmarks/quality_ablation.py:
# - discriminator: "label_maps" (the lecture's: the label stacked on the image as channels)
#   or "auxiliary" (AC-GAN: the discriminator recognises the digit, the generator is rewarded
#   for a recognisable requested digit);
# - ema: decay of the averaged generator that samples are drawn from (None: no average);
# - learning_rate of both Adam optimizers; upsampling of the generator; dropout of the discriminator.
LECTURE = dict(discriminator="label_maps", ema=None, learning_rate=LEARNING_RATE, upsampling="transposed",
               dropout=0.3, class_weight=1.0)
RECIPE = dict(LECTURE, discriminator="auxiliary", ema=0.995, learning_rate=4e-4)
DISCRIMINATORS = ("label_maps", "auxiliary")


def build(latent_dim: int = 64, num_classes: int = 10, image_shape=(28, 28, 1), label_mode: str = "onehot",
          seed: int | None = None, discriminator: str = "label_maps", ema: float | None = None,
          upsampling: str = "transposed", dropout: float = 0.3, class_weight: float = 1.0) -> ConditionalGAN:
    """Build the chapter's conditional GAN (the DCGAN of chapter 03 plus the label).

    The defaults are the lecture's model: label maps in the discriminator, no average.
    ``discriminator="auxiliary"`` gives an :class:`AuxiliaryClassifierGAN`; ``ema`` keeps
    an averaged generator; ``upsampling`` and ``dropout`` go to the builders.
    """
    validate.choice(discriminator, "discriminator", DISCRIMINATORS)
    generator = build_conditional_generator(latent_dim, num_classes, image_shape, filters=(128, 64),
                                            label_mode=label_mode, upsampling=upsampling)
    if discriminator == "auxiliary":
        critic = build_auxiliary_discriminator(image_shape, num_classes, filters=(64, 128), dropout=dropout)
        return AuxiliaryClassifierGAN(generator, critic, num_classes=num_classes, class_weight=class_weight,
                                      seed=seed, ema=ema)
    critic = build_conditional_discriminator(image_shape, num_classes, filters=(64, 128),
                                             dropout=dropout, label_mode=label_mode)
    return ConditionalGAN(generator, critic, num_classes=num_classes, seed=seed, ema=ema)


def save_class_grid(gan: ConditionalGAN, path, per_class: int = 10, seed: int = 1234):
    """Save a grid with row ``r`` holding ``per_class`` samples of class ``r`` (28x28 cells, no gaps)."""
    inputs = class_inputs(gan.num_classes, per_class, gan.latent_dim, seed=seed)
    images = gan.sample_generator.predict(inputs, verbose=0)
    return plots.save_image(plots.class_grid(images, gan.num_classes), path)


def train(config: TrainConfig) -> RunResult:
    """Train the conditional GAN and write its run folder (with ``class_grid.png``)."""
    config = config.with_defaults(**defaults(FAST, FULL))
    choices = recipe_choices(config, RECIPE, allowed=("label_mode",))
    set_random_seed(config.seed)
    dataset = gk_data.load_images(config.data, limit=config.limit, seed=config.seed)
    if dataset.labels is None:
        raise ValueError(f"the conditional GAN needs labelled images; {config.data!r} has no labels "
                         "(a folder needs one sub-folder per class)")
    num_classes = int(max(dataset.num_classes, int(np.max(dataset.labels)) + 1))
    out_dir = run_folder(config, data_source=dataset.source)
    lr = float(choices.pop("learning_rate"))
    with model_scope(config):  # float16 layers with --mixed-precision; --strategy
        gan = build(config.latent_dim, num_classes, dataset.image_shape,
                    label_mode=config.extra.get("label_mode", "onehot"), seed=config.seed, **choices)
        gan.compile(engine.make_optimizer(lr, name="d_optimizer"), engine.make_optimizer(lr, name="g_optimizer"),
                    loss=config.loss, **compile_options(config))
    # The per-epoch grids show one row per class, like class_grid.png
    grid_inputs = class_inputs(num_classes, 8, config.latent_dim)
    callbacks = standard_callbacks(out_dir, inputs=grid_inputs, nrows=num_classes, show=config.show)
    train_ds = batches.make_dataset(dataset.images, dataset.labels, batch_size=config.batch_size,
                                    seed=config.seed)
    # Resumes from out_dir/checkpoint with --resume
    history = fit_resumable(gan, train_ds, config, callbacks)
    summary = {"data": dataset.source, "num_images": len(dataset), "num_classes": num_classes,
               "learning_rate": lr, **{k: v for k, v in choices.items()}}
    files = finish_run(out_dir, config, history, gan.sample_generator, callbacks, summary)
    files.append(save_class_grid(gan, out_dir / "class_grid.png"))
    return RunResult(out_dir, dict(history.history), files, gan, dataset, summary)
