"""From the lecture's DCGAN to the recipes' defaults, one change at a time: quality and wall time.

Each step adds one change to the step before it (the first is the lecture's model of
chapters 03 and 04, the last is what ``train dcgan`` / ``train cgan`` do by default). Every
step is trained for each seed in its own process, timed from process start to exit, like
``python -m gan_keras train`` (the runs go through ``recipes.train`` with the step's
settings), then judged by the package's digit classifier as ``quality_03_04.py`` does:

- cGAN: label accuracy (share of 1000 samples, 100 per digit, classified as the requested digit);
- DCGAN: Frechet distance in the classifier's features over the real-vs-real distance (the
  ratio), and the smallest and largest share of a digit among 1000 samples.

Usage: ``GAN_KERAS_OFFLINE=1 python benchmarks/quality_ablation.py [--models dcgan cgan] [--seeds 0 1 2]``.
Prints a Markdown table per model (median over the seeds and each seed's figures) and
writes ``course/figures/ablation_03_04.png`` with ``--figure``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality_03_04 import evaluate, load, machine, reference, timed_command  # noqa: E402

# (label, what the step changes, settings): settings are the recipe's extra choices and epochs.
STEPS = {
    "dcgan": [
        ("lecture DCGAN", "Radford et al.: transposed convolutions, dropout 0.3, Adam 2e-4, 30 epochs",
         dict(epochs=30, upsampling="transposed", ema=None, learning_rate=2e-4, dropout=0.3, clusters=0)),
        ("+ longer, faster training", "50 epochs, Adam 4e-4 for both players, no dropout in D",
         dict(epochs=50, upsampling="transposed", ema=None, learning_rate=4e-4, dropout=0.0, clusters=0)),
        ("+ resize-convolutions", "nearest-neighbour upsampling, then a 3x3 convolution",
         dict(epochs=50, upsampling="nearest", ema=None, learning_rate=4e-4, dropout=0.0, clusters=0)),
        ("+ averaged generator", "samples from the moving average of G's weights (decay 0.995)",
         dict(epochs=50, upsampling="nearest", ema=0.995, learning_rate=4e-4, dropout=0.0, clusters=0)),
        ("+ self-conditioning", "50 k-means clusters of the images as labels (the recipe)",
         dict(epochs=50, upsampling="nearest", ema=0.995, learning_rate=4e-4, dropout=0.0, clusters=50)),
    ],
    "cgan": [
        ("lecture cGAN", "label maps in the discriminator, Adam 2e-4, 30 epochs",
         dict(epochs=30, discriminator="label_maps", ema=None, learning_rate=2e-4)),
        ("+ longer, faster training", "40 epochs, Adam 4e-4 for both players",
         dict(epochs=40, discriminator="label_maps", ema=None, learning_rate=4e-4)),
        ("+ averaged generator", "samples from the moving average of G's weights (decay 0.995)",
         dict(epochs=40, discriminator="label_maps", ema=0.995, learning_rate=4e-4)),
        ("+ auxiliary classifier", "AC-GAN: the discriminator recognises the digit (the recipe)",
         dict(epochs=40, discriminator="auxiliary", ema=0.995, learning_rate=4e-4)),
    ],
}


# Chapter 02's two update orders, side by side on the DCGAN of step 1 (issue 19, item 4b):
ORDERS = [
    ("paper's order", "D step, then G step with new noise against the updated D",
     dict(epochs=50, upsampling="transposed", ema=None, learning_rate=4e-4, dropout=0.0, clusters=0,
          simultaneous=False)),
    ("simultaneous", "one G forward pass, both players from the same outputs (the TensorFlow tutorial's)",
     dict(epochs=50, upsampling="transposed", ema=None, learning_rate=4e-4, dropout=0.0, clusters=0,
          simultaneous=True)),
]


def train_one(model: str, seed: int, settings: dict, data: str, out: str) -> None:
    """Train one step for one seed (runs in the child process)."""
    os.environ.pop("GAN_KERAS_FAST", None)
    from gan_keras import recipes

    settings = dict(settings)
    epochs = settings.pop("epochs")
    recipes.train(recipes.TrainConfig(model=model, data=data, seed=seed, epochs=epochs, out=out, verbose=0,
                                      extra=settings))


def run_step(model: str, seed: int, settings: dict, data: str, out: Path) -> tuple[float, float]:
    """Return (wall seconds, CPU seconds) of one step trained in its own process."""
    env = dict(os.environ)
    env.pop("GAN_KERAS_FAST", None)
    cmd = [sys.executable, __file__, "--one", model, str(seed), json.dumps(settings), data, str(out)]
    return timed_command(cmd, env)


def summarise(model: str, results: list, real_fd: float) -> list[str]:
    """Markdown rows: one per step, medians over the seeds, then each seed's figures."""
    lines = []
    if model == "cgan":
        lines.append("| step | label accuracy (median) | per seed | Frechet / real (median) "
                     "| wall s (median) | CPU s |")
        lines.append("|---|---|---|---|---|---|")
    else:
        lines.append("| step | Frechet / real (median) | per seed | digit shares, min-max per seed "
                     "| wall s (median) | CPU s |")
        lines.append("|---|---|---|---|---|---|")
    for label, runs in results:
        walls = [r["wall"] for r in runs]
        cpus = [r["cpu"] for r in runs]
        ratios = [r["frechet"] / real_fd for r in runs]
        if model == "cgan":
            accs = [r["label_accuracy"] for r in runs]
            lines.append(f"| {label} | {np.median(accs):.1%} | {', '.join(f'{a:.1%}' for a in accs)} | "
                         f"{np.median(ratios):.2f}x | {np.median(walls):.0f} | {np.median(cpus):.0f} |")
        else:
            shares = [f"{min(r['class_counts']) / 10:.1f}-{max(r['class_counts']) / 10:.1f}%" for r in runs]
            lines.append(f"| {label} | {np.median(ratios):.2f}x | {', '.join(f'{x:.2f}' for x in ratios)} | "
                         f"{', '.join(shares)} | {np.median(walls):.0f} | {np.median(cpus):.0f} |")
    return lines


