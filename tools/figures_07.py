"""Make chapter 07's figures and its VAE-against-GAN table (course/figures/07_*).

    python tools/figures_07.py            # the full settings below (about 15 min on 2 busy CPU cores)
    GAN_KERAS_FAST=1 python tools/figures_07.py --out /tmp/fig07   # a smoke run

Trains a VAE and a DCGAN on the same images with the same budget (epochs, batch size,
latent_dim, seed), a 2-D VAE for the latent map, evaluates both models and two trivial
baselines with every metric, and writes the pictures and ``07_table.json``/``07_table.md``.
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

import keras  # noqa: E402
import numpy as np  # noqa: E402

from gan_keras import config, data, engine, io, latent, models, plots  # noqa: E402
from gan_keras.data import batches  # noqa: E402
from gan_keras.measure import evaluation  # noqa: E402
from gan_keras.recipes import vae as vae_recipe  # noqa: E402
from gan_keras.trainers.gan import GAN  # noqa: E402

SEED = 0
DATA = "mnist"  # the digits stand-in offline
NUM_EPOCHS = config.fast_or_full(2, 50)
BATCH_SIZE = 64
LATENT_DIM = 16
LIMIT = config.fast_or_full(256, None)
NUM_SAMPLES = config.fast_or_full(300, 2000)


def parzen_baselines(out: Path) -> dict:
    """Write the Parzen estimate of kernels on non-models (training images, blurs, k-means centroids)."""
    from scipy.ndimage import gaussian_filter
    from sklearn.cluster import KMeans

    from gan_keras.measure import metrics

    train = data.load_images(DATA).images
    validation, held_out = evaluation.real_splits(DATA, seed=SEED)
    unit = data.to_unit
    kernels = {
        "training images (1437)": unit(train),
        "training images blurred (sigma 1 px)": unit(
            np.stack([gaussian_filter(im[..., 0], 1.0) for im in train])[..., None]),
    }
    for k in (10, 50, 200):
        centres = KMeans(n_clusters=k, n_init=3, random_state=SEED).fit(unit(train).reshape(len(train), -1))
        kernels[f"k-means centroids ({k})"] = centres.cluster_centers_
    kernels["blurred mean image (1)"] = unit(evaluation.blurred_mean_images(train, 1, noise=0.0))
    results = {name: metrics.parzen_window(k, unit(validation), unit(held_out)) for name, k in kernels.items()}
    io.write_json(out / "07_parzen_baselines.json", results)
    for name, r in results.items():
        print(f"{name:40s} {r['mean']:8.1f} +- {r['stderr']:.1f}  sigma {r['sigma']}")
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "course" / "figures"))
    parser.add_argument("--parzen-baselines", action="store_true", help="only the Parzen baselines table")
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    parzen_baselines(out)
    if args.parzen_baselines:
        return 0
    timings = {}
    dataset = data.load_images(DATA, limit=LIMIT, seed=SEED)
    train_ds = batches.make_dataset(dataset.images, batch_size=BATCH_SIZE, seed=SEED)
    test = data.load_images(DATA, split="test")

    # VAE
    keras.utils.set_random_seed(SEED)
    vae = vae_recipe.build(LATENT_DIM, dataset.image_shape, seed=SEED)
    vae.compile(keras.optimizers.Adam(1e-3))
    t0 = time.time()
    vae_history = vae.fit(train_ds, epochs=NUM_EPOCHS, verbose=2, shuffle=False).history
    timings["vae_fit_s"] = time.time() - t0

    # DCGAN with the same data, epochs, batch size, latent_dim and seed
    keras.utils.set_random_seed(SEED)
    gan = GAN(models.build_dcgan_generator(LATENT_DIM, dataset.image_shape),
                   models.build_dcgan_discriminator(dataset.image_shape), seed=SEED)
    gan.compile(engine.make_optimizer(), engine.make_optimizer(), loss="non_saturating")
    t0 = time.time()
    gan_history = gan.fit(train_ds, epochs=NUM_EPOCHS, verbose=2, shuffle=False).history
    timings["gan_fit_s"] = time.time() - t0

    # 2-D VAE for the latent map
    keras.utils.set_random_seed(SEED)
    vae2 = vae_recipe.build(2, dataset.image_shape, seed=SEED)
    vae2.compile(keras.optimizers.Adam(1e-3))
    vae2.fit(train_ds, epochs=NUM_EPOCHS, verbose=2, shuffle=False)

    # Pictures
    originals = test.images[:12]
    io.save_figure(plots.show_images(np.concatenate([originals, vae.reconstruct(originals)]), nrows=2,
                                     title="test images (top) and VAE reconstructions", size=2.2),
                   out / "07_vae_reconstructions.png")
    _, gan_rec = evaluation.project_to_latent(gan.generator, originals, steps=config.fast_or_full(50, 300))
    io.save_figure(plots.show_images(np.concatenate([originals, gan_rec]), nrows=2,
                                     title="test images (top) and the DCGAN's closest images (z optimised)",
                                     size=2.2), out / "07_gan_reconstructions.png")
    z = np.random.default_rng(1).standard_normal((36, LATENT_DIM)).astype("float32")
    io.save_figure(plots.show_images(vae.decode(z), nrows=6, title="VAE: samples from the prior", size=3.5),
                   out / "07_vae_samples.png")
    io.save_figure(plots.show_images(gan.generate(z), nrows=6, title="DCGAN: samples from the prior", size=3.5),
                   out / "07_gan_samples.png")
    ends = np.random.default_rng(2).standard_normal((2, 4, LATENT_DIM)).astype("float32")
    path = latent.interpolate(ends[0], ends[1], steps=10)
    io.save_figure(plots.show_images(vae.decode(path), nrows=4, title="VAE: straight lines in z", size=2.5),
                   out / "07_vae_interpolation.png")
    io.save_figure(plots.show_images(gan.generate(path), nrows=4, title="DCGAN: straight lines in z", size=2.5),
                   out / "07_gan_interpolation.png")
    z_codes, _ = vae.encode(test.images)
    pair = latent.interpolate(z_codes[[0, 2, 4, 6]], z_codes[[1, 3, 5, 7]], steps=10)
    io.save_figure(plots.show_images(vae.decode(pair), nrows=4, title="VAE: from one test image's code to another's",
                                     size=2.5), out / "07_vae_interpolation_codes.png")
    io.save_figure(plots.show_images(vae2.decode(latent.latent_grid(15)), nrows=15,
                                     title="2-D VAE: the decoder over the latent plane", size=5),
                   out / "07_vae_latent_map.png")
    z2, _ = vae2.encode(test.images)
    io.save_figure(plots.plot_latent_scatter(z2, test.labels), out / "07_vae_latent_scatter.png")
    io.save_figure(plots.plot_history(vae_history, title="VAE"), out / "07_vae_history.png")
    io.save_figure(plots.plot_history(gan_history, title="DCGAN"), out / "07_gan_history.png")

    # The table: both models and two trivial baselines, every metric
    validation, held_out = evaluation.real_splits(DATA, seed=SEED)
    t0 = time.time()
    results = {
        "VAE": evaluation.evaluate_samples(evaluation.sample_generator(vae.decoder, NUM_SAMPLES, SEED),
                                           held_out, validation, data_name=DATA),
        "DCGAN": evaluation.evaluate_samples(evaluation.sample_generator(gan.generator, NUM_SAMPLES, SEED),
                                             held_out, validation, data_name=DATA),
        "training images": evaluation.evaluate_samples(dataset.images[:NUM_SAMPLES], held_out, validation,
                                                       data_name=DATA),
        "blurred mean image": evaluation.evaluate_samples(evaluation.blurred_mean_images(dataset.images, NUM_SAMPLES),
                                                          held_out, validation, data_name=DATA),
    }
    timings["evaluation_s"] = time.time() - t0
    settings = dict(data=dataset.source, num_images=len(dataset), epochs=NUM_EPOCHS, batch_size=BATCH_SIZE,
                    latent_dim=LATENT_DIM, seed=SEED, num_samples=NUM_SAMPLES, fast_mode=config.fast_mode(),
                    vae_test_reconstruction_mse=float(np.mean((vae.reconstruct(test.images) - test.images) ** 2)),
                    gan_projection_mse=float(np.mean((gan_rec - originals) ** 2)),
                    vae_final=dict((k, v[-1]) for k, v in vae_history.items()),
                    gan_final=dict((k, v[-1]) for k, v in gan_history.items()))
    io.write_json(out / "07_table.json", {"settings": settings, "timings": timings, "results": results})
    table = evaluation.format_markdown_table(results)
    io.write_text(out / "07_table.md", table + "\n")
    print(evaluation.format_table(results))
    print(json.dumps({"settings": settings, "timings": timings}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
