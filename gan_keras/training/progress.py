"""A compact training log for notebooks: one table of a few rows instead of a line per epoch."""

from __future__ import annotations

import math
import sys
import time

import keras

from gan_keras import validate


class EpochTable(keras.callbacks.Callback):
    """Print the logged metrics as a short table: a header, at most ``rows`` rows, the total time.

    Use it with ``fit(..., verbose=0, callbacks=[EpochTable()])``: a 30-epoch run prints about
    ten rows (the first epoch, every k-th, the last) and one closing line, instead of thirty
    ``Epoch k/30`` lines. Introduced in ``notebooks/03_dcgan.ipynb``.
    """

    def __init__(self, rows: int = 10, stream=None):
        super().__init__()
        self.rows = validate.integer(rows, "rows (at least the first and the last epoch)", minimum=2)
        self.stream = stream
        self._names: list[str] | None = None

    def _print(self, text: str) -> None:
        stream = self.stream or sys.stdout
        print(text, file=stream, flush=True)

    def on_train_begin(self, logs=None):
        self._start = time.perf_counter()
        self._epochs = int(self.params.get("epochs") or 1)
        self._every = max(1, math.ceil(self._epochs / (self.rows - 1)))
        self._names = None
        self._first = None
        self._last = None

    def on_epoch_begin(self, epoch, logs=None):
        if self._first is None:
            self._first = epoch

    def _row(self, epoch: int, logs: dict) -> str:
        seconds = time.perf_counter() - self._start
        cells = [f"{epoch + 1:>5d}"] + [f"{float(logs.get(n, float('nan'))):>{max(8, len(n))}.4f}"
                                        for n in self._names]
        return "  ".join(cells + [f"{seconds:>7.1f}"])

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        if self._names is None:
            self._names = sorted(k for k, v in logs.items() if _is_number(v))
            header = ["epoch"] + [f"{n:>8}" for n in self._names] + ["time(s)"]
            self._print("  ".join(header))
        self._last = epoch
        last = epoch + 1 >= self._epochs
        if epoch == self._first or last or (epoch + 1) % self._every == 0:
            self._print(self._row(epoch, logs))

    def on_train_end(self, logs=None):
        if self._last is None:
            return
        done = self._last + 1 - (self._first or 0)
        seconds = time.perf_counter() - self._start
        self._print(f"trained {done} epoch{'s' if done != 1 else ''} in {seconds:.1f} s")


def _is_number(value) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
