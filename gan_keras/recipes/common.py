"""What every recipe shares: the run configuration, the run folder and its standard files."""

from __future__ import annotations

import contextlib
import dataclasses
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import keras
import numpy as np

from gan_keras import callbacks as gk_callbacks
from gan_keras import config as gk_config
from gan_keras import io, plots


# The speed and fault options a recipe honours once it builds and compiles in model_scope,
# trains with fit_resumable and standard_callbacks (a recipe lists them in its OPTIONS).
ALL_OPTIONS = ("resume", "jit", "mixed_precision")

# Strategies a run can use from the command line. Several machines (``multi_worker``) need
# one process per worker and only one of them writing files: see gan_keras.distribute.
TRAIN_STRATEGIES = ("default", "mirrored")


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
    # Speed and fault options (``--mixed-precision``, ``--jit``, ``--resume``). ``jit=None``
    # is Keras' "auto": off on a CPU, where XLA measured slower (benchmarks/RESULTS_speed.md).
    mixed_precision: bool = False
    jit: bool | None = None
    resume: bool = False
    # Several devices: "default" (one device) or "mirrored" (every GPU, or every logical CPU);
    # --batch-size is then the global batch, split across the replicas.
    strategy: str = "default"

    def __post_init__(self):
        for name in ("epochs", "batch_size", "latent_dim", "limit"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0):
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if isinstance(self.seed, bool) or not isinstance(self.seed, (int, np.integer)) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative integer, got {self.seed!r}")
        if self.strategy not in TRAIN_STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(TRAIN_STRATEGIES)}, got {self.strategy!r} "
                             "(several machines: see gan_keras.distribute)")

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


def defaults(fast: dict, full: dict) -> dict:
    """Return the fast-mode or the full-course defaults."""
    return dict(fast if gk_config.fast_mode() else full)


def run_folder(config: TrainConfig) -> Path:
    """Return (and create) the run's output folder, by default ``runs/<model>-<time>``."""
    if config.out:
        out = Path(config.out)
    else:
        stamp = time.strftime("%Y%m%d-%H%M%S")
        out = gk_config.runs_dir() / f"{config.model}-{stamp}"
        suffix = 1
        while out.exists():
            suffix += 1
            out = gk_config.runs_dir() / f"{config.model}-{stamp}-{suffix}"
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {str(out)!r} is a file, expected a folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


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

    Float16 compute with ``--mixed-precision``; with ``--strategy mirrored`` the scope of a
    ``tf.distribute.MirroredStrategy`` (variables and optimizer slots mirrored on every
    device; ``fit`` then splits each global batch across the replicas).
    """
    from gan_keras.distribute import get_strategy, per_replica_batch_size
    from gan_keras.gans import precision_policy

    with contextlib.ExitStack() as stack:
        if config.strategy != "default":
            strategy = get_strategy(config.strategy)
            if config.batch_size is not None:  # the global batch must split evenly
                per_replica_batch_size(int(config.batch_size), int(strategy.num_replicas_in_sync))
            stack.enter_context(strategy.scope())
            print(f"gan_keras: training on {strategy.num_replicas_in_sync} replicas "
                  f"({config.strategy}); each global batch is split across them", file=sys.stderr)
        stack.enter_context(precision_policy(bool(config.mixed_precision)))
        yield


def compile_options(config: TrainConfig) -> dict:
    """Return the ``compile`` keyword arguments of the speed options (``jit_compile``)."""
    return {"jit_compile": "auto" if config.jit is None else bool(config.jit)}


def epoch_stream(dataset, initial_epoch: int = 0):
    """Return ``(stream, steps_per_epoch)``: the epochs of ``dataset`` as one stream.

    The shuffle order of epoch ``k`` then depends only on the dataset's seed and ``k``,
    so a run resumed at epoch ``k`` (the stream skips ``k`` epochs of batches) sees the
    same batches as the uninterrupted run. A dataset of unknown length is returned as is
    (``steps_per_epoch`` None): resuming then restores everything but the data order.
    """
    import tensorflow as tf

    if not isinstance(dataset, tf.data.Dataset):
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
    run_info = {"config": dataclasses.asdict(config), "summary": summary or {},
                "keras": keras.__version__, "fast_mode": gk_config.fast_mode()}
    files.append(io.write_json(out_dir / "run.json", run_info))
    return files
