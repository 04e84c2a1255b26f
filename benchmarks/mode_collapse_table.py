"""Print the chapter 09 table: every loss on the ring and the grid, modes covered and high-quality share.

Full settings by default (fixed seeds); ``--steps``/``--seeds`` to change them, ``--figures DIR``
to also save the final samples of every run and the training progress of two losses.
Run:  GAN_KERAS_OFFLINE=1 python benchmarks/mode_collapse_table.py --figures course/figures
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from gan_keras import io, modes, plots
from gan_keras.losses import canonical_loss_name


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=4000, help="generator updates per run")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    parser.add_argument("--losses", nargs="+", default=list(modes.LOSS_NAMES))
    parser.add_argument("--toys", nargs="+", default=["ring", "grid"])
    parser.add_argument("--figures", default=None, help="folder for 09_*.png figures")
    parser.add_argument("--json", default=None, help="write the rows to this JSON file")
    args = parser.parse_args()

    rows, finals = [], {}
    for toy in args.toys:
        for loss in args.losses:
            for seed in args.seeds:
                start = time.perf_counter()
                keep_progress = args.figures and seed == args.seeds[0] and toy == "ring" \
                    and loss in ("non_saturating", "wasserstein")
                run = modes.train_toy_gan(toy, loss, steps=args.steps, seed=seed,
                                          snapshot_every=max(1, args.steps // 500) if keep_progress else None)
                seconds = time.perf_counter() - start
                row = {"toy": toy, "loss": run.loss, "seed": seed, "steps": run.steps,
                       "modes_covered": run.metrics["modes_covered"], "num_modes": run.metrics["num_modes"],
                       "high_quality": run.metrics["high_quality"], "seconds": round(seconds, 1),
                       "counts": run.metrics["counts"]}
                rows.append(row)
                print(json.dumps(row), flush=True)
                if seed == args.seeds[0]:
                    finals[(toy, run.loss)] = run.samples
                if keep_progress:
                    toyset = modes.toy_set(toy)
                    fig = plots.plot_toy_progress(run.snapshots, toyset.centers, toyset.extent,
                                                  title=f"{run.loss} on the {toy}: D's output and G's points")
                    io.save_figure(fig, Path(args.figures) / f"09_progress_{toy}_{run.loss}.png")
    print()
    print(f"steps={args.steps} seeds={args.seeds} batch_size=256 latent_dim=16 hidden=(128, 128) lr=1e-3; "
          "2500 samples, high quality = within 3 std, covered = at least 20 high-quality samples")
    print(modes.format_table(rows))
    if args.json:
        io.write_json(args.json, rows)
    if args.figures:
        toys = list(args.toys)
        losses = [canonical_loss_name(name) for name in args.losses]
        panels = [[finals[(t, l)] for l in losses if (t, l) in finals] for t in toys]
        sets = [modes.toy_set(t) for t in toys]
        fig = plots.plot_toy_grid(panels, [s.centers for s in sets], [s.extent for s in sets],
                                  row_labels=toys, col_labels=losses)
        io.save_figure(fig, Path(args.figures) / "09_final_samples.png")


if __name__ == "__main__":
    main()
