"""Every model of ``train``: resume after an interruption, mixed precision, XLA, two devices.

The vanilla GAN's faults are tested in detail in ``test_faults.py``; here each other
recipe shows the same contract on a small run: an interrupted run resumed from its
checkpoint ends with exactly the state of an uninterrupted one, and ``--mixed-precision``
and ``--jit`` reach the models. Every trainer (on the tiny models of ``tiny_trainers.py``)
wraps its optimizers for loss scaling under mixed precision and trains to finite losses,
and trains on two devices like on one device with the same global batch.
"""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
from tiny_trainers import TRAINERS

from gan_keras import engine, recipes

# Small runs: 2 epochs of a few batches each.
SMALL = {
    "dcgan": dict(limit=64, batch_size=16, latent_dim=8),
    "cgan": dict(limit=64, batch_size=16, latent_dim=8),
    "sgan": dict(limit=64, batch_size=16, latent_dim=8, extra={"per_class": 2}),
    "vae": dict(limit=64, batch_size=16, latent_dim=2),
    "pix2pix": dict(limit=64, batch_size=16),
    "srgan": dict(limit=64, batch_size=16),
    "discogan": dict(limit=64, batch_size=16),
}
MODELS = sorted(SMALL)


def config(model, tmp_path, name, **changes):
    settings = dict(model=model, data="digits", epochs=2, seed=1, verbose=0, out=str(tmp_path / name))
    settings.update(SMALL[model])
    settings.update(changes)
    return recipes.TrainConfig(**settings)


def state(model):
    """Every array a resumed run must get back: weights, seed states and the optimizers' variables."""
    return [np.asarray(v.numpy()) for _, v in engine.state_variables(model)]


class Interrupt(keras.callbacks.Callback):
    """Raise KeyboardInterrupt (what Ctrl-C does) after one batch of the second epoch."""

    def __init__(self):
        super().__init__()
        self.epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if self.epoch == 1 and batch == 1:
            raise KeyboardInterrupt


def test_every_model_honours_the_speed_and_fault_options():
    for name in recipes.available():
        for option in recipes.OPTION_FLAGS:
            assert recipes.supports(name, option), (name, option)


@pytest.mark.parametrize("model", MODELS)
def test_interrupted_run_resumes_to_the_state_of_an_uninterrupted_one(model, tmp_path, monkeypatch):
    full = recipes.train(config(model, tmp_path, "full"))

    recipe = recipes.get(model)
    real_fit = recipe.fit_resumable
    monkeypatch.setattr(recipe, "fit_resumable",
                        lambda m, ds, cfg, cbs, **kw: real_fit(m, ds, cfg, list(cbs) + [Interrupt()], **kw))
    with pytest.raises(KeyboardInterrupt):
        recipes.train(config(model, tmp_path, "cut"))
    monkeypatch.setattr(recipe, "fit_resumable", real_fit)
    latest = json.loads((tmp_path / "cut" / "checkpoint" / "latest.json").read_text())
    assert latest["epoch"] == 1

    resumed = recipes.train(config(model, tmp_path, "cut", resume=True))
    a, b = state(full.model), state(resumed.model)
    assert len(a) == len(b) > 0
    # Equal up to float round-off: a multithreaded CPU may sum in another order under load
    # (usually bit-exact). A missing piece of state (Adam's moments, a step counter, a seed
    # generator, the data order) differs by orders of magnitude more.
    for x, y in zip(a, b):  # weights, optimizer moments and step counts, seed states
        np.testing.assert_allclose(x, y, rtol=1e-5, atol=1e-6)
    assert resumed.history.keys() == full.history.keys()
    for key, values in full.history.items():
        assert len(values) == len(resumed.history[key]) == 2
        np.testing.assert_allclose(resumed.history[key], values, rtol=1e-5, err_msg=key)
    grids = sorted(p.name for p in (tmp_path / "cut" / "samples").glob("*.png"))
    assert grids == ["epoch_001.png", "epoch_002.png"]
    # The GIF of the resumed run equals the uninterrupted one on pixels, frame by frame
    # (the frame of before the interruption is reloaded from its grid file)
    full_frames = gif_frames(tmp_path / "full" / "progress.gif")
    cut_frames = gif_frames(tmp_path / "cut" / "progress.gif")
    assert len(full_frames) == len(cut_frames) == 2
    for i, (x, y) in enumerate(zip(full_frames, cut_frames)):
        assert x.std() > 0, f"{model}: frame {i} is blank"
        assert np.abs(x.astype(int) - y.astype(int)).max() <= 1, f"{model}: frame {i} differs"
    assert json.loads((tmp_path / "cut" / "run.json").read_text())["status"] == "finished"


