"""Images per second of each model's training step, and the time to the quality bars of chapters 03-04.

    python benchmarks/train_speed.py                 # every registered recipe + the baselines + the bars
    python benchmarks/train_speed.py --steps 40 --models gan dcgan --out benchmarks/RESULTS_speed.md
    python benchmarks/train_speed.py --skip-quality  # images per second only (a few minutes)

Four parts, in one run on the same machine:

1. The TensorFlow tutorial's DCGAN (generator 100 -> 7x7x256 -> 7x7x128 -> 14x14x64 ->
   28x28x1, discriminator 28x28x1 -> 14x14x64 -> 7x7x128 -> 1, batch 64) trained by
   hand-written ``tf.function`` + ``GradientTape`` loops below and by ``gan_keras.GAN.fit``,
   in four tables: (a) ``GAN.fit`` against a plain loop of the *same* alternating updates
   (the paper's order: D's step, then G's step with new noise), which measures ``fit``'s
   overhead; (b) ``SimultaneousGAN.fit`` beside the tutorial's own loop (one
   generator pass, both players updated from it); (c) float32 against ``mixed_bfloat16``
   (``--precision``) for the tutorial's loop and for ``GAN.fit``; (d) XLA (``--jit``) and,
   with ``--float16``, ``mixed_float16``. The variants of a table take turns for
   ``--rounds`` rounds, so a change of load hits them alike.
2. (The speed options of part 1 are the measurements behind the defaults.)
3. Every recipe registered in ``gan_keras.recipes`` at the time of the run, trained by its
   own ``train()`` (fast-mode models, the digits stand-in); a callback times each step.
4. Time to the quality bars of chapters 03-04 (``--skip-quality`` leaves it out). Each row
   trains from scratch on the 1437 training digits of the offline stand-in
   (``data.load_images("digits")``), one epoch at a time, is judged after every epoch, and
   stops at its bar or at the cap (``--quality-max-seconds`` of training, checked after
   each epoch, so a row may overrun it by one epoch; ``--quality-max-epochs``). The judge
   is the package's cached digit classifier (``classifier.get_classifier("digits")``, the
   full one that ``benchmarks/RESULTS.md`` uses; trained and cached before any clock runs)
   on 1000 samples from fixed noise (seed 2024, as ``benchmarks/quality_03_04.py``):

   - chapter 04 bar (conditional GAN): label accuracy >= 90%: at least 90% of 1000 samples,
     100 per requested digit, are classified as the requested digit
     (``metrics.label_accuracy``);
   - chapter 03 bar (DCGAN, "recognisable digits"): mean classifier confidence (top
     softmax probability) >= 0.85 on 1000 samples (``evaluation.sample_generator``), and
     every digit is the classifier's answer for at least 20 of them
     (``--ch03-min-per-digit``, default 20). Confidence alone is met by a collapsed
     generator: the package's DCGAN reaches 0.896 after 5 epochs drawing a single digit
     (Frechet 831); ``--ch03-min-per-digit 0`` measures the confidence-only bar. At its
     full 30 epochs it draws every digit (rarest: 28 and 55 of 1000 for seeds 0 and 1,
     benchmarks/RESULTS.md).

   Every row also reports the Frechet distance in the classifier's 128-d features against
   the 360 held-out test digits (``metrics.frechet_distance``; 360 real training digits
   give the floor printed with the table). Rows:

   - the package's DCGAN (``recipes.dcgan.build``, its FULL settings: batch 64, latent 64,
     Adam 2e-4 / beta_1 0.5, non-saturating loss, ``GAN.fit``) -> chapter 03 bar;
   - the package's conditional GAN (``recipes.cgan.build``, the same settings,
     ``ConditionalGAN.fit``) -> chapter 04 bar;
   - the baseline: the tutorial's DCGAN of part 1 trained by the same plain GradientTape
     loop with the tutorial's settings (latent 100, Adam 1e-4, beta_1 0.9), at the
     tutorial's batch 256 and at the package's batch 64 (``--quality-baseline-batches``)
     -> chapter 03 bar. The chapter 04 bar does not apply to an unconditional generator
     (it cannot be asked for a digit): "n/a" in the table.

   The training clock is wall-clock of training only: the ``fit`` call (for the baseline,
   the epoch loop) minus the judging after each epoch, which is reported separately
   ("judging s"). Tracing and compiling in the first epoch are part of the training time,
   as they are for a user. "CPU s" is the process's CPU time (all threads) over the same
   spans: unlike wall time it barely depends on what else runs on the machine. Every
   epoch drops the last incomplete batch (22 steps of 64, or 5 of 256), as
   ``batches.make_dataset`` does; images/s = steps x batch / training seconds.

Times in parts 1-3 are wall-clock per training step after warm-up (the first steps trace
and compile); the median over the timed steps is reported. Nothing here is asserted: this
is a script that prints numbers (and writes them as Markdown with ``--out``). A part or a
row that fails is reported in its table and the run goes on.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
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


def tutorial_train_step(generator, discriminator, batch_size: int, noise_dim: int = 100,
                        learning_rate: float = 1e-4):
    """Return the tutorial's ``train_step(real_images) -> (g_loss, d_loss)`` (its own two Adams)."""
    import keras
    import tensorflow as tf

    cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
    g_opt, d_opt = keras.optimizers.Adam(learning_rate), keras.optimizers.Adam(learning_rate)

    @tf.function
    def train_step(real_images):
        noise = tf.random.normal([batch_size, noise_dim])
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

    return train_step


