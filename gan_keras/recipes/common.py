"""What every recipe's training shares: seeds, the layers' precision and devices (``model_scope``), the
standard callbacks, ``fit`` that resumes exactly (``fit_resumable``) and the files a finished run writes."""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path

import keras
import numpy as np

from gan_keras import config as gk_config
from gan_keras import engine, io, plots
from gan_keras.recipes.run_folder import (
    read_run_info,
    resume_command,
    used_settings,
)
from gan_keras.recipes.settings import (
    TrainConfig,
)
from gan_keras.training import callbacks as gk_callbacks


def set_random_seed(seed: int) -> None:
    """``keras.utils.set_random_seed(seed)``: Python's, NumPy's and the backend's seeds, Keras' generator.

    Keras also seeds TensorFlow whenever it is installed (for ``tf.data`` shuffles), which
    imports it; on JAX and PyTorch nothing here uses TensorFlow, so it is not imported for
    that (:func:`gan_keras.engine.keras_without_tensorflow`).
    """
    with engine.keras_without_tensorflow():
        keras.utils.set_random_seed(seed)


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
