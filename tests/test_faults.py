"""Runs that survive faults: resume after an interruption, NaN stops, atomic files, seeds."""

import json
import os
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest

from gan_keras import GAN, data, engine, io, models, plots
from gan_keras.data import batches
from gan_keras.recipes import TrainConfig, common
from gan_keras.recipes import gan as gan_recipe
from gan_keras.training import callbacks

# A small vanilla-GAN run of the recipe: 8 steps per epoch.
SETTINGS = dict(model="gan", data="digits", batch_size=32, limit=256, latent_dim=16, seed=1, verbose=0)


def everything(model):
    """Every array a resumed run must get back: weights, seed states and both optimizers."""
    return [np.asarray(v.numpy()) for _, v in engine.state_variables(model)]


def assert_same_state(a, b):
    sa, sb = everything(a), everything(b)
    assert len(sa) == len(sb)
    for x, y in zip(sa, sb):
        np.testing.assert_array_equal(x, y)


class Interrupt(keras.callbacks.Callback):
    """Raise KeyboardInterrupt (what Ctrl-C does) at one batch of one epoch."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.epoch, self.batch, self.current = epoch, batch, 0

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == self.batch:
            raise KeyboardInterrupt


def test_interrupted_fit_resumes_bit_exact(tmp_path, monkeypatch):
    full = gan_recipe.train(TrainConfig(epochs=3, out=str(tmp_path / "full"), **SETTINGS))

    # Interrupt the same run in the middle of its second epoch
    standard = gan_recipe.standard_callbacks
    monkeypatch.setattr(gan_recipe, "standard_callbacks",
                        lambda *a, **k: standard(*a, **k) + [Interrupt(epoch=1, batch=3)])
    with pytest.raises(KeyboardInterrupt):
        gan_recipe.train(TrainConfig(epochs=3, out=str(tmp_path / "cut"), **SETTINGS))
    monkeypatch.setattr(gan_recipe, "standard_callbacks", standard)
    latest = json.loads((tmp_path / "cut" / "checkpoint" / "latest.json").read_text())
    assert latest["epoch"] == 1

    resumed = gan_recipe.train(TrainConfig(epochs=3, out=str(tmp_path / "cut"), resume=True, **SETTINGS))
    assert int(resumed.model.g_optimizer.iterations) == int(full.model.g_optimizer.iterations) == 24
    assert_same_state(full.model, resumed.model)  # weights, Adam moments, seed state
    assert resumed.history == full.history and len(resumed.history["d_loss"]) == 3
    # The grids and the GIF cover the whole run, with the same fixed latent vectors
    grids = sorted(p.name for p in (tmp_path / "cut" / "samples").glob("*.png"))
    assert grids == ["epoch_001.png", "epoch_002.png", "epoch_003.png"]
    for name in grids:
        a = plots_array(tmp_path / "full" / "samples" / name)
        np.testing.assert_array_equal(a, plots_array(tmp_path / "cut" / "samples" / name))


def plots_array(path):
    from PIL import Image

    with Image.open(path) as img:
        return np.asarray(img)


def test_resume_restores_the_fixed_sample_vectors(tmp_path):
    z = np.random.default_rng(5).standard_normal((4, 16)).astype("float32")
    cbs = common.standard_callbacks(tmp_path, inputs=z)
    gan = gan_recipe.build(16, (28, 28, 1), seed=0)
    gan.compile(engine.make_optimizer(), engine.make_optimizer())
    ds = batches.make_dataset(data.load_images("digits", limit=64).images, batch_size=32)
    gan.fit(ds, epochs=1, callbacks=cbs, verbose=0, shuffle=False)
    fresh = common.standard_callbacks(tmp_path)  # default inputs would differ
    gan2 = gan_recipe.build(16, (28, 28, 1), seed=7)
    gan2.compile(engine.make_optimizer(), engine.make_optimizer())
    assert fresh[-1].restore(gan2) == 1
    np.testing.assert_array_equal(fresh[0].inputs, z)
    assert len(fresh[0].frames) == 1
    assert_same_state(gan, gan2)


def test_cli_run_killed_midway_resumes_to_the_same_weights(tmp_path):
    epochs = 6
    args = [sys.executable, "-m", "gan_keras", "train", "gan", "--data", "digits", "--epochs", str(epochs),
            "--batch-size", "32", "--limit", "256", "--latent-dim", "16", "--seed", "1", "--out", "run"]
    proc = subprocess.Popen(args, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    latest = tmp_path / "run" / "checkpoint" / "latest.json"
    deadline = time.time() + 240
    while not latest.exists() and proc.poll() is None and time.time() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)  # as hard as a power cut: no clean-up runs
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "the run ended before it could be killed"
    done = json.loads(latest.read_text())["epoch"]
    assert 1 <= done < epochs

    out = subprocess.run(args + ["--resume"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert f"after epoch {done}" in out.stderr
    resumed = keras.models.load_model(tmp_path / "run" / "generator.keras")

    full = gan_recipe.train(TrainConfig(epochs=epochs, out=str(tmp_path / "full"), **SETTINGS))
    for a, b in zip(full.model.generator.weights, resumed.weights):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=0, atol=1e-6)
    history = json.loads((tmp_path / "run" / "history.json").read_text())
    assert len(history["g_loss"]) == epochs


class Poison(keras.callbacks.Callback):
    """Make the discriminator's output bias NaN after one batch of one epoch (a ReLU would
    turn NaN hidden weights into zeros)."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.epoch, self.batch, self.current, self.good = epoch, batch, 0, None

    def on_epoch_begin(self, epoch, logs=None):
        self.current = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch - 1:
            self.good = everything(self.model)

    def on_train_batch_end(self, batch, logs=None):
        if self.current == self.epoch and batch == self.batch:
            w = self.model.discriminator.weights[-1]
            w.assign(np.full(w.shape, np.nan, dtype="float32"))


