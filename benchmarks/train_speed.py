"""Images per second of each model's training step, beside a plain GradientTape DCGAN loop.

    python benchmarks/train_speed.py                 # every registered recipe + the baselines
    python benchmarks/train_speed.py --steps 40 --models gan dcgan --out benchmarks/RESULTS_speed.md

Three parts, in one run on the same machine:

1. The TensorFlow tutorial's DCGAN (generator 100 -> 7x7x256 -> 7x7x128 -> 14x14x64 ->
   28x28x1, discriminator 28x28x1 -> 14x14x64 -> 7x7x128 -> 1, Adam 1e-4, batch 64)
   trained by a plain ``tf.function`` + ``GradientTape`` loop written below: the baseline.
2. The same two networks trained by ``gan_keras.GAN.fit`` in graph mode (the default),
   with XLA (``jit_compile=True``, ``--jit``) and with mixed precision
   (``--mixed-precision``): the measurements behind the defaults.
3. Every recipe registered in ``gan_keras.recipes`` at the time of the run, trained by its
   own ``train()`` (fast-mode models, the digits stand-in); a callback times each step.

Times are wall-clock per training step after warm-up (the first steps trace and
compile); the median over the timed steps is reported. Nothing here is asserted: this
is a script that prints numbers (and writes them as Markdown with ``--out``).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("GAN_KERAS_OFFLINE", "1")

WARMUP = 3


# --------------------------------------------------------------------------------------
# The baseline: the TensorFlow DCGAN tutorial's models and training loop
# --------------------------------------------------------------------------------------

def tutorial_generator(noise_dim: int = 100):
    """Return the tutorial's generator (no biases before batch norm)."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input((noise_dim,)),
        layers.Dense(7 * 7 * 256, use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Reshape((7, 7, 256)),
        layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),  # 7x7x256 -> 7x7x128
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),  # 7x7x128 -> 14x14x64
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False,
                               activation="tanh", dtype="float32"),  # 14x14x64 -> 28x28x1
    ], name="tutorial_generator")


def tutorial_discriminator():
    """Return the tutorial's discriminator (one logit)."""
    import keras
    from keras import layers

    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 5, strides=2, padding="same"),  # 28x28x1 -> 14x14x64
        layers.LeakyReLU(),
        layers.Dropout(0.3),
        layers.Conv2D(128, 5, strides=2, padding="same"),  # 14x14x64 -> 7x7x128
        layers.LeakyReLU(),
        layers.Dropout(0.3),
        layers.Flatten(),
        layers.Dense(1, dtype="float32"),
    ], name="tutorial_discriminator")


def time_plain_loop(images, batch_size: int, steps: int) -> list[float]:
    """Train the tutorial DCGAN with its own GradientTape loop; return seconds per step."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    generator, discriminator = tutorial_generator(), tutorial_discriminator()
    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
    g_opt, d_opt = keras.optimizers.Adam(1e-4), keras.optimizers.Adam(1e-4)

    @tf.function
    def train_step(real_images):
        noise = tf.random.normal([batch_size, 100])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            fake_images = generator(noise, training=True)
            real_output = discriminator(real_images, training=True)
            fake_output = discriminator(fake_images, training=True)
            g_loss = cross_entropy(tf.ones_like(fake_output), fake_output)
            d_loss = (cross_entropy(tf.ones_like(real_output), real_output)
                      + cross_entropy(tf.zeros_like(fake_output), fake_output))
        g_opt.apply_gradients(zip(g_tape.gradient(g_loss, generator.trainable_variables),
                                  generator.trainable_variables))
        d_opt.apply_gradients(zip(d_tape.gradient(d_loss, discriminator.trainable_variables),
                                  discriminator.trainable_variables))
        return g_loss, d_loss

    ds = tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=0).repeat()
    ds = ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    times = []
    for i, batch in enumerate(ds.take(WARMUP + steps)):
        start = time.perf_counter()
        g_loss, _ = train_step(batch)
        float(g_loss)  # wait for the step to finish
        if i >= WARMUP:
            times.append(time.perf_counter() - start)
    return times


# --------------------------------------------------------------------------------------
# Timing fit(): a callback around every training step
# --------------------------------------------------------------------------------------

def step_timer():
    import keras

    class StepTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.times, self.seen, self.start = [], 0, None

        def on_train_batch_begin(self, batch, logs=None):
            self.start = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            self.seen += 1
            if self.seen > WARMUP and self.start is not None:
                self.times.append(time.perf_counter() - self.start)

    return StepTimer()


def time_package_gan(images, batch_size: int, steps: int, jit=False, mixed=False) -> list[float]:
    """Train the tutorial's networks with ``gan_keras.GAN.fit``; return seconds per step."""
    import keras
    import tensorflow as tf

    from gan_keras import GAN, gans

    keras.utils.set_random_seed(0)
    with gans.precision_policy(mixed):
        generator, discriminator = tutorial_generator(), tutorial_discriminator()
    gan = GAN(generator, discriminator, seed=0)
    gan.compile(gans.make_optimizer(1e-4), gans.make_optimizer(1e-4), jit_compile=jit)
    ds = tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=0).repeat()
    ds = ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    timer = step_timer()
    gan.fit(ds, epochs=1, steps_per_epoch=WARMUP + steps, callbacks=[timer], verbose=0, shuffle=False)
    return timer.times


