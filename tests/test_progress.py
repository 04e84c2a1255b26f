"""EpochTable prints a short table (first, every k-th and last epoch) instead of a line per epoch."""

import io

import keras
import numpy as np
import pytest

from gan_keras.training import progress


def _fit(epochs, rows, initial_epoch=0):
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="mse")
    out = io.StringIO()
    model.fit(np.ones((6, 3)), np.zeros((6, 2)), epochs=epochs, initial_epoch=initial_epoch, verbose=0,
              callbacks=[progress.EpochTable(rows=rows, stream=out)])
    return out.getvalue().splitlines()


def test_thirty_epochs_print_a_header_ten_rows_and_a_closing_line():
    lines = _fit(30, rows=10)
    header, *rows, closing = lines
    assert header.split() == ["epoch", "loss", "time(s)"]
    epochs = [int(r.split()[0]) for r in rows]
    assert epochs[0] == 1 and epochs[-1] == 30 and len(rows) <= 10
    assert epochs == sorted(set(epochs))
    assert all(np.isfinite(float(r.split()[1])) for r in rows)
    assert closing.startswith("trained 30 epochs in ")


def test_short_runs_print_every_epoch_and_a_resumed_run_counts_its_own_epochs():
    assert [int(r.split()[0]) for r in _fit(3, rows=10)[1:-1]] == [1, 2, 3]
    lines = _fit(5, rows=10, initial_epoch=2)
    assert [int(r.split()[0]) for r in lines[1:-1]] == [3, 4, 5]
    assert lines[-1].startswith("trained 3 epochs")


@pytest.mark.parametrize("rows, error", [(1, ValueError), (True, TypeError), (2.0, TypeError)])
def test_bad_rows_are_refused(rows, error):
    with pytest.raises(error, match="rows"):
        progress.EpochTable(rows=rows)
