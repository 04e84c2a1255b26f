"""SRGAN (chapter 10): 4x super-resolution of the digits, 7x7 -> 28x28, measured against bicubic."""

from __future__ import annotations

from gan_keras import config as gk_config
from gan_keras import engine, translation
from gan_keras.data import pairs
from gan_keras.models import image2image as i2i_models
from gan_keras.recipes.common import compile_options, finish_run, fit_resumable, model_scope, set_random_seed
from gan_keras.recipes.pix2pix import NUM_EXAMPLES, translation_callbacks
from gan_keras.recipes.registry import BASE_SETTINGS
from gan_keras.recipes.run_folder import run_folder
from gan_keras.recipes.settings import ALL_OPTIONS, RunResult, TrainConfig, defaults
from gan_keras.trainers.srgan import SRGAN

DESCRIPTION = "SRGAN: 4x super-resolution (7x7 -> 28x28 digits), content + 1e-3 adversarial loss"

# Speed and fault options this recipe honours (see gan_keras.recipes.train).
OPTIONS = ALL_OPTIONS
# The run settings it uses; any other one given is refused (see gan_keras.recipes.train).
SETTINGS = BASE_SETTINGS
NOT_USED = {"loss": "SRGAN trains with its content + adversarial loss",
            "latent_dim": "its generator upscales an image, it takes no noise vector"}

FAST = dict(epochs=3, batch_size=32, limit=512)
FULL = dict(epochs=20, batch_size=32, limit=None)
SCALE = 4
LEARNING_RATE = 1e-3
ADVERSARIAL_WEIGHT = 1e-3  # the paper's weight of the adversarial term


def build(low_res_shape=(7, 7, 1), scale: int = SCALE, adversarial_weight: float = ADVERSARIAL_WEIGHT,
          seed: int | None = None) -> SRGAN:
    """Build the chapter's SRGAN (uncompiled)."""
    generator = i2i_models.build_sr_generator(low_res_shape, scale)
    high_res_shape = (low_res_shape[0] * scale, low_res_shape[1] * scale, low_res_shape[2])
    discriminator = i2i_models.build_sr_discriminator(high_res_shape)
    return SRGAN(generator, discriminator, adversarial_weight=adversarial_weight, seed=seed)


def compare_with_bicubic(generator, test: pairs.PairedData, classifier=None) -> dict:
    """Return PSNR (dB) of bicubic and of the generator against the originals, and, with a classifier, accuracies.

    The accuracy is the share of upsampled test digits that the package's digit classifier
    reads as their label (``original`` is its accuracy on the true 28x28 digits).
    Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    factor = test.target_shape[0] // test.input_shape[0]
    bicubic = pairs.bicubic_upsample(test.inputs, factor)
    upsampled = generator.predict(test.inputs, batch_size=256, verbose=0)
    result = {"psnr_bicubic": translation.psnr(test.targets, bicubic),
              "psnr_srgan": translation.psnr(test.targets, upsampled)}
    if classifier is not None:
        if test.labels is None:
            raise ValueError("the classifier accuracy needs labelled test digits")
        result.update(accuracy_original=classifier.accuracy(test.targets, test.labels),
                      accuracy_bicubic=classifier.accuracy(bicubic, test.labels),
                      accuracy_srgan=classifier.accuracy(upsampled, test.labels))
    return result


def train(config: TrainConfig) -> RunResult:
    """Train SRGAN, write its run folder and compare it with bicubic upsampling on the test digits.

    The classifier accuracy is measured in full mode (``extra={"classifier": True}`` forces it),
    since the first call trains and caches the package's digit classifier.
    """
    config = config.with_defaults(**defaults(FAST, FULL))
    set_random_seed(config.seed)
    train_pairs = pairs.load_sr_pairs(config.data, SCALE, limit=config.limit, seed=config.seed)
    test = pairs.load_sr_pairs(config.data, SCALE, split="test", seed=config.seed)
    out_dir = run_folder(config, data_source=train_pairs.source)
    with model_scope(config):  # float16 layers with --mixed-precision; --strategy
        model = build(train_pairs.input_shape, SCALE, seed=config.seed)
        model.compile(engine.make_optimizer(LEARNING_RATE, name="d_optimizer"),
                      engine.make_optimizer(LEARNING_RATE, name="g_optimizer"), **compile_options(config))
    callbacks = translation_callbacks(out_dir, test.inputs[:NUM_EXAMPLES], test.targets[:NUM_EXAMPLES],
                                      show=config.show)
    train_ds = pairs.make_pair_dataset(train_pairs.inputs, train_pairs.targets, config.batch_size, seed=config.seed)
    # Resumes from out_dir/checkpoint with --resume
    history = fit_resumable(model, train_ds, config, callbacks)
    classifier = None
    if config.extra.get("classifier", not gk_config.fast_mode()):
        from gan_keras.measure.classifier import get_classifier

        classifier = get_classifier(config.data)
    summary = {"data": train_pairs.source, "num_pairs": len(train_pairs), "scale": SCALE,
               **compare_with_bicubic(model.generator, test, classifier)}
    files = finish_run(out_dir, config, history, model.generator, callbacks, summary)
    return RunResult(out_dir, dict(history.history), files, model, (train_pairs, test), summary)
