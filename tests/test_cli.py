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
    (["train", "vae", "--fast", "--resume"], "--resume needs --out"),
])
def test_bad_options_get_one_line_errors(tmp_path, args, message):
    out = run_cli(*args, cwd=tmp_path)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("python -m gan_keras")]
    assert len(errors) == 1 and message in errors[0], out.stderr[-1000:]


@pytest.mark.parametrize("args", [
    ["train", "gan", "--data", "fashion_mnist", "--offline", "--fast"],
    ["train", "pix2pix", "--data", "facades", "--offline", "--fast"],
])
def test_unavailable_data_gets_a_one_line_error(tmp_path, args):
    out = run_cli(*args, cwd=tmp_path)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    errors = [line for line in out.stderr.splitlines() if line.startswith("python -m gan_keras")]
    assert len(errors) == 1, out.stderr[-1000:]
    assert "not available" in errors[0] or "offline mode" in errors[0], errors[0]


def test_train_help_lists_the_speed_and_fault_options(tmp_path):
    out = run_cli("train", "--help", cwd=tmp_path)
    assert out.returncode == 0
    for option in ("--mixed-precision", "--jit", "--resume", "--seed"):
        assert option in out.stdout


def _main(args, capsys):
    from gan_keras.app import cli

    code = cli.main(args)
    return code, capsys.readouterr()


def test_mixed_precision_and_jit_runs_write_a_loadable_generator(tmp_path, monkeypatch, capsys):
    from gan_keras import io

    monkeypatch.chdir(tmp_path)
    code, out = _main(["train", "gan", "--fast", "--epochs", "1", "--mixed-precision", "--jit",
                       "--out", "run"], capsys)
    assert code == 0, out.err[-2000:]
    config = json.loads((tmp_path / "run" / "run.json").read_text())["config"]
    assert config["mixed_precision"] is True and config["jit"] is True
    generator = io.load_model(tmp_path / "run" / "generator.keras", expected_input_shape=(64,),
                              expected_output_shape=(28, 28, 1))
    images = generator.predict(np.random.default_rng(0).standard_normal((4, 64)), verbose=0)
    assert np.all(np.isfinite(images)) and images.std() > 0
    import keras

    assert keras.config.dtype_policy().name == "float32"  # the run restored the global policy


def test_resume_continues_a_run_exactly_like_an_uninterrupted_one(tmp_path, monkeypatch, capsys):
    import keras

    monkeypatch.chdir(tmp_path)
    assert _main(["train", "gan", "--fast", "--epochs", "1", "--seed", "3", "--out", "cut"], capsys)[0] == 0
    code, out = _main(["train", "gan", "--fast", "--epochs", "2", "--seed", "3", "--out", "cut", "--resume"], capsys)
    assert code == 0 and "after epoch 1" in out.err
    assert _main(["train", "gan", "--fast", "--epochs", "2", "--seed", "3", "--out", "full"], capsys)[0] == 0
    a = keras.models.load_model(tmp_path / "cut" / "generator.keras")
    b = keras.models.load_model(tmp_path / "full" / "generator.keras")
    for x, y in zip(a.weights, b.weights):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    assert (json.loads((tmp_path / "cut" / "history.json").read_text())
            == json.loads((tmp_path / "full" / "history.json").read_text()))
    with Image.open(tmp_path / "cut" / "progress.gif") as gif:
        assert gif.n_frames == 2  # the GIF covers both epochs
