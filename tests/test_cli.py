import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image


def run_cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "gan_keras", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=300)


def test_help_lists_every_command(tmp_path):
    out = run_cli("--help", cwd=tmp_path)
    assert out.returncode == 0
    for command in ("train", "models"):
        assert command in out.stdout


def test_train_gan_fast_writes_readable_files(tmp_path):
    out = run_cli("train", "gan", "--fast", "--out", "run", cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    run = tmp_path / "run"
    grids = sorted((run / "samples").glob("epoch_*.png"))
    assert len(grids) >= 2
    with Image.open(grids[-1]) as img:
        assert img.size == (8 * 28, 8 * 28)
        assert np.asarray(img).std() > 0  # not a blank picture
    with Image.open(run / "progress.gif") as gif:
        assert gif.n_frames == len(grids)
    history = json.loads((run / "history.json").read_text())
    assert set(history) == {"d_loss", "g_loss", "d_real", "d_fake"}
    assert (run / "history.csv").read_text().startswith("epoch,")
    for name in ("history.png", "d_outputs.png", "run.json", "generator.keras"):
        assert (run / name).stat().st_size > 0, name
    import keras

    generator = keras.models.load_model(run / "generator.keras")
    assert generator.output_shape == (None, 28, 28, 1)
    assert "stand-in" in out.stderr  # said which data it used


@pytest.mark.parametrize("args, message", [
    (["train", "nosuchmodel"], "invalid choice"),
    (["train", "gan", "--epochs", "-2"], "--epochs"),
    (["train", "gan", "--fast", "--data", "no/such/folder"], "does not exist"),
    (["train", "gan", "--fast", "--loss", "best"], "unknown loss"),
    (["frobnicate"], "invalid choice"),
])
def test_bad_options_get_one_line_errors(tmp_path, args, message):
    out = run_cli(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("python -m gan_keras")]
    assert len(errors) == 1 and message in errors[0], out.stderr[-1000:]
