"""Measure chapters 03 and 04 at their default (full) settings: quality and wall-clock time.

Runs ``python -m gan_keras train dcgan`` and ``python -m gan_keras train cgan`` as separate
processes (the whole command is timed, start-up included), then judges each saved
generator with the package's cached digit classifier:

- cGAN: label accuracy (share of samples classified as the requested digit, 100 per class),
  mean classifier confidence, Frechet distance in the classifier's features against the
  held-out test digits;
- DCGAN: mean classifier confidence, share of confident samples (max probability > 0.9),
  the spread over the ten classes, and the same Frechet distance.

Usage: ``GAN_KERAS_OFFLINE=1 python benchmarks/quality_03_04.py [--models dcgan cgan] [--seeds 0 1]``.
Prints a Markdown table; timings depend on what else runs on the machine (load average shown).
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{cpu}, {os.cpu_count()} cores, Python {platform.python_version()}"


def load() -> str:
    try:
        return " / ".join(f"{x:.1f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def run_train(model: str, seed: int, data: str, out: Path, precision: str | None = None,
              backend: str | None = None) -> tuple[float, float]:
    env = dict(os.environ)
    env.pop("GAN_KERAS_FAST", None)  # the default, full settings
    if backend:
        env["KERAS_BACKEND"] = backend
    cmd = [sys.executable, "-m", "gan_keras", "train", model, "--data", data, "--seed", str(seed),
           "--out", str(out)] + (["--precision", precision] if precision else [])
    return timed_command(cmd, env)


def timed_command(cmd: list, env: dict) -> tuple[float, float]:
    """Run ``cmd`` to its end; return (wall seconds, CPU seconds); a failure stops the benchmark."""
    start = time.perf_counter()
    process = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
    # CPU time (user + system) of the command: unlike wall time it barely depends on what
    # else runs on the machine; on an idle 2-core CPU the wall time lies between CPU/2 and CPU.
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(cmd)} failed")
    return wall, usage.ru_utime + usage.ru_stime


def evaluate(model: str, run_dir: Path, clf, test_features, per_class: int = 100) -> dict:
    from gan_keras import io
    from gan_keras.conditional import class_inputs
    from gan_keras.measure.metrics import frechet_distance

    generator = io.load_model(run_dir / "generator.keras")
    latent_dim = int(generator.inputs[0].shape[-1])
    if model == "cgan":
        z, labels = class_inputs(10, per_class, latent_dim, seed=2024)
        images = generator.predict([z, labels], verbose=0)
    else:
        z = np.random.default_rng(2024).standard_normal((10 * per_class, latent_dim)).astype("float32")
        images, labels = generator.predict(z, verbose=0), None
    proba = clf.predict_proba(images)
    out = {
        "confidence": float(proba.max(axis=1).mean()),
        "confident_share": float(np.mean(proba.max(axis=1) > 0.9)),
        "frechet": frechet_distance(clf.features(images), test_features),
        "class_counts": np.bincount(proba.argmax(axis=1), minlength=10).tolist(),
    }
    if labels is not None:
        out["label_accuracy"] = float(np.mean(proba.argmax(axis=1) == labels))
    return out


def reference(data: str):
    """Load the judge and print the reference; return (classifier, test features, real-vs-real Frechet distance).

    The reference is 360 real training digits against the held-out test digits (the floor for sets of this size).
    """
    from gan_keras import data as gk_data
    from gan_keras.measure.classifier import get_classifier
    from gan_keras.measure.metrics import frechet_distance

    t0 = time.perf_counter()
    clf = get_classifier(data)
    clf_time = time.perf_counter() - t0
    test = gk_data.load_images(data, split="test")
    train = gk_data.load_images(data)
    test_features = clf.features(test.images)
    real_fd = frechet_distance(clf.features(train.images[:len(test)]), test_features)
    print(f"machine: {machine()}")
    print(f"data: {test.source} ({len(train)} train / {len(test)} test images)")
    print(f"classifier: test accuracy {clf.test_accuracy:.3f} ({clf_time:.0f} s to load or train)")
    print(f"reference: Frechet distance real train vs test = {real_fd:.2f}", flush=True)
    return clf, test_features, real_fd


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", nargs="+", default=["dcgan", "cgan"], choices=["dcgan", "cgan"])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0])
    parser.add_argument("--data", default="mnist", help="mnist (falls back to the digits offline) or digits")
    parser.add_argument("--keep", help="folder to keep the runs in (default: a temporary folder)")
    parser.add_argument("--precision", choices=["float32", "mixed_float16", "mixed_bfloat16"],
                        help="train with this --precision (default: the command's, float32)")
    parser.add_argument("--backends", nargs="+", choices=["tensorflow", "jax", "torch"],
                        help="train on each of these Keras backends (KERAS_BACKEND of the train command; the "
                             "judge runs here); default: this process's backend")
    args = parser.parse_args(argv)
    os.environ.pop("GAN_KERAS_FAST", None)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

    clf, test_features, real_fd = reference(args.data)
    print(f"precision: {args.precision or 'float32 (the default)'}")

    root = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="quality_03_04_"))
    import keras

    backends = args.backends or [keras.backend.backend()]
    rows = []
    for model in args.models:
        for backend in backends:
            for seed in args.seeds:
                out = root / f"{model}-{backend}-seed{seed}"
                before = load()
                seconds, cpu = run_train(model, seed, args.data, out, args.precision, backend)
                result = evaluate(model, out, clf, test_features)
                rows.append((model, backend, seed, seconds, cpu, before, load(), result))
                acc = result.get("label_accuracy")
                print(f"{model} on {backend}, seed {seed}: {seconds:.0f} s wall, {cpu:.0f} s CPU, label accuracy "
                      f"{'-' if acc is None else f'{acc:.3f}'}, confidence {result['confidence']:.3f}, "
                      f"confident share {result['confident_share']:.3f}, Frechet {result['frechet']:.2f} "
                      f"({result['frechet'] / real_fd:.2f}x real), classes {result['class_counts']}", flush=True)

    print()
    print("| model | backend | seed | wall time (s) | CPU time (s) | label accuracy | confidence | share > 0.9 "
          "| Frechet | Frechet / real | digit shares min-max | load before / after |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for model, backend, seed, seconds, cpu, before, after, r in rows:
        acc = r.get("label_accuracy")
        counts = r["class_counts"]
        shares = f"{min(counts) / sum(counts):.1%}-{max(counts) / sum(counts):.1%}"
        print(f"| {model} | {backend} | {seed} | {seconds:.0f} | {cpu:.0f} | {'-' if acc is None else f'{acc:.1%}'} | "
              f"{r['confidence']:.3f} | {r['confident_share']:.1%} | {r['frechet']:.1f} | "
              f"{r['frechet'] / real_fd:.2f}x | {shares} | {before.split(' / ')[0]} / {after.split(' / ')[0]} |")
    print()
    print("Goals (issue 19): cgan label accuracy >= 98%; dcgan Frechet / real <= 2x and every digit's share "
          "7%-13%; each command <= 120 s of wall time.")
    print(f"\nruns kept in {root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
