"""Milliseconds per training step on TensorFlow: the tf.data pipeline against the PyDataset.

    python benchmarks/data_pipeline.py        # dcgan on 1437 images, gan on 1437 and 10000, 3 rounds (~5 min)
    python benchmarks/data_pipeline.py --models dcgan --dcgan-sizes 10000 --rounds 2 --epochs 2   # ~8-11 min
    python benchmarks/data_pipeline.py --models gan --alone    # + the pipelines alone, no model (~1 min more)

``gan_keras.data.batches.make_dataset`` serves a training set two ways: on TensorFlow a ``tf.data``
pipeline (cache, shuffle, batch, prefetch), on JAX and PyTorch an ``ArrayBatches`` (a
``keras.utils.PyDataset``: a seeded NumPy order per epoch). This script asks whether
TensorFlow would lose speed if it were fed by the ``ArrayBatches`` too. It runs on the
TensorFlow backend only (it sets ``KERAS_BACKEND=tensorflow``) and trains, with ``fit``:

- ``dcgan``: the model of ``train dcgan`` (``recipes.dcgan.RECIPE``: the chapter 03 players
  self-conditioned on 50 k-means clusters of the images, resize-convolutions, an averaged
  generator; Adam 4e-4, non-saturating loss, ``jit_compile="auto"``), fed ``(images, clusters)``;
- ``gan``: the model of ``train gan`` (the lecture's MLPs; default Adams, non-saturating
  loss), fed images. Its step is tiny, so a pipeline's overhead shows most there.

Each is fed (a) by ``batches.make_dataset`` (``tf.data``) and (b) by ``batches.ArrayBatches`` of the
same arrays, both at batch ``--batch-size`` (64), seed 0, and both the way the recipes feed
``fit`` (``recipes.common.epoch_stream``: the ``tf.data`` pipeline repeated, the
``ArrayBatches`` as its endless ``stream()``, with ``steps_per_epoch``). The data: the 1437
offline training digits (``data.load_images("digits")``) and a larger array (``--sizes``,
``--dcgan-sizes``) made of the digits repeated, each copy shifted by up to one pixel and
given a little noise (seeded), with the clusters of the digits it came from. The DCGAN's
step takes about 0.3 s on 2 shared CPU cores, so its 10000 images (156 steps an epoch) take
about a minute an epoch: by default it trains on the 1437 digits only (``--dcgan-sizes``).
Every fit builds a fresh model (``keras.utils.set_random_seed(0)``) and trains ``--epochs`` epochs; the first epoch
(tracing, the pipeline's first fill) is left out and epochs 2..N are timed with a callback
(``on_epoch_begin`` to ``on_epoch_end``, so a step's time includes fetching its batch).
The two pipelines take turns in each of ``--rounds`` rounds, the order swapped every round,
so a change of load on a shared machine hits them alike; the table gives each round's
ms/step, the medians, and the ratio PyDataset / tf.data of the medians (above 1: the
PyDataset is slower). CPU ms/step (the process's CPU time, all threads, over the same
epochs) is printed too: it depends less on what else runs on the machine.

``--alone`` adds a table of the pipelines without a model: microseconds per batch of
reading the stream that ``fit`` reads on TensorFlow (the ``tf.data`` pipeline repeated; for
the PyDataset the ``tf.data.Dataset.from_generator`` that Keras's ``PyDatasetAdapter``
wraps it in, the adapter ``fit`` uses), after one epoch of warm-up, for five epochs, with and
without the cluster labels.
Nothing is asserted: this is a script that prints numbers (``--out`` also writes them as Markdown).
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("GAN_KERAS_OFFLINE", "1")
os.environ.setdefault("GAN_KERAS_FAST", "1")
if "keras" in sys.modules and os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
    raise SystemExit("benchmarks/data_pipeline.py measures the TensorFlow backend: run it in a fresh process")
os.environ["KERAS_BACKEND"] = "tensorflow"

PIPELINES = ("tf.data", "PyDataset")
MODELS = ("dcgan", "gan")
NUM_CLUSTERS = 50  # recipes.dcgan.RECIPE["clusters"]


def machine() -> str:
    import keras
    import numpy as np
    import tensorflow as tf

    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, Python "
            f"{platform.python_version()}, TensorFlow {tf.__version__}, Keras {keras.__version__}, "
            f"NumPy {np.__version__}")


def training_arrays(size: int, seed: int = 0):
    """Return ``(images, clusters, frequencies)``: ``size`` digits (repeated and jittered past 1437)."""
    import numpy as np

    from gan_keras import data, models

    digits = data.load_images("digits").images
    labels, frequencies = models.cluster_images(digits, NUM_CLUSTERS, seed=seed)
    if size <= len(digits):
        return digits[:size], labels[:size], frequencies
    rng = np.random.default_rng(seed)
    copies = [digits]
    while sum(len(c) for c in copies) < size:
        dy, dx = rng.integers(-1, 2, size=2)
        shifted = np.roll(digits, (int(dy), int(dx)), axis=(1, 2))
        noisy = shifted + rng.normal(0.0, 0.05, size=digits.shape).astype(np.float32)
        copies.append(np.clip(noisy, -1.0, 1.0))
    images = np.concatenate(copies)[:size].astype(np.float32)
    clusters = np.tile(labels, len(copies))[:size]
    return images, clusters, frequencies


def build_model(name: str, frequencies, image_shape):
    """Build and compile the model of ``train <name>`` as its recipe does (seed 0)."""
    import keras

    from gan_keras import engine
    from gan_keras.recipes import dcgan, gan

    keras.utils.set_random_seed(0)
    if name == "dcgan":
        choices = dict(dcgan.RECIPE)
        lr = float(choices.pop("learning_rate"))
        choices.pop("clusters"), choices.pop("simultaneous")
        model = dcgan.build_self_conditioned(64, frequencies, image_shape, seed=0, **choices)
        model.compile(engine.make_optimizer(lr, name="d_optimizer"), engine.make_optimizer(lr, name="g_optimizer"),
                      loss="non_saturating", jit_compile="auto")
    else:
        model = gan.build(64, image_shape, seed=0)
        model.compile(engine.make_optimizer(), engine.make_optimizer(), loss="non_saturating", jit_compile="auto")
    return model


def epoch_timer():
    import keras

    class EpochTimer(keras.callbacks.Callback):
        """Wall and CPU seconds of every epoch after the first."""

        def __init__(self):
            super().__init__()
            self.wall, self.cpu = [], []

        def on_epoch_begin(self, epoch, logs=None):
            self._wall, self._cpu = time.perf_counter(), time.process_time()

        def on_epoch_end(self, epoch, logs=None):
            if epoch >= 1:
                self.wall.append(time.perf_counter() - self._wall)
                self.cpu.append(time.process_time() - self._cpu)

    return EpochTimer()


def time_fit(model_name: str, pipeline: str, arrays, batch_size: int, epochs: int) -> dict:
    """Train a fresh model for ``epochs`` epochs fed by ``pipeline``; return ms per step of epochs 2..N."""
    import keras

    from gan_keras.data import batches
    from gan_keras.recipes.common import epoch_stream

    images, clusters, frequencies = arrays
    labels = clusters if model_name == "dcgan" else None
    model = build_model(model_name, frequencies, images.shape[1:])
    if pipeline == "tf.data":
        dataset = batches.make_dataset(images, labels, batch_size=batch_size, seed=0)
    else:
        columns = (images,) if labels is None else (images, labels.astype("int32"))
        dataset = batches.ArrayBatches(columns, batch_size, shuffle=True, seed=0)
    stream, steps = epoch_stream(dataset)  # as recipes.common.fit_resumable feeds fit
    timer = epoch_timer()
    model.fit(stream, epochs=epochs, steps_per_epoch=steps, callbacks=[timer], verbose=0, shuffle=False)
    timed_steps = steps * len(timer.wall)
    result = {"ms": 1000 * sum(timer.wall) / timed_steps, "cpu_ms": 1000 * sum(timer.cpu) / timed_steps,
              "steps": steps}
    del model, dataset, stream
    keras.backend.clear_session()
    gc.collect()
    return result


def time_alone(arrays, batch_size: int, epochs: int = 5) -> dict:
    """Return (wall, CPU) microseconds per batch of each pipeline's stream read alone, as ``fit`` reads it."""
    from keras.src.trainers.data_adapters.py_dataset_adapter import PyDatasetAdapter

    from gan_keras.data import batches
    from gan_keras.recipes.common import epoch_stream

    images, clusters, _ = arrays
    out = {}
    for with_labels in (False, True):
        labels = clusters if with_labels else None
        for pipeline in PIPELINES:
            if pipeline == "tf.data":
                stream, steps = epoch_stream(batches.make_dataset(images, labels, batch_size=batch_size, seed=0))
            else:
                columns = (images,) if labels is None else (images, labels.astype("int32"))
                stream, steps = epoch_stream(batches.ArrayBatches(columns, batch_size, shuffle=True, seed=0))
                stream = PyDatasetAdapter(stream).get_tf_dataset()  # what fit makes of a PyDataset on TensorFlow
            iterator = iter(stream)
            for _ in range(steps):  # the first epoch: warm-up
                next(iterator)
            wall, cpu = time.perf_counter(), time.process_time()
            for _ in range(epochs * steps):
                next(iterator)
            n = epochs * steps
            out[(with_labels, pipeline)] = (1e6 * (time.perf_counter() - wall) / n,
                                            1e6 * (time.process_time() - cpu) / n)
    return out


