"""pix2pix (chapter 10): a U-Net learns edges -> digits offline, label maps -> facades online."""

from __future__ import annotations

import numpy as np

from gan_keras import engine, translation
from gan_keras.data import pairs
from gan_keras.models import image2image as i2i_models
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
from gan_keras.trainers.pix2pix import Pix2Pix

DESCRIPTION = "pix2pix: U-Net + PatchGAN, adversarial + L1 (edges -> digits; --data facades online)"

# Speed and fault options this recipe honours (see gan_keras.recipes.train).
OPTIONS = ALL_OPTIONS
# The run settings it uses; any other one given is refused (see gan_keras.recipes.train).
SETTINGS = BASE_SETTINGS
NOT_USED = {"loss": "pix2pix trains with its adversarial + L1 loss",
            "latent_dim": "its generator translates an image, it takes no noise vector"}

# The digits are small and simple: a higher learning rate than the paper's 2e-4 gets there
# in a few epochs on a CPU (facades keep the paper's settings).
FAST = dict(epochs=4, batch_size=32, limit=256)
FULL = dict(epochs=20, batch_size=32, limit=None)
LEARNING_RATE = {"digits": 1e-3, "facades": 2e-4}
NUM_EXAMPLES = 8  # rows of the sample grids
TEST_LIMIT = 256  # held-out pairs for the translation error


def translation_callbacks(out_dir, inputs, targets=None, show: bool = False, checkpoint: bool = True) -> list:
    """Return the callbacks of an image-to-image run: input | output | target grids, trace, NaN guard,
    history and (``checkpoint=True``) the ``TrainingCheckpoint`` that ``--resume`` uses."""
    return standard_callbacks(out_dir, grid=translation.TranslationGrid(out_dir, inputs, targets, show=show),
                              checkpoint=checkpoint)


def build(input_shape=(28, 28, 1), target_shape=(28, 28, 1), l1_weight: float = 100.0,
          seed: int | None = None) -> Pix2Pix:
    """Build the chapter's pix2pix (uncompiled): filters sized to the image (28x28 digits or 256x256 facades)."""
    size = input_shape[0]
    if size >= 256:
        g_filters, d_filters, dropout = (64, 128, 256, 512, 512, 512, 512, 512), (64, 128, 256), 0.5
    elif size >= 64:
        g_filters, d_filters, dropout = (64, 128, 256, 256), (64, 128, 256), 0.5
    else:
        g_filters, d_filters, dropout = (32, 64), (32, 64), 0.0
    generator = i2i_models.build_unet_generator(input_shape, target_shape[-1], g_filters, dropout=dropout)
    discriminator = i2i_models.build_patchgan_discriminator(input_shape, target_shape, d_filters)
    return Pix2Pix(generator, discriminator, l1_weight=l1_weight, seed=seed)


def _test_pairs(config: TrainConfig, task: str) -> pairs.PairedData:
    split = "test"
    return pairs.load_pix2pix_pairs(config.data, task, split=split, limit=TEST_LIMIT, seed=config.seed)


def train(config: TrainConfig) -> RunResult:
    """Train pix2pix and write its run folder; the summary holds the held-out L1 before and after."""
    config = config.with_defaults(**defaults(FAST, FULL))
    set_random_seed(config.seed)
    task = config.extra.get("task", "edges")
    train_pairs = pairs.load_pix2pix_pairs(config.data, task, limit=config.limit, seed=config.seed)
    test = _test_pairs(config, task)
    out_dir = run_folder(config, data_source=train_pairs.source)
    lr = LEARNING_RATE["facades" if train_pairs.name == "facades" else "digits"]
    with model_scope(config):  # float16 layers with --mixed-precision; --strategy
        model = build(train_pairs.input_shape, train_pairs.target_shape, seed=config.seed)
        model.compile(engine.make_optimizer(lr, name="d_optimizer"), engine.make_optimizer(lr, name="g_optimizer"),
                      **compile_options(config))
    error_before = translation.mean_abs_error(test.targets, model.translate(test.inputs))
    callbacks = translation_callbacks(out_dir, test.inputs[:NUM_EXAMPLES], test.targets[:NUM_EXAMPLES],
                                      show=config.show)
    train_ds = pairs.make_pair_dataset(train_pairs.inputs, train_pairs.targets, config.batch_size, seed=config.seed)
    # Resumes from out_dir/checkpoint with --resume
    history = fit_resumable(model, train_ds, config, callbacks)
    summary = {
        "data": train_pairs.source, "num_pairs": len(train_pairs), "task": task,
        "test_l1_before": error_before,
        "test_l1": translation.mean_abs_error(test.targets, model.translate(test.inputs)),
        "test_l1_input_as_output": translation.mean_abs_error(test.targets, test.inputs)
        if test.input_shape == test.target_shape else None,
        "test_l1_blank": float(np.mean(np.abs(test.targets + 1.0))),
    }
    files = finish_run(out_dir, config, history, model.generator, callbacks, summary)
    return RunResult(out_dir, dict(history.history), files, model, (train_pairs, test), summary)
