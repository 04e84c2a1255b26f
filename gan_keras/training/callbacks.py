"""Callbacks that watch a GAN train: sample grids and GIFs, D(x)/D(G(z)) traces, NaN guard, history files."""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np

from gan_keras import engine, io, plots, validate


def fixed_latent_vectors(num: int, latent_dim: int, seed: int = 1234) -> np.ndarray:
    """Return latent vectors that stay the same for a whole run (so grids are comparable)."""
    return np.random.default_rng(seed).standard_normal((num, latent_dim)).astype("float32")


class SampleGrid(keras.callbacks.Callback):
    """Draw a grid of samples from fixed inputs every ``every`` epochs; save PNGs and a GIF.

    ``inputs`` are what the generator takes: latent vectors, or ``[z, labels]`` for a
    conditional generator. By default 64 fixed latent vectors. With ``show=True`` each grid
    is displayed inline in a notebook. The grid is drawn by the trainer's
    ``sample_generator``: the averaged generator when the trainer keeps one (``ema=``),
    otherwise the trained generator. Introduced in ``notebooks/01_gan_basics.ipynb``.
    """

    def __init__(self, out_dir=None, inputs=None, num_images: int = 64, every: int = 1,
                 show: bool = False, nrows: int | None = None, gif_name: str = "progress.gif",
                 seed: int = 1234):
        super().__init__()
        validate.positive_int(every, "every")
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.inputs = inputs
        self.num_images = num_images
        self.every = every
        self.show = show
        self.nrows = nrows
        self.gif_name = gif_name
        self.seed = seed
        self.frames: list[np.ndarray] = []
        self.paths: list[Path] = []

    def _generator_inputs(self):
        if self.inputs is None:
            latent_dim = int(self.model.generator.inputs[0].shape[-1])
            self.inputs = fixed_latent_vectors(self.num_images, latent_dim, self.seed)
        return self.inputs

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        engine.sync_state(self.model)
        generator = getattr(self.model, "sample_generator", self.model.generator)
        samples = generator.predict(self._generator_inputs(), verbose=0)
        if not np.all(np.isfinite(samples)):  # a NaN run: keep the last good grid
            return
        grid = plots.image_grid(samples, nrows=self.nrows)
        self.frames.append(grid)
        if self.out_dir is not None:
            self.paths.append(plots.save_image(grid, self.out_dir / "samples" / f"epoch_{epoch + 1:03d}.png"))
        if self.show:
            from IPython.display import display

            display(plots.show_images(samples, nrows=self.nrows, title=f"epoch {epoch + 1}", size=3))

    def on_train_end(self, logs=None):
        if self.out_dir is not None and self.frames:
            plots.save_gif(self.frames, self.out_dir / self.gif_name)

    def resume_state(self):
        """Return ``(json_state, arrays)``: the fixed inputs and the grids written so far."""
        inputs = self._generator_inputs() if self.model is not None else self.inputs
        parts = list(inputs) if isinstance(inputs, (list, tuple)) else [inputs]
        arrays = {f"input_{i}": np.asarray(a) for i, a in enumerate(parts) if a is not None}
        # Grid files relative to the run folder, so a resume from another working folder finds them
        names = [p.relative_to(self.out_dir).as_posix() if self.out_dir is not None and _inside(p, self.out_dir)
                 else str(p) for p in self.paths]
        state = {"paths": names, "is_list": isinstance(inputs, (list, tuple))}
        return state, arrays

    def restore_state(self, state, arrays):
        """Take back the fixed inputs and reload the grids written before the interruption."""
        parts = [arrays[f"input_{i}"] for i in range(len(arrays)) if f"input_{i}" in arrays]
        if parts:
            self.inputs = parts if state.get("is_list") else parts[0]
        self.paths, self.frames = [], []
        from PIL import Image

        for name in state.get("paths", []):
            path = Path(name)
            if self.out_dir is not None and not path.is_absolute():
                path = self.out_dir / path
                if not path.is_file():  # a checkpoint of before: paths relative to the working folder
                    path = self.out_dir / "samples" / Path(name).name
            if path.is_file():
                with Image.open(path) as img:
                    # PNG pixels 0..255 back to the [0, 1] grid that was saved (exact: round(255 x) / 255)
                    self.frames.append(np.asarray(img, dtype=np.float32) / 255.0)
                self.paths.append(path)


def _inside(path, folder) -> bool:
    try:
        Path(path).relative_to(folder)
        return True
    except ValueError:
        return False