def time_recipes(names, steps: int, batch_size: int) -> dict:
    """Run each recipe's ``train`` once and time its training steps; return name -> result."""
    import keras
    import tensorflow as tf

    from gan_keras import recipes

    results = {}
    original_fit = keras.Model.fit
    for name in names:
        timer, batch = step_timer(), {}

        def timed_fit(self, x=None, *args, **kwargs):
            kwargs["callbacks"] = list(kwargs.get("callbacks") or []) + [timer]
            if isinstance(x, tf.data.Dataset):
                first = tf.nest.flatten(next(iter(x.take(1))))[0]  # images of a nested batch
                batch["size"] = int(first.shape[0])
            else:
                batch["size"] = kwargs.get("batch_size") or 32
            return original_fit(self, x, *args, **kwargs)

        keras.Model.fit = timed_fit
        try:
            with tempfile.TemporaryDirectory() as out:
                config = recipes.TrainConfig(model=name, data="digits", epochs=1, batch_size=batch_size,
                                             limit=batch_size * (steps + WARMUP), out=out, verbose=0, seed=0)
                start = time.perf_counter()
                recipes.train(config)
                total = time.perf_counter() - start
            if not timer.times:
                results[name] = {"error": "no training steps seen (does it train through fit?)"}
            else:
                results[name] = {"times": timer.times, "batch": batch.get("size", batch_size), "run_s": total}
        except Exception as exc:  # report and continue with the next model
            results[name] = {"error": f"{type(exc).__name__}: {str(exc)[:120]}"}
        finally:
            keras.Model.fit = original_fit
    return results


def machine() -> str:
    import keras
    import tensorflow as tf

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    gpus = tf.config.list_physical_devices("GPU")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu}, {os.cpu_count()} cores, {len(gpus)} GPU; Python {platform.python_version()}, "
            f"TensorFlow {tf.__version__}, Keras {keras.__version__}; load average at start {load:.1f}")


def row(label, times, batch):
    median = statistics.median(times)
    return f"| {label} | {batch} | {1000 * median:.1f} | {batch / median:.0f} |"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=20, help="timed steps per model (default 20)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--models", nargs="*", help="recipes to time (default: every registered one)")
    parser.add_argument("--skip-recipes", action="store_true")
    parser.add_argument("--out", help="also write the tables as Markdown to this file")
    args = parser.parse_args(argv)
    os.environ.setdefault("GAN_KERAS_FAST", "1")

    import numpy as np

    from gan_keras import data, io, recipes

    print(machine(), flush=True)
    images = data.load_images("digits").images
    lines = [f"Machine: {machine()}", "", f"Timed steps: {args.steps} after {WARMUP} warm-up steps; "
             "median time per step.", "",
             "## The tutorial's DCGAN: plain loop vs gan_keras.GAN.fit", "",
             "| training | batch | ms/step | images/s |", "|---|---|---|---|"]
    variants = [
        ("plain tf.function + GradientTape loop (baseline)", lambda: time_plain_loop(images, args.batch_size, args.steps)),
        ("gan_keras.GAN.fit, graph mode (default)", lambda: time_package_gan(images, args.batch_size, args.steps)),
        ("gan_keras.GAN.fit, XLA (--jit)", lambda: time_package_gan(images, args.batch_size, args.steps, jit=True)),
        ("gan_keras.GAN.fit, mixed precision (--mixed-precision)",
         lambda: time_package_gan(images, args.batch_size, args.steps, mixed=True)),
    ]
    for label, run in variants:
        try:
            lines.append(row(label, run(), args.batch_size))
        except Exception as exc:
            lines.append(f"| {label} | {args.batch_size} | failed: {type(exc).__name__}: {str(exc)[:80]} | |")
        print(lines[-1], flush=True)

    if not args.skip_recipes:
        names = args.models or recipes.available()
        lines += ["", "## Every registered recipe (fast-mode models, digits stand-in, its own train())", "",
                  "| model | batch | ms/step | images/s | whole run (s) |", "|---|---|---|---|---|"]
        for name, result in time_recipes(names, args.steps, args.batch_size).items():
            if "error" in result:
                lines.append(f"| {name} | | not timed: {result['error']} | | |")
            else:
                lines.append(row(name, result["times"], result["batch"]) + f" {result['run_s']:.1f} |")
            print(lines[-1], flush=True)
    lines += ["", "Time to the quality bars of chapters 03-04: not measured (see RESULTS_speed.md)."]
    if args.out:
        io.write_text(args.out, "\n".join(lines) + "\n")
        print(f"wrote {args.out}")
    del np
    return 0


if __name__ == "__main__":
    sys.exit(main())
