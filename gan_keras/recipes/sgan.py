"""The semi-supervised GAN of chapter 08: a classifier-discriminator trained on a few labels and all the images."""

from __future__ import annotations

from gan_keras import data as gk_data
from gan_keras import engine, io, models, semi_supervised
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
from gan_keras.trainers.sgan import SGAN

DESCRIPTION = "semi-supervised GAN: 10-class discriminator (+ fake), few labels, feature matching"

# Speed and fault options this recipe honours (see gan_keras.recipes.train).
OPTIONS = ALL_OPTIONS
# The run settings it uses; any other one given is refused (see gan_keras.recipes.train).
SETTINGS = BASE_SETTINGS + ("latent_dim",)
NOT_USED = {"loss": "the SGAN recipe has its own losses (classification + real/fake, "
                     "feature matching for the generator)"}

# per_class: labelled images per class (the rest of the training images are unlabelled).
FAST = dict(epochs=2, batch_size=64, latent_dim=64, limit=None, per_class=10)
FULL = dict(epochs=30, batch_size=64, latent_dim=64, limit=None, per_class=10)


def build(latent_dim: int = 64, image_shape=(28, 28, 1), num_classes: int = 10,
          seed: int | None = None, **compile_kwargs) -> SGAN:
    """Build and compile the chapter's SGAN (``compile_kwargs`` go to ``compile``, e.g. ``jit_compile``)."""
    generator = models.build_sgan_generator(latent_dim, image_shape)
    discriminator = models.build_sgan_discriminator(image_shape, num_classes)
    model = SGAN(generator, discriminator, seed=seed)
    model.compile(engine.make_optimizer(name="d_optimizer"), engine.make_optimizer(name="g_optimizer"),
                  **compile_kwargs)
    return model


def train(config: TrainConfig) -> RunResult:
    """Train the SGAN, measure its classifier on the test split and write the run folder."""
    base = defaults(FAST, FULL)
    per_class = int(config.extra.get("per_class", base.pop("per_class")))
    if config.loss not in (None, "non_saturating"):
        raise ValueError(f"the SGAN recipe has its own losses (classification + real/fake, feature "
                         f"matching for the generator); --loss {config.loss!r} does not apply")
    config = config.with_defaults(**base)
    set_random_seed(config.seed)
    train_data = gk_data.load_images(config.data, limit=config.limit, seed=config.seed)
    if train_data.labels is None:
        raise ValueError(f"dataset {config.data!r} has no labels: the SGAN needs a few labelled images")
    test_data = gk_data.load_images(config.data, split="test") if train_data.name in gk_data.DATASETS else None
    keep = semi_supervised.labelled_subset(train_data.labels, per_class, config.seed)
    out_dir = run_folder(config, data_source=train_data.source)
    with model_scope(config):  # float16 layers with --mixed-precision; --strategy
        model = build(config.latent_dim, train_data.image_shape, train_data.num_classes, seed=config.seed,
                      **compile_options(config))
    callbacks = standard_callbacks(out_dir, show=config.show)
    train_ds = semi_supervised.make_sgan_dataset(train_data.images[keep], train_data.labels[keep], train_data.images,
                                      batch_size=config.batch_size, seed=config.seed)
    # Resumes from out_dir/checkpoint with --resume
    history = fit_resumable(model, train_ds, config, callbacks)
    summary = {"data": train_data.source, "num_images": len(train_data), "per_class": per_class,
               "num_labelled": int(len(keep))}
    if test_data is not None:
        summary["test_accuracy"] = semi_supervised.classifier_accuracy(model.discriminator, test_data.images,
                                                            test_data.labels)
        summary["num_test_images"] = len(test_data)
    files = finish_run(out_dir, config, history, model.generator, callbacks, summary)
    files.append(io.save_model(model.discriminator, out_dir / "classifier.keras"))
    return RunResult(out_dir, dict(history.history), files, model, train_data, summary)
