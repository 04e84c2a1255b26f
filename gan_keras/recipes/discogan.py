"""DiscoGAN (chapter 10): unpaired digits <-> thickened digits, two generators and two discriminators."""

from __future__ import annotations

import numpy as np

from gan_keras import engine, io, translation
from gan_keras.data import pairs
from gan_keras.models import image2image as i2i_models
from gan_keras.recipes.common import compile_options, finish_run, fit_resumable, model_scope, set_random_seed
from gan_keras.recipes.pix2pix import NUM_EXAMPLES, translation_callbacks
from gan_keras.recipes.registry import BASE_SETTINGS
from gan_keras.recipes.run_folder import run_folder
from gan_keras.recipes.settings import ALL_OPTIONS, RunResult, TrainConfig, defaults
from gan_keras.trainers.discogan import DiscoGAN

DESCRIPTION = "DiscoGAN: unpaired digits <-> thick digits, A->B->A round trips (reconstruction + adversarial)"

# Speed and fault options this recipe honours (see gan_keras.recipes.train).
OPTIONS = ALL_OPTIONS
# The run settings it uses; any other one given is refused (see gan_keras.recipes.train).
SETTINGS = BASE_SETTINGS
NOT_USED = {"loss": "DiscoGAN trains with its adversarial + cycle loss",
            "latent_dim": "its generators translate images, they take no noise vector"}

FAST = dict(epochs=10, batch_size=32, limit=512)  # after 4 epochs A -> B was within 5% of the mean thick digit
FULL = dict(epochs=30, batch_size=32, limit=None)
LEARNING_RATE = 1e-3
RECONSTRUCTION_WEIGHT = 10.0


def build(image_shape=(28, 28, 1), reconstruction_weight: float = RECONSTRUCTION_WEIGHT,
          seed: int | None = None) -> DiscoGAN:
    """Build the chapter's DiscoGAN (uncompiled)."""
    return DiscoGAN(
        i2i_models.build_disco_generator(image_shape, name="generator_ab"),
        i2i_models.build_disco_generator(image_shape, name="generator_ba"),
        i2i_models.build_disco_discriminator(image_shape, name="discriminator_a"),
        i2i_models.build_disco_discriminator(image_shape, name="discriminator_b"),
        reconstruction_weight=reconstruction_weight, seed=seed,
    )


def translation_errors(model: DiscoGAN, data: pairs.UnpairedData) -> dict:
    """Return the held-out errors: A -> B against the true B images, and the A -> B -> A round trip."""
    fake_b, back = model.round_trip(data.test_a)
    return {"test_ab_l1": translation.mean_abs_error(data.test_b, fake_b),
            "test_round_trip_l1": translation.mean_abs_error(data.test_a, back)}


def train(config: TrainConfig) -> RunResult:
    """Train DiscoGAN and write its run folder (both generators as .keras files)."""
    config = config.with_defaults(**defaults(FAST, FULL))
    set_random_seed(config.seed)
    domain = config.extra.get("domain", "thick")
    data = pairs.load_unpaired(config.data, domain, limit=config.limit, seed=config.seed)
    out_dir = run_folder(config, data_source=data.source)
    with model_scope(config):  # float16 layers with --mixed-precision; --strategy
        model = build(data.domain_a.shape[1:], seed=config.seed)
        model.compile(engine.make_optimizer(LEARNING_RATE, name="d_optimizer"),
                      engine.make_optimizer(LEARNING_RATE, name="g_optimizer"), **compile_options(config))
    before = translation_errors(model, data)
    callbacks = translation_callbacks(out_dir, data.test_a[:NUM_EXAMPLES], data.test_b[:NUM_EXAMPLES],
                                      show=config.show)
    train_ds = pairs.make_pair_dataset(data.domain_a, data.domain_b, config.batch_size, seed=config.seed,
                                       paired=False)
    # Resumes from out_dir/checkpoint with --resume
    history = fit_resumable(model, train_ds, config, callbacks)
    summary = {"data": data.source, "domain": domain, "num_a": len(data.domain_a), "num_b": len(data.domain_b),
               "test_ab_l1_before": before["test_ab_l1"], **translation_errors(model, data),
               "test_ab_l1_identity": translation.mean_abs_error(data.test_b, data.test_a),
               "test_ab_l1_blank": translation.mean_abs_error(data.test_b, -np.ones_like(data.test_b))}
    files = finish_run(out_dir, config, history, None, callbacks, summary)
    files.append(io.save_model(model.generator_ab, out_dir / "generator_ab.keras"))
    files.append(io.save_model(model.generator_ba, out_dir / "generator_ba.keras"))
    return RunResult(out_dir, dict(history.history), files, model, data, summary)
