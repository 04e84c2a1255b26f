"""Time DeepDream and style-transfer steps on random networks (offline); prints one line per size.

    python benchmarks/dream_style_steps.py            # 150/300 px dream, 128/256 px style
    python benchmarks/dream_style_steps.py --steps 20

Numbers depend on the machine and on what else runs on it; they are printed, never asserted.
"""

from __future__ import annotations

import argparse
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=10, help="timed steps per size (default: 10)")
    args = parser.parse_args()

    import keras

    from gan_keras import dream, images, style

    photo = images.sample_image("grace_hopper")

    start = time.perf_counter()
    model = dream.build_dream_model(weights=None)
    print(f"build InceptionV3 (random): {time.perf_counter() - start:.2f} s")
    for size in (150, 300):
        picture = images.resize(photo, size, size)
        dream.deep_dream(picture, model, steps=2, num_octaves=1, max_loss=None, progress=0)  # trace
        start = time.perf_counter()
        dream.deep_dream(picture, model, steps=args.steps, num_octaves=1, max_loss=None, progress=0)
        print(f"dream step at {size}x{size}: {(time.perf_counter() - start) / args.steps * 1000:.0f} ms")

    start = time.perf_counter()
    extractor = style.build_feature_extractor(weights=None)
    print(f"build VGG19 (random): {time.perf_counter() - start:.2f} s")
    texture = images.sample_image("mosaic")
    for size in (128, 256):
        picture = images.resize(photo, size, size)
        transfer = style.StyleTransfer(extractor, picture, texture)
        optimizer = keras.optimizers.Adam(learning_rate=style.DEFAULT_LEARNING_RATE)
        transfer.step(optimizer)  # trace
        start = time.perf_counter()
        losses = [transfer.step(optimizer)[0] for _ in range(args.steps)]
        elapsed = (time.perf_counter() - start) / args.steps
        print(f"style step at {size}x{size}: {elapsed * 1000:.0f} ms (loss {losses[0]:.3g} -> {losses[-1]:.3g})")


if __name__ == "__main__":
    main()