def alternating_train_step(generator, discriminator, batch_size: int, noise_dim: int = 100,
                           learning_rate: float = 1e-4):
    """Return a hand-written ``train_step(real_images) -> (d_loss, g_loss)`` of the paper's order.

    The updates ``gan_keras.GAN.train_step`` makes, written as a plain loop: the
    discriminator's step on its own fakes, then the generator's step with new noise against
    the updated discriminator; the package's non-saturating losses and Adam(1e-4, 0.5) for
    each player, as ``time_package_gan`` compiles. No trackers, no ``fit``.
    """
    import tensorflow as tf

    from gan_keras import engine
    from gan_keras import losses as gan_losses

    d_loss_fn, g_loss_fn, _ = gan_losses.get_loss_pair("non_saturating")
    d_opt, g_opt = engine.make_optimizer(learning_rate), engine.make_optimizer(learning_rate)

    @tf.function
    def train_step(real_images):
        # Train the discriminator
        noise = tf.random.normal([batch_size, noise_dim])
        with tf.GradientTape() as tape:
            fake_images = generator(noise, training=True)
            d_loss = d_loss_fn(discriminator(real_images, training=True), discriminator(fake_images, training=True))
        d_opt.apply_gradients(zip(tape.gradient(d_loss, discriminator.trainable_variables),
                                  discriminator.trainable_variables))
        # Train the generator (the discriminator's weights stay fixed)
        noise = tf.random.normal([batch_size, noise_dim])
        with tf.GradientTape() as tape:
            g_loss = g_loss_fn(discriminator(generator(noise, training=True), training=True))
        g_opt.apply_gradients(zip(tape.gradient(g_loss, generator.trainable_variables),
                                  generator.trainable_variables))
        return d_loss, g_loss

    return train_step


def time_plain_loop(images, batch_size: int, steps: int, order: str = "tutorial",
                    precision: str = "float32") -> list[float]:
    """Train the tutorial DCGAN with a hand-written GradientTape loop; return seconds per step.

    ``order="tutorial"``: the tutorial's own step (both players from one forward pass);
    ``"alternating"``: the paper's order of ``GAN.train_step`` (:func:`alternating_train_step`).
    Each timed step runs from fetching the batch to reading both losses back, as a step of
    ``fit`` does (its timer spans the batch fetch inside ``train_function`` and the logs).
    """
    import keras
    import tensorflow as tf

    from gan_keras import engine

    keras.utils.set_random_seed(0)
    with engine.precision_policy(precision):
        generator, discriminator = tutorial_generator(), tutorial_discriminator()
    make = tutorial_train_step if order == "tutorial" else alternating_train_step
    train_step = make(generator, discriminator, batch_size)
    ds = tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=0).repeat()
    ds = ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    iterator = iter(ds)
    times = []
    for i in range(WARMUP + steps):
        start = time.perf_counter()
        first, second = train_step(next(iterator))
        float(first), float(second)  # wait for the step to finish
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


def time_package_gan(images, batch_size: int, steps: int, jit=False, precision="float32",
                     simultaneous=False) -> list[float]:
    """Train the tutorial's networks with ``gan_keras.GAN.fit``; return seconds per step."""
    import keras
    import tensorflow as tf

    from gan_keras import GAN, engine
    from gan_keras.trainers.simultaneous import SimultaneousGAN

    keras.utils.set_random_seed(0)
    with engine.precision_policy(precision):
        generator, discriminator = tutorial_generator(), tutorial_discriminator()
    gan = (SimultaneousGAN if simultaneous else GAN)(generator, discriminator, seed=0)
    gan.compile(engine.make_optimizer(1e-4), engine.make_optimizer(1e-4), jit_compile=jit)
    ds = tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=0).repeat()
    ds = ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    timer = step_timer()
    gan.fit(ds, epochs=1, steps_per_epoch=WARMUP + steps, callbacks=[timer], verbose=0, shuffle=False)
    return timer.times


def time_recipes(names, steps: int, batch_size: int, precision: str = "float32") -> dict:
    """Run each recipe's ``train`` once and time its training steps; return name -> result."""
    import keras

    from gan_keras import recipes

    tf = sys.modules.get("tensorflow") if keras.backend.backend() == "tensorflow" else None
    results = {}
    original_fit = keras.Model.fit
    for name in names:
        timer, batch = step_timer(), {}

        def timed_fit(self, x=None, *args, **kwargs):
            kwargs["callbacks"] = list(kwargs.get("callbacks") or []) + [timer]
            if tf is not None and isinstance(x, tf.data.Dataset):
                first = tf.nest.flatten(next(iter(x.take(1))))[0]  # images of a nested batch
                batch["size"] = int(first.shape[0])
            elif isinstance(x, keras.utils.PyDataset):
                first = keras.tree.flatten(x[0])[0]
                batch["size"] = int(first.shape[0])
            else:
                batch["size"] = kwargs.get("batch_size") or 32
            return original_fit(self, x, *args, **kwargs)

        keras.Model.fit = timed_fit
        try:
            with tempfile.TemporaryDirectory() as out:
                config = recipes.TrainConfig(model=name, data="digits", epochs=1, batch_size=batch_size,
                                             limit=batch_size * (steps + WARMUP), out=out, verbose=0, seed=0,
                                             precision=precision)
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