def fmt(x: float) -> str:
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="rounds, the two pipelines taking turns (default 3)")
    parser.add_argument("--epochs", type=int, default=3,
                        help="epochs per fit; the first is not timed (default 3: epochs 2-3 are timed)")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS),
                        help="recipes whose models to train (default: dcgan gan)")
    parser.add_argument("--sizes", type=int, nargs="+", default=[1437, 10000],
                        help="training images of the gan model: up to 1437 the offline digits, more: "
                             "repeated and jittered (default: 1437 10000)")
    parser.add_argument("--dcgan-sizes", type=int, nargs="+", default=[1437],
                        help="training images of the dcgan model (default: 1437; its step is ~50x the gan's)")
    parser.add_argument("--batch-size", type=int, default=64, help="batch of both pipelines (default 64)")
    parser.add_argument("--alone", action="store_true",
                        help="also time the pipelines alone, without a model (for every size given)")
    parser.add_argument("--out", help="also write the table as Markdown to this file")
    args = parser.parse_args(argv)
    if args.rounds < 1 or args.epochs < 2:
        parser.error("--rounds must be at least 1 and --epochs at least 2 (the first epoch is not timed)")
    sizes = {m: args.dcgan_sizes if m == "dcgan" else args.sizes for m in args.models}
    if any(s < args.batch_size for m in args.models for s in sizes[m]):
        parser.error("every --sizes value must be at least --batch-size")

    import keras

    if keras.backend.backend() != "tensorflow":
        raise SystemExit(f"Keras runs on {keras.backend.backend()}, not TensorFlow: unset KERAS_BACKEND")
    print(machine(), flush=True)
    arrays = {size: training_arrays(size) for m in args.models for size in sizes[m]}
    results = {(m, s, p): [] for m in args.models for s in sizes[m] for p in PIPELINES}
    steps = {}
    start = time.perf_counter()
    for r in range(args.rounds):
        order = PIPELINES if r % 2 == 0 else PIPELINES[::-1]
        for model_name in args.models:
            for size in sizes[model_name]:
                for pipeline in order:
                    res = time_fit(model_name, pipeline, arrays[size], args.batch_size, args.epochs)
                    results[(model_name, size, pipeline)].append(res)
                    steps[(model_name, size)] = res["steps"]
                    print(f"round {r + 1}: {model_name:5s} {size:6d} images {pipeline:9s} "
                          f"{res['ms']:8.2f} ms/step  (CPU {res['cpu_ms']:.2f} ms/step)", flush=True)
    elapsed = time.perf_counter() - start

    lines = [
        f"Machine: {machine()}",
        (f"Batch {args.batch_size}, {args.epochs} epochs per fit (epochs 2-{args.epochs} timed), "
         f"{args.rounds} rounds, pipelines alternating (order swapped each round); {elapsed:.0f} s of fits."),
        "",
        ("| model | images | steps/epoch | tf.data ms/step (rounds) | PyDataset ms/step (rounds) "
         "| median tf.data | median PyDataset | ratio PyDataset/tf.data | CPU ratio |"),
        "|---|---:|---:|---|---|---:|---:|---:|---:|",
    ]
    for model_name in args.models:
        for size in sizes[model_name]:
            tf_runs, py_runs = results[(model_name, size, "tf.data")], results[(model_name, size, "PyDataset")]
            tf_med = statistics.median(x["ms"] for x in tf_runs)
            py_med = statistics.median(x["ms"] for x in py_runs)
            tf_cpu = statistics.median(x["cpu_ms"] for x in tf_runs)
            py_cpu = statistics.median(x["cpu_ms"] for x in py_runs)
            lines.append(
                f"| {model_name} | {size} | {steps[(model_name, size)]} | "
                f"{', '.join(fmt(x['ms']) for x in tf_runs)} | {', '.join(fmt(x['ms']) for x in py_runs)} | "
                f"{fmt(tf_med)} | {fmt(py_med)} | {py_med / tf_med:.2f} | {py_cpu / tf_cpu:.2f} |")
    lines += ["", ("ms/step: wall-clock of epochs 2-N over their steps (batch fetch included); "
                   "CPU ratio: the same ratio of the medians of the process's CPU ms/step.")]
    if args.alone:
        lines += ["", ("The pipelines alone (no model): microseconds per batch of the stream fit reads, "
                       "5 epochs after 1 of warm-up; one run of each per round."), "",
                  ("| images | batch holds | tf.data us/batch (wall, CPU) | PyDataset us/batch (wall, CPU) "
                   "| ratio wall | ratio CPU |"), "|---:|---|---|---|---:|---:|"]
        for size in sorted({s for m in args.models for s in sizes[m]}):
            runs = [time_alone(arrays[size], args.batch_size) for _ in range(args.rounds)]
            for with_labels in (False, True):
                med = {p: [statistics.median(r[(with_labels, p)][k] for r in runs) for k in (0, 1)]
                       for p in PIPELINES}
                lines.append(f"| {size} | {'images, labels' if with_labels else 'images'} | "
                             f"{med['tf.data'][0]:.0f}, {med['tf.data'][1]:.0f} | "
                             f"{med['PyDataset'][0]:.0f}, {med['PyDataset'][1]:.0f} | "
                             f"{med['PyDataset'][0] / med['tf.data'][0]:.2f} | "
                             f"{med['PyDataset'][1] / med['tf.data'][1]:.2f} |")
        lines.append("(medians over the rounds)")
    print("\n".join(lines))
    if args.out:
        from gan_keras import io

        io.write_text(args.out, "\n".join(lines) + "\n")
        print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
