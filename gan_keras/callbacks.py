"""Callbacks that watch a GAN train: sample grids and GIFs, D(x)/D(G(z)) traces, NaN guard, history files."""

from __future__ import annotations

import math
from pathlib import Path

import keras
import numpy as np

from gan_keras import io, plots


def fixed_latent_vectors(num: int, latent_dim: int, seed: int = 1234) -> np.ndarray:
    """Return latent vectors that stay the same for a whole run (so grids are comparable)."""
    return np.random.default_rng(seed).standard_normal((num, latent_dim)).astype("float32")


class SampleGrid(keras.callbacks.Callback):
    """Draw a grid of samples from fixed inputs every ``every`` epochs; save PNGs and a GIF.

    ``inputs`` are what the generator takes: latent vectors, or ``[z, labels]`` for a
    conditional generator. By default 64 fixed latent vectors. With ``show=True`` each grid
    is displayed inline in a notebook. Introduced in ``notebooks/01_gan_basics.ipynb``.
    """

    def __init__(self, out_dir=None, inputs=None, num_images: int = 64, every: int = 1,
                 show: bool = False, nrows: int | None = None, gif_name: str = "progress.gif",
                 seed: int = 1234):
        super().__init__()
        if every < 1:
            raise ValueError(f"every must be >= 1, got {every}")
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
        samples = self.model.generator.predict(self._generator_inputs(), verbose=0)
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


class HistoryWriter(keras.callbacks.Callback):
    """Write the history so far as ``history.json`` and ``history.csv`` after every epoch."""

    def __init__(self, out_dir):
        super().__init__()
        self.out_dir = Path(out_dir)
        self.history: dict[str, list[float]] = {}

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(float(value))
        io.write_json(self.out_dir / "history.json", self.history)
        io.write_history_csv(self.out_dir / "history.csv", self.history)
