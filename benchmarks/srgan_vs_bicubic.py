"""SRGAN against bicubic upsampling on the held-out digits: PSNR and the digit classifier's accuracy.

Trains the chapter-10 SRGAN (``python -m gan_keras train srgan``'s recipe) with its default
budget for each seed and prints one row per seed, then the mean. Prints numbers only; nothing
is asserted. Usage::

    python benchmarks/srgan_vs_bicubic.py                 # full budget (20 epochs), seeds 0 1 2
    python benchmarks/srgan_vs_bicubic.py --fast --seeds 0
    python benchmarks/srgan_vs_bicubic.py --figure course/figures/10_srgan_vs_bicubic.png

Offline, "mnist" resolves to the scikit-learn digits stand-in (1437 train, 360 test digits).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--data", default="mnist")
    parser.add_argument("--epochs", type=int, default=None, help="default: the recipe's budget")
    parser.add_argument("--fast", action="store_true", help="the fast-mode budget")
    parser.add_argument("--figure", help="write bicubic | SRGAN | original for 8 test digits (first seed)")
    args = parser.parse_args(argv)
    if args.fast:
        os.environ["GAN_KERAS_FAST"] = "1"

    import numpy as np

    from gan_keras import config, io, plots, recipes
    from gan_keras.data import pairs
    from gan_keras.measure.classifier import get_classifier
    from gan_keras.recipes import srgan
    from gan_keras.recipes.srgan import compare_with_bicubic

    budget = "fast" if config.fast_mode() else "full"
    defaults = srgan.FAST if config.fast_mode() else srgan.FULL
    print(f"SRGAN vs bicubic, {budget} budget: epochs={args.epochs or defaults['epochs']}, "
          f"limit={defaults['limit']}, batch_size={defaults['batch_size']}, data={args.data}")
    classifier = get_classifier(args.data)
    print(f"digit classifier: held-out accuracy {classifier.test_accuracy:.3f} ({classifier.data_name})")
    header = ("seed", "psnr_bicubic", "psnr_srgan", "acc_original", "acc_bicubic", "acc_srgan", "seconds")
    print(" ".join(f"{h:>12s}" for h in header))
    rows = []
    for seed in args.seeds:
        start = time.time()
        with tempfile.TemporaryDirectory() as out:
            result = recipes.train(recipes.TrainConfig(model="srgan", data=args.data, seed=seed,
                                                       epochs=args.epochs, out=out, verbose=0))
        seconds = time.time() - start
        test = pairs.load_sr_pairs(args.data, split="test", seed=seed)
        scores = compare_with_bicubic(result.model.generator, test, classifier)
        row = [scores["psnr_bicubic"], scores["psnr_srgan"], scores["accuracy_original"],
               scores["accuracy_bicubic"], scores["accuracy_srgan"], seconds]
        rows.append(row)
        print(f"{seed:>12d} " + " ".join(f"{v:12.3f}" for v in row))
        if args.figure and len(rows) == 1:
            low = test.inputs[:8]
            fig = plots.show_translations(
                [np.repeat(np.repeat(low, 4, 1), 4, 2), pairs.bicubic_upsample(low),
                 result.model.translate(low), test.targets[:8]],
                titles=["7x7 input", "bicubic", "SRGAN", "original"],
                title=f"4x super-resolution (seed {seed}, {budget} budget)")
            print("wrote", io.save_figure(fig, args.figure))
    mean = np.mean(np.asarray(rows), axis=0)
    print(f"{'mean':>12s} " + " ".join(f"{v:12.3f}" for v in mean))
    print(f"SRGAN - bicubic: {mean[1] - mean[0]:+.2f} dB PSNR, {100 * (mean[4] - mean[3]):+.1f} points of accuracy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