# --------------------------------------------------------------------------------------
# Part 4: time to the quality bars of chapters 03-04
# --------------------------------------------------------------------------------------

CH03_CONFIDENCE_BAR = 0.85  # mean top probability of the classifier on 1000 DCGAN samples
CH04_ACCURACY_BAR = 0.90  # share of 1000 cGAN samples (100 per digit) classified as requested
PER_CLASS = 100
NOISE_SEED = 2024  # the fixed noise of benchmarks/quality_03_04.py
COVERAGE = 20  # "digits drawn": digits the classifier sees in at least 20 of the 1000 samples (2%)
BARS = {
    "ch03": f"03: mean confidence >= {CH03_CONFIDENCE_BAR:.2f}",
    "ch04": f"04: label accuracy >= {CH04_ACCURACY_BAR:.0%}",
}
BAR_NOTES = [
    f"- Chapter 04 bar (conditional GAN): at least {CH04_ACCURACY_BAR:.0%} of {10 * PER_CLASS} "
    f"generated samples ({PER_CLASS} per requested digit, fixed noise seed {NOISE_SEED}) classified "
    "as the requested digit by the package's digit classifier (`metrics.label_accuracy`).",
    f"- Chapter 03 bar (DCGAN, recognisable digits): mean classifier confidence (top softmax "
    f"probability) >= {CH03_CONFIDENCE_BAR:.2f} on {10 * PER_CLASS} samples from fixed noise "
    f"(`evaluation.sample_generator`, seed {NOISE_SEED}), plus the coverage condition below.",
    f"- Digits drawn: how many of the 10 digits the classifier sees in at least {COVERAGE} of the "
    "1000 samples, and the count of the rarest one. Confidence alone is also met by a collapsed "
    "generator (the package's DCGAN: 0.896 after 5 epochs, drawing one digit), hence the coverage "
    "condition of the chapter 03 bar (`--ch03-min-per-digit`).",
    "- Frechet: distance between the classifier's 128-d features of the same samples and of the "
    "360 held-out test digits (`metrics.frechet_distance`; lower is better).",
    "- Each row trains from scratch one epoch at a time on the 1437 offline training digits and is "
    "judged after every epoch; it stops at its bar or once its training time passes the cap "
    "(checked after each epoch). Training s: wall-clock of training only (`fit`, or the plain "
    "loop's epochs), judging excluded and shown apart; CPU s: the process's CPU time over the "
    "same spans; images/s = steps x batch / training s.",
]


@contextlib.contextmanager
def full_mode():
    """Switch fast mode off inside the block: the full classifier that benchmarks/RESULTS.md judges with."""
    previous = os.environ.get("GAN_KERAS_FAST")
    os.environ["GAN_KERAS_FAST"] = "0"
    try:
        yield
    finally:
        if previous is None:
            os.environ.pop("GAN_KERAS_FAST", None)
        else:
            os.environ["GAN_KERAS_FAST"] = previous


class Judge:
    """Judge a generator with the package's classifier on 1000 samples from fixed noise."""

    def __init__(self, classifier, test_images):
        from gan_keras.measure import metrics

        self.classifier = classifier
        self.test_features = classifier.features(test_images)
        self.metrics = metrics

    def __call__(self, generator, conditional: bool) -> dict:
        from gan_keras.conditional import class_inputs
        from gan_keras.measure import evaluation

        labels = None
        if conditional:
            latent_dim = int(generator.inputs[0].shape[-1])
            z, labels = class_inputs(10, PER_CLASS, latent_dim, seed=NOISE_SEED)
            images = generator.predict([z, labels], batch_size=256, verbose=0)
        else:
            images = evaluation.sample_generator(generator, 10 * PER_CLASS, seed=NOISE_SEED)
        import numpy as np

        proba = self.classifier.predict_proba(images)
        counts = np.bincount(proba.argmax(axis=1), minlength=proba.shape[1])
        result = {"confidence": float(proba.max(axis=1).mean()), "fewest": int(counts.min()),
                  "digits_drawn": int(np.sum(counts >= COVERAGE))}
        try:
            result["frechet"] = self.metrics.frechet_distance(self.classifier.features(images),
                                                              self.test_features)
        except ValueError:  # e.g. NaN features of a diverged generator
            result["frechet"] = float("nan")
        if conditional:
            result["label_accuracy"] = self.metrics.label_accuracy(self.classifier, images, labels)
        return result


