"""A run folder is the user's work: never overwritten by accident, resumed exactly, and a
full disk or Ctrl-C gets one line saying how to go on.

Every case runs ``cli.main`` in-process on a tiny vanilla GAN (4 batches per epoch).
"""

import errno
import json
import os
import shlex

import keras
import numpy as np
import pytest
from PIL import Image

from gan_keras import recipes
from gan_keras.app import cli
from gan_keras.recipes import gan as gan_recipe

TINY = ["--data", "digits", "--limit", "128", "--batch-size", "32", "--latent-dim", "8", "--seed", "1"]


def train(*args, capsys):
    """Run ``train gan`` in-process; return (exit code, stdout, stderr)."""
    try:
        code = cli.main(["train", "gan", *TINY, *args])
    except SystemExit as exc:
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def error_lines(err):
    return [line for line in err.splitlines() if line.startswith("python -m gan_keras")]


def snapshot(folder):
    """Every file of a folder (recursively) -> its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def gif_frames(path):
    with Image.open(path) as gif:
        frames = []
        for i in range(gif.n_frames):
            gif.seek(i)
            frames.append(np.asarray(gif.convert("L")))
    return frames


def weights(path):
    return [w.numpy() for w in keras.models.load_model(path).weights]


@pytest.fixture
def quiet_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GAN_KERAS_FAST", "0")
    return tmp_path


def test_second_run_into_the_same_out_keeps_the_first_byte_for_byte(quiet_env, capsys):
    assert train("--epochs", "1", "--out", "run", capsys=capsys)[0] == 0
    before = snapshot(quiet_env / "run")
    assert {"run.json", "generator.keras", "history.json", "progress.gif", "checkpoint/latest.json"} <= set(before)
    code, _, err = train("--epochs", "2", "--seed", "5", "--out", "run", capsys=capsys)
    assert code == 2 and "Traceback" not in err
    (line,) = error_lines(err)
    assert "'run' already holds a run" in line and "--resume" in line and "--overwrite" in line
    assert snapshot(quiet_env / "run") == before  # nothing of the first run changed
    # A run.json says what the folder is, and that it finished
    info = json.loads((quiet_env / "run" / "run.json").read_text())
    assert info["status"] == "finished" and info["config"]["epochs"] == 1


def test_overwrite_removes_the_old_runs_files_first(quiet_env, capsys):
    assert train("--epochs", "2", "--out", "run", capsys=capsys)[0] == 0
    (quiet_env / "run" / "evaluation.json").write_text("{}")  # a file of the old run only
    (quiet_env / "run" / "notes.txt").write_text("mine")  # not a run file: kept
    assert train("--epochs", "1", "--out", "run", "--overwrite", capsys=capsys)[0] == 0
    run = quiet_env / "run"
    assert not (run / "evaluation.json").exists()
    assert sorted(p.name for p in (run / "samples").iterdir()) == ["epoch_001.png"]  # no epoch_002 left
    assert (run / "notes.txt").read_text() == "mine"
    assert json.loads((run / "checkpoint" / "latest.json").read_text())["epoch"] == 1
    assert len(json.loads((run / "history.json").read_text())["g_loss"]) == 1
    code, _, err = train("--epochs", "1", "--out", "run", "--overwrite", "--resume", capsys=capsys)
    assert code == 2 and "give one of them" in error_lines(err)[0]
    # A replacing run that cannot start (an unknown dataset) leaves the old run as it was
    before = snapshot(run)
    code = cli.main(["train", "gan", "--data", "nosuch", "--out", "run", "--overwrite"])
    assert code == 2 and "unknown dataset" in capsys.readouterr().err
    assert snapshot(run) == before


class Interrupt(keras.callbacks.Callback):
    """Ctrl-C after the second batch of the second epoch; records run.json while running."""

    seen = None

    def on_train_batch_end(self, batch, logs=None):
        if Interrupt.seen is None:
            Interrupt.seen = json.loads((self.out / "run.json").read_text())["status"]
        if self.epoch == 1 and batch == 1:
            raise KeyboardInterrupt

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch


def interrupt_fit(monkeypatch, out):
    real_fit = gan_recipe.fit_resumable

    def fit(model, ds, config, callbacks, **kw):
        cb = Interrupt()
        cb.out = out
        return real_fit(model, ds, config, list(callbacks) + [cb], **kw)

    monkeypatch.setattr(gan_recipe, "fit_resumable", fit)
    return real_fit


def test_ctrl_c_prints_the_resume_command_and_the_resumed_run_equals_an_uninterrupted_one(
        quiet_env, capsys, monkeypatch):
    """Also from another working folder: the grids of before the interruption are found and the
    GIF's frames equal the uninterrupted run's on every pixel."""
    a = quiet_env / "a"
    a.mkdir()
    monkeypatch.chdir(a)
    assert train("--epochs", "3", "--out", "full", capsys=capsys)[0] == 0
    Interrupt.seen = None
    real_fit = interrupt_fit(monkeypatch, a / "cut")
    code, _, err = train("--epochs", "3", "--out", "cut", capsys=capsys)
    monkeypatch.setattr(gan_recipe, "fit_resumable", real_fit)
    assert code == 130 and "Traceback" not in err
    assert Interrupt.seen == "running"  # run.json is written when the run starts
    (line,) = error_lines(err)
    assert "interrupted" in line and "checkpoint holds epoch 1" in line
    command = line.split("resume with: ", 1)[1]
    # (the tests run offline: the command keeps --offline)
    assert command.replace(" --offline", "") == "python -m gan_keras train gan --out cut --resume"
    info = json.loads((a / "cut" / "run.json").read_text())
    assert info["status"] == "interrupted" and info["checkpoint_epoch"] == 1
    assert info["resume_command"] == command

    # The command resumes; here from the parent folder, with --out pointing into a/
    words = shlex.split(command)[3:]
    words[words.index("--out") + 1] = "a/cut"
    monkeypatch.chdir(quiet_env)
    try:
        code = cli.main(words)
    except SystemExit as exc:
        code = exc.code
    err = capsys.readouterr().err
    assert code == 0, err[-2000:]
    assert "after epoch 1" in err
    assert json.loads((a / "cut" / "run.json").read_text())["status"] == "finished"
    for x, y in zip(weights(a / "full" / "generator.keras"), weights(a / "cut" / "generator.keras")):
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)
    assert (json.loads((a / "cut" / "history.json").read_text()).keys()
            == json.loads((a / "full" / "history.json").read_text()).keys())
    full, cut = gif_frames(a / "full" / "progress.gif"), gif_frames(a / "cut" / "progress.gif")
    assert len(full) == len(cut) == 3
    for i, (x, y) in enumerate(zip(full, cut)):
        assert x.std() > 0, f"frame {i} is blank"
        assert np.abs(x.astype(int) - y.astype(int)).max() <= 1, f"frame {i} differs"


def test_resume_refuses_other_settings_and_a_finished_run_is_left_unchanged(quiet_env, capsys):
    assert train("--epochs", "2", "--out", "run", capsys=capsys)[0] == 0
    before = snapshot(quiet_env / "run")
    code, _, err = train("--epochs", "3", "--out", "run", "--resume", "--loss", "hinge", "--batch-size", "16",
                         capsys=capsys)
    (line,) = error_lines(err)
    assert code == 2 and "different settings" in line
    assert "--loss 'hinge' (the checkpoint has 'non_saturating')" in line
    assert "--batch-size 16 (the checkpoint has 32)" in line and "--epochs" in line  # what may change
    code, _, err = train("--epochs", "2", "--out", "run", "--resume", capsys=capsys)
    assert code == 0 and "already finished its 2 epochs: nothing to do" in err
    code, _, err = train("--epochs", "1", "--out", "run", "--resume", capsys=capsys)
    assert code == 2 and "fewer than the 2 epochs" in error_lines(err)[0]
    assert snapshot(quiet_env / "run") == before
    # Settings not given are the checkpoint's: only --epochs is needed to train further
    code, _, err = cli.main(["train", "gan", "--out", "run", "--resume", "--epochs", "3"]), None, None
    assert code == 0
    assert len(json.loads((quiet_env / "run" / "history.json").read_text())["d_loss"]) == 3


@pytest.mark.parametrize("model", recipes.available())
def test_an_option_a_recipe_does_not_use_is_refused(model, quiet_env, capsys):
    uses = recipes.settings_of(model)
    for flag, value, setting in (("--loss", "hinge", "loss"), ("--latent-dim", "3", "latent_dim")):
        if setting in uses:
            continue
        try:
            code = cli.main(["train", model, flag, value, "--out", "x"])
        except SystemExit as exc:
            code = exc.code
        err = capsys.readouterr().err
        (line,) = error_lines(err)
        assert code == 2 and f"does not use {flag}" in line and "it takes --data" in line, line
        assert flag not in line.split("it takes", 1)[1]
    assert not (quiet_env / "x").exists()  # refused before any work


def test_run_json_records_only_the_settings_used():
    from gan_keras.recipes import run_folder

    config = recipes.TrainConfig(model="pix2pix", epochs=1, batch_size=4, out="x")
    assert "latent_dim" not in run_folder.used_settings(config) and "loss" not in run_folder.used_settings(config)
    assert {"latent_dim", "loss"} <= set(run_folder.used_settings(recipes.TrainConfig(model="gan", out="x")))


def test_a_full_disk_gets_one_line_and_leaves_a_consistent_run_that_resumes(quiet_env, capsys, monkeypatch):
    """A fake ``os.replace`` (the last step of every atomic write) raises ENOSPC at the n-th call,
    n chosen from an uninterrupted run's writes: inside epoch 2's checkpoint, and at its grid."""
    real_replace = os.replace
    targets = []

    def spy(src, dst):
        targets.append(str(dst))
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", spy)
    assert train("--epochs", "3", "--out", "full", capsys=capsys)[0] == 0
    monkeypatch.setattr(os, "replace", real_replace)
    cases = (("ckpt", "epoch_0002/state.json", 0, errno.ENOSPC, "No space left on device", 1),
             ("grid", "samples/epoch_002.png", 0, errno.ENOSPC, "No space left on device", 1),
             ("ro", "history.json", 1, errno.EROFS, "Read-only file system", 2))  # epoch 2's history
    for name, target, skip, code_, message, kept in cases:
        n = [i for i, t in enumerate(targets) if t.endswith(target)][skip]
        calls = []

        def full_disk(src, dst):
            calls.append(dst)
            if len(calls) == n + 1:
                raise OSError(code_, message, str(dst))
            return real_replace(src, dst)

        monkeypatch.setattr(os, "replace", full_disk)
        code, _, err = train("--epochs", "3", "--out", name, capsys=capsys)
        monkeypatch.setattr(os, "replace", real_replace)
        assert code == 1 and "Traceback" not in err
        (line,) = error_lines(err)
        assert message in line and target.split("/")[-1] in line, line
        assert f"the last complete checkpoint holds epoch {kept}" in line
        assert f"resume with: python -m gan_keras train gan --out {name} --resume" in line
        run = quiet_env / name
        assert sorted(p.name for p in (run / "checkpoint").glob("epoch_*")) == [f"epoch_000{kept}"]  # no partial one
        assert not list(run.rglob(".*partial*"))
        assert len(json.loads((run / "history.json").read_text())["g_loss"]) <= kept  # not ahead of the checkpoint
        assert json.loads((run / "run.json").read_text())["status"] == "interrupted"
        # Once there is space, the resume completes the run like the uninterrupted one
        assert train("--out", name, "--resume", capsys=capsys)[0] == 0
        for x, y in zip(weights(quiet_env / "full" / "generator.keras"), weights(run / "generator.keras")):
            np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)


def test_what_counts_as_a_run_and_a_resume_of_a_run_of_before_settings_json(tmp_path, monkeypatch):
    """No training: the folder checks on hand-made folders."""
    from gan_keras import io
    from gan_keras.recipes import run_folder

    monkeypatch.setenv("GAN_KERAS_FAST", "0")
    folder = tmp_path / "run"
    assert not run_folder.holds_run(folder)
    io.write_json(folder / "checkpoint" / "settings.json", {"settings": {}, "epochs": 1})
    io.write_json(folder / "run.json", {"status": "failed"})  # stopped by a user error before epoch 1
    assert not run_folder.holds_run(folder)  # may be reused without --overwrite
    (folder / "run.json").write_text("{damaged")
    assert run_folder.holds_run(folder)  # a damaged run.json is still someone's run
    with pytest.raises(ValueError, match="run.json"):
        run_folder.read_run_info(folder)

    # A run written before checkpoint/settings.json: its run.json's config (every field) is compared
    old = tmp_path / "old"
    config = dict(model="gan", data="digits", epochs=3, batch_size=32, latent_dim=8, seed=1, out=str(old),
                  loss="non_saturating", limit=128, verbose=None, show=False, extra={}, mixed_precision=False,
                  jit=None, resume=False, strategy="default")
    io.write_json(old / "run.json", {"config": config, "fast_mode": False})
    io.write_json(old / "checkpoint" / "latest.json", {"epoch": 2, "folder": "epoch_0002"})
    filled = run_folder.prepare_resume(recipes.TrainConfig(model="gan", out=str(old), resume=True, data=None,
                                                           seed=None))
    assert (filled.data, filled.epochs, filled.batch_size, filled.latent_dim, filled.seed) == ("digits", 3, 32, 8, 1)
    with pytest.raises(ValueError, match=r"--latent-dim 4 \(the checkpoint has 8\)"):
        run_folder.prepare_resume(recipes.TrainConfig(model="gan", out=str(old), resume=True, latent_dim=4,
                                                  data="digits", seed=1))
    with pytest.raises(ValueError, match="fewer than the 2 epochs"):
        run_folder.prepare_resume(recipes.TrainConfig(model="gan", out=str(old), resume=True, epochs=1,
                                                  data="digits", seed=1))


def test_a_run_on_a_folder_of_images_resumes_from_another_working_folder(quiet_env, capsys, monkeypatch):
    from gan_keras import plots

    pics = quiet_env / "pics"
    rng = np.random.default_rng(0)
    for i in range(40):
        plots.save_image(rng.uniform(0, 1, (8, 8, 1)), pics / f"{i:02d}.png")
    args = ["train", "gan", "--data", "pics", "--batch-size", "16", "--latent-dim", "4", "--epochs", "1",
            "--out", "run"]
    assert cli.main(args) == 0
    info = json.loads((quiet_env / "run" / "run.json").read_text())
    assert info["config"]["data"] == str(pics.resolve())  # the folder, wherever the command runs
    (quiet_env / "elsewhere").mkdir()
    monkeypatch.chdir(quiet_env / "elsewhere")
    assert cli.main(["train", "gan", "--out", "../run", "--resume", "--epochs", "2"]) == 0, capsys.readouterr().err
    assert len(json.loads((quiet_env / "run" / "history.json").read_text())["g_loss"]) == 2


def test_resume_on_other_data_than_the_checkpoints_is_refused(quiet_env, capsys):
    """`--data mnist` loads MNIST online and the digits stand-in offline: a resume must not switch."""
    assert train("--epochs", "1", "--out", "run", capsys=capsys)[0] == 0
    settings_path = quiet_env / "run" / "checkpoint" / "settings.json"
    record = json.loads(settings_path.read_text())
    assert record["data_source"] == "scikit-learn handwritten digits (offline stand-in)"
    # As if the run had started online on MNIST, and were now resumed offline (the stand-in loads).
    record["data_source"] = "MNIST (keras.datasets)"
    settings_path.write_text(json.dumps(record))
    before = snapshot(quiet_env / "run")
    code, _, err = train("--epochs", "2", "--out", "run", "--resume", capsys=capsys)
    (line,) = error_lines(err)
    assert code == 2 and "cannot resume 'run' on other data" in line and "where the same data loads" in line
    assert "'MNIST (keras.datasets)'" in line and "stand-in" in line and "Traceback" not in err
    assert snapshot(quiet_env / "run") == before  # nothing written
