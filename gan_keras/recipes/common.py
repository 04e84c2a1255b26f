"""What every recipe shares: the run configuration, the run folder and its standard files."""

from __future__ import annotations

import contextlib
import dataclasses
import shlex
import shutil
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from gan_keras import config as gk_config
from gan_keras import engine, io, plots, validate
from gan_keras.recipes.registry import BASE_SETTINGS as BASE_SETTINGS  # the recipes import it from here
from gan_keras.recipes.registry import settings_of
from gan_keras.training import callbacks as gk_callbacks

# The speed and fault options a recipe honours once it builds and compiles in model_scope,
# trains with fit_resumable and standard_callbacks (a recipe lists them in its OPTIONS).
ALL_OPTIONS = ("resume", "jit", "mixed_precision")

# Strategies a run can use from the command line. Several machines (``multi_worker``) need
# one process per worker and only one of them writing files: see gan_keras.training.distribute.
TRAIN_STRATEGIES = ("default", "mirrored")

# BASE_SETTINGS (recipes.registry): the run settings every recipe uses. An optional setting
# outside a recipe's SETTINGS is refused (recipes.train).
OPTIONAL_SETTINGS = ("epochs", "batch_size", "latent_dim", "limit", "loss")
SETTING_FLAGS = {"data": "--data", "epochs": "--epochs", "batch_size": "--batch-size",
                 "latent_dim": "--latent-dim", "limit": "--limit", "loss": "--loss", "seed": "--seed",
                 "mixed_precision": "--mixed-precision", "precision": "--precision", "strategy": "--strategy",
                 "jit": "--jit", "model": "MODEL", "extra": "extra settings", "fast_mode": "--fast"}
# What --resume may change: the epochs to reach, XLA compilation and how progress shows.
# Every other setting shapes the training and must be the checkpoint's (recorded in
# checkpoint/settings.json when the run starts).
RESUME_MAY_CHANGE = ("epochs", "jit", "verbose", "show")

# The files and folders a run writes (what --overwrite removes, and nothing else).
RUN_FILES = ("run.json", "history.json", "history.csv", "history.png", "d_outputs.png", "d_trace.json",
             "progress.gif", "generator.keras", "generator_ab.keras", "generator_ba.keras", "encoder.keras",
             "classifier.keras", "class_grid.png", "reconstructions.png", "latent_map.png",
             "latent_scatter.png", "evaluation.json")
RUN_FOLDERS = ("samples", "checkpoint")
SETTINGS_FILE = "settings.json"  # inside checkpoint/
# The data names the loaders know (anything else is a folder of images).
DATA_NAMES = ("mnist", "fashion_mnist", "digits", "facades")


class RunFinished(Exception):
    """``--resume`` of a run that already reached the epochs asked: nothing to do, nothing changed."""


MachineError = io.MachineError  # one line: what failed, the checkpoint's epoch, how to resume


MACHINE_ERRNOS = io.MACHINE_ERRNOS  # errno values of the machine, not the user