class Race:
    """Training clock, judging after each epoch, and the stopping rule of one row."""

    def __init__(self, judge, bar: str, conditional: bool, max_seconds: float, max_epochs: int | None,
                 label: str, min_per_digit: int = 0):
        self.judge, self.bar, self.conditional, self.label = judge, bar, conditional, label
        self.min_per_digit = min_per_digit if bar == "ch03" else 0
        self.max_seconds, self.max_epochs = max_seconds, max_epochs
        self.epochs, self.train_s, self.cpu_s, self.judge_s = 0, 0.0, 0.0, 0.0
        self.reached, self.last, self.best, self.best_epoch = False, {}, None, 0
        self._wall = self._cpu = None

    def start(self):
        self._wall, self._cpu = time.perf_counter(), time.process_time()

    def _pause(self):
        self.train_s += time.perf_counter() - self._wall
        self.cpu_s += time.process_time() - self._cpu

    def value(self, result: dict) -> float:
        return result["label_accuracy"] if self.bar == "ch04" else result["confidence"]

    def after_epoch(self, generator) -> bool:
        """Stop the clock, judge, restart the clock; return True when the row is done."""
        self._pause()
        self.epochs += 1
        start = time.perf_counter()
        self.last = self.judge(generator, self.conditional)
        self.judge_s += time.perf_counter() - start
        value = self.value(self.last)
        if self.best is None or value > self.best:
            self.best, self.best_epoch = value, self.epochs
        threshold = CH04_ACCURACY_BAR if self.bar == "ch04" else CH03_CONFIDENCE_BAR
        self.reached = value >= threshold and self.last["fewest"] >= self.min_per_digit
        done = (self.reached or self.train_s >= self.max_seconds
                or (self.max_epochs is not None and self.epochs >= self.max_epochs))
        if done or self.epochs % 10 == 0:
            print(f"  {self.label}: epoch {self.epochs}, {self.train_s:.0f} s training, "
                  f"{'label accuracy' if self.bar == 'ch04' else 'confidence'} {value:.3f}, "
                  f"{self.last['digits_drawn']} digits drawn, Frechet {self.last['frechet']:.1f}"
                  + (" (bar reached)" if self.reached else ""), flush=True)
        self.start()
        return done


