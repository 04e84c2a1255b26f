"""Make the nearest-neighbour figures (chapters 03 and 07) and chapter 07's autoencoder table.

    python tools/figures_neighbours_autoencoder.py            # full settings (about 15 min on 2 busy CPU cores)
    GAN_KERAS_FAST=1 python tools/figures_neighbours_autoencoder.py --out /tmp/fig   # a smoke run

Chapter 03: a DCGAN with the chapter's default settings (``train dcgan``: 30 epochs, batch 64,
latent_dim 64, seed 0, the offline digits); its samples next to their nearest training images,
and the nearest-training distances of samples against those of held-out real digits.
Chapter 07: a plain autoencoder and a VAE with chapter 07's budget (50 epochs, batch 64,
latent_dim 16, seed 0); decoded random codes against VAE samples with the same metrics
(``evaluation.evaluate_samples``), and the VAE's samples next to their nearest training images.
Writes ``course/figures/03_nearest_neighbours.png``, ``07_nearest_neighbours.png``,
``07_autoencoder_samples.png`` and ``07_autoencoder_table.md`` (numbers in ``neighbours_autoencoder.json``).
``--discriminators``: chapter 03's DCGAN with the course's discriminator and with the paper's
(batch norm, no dropout), every metric, in ``03_discriminator_comparison.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from gan_keras import config, data, engine, io, models, plots  # noqa: E402
from gan_keras.data import batches  # noqa: E402
from gan_keras.latent import fit_latent_gaussian  # noqa: E402
from gan_keras.measure import evaluation  # noqa: E402
from gan_keras.measure.neighbours import memorisation_summary, plot_nearest_neighbours  # noqa: E402
from gan_keras.models.autoencoder import build_autoencoder  # noqa: E402
from gan_keras.recipes import vae as vae_recipe  # noqa: E402
from gan_keras.trainers.autoencoder import Autoencoder, reconstruction_loss  # noqa: E402
from gan_keras.trainers.gan import GAN  # noqa: E402

SEED = 0
DATA = "mnist"  # the digits stand-in offline
BATCH_SIZE = 64
DCGAN_EPOCHS = config.fast_or_full(2, 30)
DCGAN_LATENT = 64
AE_EPOCHS = config.fast_or_full(2, 50)
AE_LATENT = 16
LIMIT = config.fast_or_full(256, None)
NUM_SAMPLES = config.fast_or_full(300, 2000)


def chapter_03(out: Path, train, held_out) -> dict:
    keras.utils.set_random_seed(SEED)
    gan = GAN(models.build_dcgan_generator(DCGAN_LATENT, train.shape[1:]),
                   models.build_dcgan_discriminator(train.shape[1:]), seed=SEED)
    gan.compile(engine.make_optimizer(), engine.make_optimizer(), loss="non_saturating")
    t0 = time.time()
    gan.fit(batches.make_dataset(train, batch_size=BATCH_SIZE, seed=SEED), epochs=DCGAN_EPOCHS, verbose=2,
            shuffle=False)
    fit_s = time.time() - t0
    samples = evaluation.sample_generator(gan.generator, 1000, SEED)
    io.save_figure(plot_nearest_neighbours(samples[:8], train, k=3,
                                           title=f"DCGAN ({DCGAN_EPOCHS} epochs): samples and nearest training digits"),
                   out / "03_nearest_neighbours.png")
    return {"dcgan": memorisation_summary(samples, train, held_out), "dcgan_fit_s": fit_s}


def chapter_03_discriminators(out: Path, train, held_out, validation) -> dict:
    """Train the chapter's DCGAN with the course's discriminator and with the paper's (batch norm, no dropout)."""
    variants = {"course (no batch norm, dropout 0.3)": {},
                "paper (batch norm, no dropout)": {"batchnorm": True, "dropout": 0.0}}
    report = {}
    for name, kwargs in variants.items():
        keras.utils.set_random_seed(SEED)
        gan = GAN(models.build_dcgan_generator(DCGAN_LATENT, train.shape[1:]),
                       models.build_dcgan_discriminator(train.shape[1:], **kwargs), seed=SEED)
        gan.compile(engine.make_optimizer(), engine.make_optimizer(), loss="non_saturating")
        history = gan.fit(batches.make_dataset(train, batch_size=BATCH_SIZE, seed=SEED), epochs=DCGAN_EPOCHS,
                          verbose=2, shuffle=False).history
        samples = evaluation.sample_generator(gan.generator, NUM_SAMPLES, SEED)
        report[name] = {"metrics": evaluation.evaluate_samples(samples, held_out, validation, data_name=DATA),
                        "memorisation": memorisation_summary(samples, train, held_out),
                        "last_epoch": {k: v[-1] for k, v in history.items()},
                        "d_real_by_epoch": history["d_real"], "d_fake_by_epoch": history["d_fake"]}
    io.write_json(out / "03_discriminator_comparison.json", report)
    print(evaluation.format_table({k: v["metrics"] for k, v in report.items()}))
    return report