@dataclass
class TrainConfig:
    """Settings of one training run; ``None`` means the recipe's default (fast or full)."""

    model: str = "gan"
    data: str = "mnist"
    epochs: int | None = None
    batch_size: int | None = None
    latent_dim: int | None = None
    seed: int = 0
    out: str | None = None
    loss: str | None = None
    limit: int | None = None
    verbose: int | str | None = None
    show: bool = False
    extra: dict = field(default_factory=dict)
    # Speed and fault options (``--precision``, ``--jit``, ``--resume``). ``jit=None``
    # is Keras' "auto": off on a CPU, where XLA measured slower (benchmarks/RESULTS_speed.md).
    # ``precision``: "float32", "mixed_float16" or "mixed_bfloat16" (None: float32, or
    # mixed_float16 with ``mixed_precision=True``, the older spelling of the same).
    mixed_precision: bool = False
    precision: str | None = None
    jit: bool | None = None
    resume: bool = False
    # Replace the run already in ``out`` (its files are removed first); without it and
    # without ``resume`` a folder holding a run is refused.
    overwrite: bool = False
    # Several devices: "default" (one device) or "mirrored" (every GPU, or every logical CPU:
    # tf.distribute.MirroredStrategy on TensorFlow, keras.distribution.DataParallel on JAX);
    # --batch-size is then the global batch, split across the replicas.
    strategy: str = "default"

    def __post_init__(self):
        for name in ("epochs", "batch_size", "latent_dim", "limit"):
            validate.optional_positive_int(getattr(self, name), name)
        if self.seed is not None:
            validate.non_negative_int(self.seed, "seed")
        if self.data is not None:
            validate.instance(self.data, "data", str, "a dataset name or a folder path (a string)")
        if self.loss is not None:
            validate.instance(self.loss, "loss", str, "a loss name (a string)")
        if self.precision is not None:
            from gan_keras.engine import PRECISIONS

            if self.precision not in PRECISIONS:
                raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
            if self.mixed_precision and self.precision != "mixed_float16":
                raise ValueError(f"--mixed-precision means --precision mixed_float16, but --precision "
                                 f"{self.precision} was given too: give one of them")
        if self.resume and self.overwrite:
            raise ValueError("--resume continues the run in --out and --overwrite replaces it: give one of them")
        if self.strategy not in TRAIN_STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(TRAIN_STRATEGIES)}, got {self.strategy!r} "
                             "(several machines: see gan_keras.training.distribute)")

    @property
    def compute_precision(self) -> str:
        """The dtype policy the run's models are built in (``precision``, or from ``mixed_precision``)."""
        if self.precision is not None:
            return self.precision
        return "mixed_float16" if self.mixed_precision else "float32"

    def with_defaults(self, **defaults) -> "TrainConfig":
        """Return a copy where every ``None`` setting takes the recipe's default."""
        filled = {k: v for k, v in defaults.items() if getattr(self, k, None) is None}
        return dataclasses.replace(self, **filled)


@dataclass
class RunResult:
    """What a run leaves: its folder, the history, the files written and the trained model."""

    out_dir: Path
    history: dict
    files: list
    model: keras.Model | None = None
    data: object = None
    summary: dict = field(default_factory=dict)


def set_random_seed(seed: int) -> None:
    """``keras.utils.set_random_seed(seed)``: Python's, NumPy's and the backend's seeds, Keras' generator.

    Keras also seeds TensorFlow whenever it is installed (for ``tf.data`` shuffles), which
    imports it; on JAX and PyTorch nothing here uses TensorFlow, so it is not imported for
    that (:func:`gan_keras.engine.keras_without_tensorflow`).
    """
    with engine.keras_without_tensorflow():
        keras.utils.set_random_seed(seed)


def defaults(fast: dict, full: dict) -> dict:
    """Return the fast-mode or the full-course defaults."""
    return dict(fast if gk_config.fast_mode() else full)