def gif_frames(path):
    """The frames of a GIF as RGB pixel arrays."""
    from PIL import Image

    with Image.open(path) as gif:
        frames = []
        for i in range(gif.n_frames):
            gif.seek(i)
            frames.append(np.asarray(gif.convert("RGB")))
    return frames


def test_mixed_precision_option_reaches_the_recipe_models(tmp_path):
    result = recipes.train(config("pix2pix", tmp_path, "mixed", epochs=1, limit=32, mixed_precision=True))
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    optimizers = [opt for _, opt in engine.optimizers_of(result.model)]
    assert len(optimizers) == 2
    assert all(isinstance(opt, keras.optimizers.LossScaleOptimizer) for opt in optimizers)
    assert all(np.isfinite(v[-1]) for v in result.history.values()), result.history
    assert "float16" in {layer.dtype_policy.compute_dtype for layer in result.model.generator.layers}


def test_jit_option_reaches_the_trainer(tmp_path):
    result = recipes.train(config("cgan", tmp_path, "xla", epochs=1, jit=True))
    assert result.model.jit_compile is True
    assert all(np.isfinite(v[-1]) for v in result.history.values())


# Runs in a fresh process: the two logical devices must exist before TensorFlow's first op.
TWO_DEVICES = textwrap.dedent("""
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    from gan_keras.training import distribute
    distribute.split_cpu(2)
    import keras
    sys.path.insert(0, sys.argv[1])
    from tiny_trainers import TRAINERS, agreement

    strategy = distribute.get_strategy("mirrored")
    out = {"replicas": strategy.num_replicas_in_sync}
    for name, (make, compile_, batches) in TRAINERS.items():
        keras.utils.set_random_seed(0)
        single = make(); compile_(single)
        start = [w.numpy() for w in single.trainable_weights]
        h1 = single.fit(batches(), epochs=2, verbose=0, shuffle=False).history
        with strategy.scope():
            keras.utils.set_random_seed(0)
            multi = make(); compile_(multi)
        h2 = multi.fit(batches(), epochs=2, verbose=0, shuffle=False).history
        out[name] = agreement(single, multi, start, h1, h2)
    print("RESULT " + json.dumps(out))
""")


@pytest.mark.tensorflow_only  # tf.distribute; JAX's data parallelism is tests/test_distribute_jax.py
def test_every_trainer_on_two_devices_trains_like_one_device(tmp_path):
    """Global batch 8 split over 2 logical CPUs: the same weights as one device, for every trainer.

    Each trainer divides its per-replica loss by the number of replicas and draws its
    noise (latent vectors, labels, the VAE's epsilon) per replica from the global batch's
    draw. Measured: differences of 3e-8 to 1e-7; with the loss not divided, 0.04 to 0.53,
    as large as the training's own movement (SGD makes a doubled gradient a doubled step).
    """
    out = subprocess.run([sys.executable, "-c", TWO_DEVICES, str(Path(__file__).parent)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.split("RESULT ", 1)[1])
    assert result.pop("replicas") == 2
    assert sorted(result) == ["cgan", "discogan", "pix2pix", "sgan", "simultaneous_cgan", "srgan", "vae"]
    for name, r in result.items():
        assert r["moved"] > 1e-3, (name, r)  # training moved the weights...
        assert r["diff"] < 1e-5, (name, r)  # ...and both runs moved them the same way
        assert r["history_diff"] < 1e-4, (name, r)  # the trackers report global-batch values


@pytest.mark.parametrize("name", sorted(TRAINERS))
def test_every_trainer_under_mixed_precision_scales_its_losses_and_trains(name):
    make, compile_, batches = TRAINERS[name]
    keras.utils.set_random_seed(0)
    with engine.precision_policy(True):
        model = make()
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    compile_(model)
    optimizers = [opt for _, opt in engine.optimizers_of(model)]
    assert optimizers and all(isinstance(opt, keras.optimizers.LossScaleOptimizer) for opt in optimizers)
    start = [w.numpy().copy() for w in model.trainable_weights]
    history = model.fit(batches(), epochs=1, verbose=0, shuffle=False).history
    assert all(np.isfinite(v[-1]) for v in history.values()), history
    assert all(w.dtype == "float32" for w in model.trainable_weights)  # float32 master weights
    assert any(not np.array_equal(a, w.numpy()) for a, w in zip(start, model.trainable_weights))