def figure(all_results: dict, real_fd: float, path: Path) -> Path:
    """Draw the ablation: one panel per model, a bar per step (median) with each seed as a dot."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gan_keras import io

    panels = [m for m in ("dcgan", "cgan") if m in all_results]
    fig, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 3.6), squeeze=False)
    for ax, model in zip(axes[0], panels):
        results = all_results[model]
        labels = [label for label, _ in results]
        if model == "cgan":
            values = [[100 * r["label_accuracy"] for r in runs] for _, runs in results]
            ax.set_ylabel("samples read as the requested digit (%)")
            ax.axhline(98, color="tab:red", ls="--", lw=1, label="goal 98%")
            ax.set_ylim(min(80, min(min(v) for v in values) - 2), 100.5)
            title = "chapter 04: conditional GAN"
        else:
            values = [[r["frechet"] / real_fd for r in runs] for _, runs in results]
            ax.set_ylabel("Frechet distance / real-vs-real")
            ax.axhline(2, color="tab:red", ls="--", lw=1, label="goal 2x")
            ax.axhline(1, color="gray", ls=":", lw=1, label="real digits 1x")
            title = "chapter 03: DCGAN"
        x = np.arange(len(labels))
        ax.bar(x, [np.median(v) for v in values], color="tab:blue", alpha=0.55)
        for i, v in enumerate(values):
            ax.plot([i] * len(v), v, "k.", ms=5)
        ax.set_xticks(x, labels, rotation=20, ha="right", fontsize=8)
        ax.set_title(title)
        ax.legend(fontsize=8, loc="best")
    fig.tight_layout()
    return io.save_figure(fig, path)


def samples_figure(root: Path, models_: list, path: Path, seed: int = 0, count: int = 10) -> Path:
    """Draw one row of samples per step (the runs of ``seed`` kept in ``root``): what each change does."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gan_keras import io
    from gan_keras.conditional import class_inputs

    rows = [(m, n, label) for m in models_ for n, (label, _, _) in enumerate(STEPS[m])
            if (root / f"{m}-step{n}-seed{seed}" / "generator.keras").exists()]
    fig, axes = plt.subplots(len(rows), 1, figsize=(0.62 * count + 2.6, 0.68 * len(rows) + 0.3), squeeze=False)
    z = np.random.default_rng(7).standard_normal((count, 64)).astype("float32")
    for ax, (model, number, label) in zip(axes[:, 0], rows):
        generator = io.load_model(root / f"{model}-step{number}-seed{seed}" / "generator.keras")
        if model == "cgan":
            zc, labels = class_inputs(10, 1, generator.inputs[0].shape[-1], seed=7)
            images = generator.predict([zc, labels], verbose=0)
        else:
            images = generator.predict(z[:, : generator.inputs[0].shape[-1]], verbose=0)
        strip = np.concatenate([(im[..., 0] + 1) / 2 for im in images[:count]], axis=1)
        ax.imshow(strip, cmap="gray", vmin=0, vmax=1)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_ylabel(f"{model} {number}", rotation=0, ha="right", va="center", fontsize=8)
        ax.set_title(label, fontsize=8, loc="left", pad=2)
    fig.tight_layout()
    return io.save_figure(fig, path)


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--one":
        _, model, seed, settings, data, out = argv
        train_one(model, int(seed), json.loads(settings), data, out)
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["dcgan", "cgan"], choices=sorted(STEPS))
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--data", default="digits", help="digits (offline) or mnist")
    parser.add_argument("--steps", nargs="+", type=int, help="only these step numbers (0 = the lecture's)")
    parser.add_argument("--orders", action="store_true",
                        help="instead of the ablation: the DCGAN with the paper's and the simultaneous update order")
    parser.add_argument("--figure", help="write the ablation figure to this PNG")
    parser.add_argument("--keep", help="folder to keep the runs in (default: a temporary folder)")
    parser.add_argument("--json", help="also write every run's figures to this JSON file")
    parser.add_argument("--samples-figure", help="with --keep: draw one row of samples per step (seed 0) to this PNG")
    parser.add_argument("--redraw", action="store_true",
                        help="train nothing: redraw --figure from --json and --samples-figure from --keep")
    args = parser.parse_args(argv)
    if args.redraw:
        if args.figure and args.json:
            saved = json.loads(Path(args.json).read_text())
            all_results = {}
            for model in args.models:
                steps = sorted({r["step"] for r in saved["runs"] if r["model"] == model})
                all_results[model] = [(STEPS[model][n][0], [r for r in saved["runs"]
                                                            if r["model"] == model and r["step"] == n]) for n in steps]
            print(f"figure: {figure(all_results, saved['real_fd'], Path(args.figure))}")
        if args.samples_figure and args.keep:
            print(f"samples: {samples_figure(Path(args.keep), args.models, Path(args.samples_figure))}")
        return 0
    os.environ.pop("GAN_KERAS_FAST", None)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    clf, test_features, real_fd = reference(args.data)
    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="quality_ablation_"))
    all_results, record = {}, []
    if args.orders:
        args.models = ["dcgan"]
    for model in args.models:
        results = []
        steps = ORDERS if args.orders else STEPS[model]
        for number, (label, change, settings) in enumerate(steps):
            if args.steps is not None and number not in args.steps:
                continue
            runs = []
            for seed in args.seeds:
                out = root / f"{model}-{'order' if args.orders else 'step'}{number}-seed{seed}"
                before = load()
                wall, cpu = run_step(model, seed, settings, args.data, out)
                result = evaluate(model, out, clf, test_features)
                result.update(wall=wall, cpu=cpu, load_before=before, load_after=load())
                runs.append(result)
                record.append(dict(model=model, step=number, label=label, seed=seed, settings=settings, **result))
                acc = result.get("label_accuracy")
                print(f"{model} step {number} ({label}) seed {seed}: {wall:.0f} s wall, {cpu:.0f} s CPU, "
                      f"label accuracy {'-' if acc is None else f'{acc:.3f}'}, Frechet {result['frechet']:.2f} "
                      f"({result['frechet'] / real_fd:.2f}x), classes {result['class_counts']}, "
                      f"load {before.split(' / ')[0]} -> {load().split(' / ')[0]}", flush=True)
            results.append((label, runs))
        all_results[model] = results
        print()
        print(f"### {model}: {', '.join(str(s) for s in args.seeds)} seeds; each step adds one change")
        print()
        for number, (label, change, _) in enumerate(steps):
            print(f"- step {number}, {label}: {change}")
        print()
        print("\n".join(summarise(model, results, real_fd)))
        print(flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"real_fd": real_fd, "machine": machine(), "runs": record}, indent=1))
    if args.figure:
        print(f"figure: {figure(all_results, real_fd, Path(args.figure))}")
    if args.samples_figure:
        print(f"samples: {samples_figure(root, args.models, Path(args.samples_figure))}")
    print(f"runs kept in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