def chapter_07(out: Path, train, held_out, validation, test_images) -> dict:
    train_ds = batches.make_dataset(train, batch_size=BATCH_SIZE, seed=SEED)
    keras.utils.set_random_seed(SEED)
    ae = Autoencoder(*build_autoencoder(AE_LATENT, train.shape[1:]))
    ae.compile(keras.optimizers.Adam(1e-3))
    t0 = time.time()
    ae_history = ae.fit(train_ds, epochs=AE_EPOCHS, verbose=2, shuffle=False).history
    ae_s = time.time() - t0
    keras.utils.set_random_seed(SEED)
    vae = vae_recipe.build(AE_LATENT, train.shape[1:], seed=SEED)
    vae.compile(keras.optimizers.Adam(1e-3))
    vae_history = vae.fit(train_ds, epochs=AE_EPOCHS, verbose=2, shuffle=False).history

    codes = ae.encode(train)
    mean, cov = fit_latent_gaussian(codes)
    rng = np.random.default_rng(SEED)
    z_prior = rng.standard_normal((NUM_SAMPLES, AE_LATENT)).astype("float32")
    z_fitted = rng.multivariate_normal(mean, cov, NUM_SAMPLES).astype("float32")
    samples = {
        "autoencoder, codes from N(0, I)": ae.decode(z_prior),
        "autoencoder, codes from a Gaussian fitted to its codes": ae.decode(z_fitted),
        "VAE, codes from N(0, I)": vae.decode(z_prior),
    }
    show = [s[:8] for s in samples.values()]
    io.save_figure(plots.show_images(np.concatenate(show), nrows=3, size=3.0,
                                     row_labels=["AE, N(0,I)", "AE, fitted", "VAE, N(0,I)"],
                                     title="decoded random codes: plain autoencoder against VAE"),
                   out / "07_autoencoder_samples.png")
    io.save_figure(plot_nearest_neighbours(samples["VAE, codes from N(0, I)"][:8], train, k=3,
                                           title="VAE samples and their nearest training digits"),
                   out / "07_nearest_neighbours.png")
    results = {name: evaluation.evaluate_samples(s, held_out, validation, data_name=DATA)
               for name, s in samples.items()}
    test_rec = {
        "autoencoder": float(reconstruction_loss(
            test_images, ae.decoder_logits.predict(ae.encode(test_images), verbose=0))),
        "VAE (decoded from z_mean)": float(reconstruction_loss(
            test_images, vae.decoder_logits.predict(vae.encode(test_images)[0], verbose=0))),
    }
    code_stats = {"code_mean_norm": float(np.linalg.norm(mean)),
                  "code_std_per_dim": [float(v) for v in np.sqrt(np.diag(cov))]}
    memorisation = {name: memorisation_summary(s, train, held_out) for name, s in samples.items()}
    return {"results": results, "test_reconstruction_nats": test_rec, "autoencoder_codes": code_stats,
            "memorisation": memorisation, "ae_fit_s": ae_s,
            "ae_final": {k: v[-1] for k, v in ae_history.items()},
            "vae_final": {k: v[-1] for k, v in vae_history.items()}}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "course" / "figures"))
    parser.add_argument("--only", choices=("03", "07"), default=None)
    parser.add_argument("--discriminators", action="store_true",
                        help="only chapter 03's comparison of the course's and the paper's discriminator")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    train = data.load_images(DATA, limit=LIMIT, seed=SEED).images
    validation, held_out = evaluation.real_splits(DATA, seed=SEED)
    test_images = data.load_images(DATA, split="test").images
    report = {"settings": dict(seed=SEED, batch_size=BATCH_SIZE, dcgan_epochs=DCGAN_EPOCHS,
                               dcgan_latent_dim=DCGAN_LATENT, ae_epochs=AE_EPOCHS, ae_latent_dim=AE_LATENT,
                               num_samples=NUM_SAMPLES,
                               num_train=len(train), num_held_out=len(held_out), fast_mode=config.fast_mode())}
    if args.discriminators:
        chapter_03_discriminators(out, train, held_out, validation)
        return 0
    if args.only in (None, "07"):
        report["chapter_07"] = chapter_07(out, train, held_out, validation, test_images)
        table = evaluation.format_markdown_table(report["chapter_07"]["results"])
        io.write_text(out / "07_autoencoder_table.md", table + "\n")
        print(table)
    if args.only in (None, "03"):
        report["chapter_03"] = chapter_03(out, train, held_out)
    name = "neighbours_autoencoder.json" if args.only is None else f"neighbours_autoencoder_{args.only}.json"
    io.write_json(out / name, report)
    print(json.dumps({k: v for k, v in report.items() if k != "chapter_07"}, indent=1))
    if "chapter_07" in report:
        print(json.dumps({k: v for k, v in report["chapter_07"].items() if k != "results"}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