class DiscriminatorTrace(keras.callbacks.Callback):
    """Record ``D(x)``, ``D(G(z))`` and both losses at every training step.

    Keras reports each tracker as a running mean over the epoch; the value of step ``t``
    is recovered as ``t * mean_t - (t - 1) * mean_{t-1}``.
    """

    KEYS = ("d_real", "d_fake", "d_loss", "g_loss")

    def __init__(self):
        super().__init__()
        self.steps = {k: [] for k in self.KEYS}
        self._previous = {}

    def on_epoch_begin(self, epoch, logs=None):
        self._previous = {}

    def on_train_batch_end(self, batch, logs=None):
        logs = logs or {}
        t = batch + 1
        for key in self.KEYS:
            if key not in logs:
                continue
            mean = float(logs[key])
            prev = self._previous.get(key, 0.0)
            self.steps[key].append(t * mean - (t - 1) * prev)
            self._previous[key] = mean

    @property
    def d_real(self) -> np.ndarray:
        return np.asarray(self.steps["d_real"])

    @property
    def d_fake(self) -> np.ndarray:
        return np.asarray(self.steps["d_fake"])

    def figure(self):
        """Return the plot of ``D(x)`` and ``D(G(z))`` per step."""
        return plots.plot_discriminator_trace(self.d_real, self.d_fake)

    def resume_state(self):
        return {"steps": self.steps}, {}

    def restore_state(self, state, arrays):
        self.steps = {k: list(state.get("steps", {}).get(k, [])) for k in self.KEYS}


class StopOnNaN(keras.callbacks.Callback):
    """Stop training when any logged loss is NaN or infinite, saying which loss and at which step.

    ``keras.callbacks.TerminateOnNaN`` reads only ``logs["loss"]``, which a GAN does not log.
    The message is kept in ``self.message`` (the command line prints it).
    """

    def __init__(self):
        super().__init__()
        self.message: str | None = None
        self.step = 0

    def on_train_batch_end(self, batch, logs=None):
        self.step += 1
        for key, value in (logs or {}).items():
            if key.endswith("loss") and not math.isfinite(float(value)):
                self.message = (
                    f"stopped: {key} became {float(value)} at training step {self.step} "
                    f"(epoch batch {batch + 1}); the last good checkpoint is kept"
                )
                print(self.message)
                self.model.stop_training = True
                return

    def resume_state(self):
        return {"step": self.step}, {}

    def restore_state(self, state, arrays):
        self.step = int(state.get("step", 0))


class HistoryWriter(keras.callbacks.Callback):
    """Write the history so far as ``history.json`` and ``history.csv`` after every epoch.

    With a ``TrainingCheckpoint`` watching it (``deferred``), the files are written once
    the epoch's checkpoint is, so the history on disk is never ahead of the checkpoint.
    """

    def __init__(self, out_dir):
        super().__init__()
        self.out_dir = Path(out_dir)
        self.history: dict[str, list[float]] = {}
        self.deferred = False

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        if not self.deferred:
            self.flush()

    def flush(self):
        """Write ``history.json`` and ``history.csv`` of the epochs so far."""
        io.write_json(self.out_dir / "history.json", self.history)
        io.write_history_csv(self.out_dir / "history.csv", self.history)

    def resume_state(self):
        return {"history": self.history}, {}

    def restore_state(self, state, arrays):
        self.history = {k: list(v) for k, v in state.get("history", {}).items()}


def _finite_logs(logs) -> str | None:
    """Return the name of the first non-finite number in ``logs``, or ``None``."""
    for key, value in (logs or {}).items():
        try:
            if not math.isfinite(float(value)):
                return key
        except (TypeError, ValueError):
            continue
    return None


