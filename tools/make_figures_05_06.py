"""Make the figures of course/05_deepdream.md and course/06_neural_style_transfer.md.

    python tools/make_figures_05_06.py                   # random networks (works offline)
    python tools/make_figures_05_06.py --weights imagenet

Writes course/figures/05_deepdream.png and course/figures/06_style_transfer.png; the file
names carry no weight tag, so say in the notes which weights made them.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
FIGURES = ROOT / "course" / "figures"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="none", help="imagenet or none (default: none)")
    args = parser.parse_args()
    weights = None if args.weights == "none" else args.weights

    import keras

    from gan_keras import dream, images, plots, style

    keras.utils.set_random_seed(0)
    photo = images.load_image("grace_hopper", max_size=200)

    model = dream.build_dream_model(weights=weights, seed=0)
    dreamed = dream.deep_dream(photo, model, steps=10, num_octaves=3, max_loss=None, progress=2)
    print(f"dream: weights {dreamed.weights}, loss {dream.layer_activation(model, photo):.3f} -> "
          f"{dream.layer_activation(model, dreamed.image):.3f}")
    plots.save_image(np.concatenate([photo, dreamed.image], axis=1), FIGURES / "05_deepdream.png")
    print(f"wrote {FIGURES / '05_deepdream.png'}")

    content = images.load_image("grace_hopper", max_size=128)
    extractor = style.build_feature_extractor(weights=weights, seed=0)
    row = [content]
    for name in ("mosaic", "flower"):
        style_image = images.load_image(name, max_size=128)
        result = style.transfer_style(content, style_image, extractor, steps=80, progress=2)
        h = result.history
        print(f"style {name}: weights {result.weights}, loss {h['loss'][0]:.4g} -> {h['loss'][-1]:.4g}")
        row += [images.resize(style_image, *content.shape[:2]), result.image]
    plots.save_image(np.concatenate(row, axis=1), FIGURES / "06_style_transfer.png")
    print(f"wrote {FIGURES / '06_style_transfer.png'}")


if __name__ == "__main__":
    main()