def race_package(kind: str, images, labels, seed: int, make_race):
    """Train the package's chapter model (recipe build + compile settings, ``fit``) to its bar."""
    import keras

    from gan_keras import engine
    from gan_keras.data import batches
    from gan_keras.recipes import cgan as cgan_recipe
    from gan_keras.recipes import dcgan as dcgan_recipe

    recipe = cgan_recipe if kind == "cgan" else dcgan_recipe
    full = recipe.FULL
    keras.utils.set_random_seed(seed)
    if kind == "cgan":
        gan = recipe.build(full["latent_dim"], 10, images.shape[1:], seed=seed)
        ds = batches.make_dataset(images, labels, batch_size=full["batch_size"], seed=seed)
    else:
        gan = recipe.build(full["latent_dim"], images.shape[1:], seed=seed)
        ds = batches.make_dataset(images, batch_size=full["batch_size"], seed=seed)
    lr = recipe.LEARNING_RATE
    gan.compile(engine.make_optimizer(lr, name="d_optimizer"), engine.make_optimizer(lr, name="g_optimizer"),
                loss=full["loss"])
    race = make_race(kind == "cgan")

    class JudgeEachEpoch(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            if race.after_epoch(gan.generator):
                self.model.stop_training = True

    race.start()
    gan.fit(ds, epochs=race.max_epochs or 10 ** 6, callbacks=[JudgeEachEpoch()], verbose=0, shuffle=False)
    return race, full["batch_size"], len(images) // full["batch_size"]


def race_baseline(images, batch_size: int, seed: int, make_race):
    """Train the tutorial's DCGAN with its plain GradientTape loop, one epoch at a time, to the ch03 bar."""
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(seed)
    generator, discriminator = tutorial_generator(), tutorial_discriminator()
    train_step = tutorial_train_step(generator, discriminator, batch_size)
    ds = tf.data.Dataset.from_tensor_slices(images).shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
    ds = ds.batch(batch_size, drop_remainder=True).prefetch(tf.data.AUTOTUNE)
    race = make_race(False)
    race.start()
    while True:
        for batch in ds:  # the tutorial's train(): one pass over the dataset per epoch
            g_loss, _ = train_step(batch)
        float(g_loss)  # wait for the last step
        if race.after_epoch(generator):
            break
    return race, batch_size, len(images) // batch_size


def fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def quality_rows(args) -> list[str]:
    """Run part 4 and return its Markdown lines (printing each row as it finishes)."""
    bars = dict(BARS)
    if args.ch03_min_per_digit:
        bars["ch03"] += f", every digit in >= {args.ch03_min_per_digit} of 1000"
    lines = ["", "## Time to the quality bars of chapters 03-04", ""]
    lines += BAR_NOTES
    if args.ch03_min_per_digit:
        lines.append(f"- Coverage condition of the chapter 03 bar in this run: every digit is the classifier's "
                     f"answer for at least {args.ch03_min_per_digit} of the 1000 samples (`--ch03-min-per-digit`).")
    else:
        lines.append("- Chapter 03 bar in this run: confidence alone (`--ch03-min-per-digit 0`); a collapsed "
                     "generator can meet it, see the digits-drawn column.")
    try:
        with full_mode():
            from gan_keras import data as gk_data
            from gan_keras.measure import metrics
            from gan_keras.measure.classifier import get_classifier

            start = time.perf_counter()
            classifier = get_classifier("digits")
            clf_s = time.perf_counter() - start
            train = gk_data.load_images("digits")
            test = gk_data.load_images("digits", split="test")
            judge = Judge(classifier, test.images)
            floor = metrics.frechet_distance(classifier.features(train.images[:len(test)]), judge.test_features)
    except Exception as exc:
        lines += ["", f"Not measured: the classifier or the data failed: {type(exc).__name__}: {str(exc)[:200]}"]
        print(lines[-1], flush=True)
        return lines
    cap = f"{args.quality_max_seconds:g} s of training"
    if args.quality_max_epochs:
        cap += f" or {args.quality_max_epochs} epochs"
    lines += [
        "",
        f"Data: {train.source}, {len(train)} training / {len(test)} test images. Judge: the package's "
        f"classifier, test accuracy {classifier.test_accuracy:.1%} ({clf_s:.0f} s to load or train, before "
        f"any clock). Frechet floor (360 real training digits vs the test digits): {floor:.1f}. "
        f"Cap per row: {cap}.",
        "",
        "| model | bar | seed | batch | time to the bar (training s) | CPU s | epochs | steps | images/s "
        "| label accuracy | confidence | digits drawn, fewest | Frechet | best (epoch) | judging s "
        "| load at start |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for line in lines:
        print(line, flush=True)

    todo = []
    for seed in args.quality_seeds:
        if "dcgan" in args.quality_rows:
            todo.append(("gan_keras DCGAN (recipes.dcgan, GAN.fit)", "ch03", seed,
                         lambda mk, s=seed: race_package("dcgan", train.images, None, s, mk)))
        if "cgan" in args.quality_rows:
            todo.append(("gan_keras cGAN (recipes.cgan, ConditionalGAN.fit)", "ch04", seed,
                         lambda mk, s=seed: race_package("cgan", train.images, train.labels, s, mk)))
        if "baseline" in args.quality_rows:
            for batch in args.quality_baseline_batches:
                todo.append((f"baseline: tutorial DCGAN, plain GradientTape loop, Adam 1e-4, batch {batch}",
                             "ch03", seed, lambda mk, s=seed, b=batch: race_baseline(train.images, b, s, mk)))
    for label, bar, seed, run in todo:
        load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        print(f"{label}, seed {seed}: training to the bar {bars[bar]} ...", flush=True)

        def make_race(conditional, label=label, bar=bar):
            return Race(judge, bar, conditional, args.quality_max_seconds, args.quality_max_epochs, label,
                        args.ch03_min_per_digit)

        try:
            race, batch, steps_per_epoch = run(make_race)
        except Exception as exc:  # report and continue with the next row
            line = (f"| {label} | {bars[bar]} | {seed} | | failed: {type(exc).__name__}: {str(exc)[:120]} "
                    f"| | | | | | | | | | | {load:.1f} |")
        else:
            steps = race.epochs * steps_per_epoch
            if race.reached:
                when = f"**{race.train_s:.1f}**"
            else:
                when = f"not reached in {race.train_s:.0f} s / {race.epochs} epochs (values: last epoch)"
            last = race.last
            line = (f"| {label} | {bars[bar]} | {seed} | {batch} | {when} | {race.cpu_s:.0f} | {race.epochs} "
                    f"| {steps} | {steps * batch / max(race.train_s, 1e-9):.0f} "
                    f"| {fmt(last.get('label_accuracy'), '.1%')} | {fmt(last.get('confidence'), '.3f')} "
                    f"| {last['digits_drawn']}/10, {last['fewest']} | {fmt(last.get('frechet'), '.1f')} "
                    f"| {fmt(race.best, '.1%' if bar == 'ch04' else '.3f')} ({race.best_epoch}) "
                    f"| {race.judge_s:.0f} | {load:.1f} |")
        lines.append(line)
        print(line, flush=True)
        gc.collect()
    if "baseline" in args.quality_rows:
        lines.append("| baseline: tutorial DCGAN (any batch) | " + bars["ch04"] + " | | | n/a: an unconditional "
                     "generator cannot be asked for a digit | | | | | | | | | | | |")
        print(lines[-1], flush=True)
    return lines


def machine() -> str:
    import keras

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(line.split(":", 1)[1].strip() for line in f if line.startswith("model name"))
    except (OSError, StopIteration):
        pass
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    return (f"{cpu}, {os.cpu_count()} cores, {len(accelerators())} GPU; Python {platform.python_version()}, "
            f"{backend_versions()}, Keras {keras.__version__}; load average at start {load:.1f}")


def accelerators() -> list:
    """The GPUs the active backend sees."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        return tf.config.list_physical_devices("GPU")
    if backend == "jax":
        import jax

        return [d for d in jax.devices() if d.platform == "gpu"]
    import torch

    return list(range(torch.cuda.device_count()))


def backend_versions() -> str:
    """The installed backends' versions, the active one first (e.g. "TensorFlow 2.21.0 (active), JAX 0.10.2")."""
    import importlib.metadata

    import keras

    names = {"tensorflow": "TensorFlow", "jax": "JAX", "torch": "PyTorch"}
    active = keras.backend.backend()
    out = []
    for key in sorted(names, key=lambda k: k != active):
        try:
            version = importlib.metadata.version(key)
        except importlib.metadata.PackageNotFoundError:
            continue
        out.append(f"{names[key]} {version}" + (" (active)" if key == active else ""))
    return ", ".join(out)


def row(label, times, batch):
    median = statistics.median(times)
    return f"| {label} | {batch} | {1000 * median:.1f} | {batch / median:.0f} |"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=20, help="timed steps per model (default 20)")
    parser.add_argument("--batch-size", type=int, default=64,
                        help="batch of parts 1-3 (default 64; part 4 uses each row's own batch)")
    parser.add_argument("--models", nargs="*", help="recipes to time (default: every registered one)")
    parser.add_argument("--skip-recipes", action="store_true")
    parser.add_argument("--skip-tables", action="store_true",
                        help="leave out the tutorial DCGAN's tables (a)-(d): the recipes only")
    parser.add_argument("--rounds", type=int, default=2,
                        help="rounds of parts 1-2, the variants of a table taking turns (default 2)")
    parser.add_argument("--recipe-precisions", nargs="+", default=["float32"],
                        choices=["float32", "mixed_float16", "mixed_bfloat16"],
                        help="time every recipe under each of these --precision values (default: float32)")
    parser.add_argument("--float16", action="store_true",
                        help="also time GAN.fit under mixed_float16 (over 100x slower on most CPUs)")
    parser.add_argument("--out", help="also write the tables as Markdown to this file")
    parser.add_argument("--backends", nargs="+", choices=["tensorflow", "jax", "torch"],
                        help="time the tutorial DCGAN's GAN.fit and every recipe (or --models) on each of these "
                             "Keras backends, one child process per backend and round, in one table with a "
                             "column per backend; leaves out the other parts")
    parser.add_argument("--backend-child", metavar="FILE", help=argparse.SUPPRESS)
    quality = parser.add_argument_group("part 4: time to the quality bars of chapters 03-04 (on by default)")
    quality.add_argument("--skip-quality", action="store_true", help="leave part 4 out")
    quality.add_argument("--skip-speed", action="store_true",
                         help="leave parts 1-3 out (images per second): part 4 only")
    quality.add_argument("--quality-max-seconds", type=float, default=600.0,
                         help="cap per row: stop after the first epoch that ends past this many seconds "
                              "of training, bar or not (default 600)")
    quality.add_argument("--quality-max-epochs", type=int, default=None,
                         help="cap per row in epochs (default: none, only the time cap)")
    quality.add_argument("--quality-seeds", type=int, nargs="+", default=[0],
                         help="one set of rows per seed (default: 0)")
    quality.add_argument("--quality-rows", nargs="+", choices=["dcgan", "cgan", "baseline"],
                         default=["dcgan", "cgan", "baseline"], help="rows to measure (default: all three)")
    quality.add_argument("--quality-baseline-batches", type=int, nargs="+", default=[256, 64],
                         help="batch sizes of the tutorial baseline, one row each (default: 256, the "
                              "tutorial's, and 64, the package's)")
    quality.add_argument("--ch03-min-per-digit", type=int, default=COVERAGE, metavar="N",
                         help="the chapter 03 bar also requires every digit to be the classifier's answer "
                              f"for at least N of the 1000 samples (default {COVERAGE}; 0: confidence alone, "
                              "which a collapsed generator meets)")
    args = parser.parse_args(argv)
    if args.ch03_min_per_digit < 0 or args.ch03_min_per_digit > 100:
        parser.error("--ch03-min-per-digit must lie in 0..100")
    if args.quality_max_seconds <= 0 or (args.quality_max_epochs is not None and args.quality_max_epochs < 1):
        parser.error("--quality-max-seconds must be positive and --quality-max-epochs at least 1")
    if any(b < 1 or b > 1437 for b in args.quality_baseline_batches):
        parser.error("--quality-baseline-batches must lie in 1..1437 (the training digits)")
    os.environ.setdefault("GAN_KERAS_FAST", "1")
    if args.backend_child:
        return backend_child(args)
    if args.backends:
        from gan_keras import io

        lines = backend_rows(args)
        if args.out:
            io.write_text(args.out, "\n".join(lines) + "\n")
            print(f"wrote {args.out}")
        return 0

    import numpy as np

    from gan_keras import data, io

    print(machine(), flush=True)
    images = data.load_images("digits").images
    lines = [f"Machine: {machine()}"]
    if not args.skip_speed:
        lines += speed_rows(args, images)
    if args.skip_quality:
        lines += ["", "Time to the quality bars of chapters 03-04: not measured in this run (--skip-quality)."]
    else:
        lines += quality_rows(args)
    if args.out:
        io.write_text(args.out, "\n".join(lines) + "\n")
        print(f"wrote {args.out}")
    del np
    return 0


# --------------------------------------------------------------------------------------
# The backend column: the same models, batch and steps on each Keras backend
# --------------------------------------------------------------------------------------

def time_package_gan_arrays(images, batch_size: int, steps: int) -> list[float]:
    """``GAN.fit`` on the tutorial's networks from NumPy arrays (the same input on every backend)."""
    import keras
    import numpy as np

    from gan_keras import GAN, engine

    keras.utils.set_random_seed(0)
    gan = GAN(tutorial_generator(), tutorial_discriminator(), seed=0)
    gan.compile(engine.make_optimizer(1e-4), engine.make_optimizer(1e-4))
    x = np.resize(images, ((WARMUP + steps) * batch_size,) + images.shape[1:])
    timer = step_timer()
    gan.fit(x, batch_size=batch_size, epochs=1, callbacks=[timer], verbose=0, shuffle=False)
    return timer.times


TUTORIAL_ROW = "tutorial DCGAN (GAN.fit, arrays)"


def backend_child(args) -> int:
    """Measure this process's backend and write the step times as JSON (``--backend-child FILE``)."""

    import keras

    from gan_keras import data, io, recipes

    images = data.load_images("digits").images
    results = {"backend": keras.backend.backend(), "machine": machine(), "models": {}}
    try:
        results["models"][TUTORIAL_ROW] = {"times": time_package_gan_arrays(images, args.batch_size, args.steps),
                                           "batch": args.batch_size}
    except Exception as exc:  # report and go on
        results["models"][TUTORIAL_ROW] = {"error": f"{type(exc).__name__}: {str(exc)[:120]}"}
    names = args.models or recipes.available()
    results["models"].update(time_recipes(names, args.steps, args.batch_size))
    io.write_json(args.backend_child, results)
    return 0


def backend_rows(args) -> list[str]:
    """Run every backend of ``--backends`` in a child process, ``--rounds`` times in turns; one table."""
    import json
    import subprocess

    pooled = {b: {} for b in args.backends}
    machines = {}
    errors = {}
    for round_ in range(args.rounds):
        for backend in args.backends:
            with tempfile.TemporaryDirectory() as tmp:
                out = os.path.join(tmp, "times.json")
                command = [sys.executable, os.path.abspath(__file__), "--backend-child", out,
                           "--steps", str(args.steps), "--batch-size", str(args.batch_size)]
                if args.models:
                    command += ["--models", *args.models]
                env = dict(os.environ, KERAS_BACKEND=backend)
                done = subprocess.run(command, env=env, capture_output=True, text=True)
                if done.returncode != 0 or not os.path.exists(out):
                    errors[backend] = (done.stderr.strip().splitlines() or ["no output"])[-1][:120]
                    continue
                with open(out) as f:
                    result = json.load(f)
            machines[backend] = result["machine"]
            for name, r in result["models"].items():
                slot = pooled[backend].setdefault(name, {"times": [], "batch": r.get("batch")})
                if "error" in r:
                    slot["error"] = r["error"]
                else:
                    slot["times"].extend(r["times"])
            print(f"round {round_ + 1}, {backend}: done", flush=True)
    names = list(dict.fromkeys(n for b in args.backends for n in pooled[b]))
    first = args.backends[0]
    header = "| model | batch | " + " | ".join(f"{b} ms/step" for b in args.backends)
    header += "".join(f" | {b} / {first}" for b in args.backends[1:]) + " |"
    lines = ["", f"## Step time per backend ({args.steps} timed steps after {WARMUP} warm-up steps, "
             f"{args.rounds} rounds taking turns; median ms/step)", ""]
    lines += [f"- {b}: {machines.get(b, 'failed: ' + errors.get(b, '?'))}" for b in args.backends]
    lines += ["", header, "|" + "---|" * (2 + 2 * len(args.backends) - 1)]
    for name in names:
        medians, cells, batch = {}, [], ""
        for b in args.backends:
            r = pooled[b].get(name)
            if r is None or "error" in r or not r["times"]:
                cells.append("failed: " + (r or {}).get("error", errors.get(b, "not run"))[:60])
                continue
            medians[b] = statistics.median(r["times"])
            batch = r["batch"]
            cells.append(f"{1000 * medians[b]:.1f}")
        ratios = [f"{medians[b] / medians[first]:.2f}x" if b in medians and first in medians else "" for b in
                  args.backends[1:]]
        lines.append(f"| {name} | {batch} | " + " | ".join(cells) + "".join(f" | {r}" for r in ratios) + " |")
    for line in lines:
        print(line, flush=True)
    return lines


def timed_rounds(variants, rounds: int) -> dict:
    """Run each ``(label, run)`` ``rounds`` times, interleaved; return label -> pooled step times or error."""
    pooled = {label: [] for label, _ in variants}
    errors = {}
    for _ in range(rounds):
        for label, run in variants:
            if label in errors:
                continue
            try:
                pooled[label].extend(run())
            except Exception as exc:  # report and continue with the next variant
                errors[label] = f"failed: {type(exc).__name__}: {str(exc)[:80]}"
            gc.collect()
    return {label: errors.get(label, pooled[label]) for label, _ in variants}


def speed_table(title, variants, rounds, batch, ratio_to=None, note=None) -> list[str]:
    """Time ``variants`` and return a Markdown table (ms/step, images/s, ratio to ``ratio_to``)."""
    lines = ["", f"### {title}", ""] + ([note, ""] if note else [])
    lines += ["| training | batch | ms/step | images/s | ratio |", "|---|---|---|---|---|"]
    for line in lines:
        print(line, flush=True)
    results = timed_rounds(variants, rounds)
    base = results.get(ratio_to)
    for label, _ in variants:
        times = results[label]
        if isinstance(times, str):
            lines.append(f"| {label} | {batch} | {times} | | |")
        else:
            median = statistics.median(times)
            ratio = (f"{median / statistics.median(base):.3f}" if isinstance(base, list) and base
                     and label != ratio_to else "1" if label == ratio_to else "")
            lines.append(f"| {label} | {batch} | {1000 * median:.1f} | {batch / median:.0f} | {ratio} |")
        print(lines[-1], flush=True)
    return lines


def dcgan_tables(args, images) -> list[str]:
    """Run the tutorial DCGAN's tables (a)-(d) and return their Markdown lines."""
    b, n = args.batch_size, args.steps
    lines = ["", f"Timed steps: {n} per round after {WARMUP} warm-up steps, {args.rounds} rounds "
             "interleaved (the variants of a table take turns); median time per step over the rounds.",
             "", "## The tutorial's DCGAN: plain loops vs gan_keras.GAN.fit"]
    for line in lines:
        print(line, flush=True)
    alternating = "plain tf.function loop, the paper's alternating updates (as GAN.train_step)"
    lines += speed_table(
        "(a) The same alternating updates: GAN.fit against a hand-written loop", [
            (alternating, lambda: time_plain_loop(images, b, n, order="alternating")),
            ("gan_keras.GAN.fit, graph mode (default)", lambda: time_package_gan(images, b, n)),
        ], args.rounds, b, ratio_to=alternating,
        note="Both: the tutorial's networks, the package's non-saturating losses, Adam(1e-4, 0.5), "
             "D's step then G's step with new noise. Ratio: GAN.fit over the plain loop.")
    tutorial = "plain tf.function loop, the tutorial's own step (baseline)"
    lines += speed_table(
        "(b) The tutorial's simultaneous update: SimultaneousGAN.fit against the tutorial's loop", [
            (tutorial, lambda: time_plain_loop(images, b, n, order="tutorial")),
            ("gan_keras.SimultaneousGAN.fit", lambda: time_package_gan(images, b, n, simultaneous=True)),
            ("gan_keras.GAN.fit, the paper's order (default)", lambda: time_package_gan(images, b, n)),
        ], args.rounds, b, ratio_to=tutorial,
        note="One generator pass, both players' gradients from it (the tutorial: Adam 1e-4 with "
             "beta_1 0.9 and Keras' cross-entropy; the package: Adam(1e-4, 0.5), its own losses). "
             "Ratio: over the tutorial's loop.")
    lines += speed_table(
        "(c) float32 against mixed_bfloat16 (--precision)", [
            ("tutorial's loop, float32", lambda: time_plain_loop(images, b, n)),
            ("tutorial's loop, mixed_bfloat16", lambda: time_plain_loop(images, b, n, precision="mixed_bfloat16")),
            ("gan_keras.GAN.fit, float32", lambda: time_package_gan(images, b, n)),
            ("gan_keras.GAN.fit, mixed_bfloat16", lambda: time_package_gan(images, b, n, precision="mixed_bfloat16")),
            ("gan_keras.SimultaneousGAN.fit, mixed_bfloat16",
             lambda: time_package_gan(images, b, n, precision="mixed_bfloat16", simultaneous=True)),
        ], args.rounds, b, ratio_to="tutorial's loop, float32",
        note="Ratio: over the tutorial's loop in float32 (below 1: faster).")
    other = [("gan_keras.GAN.fit, XLA (--jit)", lambda: time_package_gan(images, b, n, jit=True))]
    if args.float16:
        other.append(("gan_keras.GAN.fit, mixed_float16 (--mixed-precision)",
                      lambda: time_package_gan(images, b, n, precision="mixed_float16")))
    lines += speed_table("(d) Other speed options of GAN.fit", other, 1, b,
                         note=None if args.float16 else "mixed_float16: not timed in this run (add --float16; "
                         "over 100x slower than float32 on a CPU without float16 arithmetic).")

    return lines


def speed_rows(args, images) -> list[str]:
    """Run parts 1-3 (images per second) and return their Markdown lines."""
    from gan_keras import recipes

    lines = [] if args.skip_tables else dcgan_tables(args, images)
    if not args.skip_recipes:
        names = args.models or recipes.available()
        for precision in args.recipe_precisions:
            lines += ["", f"## Every registered recipe (fast-mode models, digits stand-in, its own train(), "
                      f"--precision {precision})", "",
                      "| model | batch | ms/step | images/s | whole run (s) |", "|---|---|---|---|---|"]
            for line in lines[-5:]:
                print(line, flush=True)
            for name, result in time_recipes(names, args.steps, args.batch_size, precision).items():
                if "error" in result:
                    lines.append(f"| {name} | | not timed: {result['error']} | | |")
                else:
                    lines.append(row(name, result["times"], result["batch"]) + f" {result['run_s']:.1f} |")
                print(lines[-1], flush=True)
    return lines


if __name__ == "__main__":
    sys.exit(main())