def test_nan_stops_with_the_loss_and_step_and_keeps_the_last_good_checkpoint(tmp_path, capsys):
    gan = gan_recipe.build(16, (28, 28, 1), seed=0)
    gan.compile(engine.make_optimizer(), engine.make_optimizer())
    poison = Poison(epoch=2, batch=2)
    cbs = [poison] + common.standard_callbacks(tmp_path)
    ds = batches.make_dataset(data.load_images("digits", limit=256).images, batch_size=32)
    history = gan.fit(ds, epochs=5, callbacks=cbs, verbose=0, shuffle=False)
    stop = next(cb for cb in cbs if isinstance(cb, callbacks.StopOnNaN))
    # 8 steps per epoch; poisoned after step 2*8 + 3 = 19, so step 20 is the first NaN.
    assert stop.message is not None and "at training step 20" in stop.message
    assert stop.message.split()[1] in ("d_loss", "g_loss")
    assert stop.message in capsys.readouterr().out
    assert len(history.history["d_loss"]) == 3  # stopped in the third epoch
    checkpoint = cbs[-1]
    assert checkpoint.last_epoch == 2 and "not finite" in checkpoint.skipped
    files = common.finish_run(tmp_path, TrainConfig(), history, gan.generator, cbs)
    assert not (tmp_path / "generator.keras").exists()  # no NaN model written
    assert len(list((tmp_path / "samples").glob("*.png"))) == 2  # and no NaN grid
    run = json.loads((tmp_path / "run.json").read_text())["summary"]
    assert "training step 20" in run["stopped"] and run["checkpoint_epoch"] == 2
    assert all(os.path.exists(f) for f in files)
    # The checkpoint holds the finite state of the end of epoch 2
    fresh = gan_recipe.build(16, (28, 28, 1), seed=3)
    fresh.compile(engine.make_optimizer(), engine.make_optimizer())
    assert common.standard_callbacks(tmp_path)[-1].restore(fresh) == 2
    for a, b in zip(poison.good, everything(fresh)):
        np.testing.assert_array_equal(a, b)


