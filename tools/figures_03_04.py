"""Make the figures of course/03_dcgan.md and course/04_conditional_gan.md from two run folders.

Usage: ``python tools/figures_03_04.py DCGAN_RUN CGAN_RUN`` (folders written by
``python -m gan_keras train dcgan|cgan``, e.g. kept by ``benchmarks/quality_03_04.py --keep``).
"""

from __future__ import annotations

import sys
from pathlib import Path

import keras
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from gan_keras import io, latent, plots  # noqa: E402
from gan_keras.conditional import class_inputs, interpolate_classes  # noqa: E402

FIGURES = ROOT / "course" / "figures"


def main(dcgan_run: str, cgan_run: str) -> None:
    generator = keras.models.load_model(Path(dcgan_run) / "generator.keras")
    latent_dim = int(generator.inputs[0].shape[-1])
    z = np.random.default_rng(0).standard_normal((64, latent_dim)).astype("float32")
    fig = plots.show_images(generator.predict(z, verbose=0), title="DCGAN, 30 epochs on the offline digits", size=5)
    io.save_figure(fig, FIGURES / "03_dcgan_samples.png")
    rng = np.random.default_rng(3)
    rows = []
    for _ in range(3):
        a, b = rng.standard_normal((2, latent_dim))
        rows.append(generator.predict(latent.interpolate_latents(a, b, 10, spherical=True), verbose=0))
    fig = plots.show_images(np.concatenate(rows), nrows=3, title="slerp between two samples (three pairs)", size=3)
    io.save_figure(fig, FIGURES / "03_interpolation.png")

    cgen = keras.models.load_model(Path(cgan_run) / "generator.keras")
    latent_dim = int(cgen.inputs[0].shape[-1])
    images = cgen.predict(class_inputs(10, 10, latent_dim, seed=1234), verbose=0)
    plots.save_image(plots.class_grid(images), FIGURES / "04_class_grid.png")
    z0 = np.random.default_rng(11).standard_normal(latent_dim)
    strips = [interpolate_classes(cgen, z0, a, b, steps=8) for a, b in ((1, 7), (3, 8), (4, 9), (0, 6))]
    fig = plots.show_images(np.concatenate(strips), nrows=4, row_labels=["1->7", "3->8", "4->9", "0->6"],
                            title="class interpolation at fixed noise", size=3.5)
    io.save_figure(fig, FIGURES / "04_class_interpolation.png")
    print("wrote", *sorted(p.name for p in FIGURES.glob("0[34]_*.png")))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    main(sys.argv[1], sys.argv[2])
