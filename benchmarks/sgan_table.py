"""Print the chapter 08 table: test accuracy of the SGAN classifier against the same network on the labels only.

Fixed seeds; both networks start from the same weights and take the same number of updates.
Run:  GAN_KERAS_OFFLINE=1 python benchmarks/sgan_table.py            (digits stand-in offline)
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

from gan_keras import data, io, semi_supervised


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="mnist")
    parser.add_argument("--per-class", type=int, nargs="+", default=[10, 100])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    train = data.load_images(args.data)
    test = data.load_images(args.data, split="test")
    rows = []
    for per_class in args.per_class:
        for seed in args.seeds:
            start = time.perf_counter()
            result = semi_supervised.compare_with_supervised(train, test, per_class, args.epochs, seed=seed)
            row = {k: result[k] for k in ("per_class", "num_labelled", "seed", "epochs", "steps",
                                          "sgan_accuracy", "supervised_accuracy")}
            row["seconds"] = round(time.perf_counter() - start, 1)
            rows.append(row)
            print(json.dumps(row), flush=True)
    print(f"\ndata={train.source} ({len(train)} train, {len(test)} test images), epochs={args.epochs}, "
          f"batch_size=64, Adam(2e-4, beta_1=0.5), seeds={args.seeds}")
    print("| labels per class | supervised only | SGAN | per seed (supervised / SGAN) |")
    print("|---|---|---|---|")
    for per_class in args.per_class:
        group = [r for r in rows if r["per_class"] == per_class]
        sup = np.mean([r["supervised_accuracy"] for r in group])
        ss = np.mean([r["sgan_accuracy"] for r in group])
        seeds = ", ".join(f"{r['supervised_accuracy']:.3f} / {r['sgan_accuracy']:.3f}" for r in group)
        print(f"| {per_class} | {sup:.3f} | {ss:.3f} | {seeds} |")
    if args.json:
        io.write_json(args.json, rows)


if __name__ == "__main__":
    main()