def test_interrupted_checkpoint_write_leaves_the_old_checkpoint(tmp_path, monkeypatch):
    gan = gan_recipe.build(16, (28, 28, 1), seed=0)
    gan.compile(engine.make_optimizer(), engine.make_optimizer())
    ckpt = callbacks.TrainingCheckpoint(tmp_path / "ckpt")
    ckpt.save(1, model=gan)
    saved = everything(gan)
    gan.generator.weights[0].assign(gan.generator.weights[0] + 1.0)

    def dies_half_way(f, **arrays):
        f.write(b"PK\x03\x04 half a file")
        raise OSError("no space left on device")

    monkeypatch.setattr(np, "savez", dies_half_way)
    with pytest.raises(OSError):
        ckpt.save(2, model=gan)
    monkeypatch.undo()

    # Also die at the last moment: the rename that switches latest.json
    real_replace = os.replace

    def no_rename(src, dst):
        if str(dst).endswith("latest.json"):
            raise KeyboardInterrupt
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", no_rename)
    with pytest.raises(KeyboardInterrupt):
        ckpt.save(3, model=gan)
    monkeypatch.undo()

    assert json.loads((tmp_path / "ckpt" / "latest.json").read_text())["epoch"] == 1
    assert not list((tmp_path / "ckpt").rglob(".*partial*"))  # no temporary left behind
    fresh = gan_recipe.build(16, (28, 28, 1), seed=4)
    fresh.compile(engine.make_optimizer(), engine.make_optimizer())
    assert callbacks.TrainingCheckpoint(tmp_path / "ckpt").restore(fresh) == 1
    for a, b in zip(saved, everything(fresh)):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("writer", ["png", "model", "json"])
def test_interrupted_file_writes_leave_the_old_file(tmp_path, monkeypatch, writer):
    g = models.build_mlp_generator(4, (8, 8, 1), hidden_units=(8,))
    path = {"png": tmp_path / "grid.png", "model": tmp_path / "g.keras", "json": tmp_path / "h.json"}[writer]
    write = {"png": lambda: plots.save_image(np.zeros((8, 8)), path),
             "model": lambda: io.save_model(g, path),
             "json": lambda: io.write_json(path, {"a": 1})}[writer]
    write()
    before = path.read_bytes()

    def crash(src, dst):
        raise KeyboardInterrupt  # killed after writing the temporary, before the rename

    monkeypatch.setattr(os, "replace", crash)
    g.weights[0].assign(g.weights[0] + 1.0)
    with pytest.raises(KeyboardInterrupt):
        {"png": lambda: plots.save_image(np.ones((8, 8)), path), "model": lambda: io.save_model(g, path),
         "json": lambda: io.write_json(path, {"a": 2})}[writer]()
    assert path.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]


def test_same_seed_gives_identical_weights_and_another_seed_does_not(tmp_path):
    settings = dict(SETTINGS, epochs=1)
    a = gan_recipe.train(TrainConfig(out=str(tmp_path / "a"), **settings)).model
    b = gan_recipe.train(TrainConfig(out=str(tmp_path / "b"), **settings)).model
    assert_same_state(a, b)
    c = gan_recipe.train(TrainConfig(out=str(tmp_path / "c"), **dict(settings, seed=2))).model
    assert any(not np.array_equal(x, y) for x, y in zip(everything(a), everything(c)))


def test_resume_with_another_model_gets_a_clear_error(tmp_path):
    gan_recipe.train(TrainConfig(epochs=1, out=str(tmp_path / "run"), **SETTINGS))
    other = dict(SETTINGS, latent_dim=8)
    with pytest.raises(ValueError, match="different model"):
        gan_recipe.train(TrainConfig(epochs=2, out=str(tmp_path / "run"), resume=True, **other))


def test_checkpoint_files_are_never_unpickled(tmp_path):
    path = tmp_path / "state.npz"
    np.savez(path, bad=np.array([object()], dtype=object))
    with pytest.raises(ValueError, match="cannot read array file"):
        io.read_arrays(path)
    with pytest.raises(TypeError, match="numbers"):
        io.write_arrays(tmp_path / "x.npz", {"bad": np.array([object()], dtype=object)})


def test_gan_without_standard_callbacks_is_unchanged_by_the_checkpoint_option(tmp_path):
    """A plain fit (no callbacks) still trains as before: checkpoints are opt-in callbacks."""
    keras.utils.set_random_seed(0)
    gan = GAN(models.build_mlp_generator(8, (8, 8, 1), hidden_units=(8,)),
              models.build_mlp_discriminator((8, 8, 1), hidden_units=(8,)), seed=0)
    gan.compile(engine.make_optimizer(), engine.make_optimizer())
    x = np.random.default_rng(0).uniform(-1, 1, (32, 8, 8, 1)).astype("float32")
    gan.fit(x, batch_size=16, epochs=1, verbose=0)
    assert int(gan.g_optimizer.iterations) == 2
    assert not list(tmp_path.iterdir())