class TrainingCheckpoint(keras.callbacks.Callback):
    """Save all a run needs to resume after every epoch; :meth:`restore` takes it back.

    Saved: every model variable (weights, batch-norm statistics, ``SeedGenerator``
    states), every optimizer's variables (step count, moments, loss scale), the epoch
    counter and the state of ``callbacks`` that define ``resume_state`` (the fixed sample
    latent vectors, the history, the D trace). Each checkpoint is a new folder
    ``epoch_NNNN/`` of files written atomically; ``latest.json`` is switched to it last
    (write then rename), so an interruption at any moment leaves the previous checkpoint
    whole. A checkpoint is never written from non-finite losses or weights: after a NaN,
    the last good one stays. Nothing is pickled.
    """

    LATEST = "latest.json"

    def __init__(self, directory, callbacks=(), every: int = 1, keep: int = 1):
        super().__init__()
        validate.positive_int(every, "every")
        validate.positive_int(keep, "keep")
        self.directory = Path(directory)
        self.callbacks = [cb for cb in callbacks if cb is not self]
        for cb in self.callbacks:  # history files follow the checkpoint, never run ahead of it
            if isinstance(cb, HistoryWriter):
                cb.deferred = True
        self.every = every
        self.keep = keep
        self.last_epoch: int | None = None
        self.skipped: str | None = None

    # -- saving -------------------------------------------------------------------------
    def on_epoch_end(self, epoch, logs=None):
        bad = _finite_logs(logs)
        if bad is not None:
            self.skipped = f"epoch {epoch + 1}: {bad} is not finite; kept the checkpoint of epoch {self.last_epoch}"
        elif (epoch + 1) % self.every == 0:
            self.save(epoch + 1)
        for cb in self.callbacks:
            if isinstance(cb, HistoryWriter) and cb.deferred:
                cb.flush()

    def _state_variables(self, model):
        if hasattr(model, "state_variables"):
            return model.state_variables()
        from gan_keras.engine import state_variables

        return state_variables(model)

    def save(self, epoch: int, model=None) -> Path | None:
        """Write the checkpoint of ``epoch`` epochs done; return its folder (None if skipped)."""
        model = model if model is not None else self.model
        engine.sync_state(model)  # JAX: the values fit holds, not the variables' values of the epoch's start
        pairs = self._state_variables(model)
        arrays, manifest = {}, []
        for i, (group, variable) in enumerate(pairs):
            value = np.asarray(keras.ops.convert_to_numpy(variable))
            if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
                self.skipped = (f"epoch {epoch}: {group} variable {variable.path} is not finite; "
                                f"kept the checkpoint of epoch {self.last_epoch}")
                return None
            arrays[f"v{i:05d}"] = value
            manifest.append({"group": group, "path": variable.path, "shape": list(value.shape),
                             "dtype": str(value.dtype)})
        callback_states = {}
        for j, cb in enumerate(self.callbacks):
            if hasattr(cb, "resume_state"):
                state, extra = cb.resume_state()
                key = f"{j}_{type(cb).__name__}"
                callback_states[key] = state
                for name, value in extra.items():
                    arrays[f"cb_{key}__{name}"] = value
        folder = self.directory / f"epoch_{epoch:04d}"
        existed = folder.exists()
        try:
            io.write_arrays(folder / "state.npz", arrays)
            io.write_json(folder / "state.json", {
                "epoch": epoch, "model_class": type(model).__name__, "variables": manifest,
                "callbacks": callback_states, "keras": keras.__version__,
            })
            # The switch: until this rename the previous checkpoint is the valid one.
            io.write_json(self.directory / self.LATEST, {"epoch": epoch, "folder": folder.name})
        except BaseException:
            if not existed:  # no empty or partial checkpoint folder is left behind
                import shutil

                shutil.rmtree(folder, ignore_errors=True)
            raise
        self.last_epoch = epoch
        self._prune(keep_name=folder.name)
        return folder

    def _prune(self, keep_name: str) -> None:
        import shutil

        folders = sorted(p for p in self.directory.glob("epoch_*") if p.is_dir() and p.name != keep_name)
        for old in folders[: max(0, len(folders) - (self.keep - 1))]:
            shutil.rmtree(old, ignore_errors=True)

    # -- restoring ----------------------------------------------------------------------
    def exists(self) -> bool:
        """Return True if a complete checkpoint is there."""
        return (self.directory / self.LATEST).is_file()

    def restore(self, model) -> int:
        """Load the latest checkpoint into ``model`` and the callbacks; return the epochs done.

        ``model`` must be built and compiled (its optimizers built) exactly as when the
        checkpoint was saved; a checkpoint of another model gets a ``ValueError``.
        """
        latest = io.read_json(self.directory / self.LATEST)
        folder = self.directory / str(latest.get("folder", ""))
        state = io.read_json(folder / "state.json")
        arrays = io.read_arrays(folder / "state.npz")
        where = f"checkpoint {str(folder)!r}"
        if state.get("model_class") != type(model).__name__:
            raise ValueError(f"{where} was written by a {state.get('model_class')}, "
                             f"not a {type(model).__name__}")
        pairs = self._state_variables(model)
        manifest = state["variables"]
        if len(manifest) != len(pairs):
            raise ValueError(
                f"{where} holds {len(manifest)} variables but this {type(model).__name__} has "
                f"{len(pairs)}: it comes from a different model or settings (e.g. latent_dim, "
                "loss or mixed precision); start a new run folder")
        for i, ((group, variable), saved) in enumerate(zip(pairs, manifest)):
            value = arrays[f"v{i:05d}"]
            if tuple(value.shape) != tuple(variable.shape) or group != saved["group"]:
                raise ValueError(
                    f"{where}: {saved['group']} variable {saved['path']} has shape "
                    f"{tuple(value.shape)}, but this model's {group} variable {variable.path} has "
                    f"shape {tuple(variable.shape)}: it comes from a different model or settings")
        for i, (_, variable) in enumerate(pairs):
            variable.assign(arrays[f"v{i:05d}"])
        states = state.get("callbacks", {})
        for j, cb in enumerate(self.callbacks):
            key = f"{j}_{type(cb).__name__}"
            if hasattr(cb, "restore_state") and key in states:
                prefix = f"cb_{key}__"
                extra = {k[len(prefix):]: v for k, v in arrays.items() if k.startswith(prefix)}
                cb.restore_state(states[key], extra)
        self.last_epoch = int(state["epoch"])
        return self.last_epoch