def default_out(model: str) -> Path:
    """Return a new folder name ``runs/<model>-<time>`` that does not exist yet."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = gk_config.runs_dir() / f"{model}-{stamp}"
    suffix = 1
    while out.exists():
        suffix += 1
        out = gk_config.runs_dir() / f"{model}-{stamp}-{suffix}"
    return out


def read_run_info(out) -> dict | None:
    """Return the ``run.json`` of a run folder, ``None`` if there is none (a clear error if damaged)."""
    path = Path(out) / "run.json"
    if not path.exists():
        return None
    info = io.read_json(path)
    if not isinstance(info, dict):
        raise ValueError(f"cannot read {str(path)!r}: expected a JSON object, got {type(info).__name__}")
    return info


def holds_run(out) -> bool:
    """Return True if the folder holds (part of) a run: its files, grids or checkpoint.

    A ``run.json`` alone whose run failed before training (status ``failed``) does not count.
    """
    out = Path(out)
    if not out.is_dir():
        return False
    if any((out / name).exists() for name in RUN_FILES if name != "run.json"):
        return True
    if (out / "samples").is_dir() and any((out / "samples").iterdir()):
        return True
    checkpoint = out / "checkpoint"
    if (checkpoint / "latest.json").exists() or any(checkpoint.glob("epoch_*")):
        return True
    if (out / "run.json").exists():
        try:
            info = read_run_info(out) or {}
        except ValueError:
            return True  # a damaged run.json is still someone's run
        return info.get("status") != "failed"
    return False


def clear_run(out) -> None:
    """Remove the files and folders a run writes (and their temporaries), nothing else."""
    out = Path(out)
    for name in RUN_FILES:
        if (out / name).is_file():
            (out / name).unlink()
    for name in RUN_FOLDERS:
        if (out / name).is_dir():
            shutil.rmtree(out / name)
    for tmp in out.glob(".*.partial-*"):
        if tmp.is_file():
            tmp.unlink()


def check_run_folder(config: TrainConfig, clear: bool = True) -> Path:
    """Check ``config.out`` can hold this run: refuse a folder that holds another run unless
    ``resume`` (continue it) or ``overwrite`` (with ``clear``, its files are removed now;
    ``recipes.train`` checks with ``clear=False`` before any work and ``run_folder`` clears once
    the data loaded, so a run that fails to start leaves the old one). Return the folder."""
    out = validate.output_folder(config.out, "--out")
    if holds_run(out) and not config.resume:
        if not config.overwrite:
            raise ValueError(f"--out {str(out)!r} already holds a run: add --resume to continue it, "
                             "or --overwrite to replace it (its files are removed first)")
        if clear:
            clear_run(out)
    return out


def resume_command(config: TrainConfig) -> str:
    """Return the command line that resumes this run (the settings come from its checkpoint)."""
    words = ["python", "-m", "gan_keras", "train", config.model, "--out", str(config.out), "--resume"]
    if config.strategy != "default":  # a shaping setting the command line does not take from the checkpoint
        words += ["--strategy", config.strategy]
    if gk_config.fast_mode():
        words.append("--fast")
    if gk_config.offline_mode():
        words.append("--offline")
    return " ".join(shlex.quote(w) for w in words)


def used_settings(config: TrainConfig) -> dict:
    """Return the settings of ``config`` that its recipe uses (what run.json records)."""
    uses = settings_of(config.model)
    record = {"model": config.model}
    record.update({name: getattr(config, name) for name in uses})
    data = record.get("data")
    if isinstance(data, str) and data not in DATA_NAMES and Path(data).is_dir():
        record["data"] = str(Path(data).resolve())  # a folder of images: found from any working folder
    precision = config.compute_precision
    record.update(mixed_precision=precision == "mixed_float16", precision=precision, jit=config.jit,
                  strategy=config.strategy, extra=dict(config.extra),
                  out=None if config.out is None else str(config.out))
    return record


def shaping_settings(config: TrainConfig) -> dict:
    """Return the settings that shape training (recorded in the checkpoint; --resume must match)."""
    record = {k: v for k, v in used_settings(config).items() if k not in RESUME_MAY_CHANGE and k != "out"}
    record["fast_mode"] = gk_config.fast_mode()
    # The Keras backend: each has its own random streams and counter dtypes, so a run resumes
    # exactly only on the backend it started on
    record["backend"] = engine.name()
    return record


def mark_run(out, status: str, **fields) -> None:
    """Update the status (and ``fields``) of the run.json in ``out``, if there is one."""
    info = read_run_info(out)
    if info is None:
        return
    info.update(status=status, **fields)
    io.write_json(Path(out) / "run.json", info)


def check_data_source(out, data_source) -> None:
    """Refuse to resume on other data than the checkpoint's (e.g. MNIST online after the offline stand-in).

    ``--data mnist`` names a dataset, but what loads depends on the machine: MNIST online, the
    scikit-learn digits offline. A resumed run must train on the images it started with.
    """
    settings_path = Path(out) / "checkpoint" / SETTINGS_FILE
    if data_source is None or not settings_path.exists():
        return
    record = io.read_json(settings_path)
    stored = record.get("data_source") if isinstance(record, dict) else None
    if stored is not None and stored != data_source:
        hint = (" (offline mode or a failed download gave the stand-in: resume with GAN_KERAS_OFFLINE=1)"
                if "stand-in" in stored else " (resume where the same data loads, e.g. online)")
        raise ValueError(f"cannot resume {str(out)!r} on other data: the checkpoint was trained on {stored!r}, "
                         f"but this time {data_source!r} loaded{hint}; or start a new run folder")


def run_folder(config: TrainConfig, data_source: str | None = None) -> Path:
    """Create the run's output folder and write its ``run.json`` (status ``running``).

    ``config.out`` is the folder (``recipes.train`` sets ``runs/<model>-<time>`` when none
    is given); one that holds another run is refused unless ``resume`` or ``overwrite``.
    A new run also records its training settings in ``checkpoint/settings.json``, with
    ``data_source`` (what the data loader says it loaded): a resume on other data is refused.
    """
    if not config.out:
        config.out = str(default_out(config.model))
    out = check_run_folder(config)
    settings_path = out / "checkpoint" / SETTINGS_FILE
    if config.data and Path(str(config.data)).expanduser().is_dir():
        data_source = None  # a folder of images: its absolute path is a setting already, checked above
    if config.resume:
        check_data_source(out, data_source)
    out.mkdir(parents=True, exist_ok=True)
    settings = shaping_settings(config)
    if not config.resume or not settings_path.exists():
        io.write_json(settings_path, {"settings": settings, "epochs": config.epochs, "data_source": data_source})
    io.write_json(out / "run.json", {
        "status": "running", "config": used_settings(config), "summary": {},
        "resume_command": resume_command(config), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "keras": keras.__version__, "fast_mode": gk_config.fast_mode()})
    return out


def checkpoint_epoch(out) -> int | None:
    """Return the epoch the last complete checkpoint of a run folder holds (None if none)."""
    latest = Path(out) / "checkpoint" / "latest.json"
    if not latest.is_file():
        return None
    try:
        return int(io.read_json(latest)["epoch"])
    except (ValueError, KeyError, TypeError):
        return None


def prepare_resume(config: TrainConfig) -> TrainConfig:
    """Check a ``--resume`` against the checkpoint's settings; fill the settings not given.

    A shaping setting given with another value than the checkpoint's is refused, naming
    each difference; the ones in ``RESUME_MAY_CHANGE`` (``epochs``, ``jit``, ...) may change.
    A run that already reached the epochs asked raises ``RunFinished`` (nothing changes);
    fewer epochs than the checkpoint holds is refused.
    """
    out = Path(config.out)
    settings_path = out / "checkpoint" / SETTINGS_FILE
    stored, stored_epochs = None, None
    if settings_path.exists():
        record = io.read_json(settings_path)
        if not isinstance(record, dict) or not isinstance(record.get("settings"), dict):
            raise ValueError(f"cannot read {str(settings_path)!r}: expected the run's settings")
        stored, stored_epochs = record["settings"], record.get("epochs")
    else:
        info = read_run_info(out)  # a run of before settings.json: compare what its run.json says
        if info is not None and isinstance(info.get("config"), dict):
            keys = set(shaping_settings(config)) - {"fast_mode"}
            stored = {k: v for k, v in info["config"].items() if k in keys}
            if "fast_mode" in info:
                stored["fast_mode"] = info["fast_mode"]
            stored_epochs = info["config"].get("epochs")
    if stored is not None and "precision" not in stored and "mixed_precision" in stored:
        # A checkpoint of before --precision: --mixed-precision was float16, otherwise float32
        stored = dict(stored, precision="mixed_float16" if stored["mixed_precision"] else "float32")
    if stored is None:
        return dataclasses.replace(config, data=config.data or "mnist",
                                   seed=0 if config.seed is None else config.seed)
    fill = {}
    for name in OPTIONAL_SETTINGS + ("data", "seed"):
        if getattr(config, name) is None and name in stored:
            fill[name] = stored[name]
    if config.epochs is None and stored_epochs is not None:
        fill["epochs"] = stored_epochs
    if not config.extra and stored.get("extra"):
        fill["extra"] = dict(stored["extra"])
    config = dataclasses.replace(config, **fill)
    asked = shaping_settings(config)
    differences = []
    for name in sorted(set(stored) & set(asked)):
        if name == "extra" and not config.extra:
            continue
        if name == "mixed_precision" and "precision" in stored:
            continue  # the same setting as --precision (named there)
        if stored.get(name) != asked.get(name):
            if name == "fast_mode":
                differences.append("the run was trained " + ("in fast mode: add --fast" if stored.get(name)
                                                              else "in full mode: leave out --fast"))
                continue
            if name == "backend":
                differences.append(f"the run was trained on Keras' {stored.get(name)} backend, this is "
                                   f"{asked.get(name)}: resume with KERAS_BACKEND={stored.get(name)}")
                continue
            flag = SETTING_FLAGS.get(name, name)
            differences.append(f"{flag} {asked.get(name)!r} (the checkpoint has {stored.get(name)!r})")
    if differences:
        raise ValueError(f"cannot resume {str(out)!r} with different settings: {'; '.join(differences)}; "
                         f"only {', '.join('--' + n.replace('_', '-') for n in RESUME_MAY_CHANGE[:2])} "
                         "may change (or start a new run folder)")
    done = checkpoint_epoch(out)
    if done is not None and config.epochs is not None:
        info = read_run_info(out) or {}
        if done > config.epochs:
            raise ValueError(f"--epochs {config.epochs} is fewer than the {done} epochs the checkpoint in "
                             f"{str(out)!r} holds: give --epochs {done + 1} or more to train further")
        if done == config.epochs and info.get("status") == "finished":
            raise RunFinished(f"the run in {str(out)!r} already finished its {done} epochs: nothing to do "
                              f"(give --epochs {done + 1} or more to train further)")
    return config


def machine_error(exc: OSError, config: TrainConfig) -> MachineError:
    """Return the one-line MachineError of a failed write."""
    what = exc.filename or "a file"
    done = checkpoint_epoch(config.out) if config.out else None
    kept = (f"the last complete checkpoint holds epoch {done}" if done is not None
            else "no checkpoint was complete yet")
    return MachineError(f"could not write {what}: {exc.strerror or exc}; {kept}; "
                        f"free space (or make the folder writable) and resume with: {resume_command(config)}")


def fit_verbosity(config: TrainConfig):
    """Progress bar on a terminal; one line per epoch in logs and notebooks."""
    if config.verbose is not None:
        return config.verbose
    return 1 if sys.stdout.isatty() else 2


def epochs_for_steps(epochs: int, num_images: int, batch_size: int, min_steps: int) -> int:
    """Return at least ``epochs``, and enough epochs for ``min_steps`` updates on small data.

    A full-course budget in epochs is sized for MNIST's 60000 images; the 1437-image
    offline stand-in would get 40x fewer updates from the same epochs.
    """
    steps_per_epoch = max(1, num_images // batch_size)
    return max(epochs, -(-min_steps // steps_per_epoch))


def grid_every(epochs: int, max_grids: int = 50) -> int:
    """Return how many epochs apart to draw sample grids so a run keeps at most ``max_grids``."""
    return max(1, -(-epochs // max_grids))


def standard_callbacks(out_dir: Path, inputs=None, nrows=None, show: bool = False, num_images: int = 64,
                       checkpoint: bool = True, every: int = 1, grid=None, trace: bool = True):
    """Return the callbacks every run uses: sample grids + GIF, trace, NaN guard, history files.

    ``grid`` replaces the default ``SampleGrid`` (the image-to-image recipes pass a
    ``TranslationGrid``); ``trace=False`` leaves out the ``D(x)``/``D(G(z))`` trace (a
    model without a discriminator). With ``checkpoint=True`` the last one is a
    ``TrainingCheckpoint`` in ``out_dir/checkpoint`` that :func:`fit_resumable` resumes from.
    """
    if grid is None:
        grid = gk_callbacks.SampleGrid(out_dir, inputs=inputs, num_images=num_images, nrows=nrows, show=show,
                                       every=every)
    found = [grid] + ([gk_callbacks.DiscriminatorTrace()] if trace else []) + [
        gk_callbacks.StopOnNaN(),
        gk_callbacks.HistoryWriter(out_dir),
    ]
    if checkpoint:
        found.append(gk_callbacks.TrainingCheckpoint(Path(out_dir) / "checkpoint", callbacks=list(found)))
    return found


@contextlib.contextmanager
def model_scope(config: TrainConfig):
    """The context in which to build *and compile* a run's models.

    The dtype policy of ``--precision`` (float16 compute also with ``--mixed-precision``).
    With ``--strategy mirrored``: on TensorFlow the scope of a ``tf.distribute.MirroredStrategy``
    (variables and optimizer slots mirrored on every device; ``fit`` then splits each global
    batch across the replicas); on JAX ``keras.distribution.DataParallel`` over every local
    device (variables replicated; :func:`fit_resumable` trains under the same distribution,
    which shards each global batch), the previous distribution restored on exit. Off
    TensorFlow, Keras does not import TensorFlow to look for its types while models are
    copied (``engine.keras_without_tensorflow``).
    """
    from gan_keras.engine import precision_policy

    with contextlib.ExitStack() as stack:
        stack.enter_context(engine.keras_without_tensorflow())
        if config.strategy != "default":
            stack.enter_context(strategy_scope(config, announce=True))
        stack.enter_context(precision_policy(config.compute_precision))
        yield


def check_strategy(config: TrainConfig) -> None:
    """Refuse, in one line, a ``--strategy`` the active Keras backend cannot run (before any work)."""
    if config.strategy == "default":
        return
    engine.current().check_strategy(config.strategy)


@contextlib.contextmanager
def strategy_scope(config: TrainConfig, announce: bool = False):
    """The scope of ``config.strategy``: a ``tf.distribute`` strategy's, or JAX's ``DataParallel``.

    ``"default"`` is no scope at all. ``announce`` says on stderr how many replicas train.
    """
    if config.strategy == "default":
        yield None
        return
    check_strategy(config)
    from gan_keras.training import distribute

    # TensorFlow: a tf.distribute strategy (replicas); JAX: keras.distribution.DataParallel (devices)
    distribution, replicas, words = engine.current().training_distribution(config.strategy)
    if config.batch_size is not None:  # the global batch must split evenly
        distribute.per_replica_batch_size(int(config.batch_size), replicas)
    if announce:
        print(f"gan_keras: training on {words}; each global batch is split across them", file=sys.stderr)
    with distribution.scope():
        yield distribution


def compile_options(config: TrainConfig) -> dict:
    """Return the ``compile`` keyword arguments of the speed options (``jit_compile``)."""
    return {"jit_compile": "auto" if config.jit is None else bool(config.jit)}


def epoch_stream(dataset, initial_epoch: int = 0):
    """Return ``(stream, steps_per_epoch)``: the epochs of ``dataset`` as one stream.

    The shuffle order of epoch ``k`` then depends only on the dataset's seed and ``k``,
    so a run resumed at epoch ``k`` (the stream skips ``k`` epochs of batches) sees the
    same batches as the uninterrupted run. A ``tf.data`` dataset is repeated and skips
    ``k`` epochs; a :class:`gan_keras.data.batches.ArrayBatches` (JAX, PyTorch) serves its epochs
    from ``k`` on (:meth:`~gan_keras.data.batches.ArrayBatches.stream`). A dataset of unknown length
    is returned as is (``steps_per_epoch`` None): resuming then restores everything but the
    data order.
    """
    from gan_keras.data import batches

    if isinstance(dataset, batches._array_batches_class()) or callable(getattr(dataset, "stream", None)):
        # ArrayBatches, sgan.SGANBatches: datasets that serve any epoch's order on request
        return dataset.stream(int(initial_epoch)), len(dataset)
    if not engine.is_tf_dataset(dataset):
        return dataset, None
    steps = int(dataset.cardinality())
    if steps <= 0:
        return dataset, None
    stream = dataset.repeat()
    if initial_epoch:
        stream = stream.skip(int(initial_epoch) * steps)
    return stream, steps


def fit_resumable(model, dataset, config: TrainConfig, callbacks, **fit_kwargs):
    """``model.fit`` for ``config.epochs`` epochs, resuming from the checkpoint if ``config.resume``.

    Restores both optimizers, the epoch counter, the seed generators and the callbacks'
    state (fixed sample inputs, history) from the ``TrainingCheckpoint`` among
    ``callbacks``, skips the epochs done, and returns the ``History`` of the whole run.
    """
    checkpoint = next((cb for cb in callbacks if isinstance(cb, gk_callbacks.TrainingCheckpoint)), None)
    initial_epoch = 0
    if config.resume:
        if checkpoint is None:
            raise ValueError("resume needs a TrainingCheckpoint among the callbacks")
        if checkpoint.exists():
            initial_epoch = checkpoint.restore(model)
            print(f"gan_keras: resuming from {checkpoint.directory} after epoch {initial_epoch}",
                  file=sys.stderr)
        else:
            print(f"gan_keras: no checkpoint in {checkpoint.directory}; starting at epoch 0",
                  file=sys.stderr)
    model.check_training_data(dataset) if hasattr(model, "check_training_data") else None
    stream, steps = epoch_stream(dataset, initial_epoch)
    if steps is not None:
        fit_kwargs.setdefault("steps_per_epoch", steps)
    fit_kwargs.setdefault("verbose", fit_verbosity(config))
    fit_kwargs.setdefault("shuffle", False)
    # On JAX the batches are sharded while fit reads them: the models' distribution again
    # (tf.distribute needs no scope here: the model remembers its strategy).
    sharded = config.strategy != "default" and engine.current().shards_while_fitting()
    training = strategy_scope(config) if sharded else contextlib.nullcontext()
    with training:
        history = model.fit(stream, epochs=config.epochs, initial_epoch=initial_epoch,
                            callbacks=callbacks, **fit_kwargs)
    writer = next((cb for cb in callbacks if isinstance(cb, gk_callbacks.HistoryWriter)), None)
    if writer is not None and initial_epoch:
        history.history = {k: list(v) for k, v in writer.history.items()}
    return history


def finish_run(out_dir: Path, config: TrainConfig, history: dict, generator=None, callbacks=(),
               summary: dict | None = None) -> list[Path]:
    """Write the standard files of a finished run; return the paths written."""
    files = []
    history = dict(getattr(history, "history", history))
    files.append(io.write_json(out_dir / "history.json", history))
    files.append(io.write_history_csv(out_dir / "history.csv", history))
    if history:
        files.append(io.save_figure(plots.plot_history(history, title=config.model), out_dir / "history.png"))
    for cb in callbacks:
        if isinstance(cb, gk_callbacks.DiscriminatorTrace) and len(cb.d_real):
            files.append(io.save_figure(cb.figure(), out_dir / "d_outputs.png"))
            io.write_json(out_dir / "d_trace.json", cb.steps)
        if isinstance(cb, gk_callbacks.SampleGrid):
            files.extend(cb.paths)
            if cb.frames:
                files.append(out_dir / cb.gif_name)
        if isinstance(cb, gk_callbacks.StopOnNaN) and cb.message:
            (summary := summary if summary is not None else {})["stopped"] = cb.message
        if isinstance(cb, gk_callbacks.TrainingCheckpoint) and cb.last_epoch is not None:
            (summary := summary if summary is not None else {})["checkpoint_epoch"] = cb.last_epoch
    if generator is not None:
        if all(np.all(np.isfinite(keras.ops.convert_to_numpy(w))) for w in generator.weights):
            files.append(io.save_model(generator, out_dir / "generator.keras"))
        else:  # never overwrite a good generator with NaN weights
            (summary := summary if summary is not None else {})["generator"] = (
                "not saved: its weights are not finite; the last good checkpoint is in checkpoint/")
    previous = read_run_info(out_dir) or {}
    run_info = {"status": "finished", "config": used_settings(config), "summary": summary or {},
                "keras": keras.__version__, "fast_mode": gk_config.fast_mode(),
                "resume_command": resume_command(config),
                "started": previous.get("started"), "finished": time.strftime("%Y-%m-%d %H:%M:%S")}
    files.append(io.write_json(out_dir / "run.json", run_info))
    return files


def recipe_choices(config: TrainConfig, defaults: dict, allowed=()) -> dict:
    """Return the recipe's building-block choices: ``defaults`` updated with ``config.extra``.

    ``config.extra`` may change any key of ``defaults`` (``benchmarks/quality_ablation.py``
    turns the changes on one at a time that way) and the keys in ``allowed``; any other
    key is refused by name, so a misspelt choice is never silently ignored.
    """
    unknown = sorted(set(config.extra) - set(defaults) - set(allowed))
    if unknown:
        known = ", ".join(sorted(set(defaults) | set(allowed)))
        raise ValueError(f"train {config.model} has no setting {', '.join(map(repr, unknown))} "
                         f"(its extra settings: {known})")
    choices = dict(defaults)
    choices.update({k: v for k, v in config.extra.items() if k in defaults})
    return choices
