"""Make the figures of course/01_gan_basics.md and course/02_loss_computation.md with the package.

    GAN_KERAS_OFFLINE=1 python tools/figures_01_02.py [--out course/figures] [--quick]

Every number printed here is the one quoted in the lecture notes (seeds fixed). ``--quick``
uses tiny settings to check that the script runs.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def adversarial_process(out: Path, quick: bool) -> None:
    """The paper's figure 1 on N(4, 1.25^2), with D* and the value C(G) at each stage."""
    import keras

    from gan_keras import GAN, engine, io, models, plots, theory
    from gan_keras.data import batches, toys

    stages = [0, 1, 2] if quick else [0, 2, 10, 30, 80]
    keras.utils.set_random_seed(0)
    x_train = toys.gaussian_1d(2048 if quick else 8192, mean=4.0, std=1.25, seed=0)
    gan = GAN(models.build_toy_generator(8, 1), models.build_toy_discriminator(1), seed=0)
    gan.compile(engine.make_optimizer(2e-4), engine.make_optimizer(2e-4))
    dataset = batches.make_dataset(x_train, batch_size=128, seed=0)
    grid, dx = theory.make_grid(-6.0, 14.0, 500)  # wide enough that both densities integrate to 1
    p_data = toys.gaussian_pdf(grid, 4.0, 1.25)
    snapshots, done = [], 0
    print("epoch  JSD      C(G)     -log4+2JSD  D range")
    for epoch in stages:
        if epoch > done:
            gan.fit(dataset, epochs=epoch, initial_epoch=done, verbose=0, shuffle=False)
            done = epoch
        p_g = theory.generator_density(gan.generator, grid)
        d = theory.discriminator_curve(gan.discriminator, grid)
        snapshots.append((p_g, d))
        jsd = theory.js_divergence(p_data, p_g, dx)
        print(f"{epoch:5d}  {jsd:.4f}  {theory.virtual_training_criterion(p_data, p_g, dx):.4f}  "
              f"{-np.log(4) + 2 * jsd:.4f}     [{d.min():.2f}, {d.max():.2f}]")
    titles = [f"epoch {e}" for e in stages]
    io.save_figure(plots.plot_adversarial_process(grid, p_data, snapshots, titles),
                   out / "01_adversarial_process.png")
    d_stars = [theory.optimal_discriminator(p_data, p_g) for p_g, _ in snapshots]
    io.save_figure(plots.plot_adversarial_process(grid, p_data, snapshots, titles, d_star=d_stars),
                   out / "01_optimal_discriminator.png")


def numpy_gan_samples(out: Path, quick: bool) -> None:
    """The NumPy GAN's samples after 1, 3, 10 and 30 epochs (the lecture's results slide)."""
    from gan_keras import data, io, numpy_gan, plots

    real = data.to_unit(data.load_images("digits").images).reshape(-1, 784)
    gan = numpy_gan.NumpyGAN(seed=0, learning_rate=2e-4)
    fixed_z = gan.sample_latent(10)
    rows, done = [], 0
    for epoch in ([1, 2] if quick else [1, 3, 10, 30]):
        gan.train(real, num_epochs=epoch - done, batch_size=64, verbose=0)
        done = epoch
        rows.append(gan.generate(fixed_z))
        samples = gan.generate(1000)
        gap = np.sqrt(np.mean((samples.mean(0) - real.mean(0)) ** 2))
        print(f"NumPy GAN epoch {epoch:3d}: mean-image RMS gap {gap:.3f}, dark pixels {np.mean(samples < 0.1):.2f} "
              f"(data {np.mean(real < 0.1):.2f}), D(x) {np.mean(gan.history['d_real'][-20:]):.3f}, "
              f"D(G(z)) {np.mean(gan.history['d_fake'][-20:]):.3f}")
    images = np.concatenate(rows).reshape(-1, 28, 28, 1)
    epochs = [1, 2] if quick else [1, 3, 10, 30]
    fig = plots.show_images(images, nrows=len(rows), signed=False, size=3,
                            title="NumPy GAN, rows: after " + ", ".join(str(e) for e in epochs) + " epochs")
    io.save_figure(fig, out / "01_numpy_gan_samples.png")
    io.save_figure(plots.plot_discriminator_trace(gan.history["d_real"], gan.history["d_fake"],
                                                  title="NumPy GAN: D(x) and D(G(z)) per step"),
                   out / "01_numpy_gan_trace.png")


def generator_gradients(out: Path, quick: bool) -> None:
    """|d loss / d logit| of both generator losses, and a short SGD run with each."""
    from gan_keras import data, io, numpy_gan, plots

    logits = np.linspace(-8, 4, 200)
    d = 1 / (1 + np.exp(-logits))
    io.save_figure(plots.plot_generator_loss_gradients(d, -d, d - 1.0), out / "02_generator_gradients.png")
    real = data.to_unit(data.load_images("digits").images).reshape(-1, 784)
    runs = {}
    for loss in ("minimax", "non_saturating"):
        gan = numpy_gan.NumpyGAN(seed=0, generator_loss=loss, optimizer="sgd", learning_rate=0.05)
        batches = np.random.default_rng(1)
        for _ in range(60 if quick else 300):
            gan.train_step(real[batches.choice(len(real), 64, replace=False)])
        samples = gan.generate(500)
        gap = np.sqrt(np.mean((samples.mean(0) - real.mean(0)) ** 2))
        print(f"SGD {loss:>15}: mean-image gap {gap:.3f}, last D(G(z)) {np.mean(gan.history['d_fake'][-10:]):.4f}, "
              f"generator gradient norm {np.mean(gan.history['g_grad_norm'][-10:]):.4f}")
        runs[loss] = gan.history
    io.save_figure(plots.plot_loss_comparison(runs, title="The same GAN with each generator loss (SGD, lr 0.05)"),
                   out / "02_loss_comparison.png")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "course" / "figures"))
    parser.add_argument("--quick", action="store_true", help="tiny settings, to test the script")
    args = parser.parse_args(argv)
    out = Path(args.out)
    generator_gradients(out, args.quick)
    numpy_gan_samples(out, args.quick)
    adversarial_process(out, args.quick)
    print(f"figures written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
