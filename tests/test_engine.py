"""The engine: one player's update, several players from one forward pass, input gradients.

These tests run on whichever backend is active (``tests/test_backends.py`` runs them on JAX
too). The last one runs the same GAN steps on TensorFlow and on JAX, in two processes, from
the same weights and the same noise, and compares the results.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest
from keras import ops

from gan_keras import engine

ROOT = Path(__file__).resolve().parent.parent


def test_the_engine_of_the_active_backend():
    assert engine.name() == keras.backend.backend()
    assert engine.current().__name__ == f"gan_keras.engine.{engine.name()}_engine"
    assert engine.num_replicas() == 1 and int(engine.replica_index()) == 0


class Player(keras.Model):
    """A bare trainer whose step is one call of the engine, for checking it by the formula."""

    def __init__(self, a, b):
        super().__init__()
        self.a = self.add_weight(shape=(3, 2), initializer=keras.initializers.Constant(a), name="a")
        self.b = self.add_weight(shape=(2,), initializer=keras.initializers.Constant(b), name="b")


def test_minimize_takes_one_sgd_step_by_the_formula():
    """loss = mean((x a + b - y)^2): after one SGD step a, b moved by -lr * gradient (computed by hand)."""
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 3)).astype("float32"), rng.standard_normal((5, 2)).astype("float32")
    a0, b0 = rng.standard_normal((3, 2)).astype("float32"), rng.standard_normal(2).astype("float32")
    m = Player(a0, b0)
    opt = keras.optimizers.SGD(0.1)
    opt.build([m.a, m.b])

    def loss_fn():
        r = ops.matmul(ops.convert_to_tensor(x), m.a) + m.b - ops.convert_to_tensor(y)
        return ops.mean(ops.square(r)), r

    loss, residual = engine.minimize(loss_fn, opt, [m.a, m.b])
    r = x @ a0 + b0 - y
    grad_a, grad_b = 2 * x.T @ r / r.size, 2 * r.sum(0) / r.size
    assert float(loss) == pytest.approx(float(np.mean(r ** 2)), rel=1e-5)
    np.testing.assert_allclose(ops.convert_to_numpy(residual), r, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.a.numpy(), a0 - 0.1 * grad_a, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(m.b.numpy(), b0 - 0.1 * grad_b, rtol=1e-5, atol=1e-6)
    assert int(opt.iterations.numpy()) == 1


def test_minimize_each_differentiates_each_loss_for_its_own_player_only():
    """Two players, one forward pass: a gets d L1 / d a and b gets d L2 / d b, both at the old values."""
    m = Player(np.full((3, 2), 0.5, "float32"), np.array([1.0, -2.0], "float32"))
    opt_a, opt_b = keras.optimizers.SGD(1.0), keras.optimizers.SGD(1.0)
    opt_a.build([m.a]), opt_b.build([m.b])

    def losses():
        s = ops.sum(m.a) * ops.sum(m.b)  # both losses depend on both players
        return (s, -s * 2.0), ()

    (l1, l2), _ = engine.minimize_each(losses, [(opt_a, [m.a]), (opt_b, [m.b])])
    # s = 3 * -1 = -3; dL1/da = sum(b) = -1; dL2/db = -2 * sum(a) = -6 (old a, not the updated one)
    assert float(l1) == pytest.approx(-3.0) and float(l2) == pytest.approx(6.0)
    np.testing.assert_allclose(m.a.numpy(), np.full((3, 2), 1.5))
    np.testing.assert_allclose(m.b.numpy(), [7.0, 4.0])


def test_input_gradient_is_the_derivative():
    x = ops.convert_to_tensor(np.array([[1.0, -2.0, 3.0]], "float32"))
    value, grad = engine.input_gradient(lambda t: ops.sum(t ** 3), x)
    assert float(value) == pytest.approx(1 - 8 + 27)
    np.testing.assert_allclose(ops.convert_to_numpy(grad), [[3.0, 12.0, 27.0]])


def test_gradient_function_reads_the_models_weights():
    model = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1, use_bias=False)])
    model.set_weights([np.array([[2.0], [-1.0]], "float32")])
    g = engine.gradient_function(lambda x: ops.sum(model(x) ** 2), [model])
    value, grad = g(ops.convert_to_tensor(np.array([[1.0, 1.0]], "float32")))
    assert float(value) == pytest.approx(1.0)  # (2 - 1)^2
    np.testing.assert_allclose(ops.convert_to_numpy(grad), [[4.0, -2.0]])  # 2 * 1 * [2, -1]


STEP = textwrap.dedent('''
    import json, sys
    import numpy as np, keras
    from gan_keras import engine, models
    from gan_keras.trainers.gan import GAN
    from gan_keras.trainers.simultaneous import SimultaneousGAN
    draw = engine.replica_random
    results = {}
    for mode in sys.argv[2:]:
        rng = np.random.default_rng(0)
        g, d = models.build_toy_generator(8, 1), models.build_toy_discriminator(1)
        for m in (g, d):
            m.set_weights([rng.standard_normal(w.shape).astype("float32") * 0.3 for w in m.get_weights()])
        start = g.get_weights() + d.get_weights()
        trainer = SimultaneousGAN if mode == "simultaneous" else GAN
        gan = trainer(g, d, seed=0, ema=0.9 if mode == "ema" else None, d_steps=2 if mode == "wgan-gp" else 1)
        gan.compile(keras.optimizers.Adam(1e-2, beta_1=0.5), keras.optimizers.Adam(1e-2, beta_1=0.5),
                    loss="wasserstein" if mode == "wgan-gp" else "non_saturating")
        noise = [rng.standard_normal((16, 8)).astype("float32") for _ in range(12)]
        gan.sample_latent = lambda batch_size: keras.ops.convert_to_tensor(noise.pop(0))
        engine.replica_random = draw
        if mode == "wgan-gp":  # the penalty's interpolation weights are drawn by the backend: fix them
            alphas = [rng.uniform(size=(16, 1)).astype("float32") for _ in range(6)]
            engine.replica_random = lambda draw, shape, seed_generator, dtype="float32": (
                keras.ops.convert_to_tensor(alphas.pop(0)))
        real = rng.normal(4, 1.25, (64, 1)).astype("float32")
        history = gan.fit(real, batch_size=32 if mode == "wgan-gp" else 16, epochs=1, verbose=0,
                          shuffle=False).history
        weights = gan.generator.get_weights() + gan.discriminator.get_weights()
        if mode == "ema":
            weights += gan.ema_generator.get_weights()
        results[mode] = {"history": history, "weights": [w.tolist() for w in weights],
                         "start": [w.tolist() for w in start]}
    json.dump(results, open(sys.argv[1], "w"))
''')

MODES = ["alternating", "simultaneous", "wgan-gp", "ema"]


@pytest.mark.tensorflow_only  # starts both backends from the TensorFlow run
def test_a_gan_trains_alike_on_tensorflow_and_jax(tmp_path):
    """Same weights, same noise, a few steps of ``fit`` in four settings: the JAX engine's result is TensorFlow's.

    Measured: weights agree to about 1e-7 (float32 rounding), while the steps moved them by more than 1e-2.
    """
    pytest.importorskip("jax")
    script = tmp_path / "step.py"
    script.write_text(STEP)
    results = {}
    for backend in ("tensorflow", "jax"):
        env = dict(os.environ, KERAS_BACKEND=backend)
        out = tmp_path / f"{backend}.json"
        done = subprocess.run([sys.executable, str(script), str(out), *MODES], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr[-3000:]
        results[backend] = json.loads(out.read_text())
    for mode in MODES:
        tf_w, jax_w = ([np.array(w) for w in results[b][mode]["weights"]] for b in ("tensorflow", "jax"))
        moved = max(float(np.abs(a - np.array(b)).max()) for a, b in zip(tf_w, results["tensorflow"][mode]["start"]))
        assert moved > 1e-2, (mode, moved)  # the steps changed the weights far more than the tolerance
        for a, b in zip(tf_w, jax_w):
            np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-5, err_msg=mode)
        for key, values in results["tensorflow"][mode]["history"].items():
            np.testing.assert_allclose(results["jax"][mode]["history"][key], values, rtol=1e-4, atol=1e-5,
                                       err_msg=f"{mode} {key}")


SAVE_AND_LOAD = textwrap.dedent('''
    import sys
    import numpy as np, keras
    from gan_keras import io, models
    action, path, out = sys.argv[1:4]
    z = np.random.default_rng(1).standard_normal((6, 16)).astype("float32")
    labels = np.arange(6) % 10
    if action == "save":
        keras.utils.set_random_seed(3)
        dcgan = models.build_dcgan_generator(latent_dim=16)
        cond = models.build_conditional_generator(latent_dim=16)
        frequencies = np.full(10, 0.1)
        clustered = models.build_cluster_generator(cond, frequencies)
        io.save_model(dcgan, path + "-dcgan.keras")
        io.save_model(clustered, path + "-clustered.keras")
    dcgan = io.load_model(path + "-dcgan.keras")
    clustered = io.load_model(path + "-clustered.keras")
    np.savez(out, dcgan=dcgan.predict(z, verbose=0), clustered=clustered.predict(z, verbose=0))
''')


@pytest.mark.tensorflow_only  # starts both backends from the TensorFlow run
@pytest.mark.parametrize("saved_on,loaded_on", [("tensorflow", "jax"), ("jax", "tensorflow")])
def test_a_generator_saved_on_one_backend_loads_on_another(saved_on, loaded_on, tmp_path):
    """``generator.keras`` written on one backend gives the same samples on the other (a DCGAN and a
    self-conditioned generator, whose ``ClusterChoice`` layer is the package's own)."""
    pytest.importorskip("jax")
    script = tmp_path / "save_and_load.py"
    script.write_text(SAVE_AND_LOAD)
    outputs = {}
    for backend, action in ((saved_on, "save"), (loaded_on, "load")):
        out = tmp_path / f"{action}.npz"
        done = subprocess.run([sys.executable, str(script), action, str(tmp_path / "g"), str(out)], cwd=ROOT,
                              env=dict(os.environ, KERAS_BACKEND=backend), capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr[-3000:]
        outputs[action] = np.load(out)
    for name in ("dcgan", "clustered"):
        saved, loaded = outputs["save"][name], outputs["load"][name]
        assert saved.shape == (6, 28, 28, 1) and saved.std() > 1e-3
        np.testing.assert_allclose(loaded, saved, rtol=1e-4, atol=1e-5, err_msg=name)


def test_gradients_are_returned_and_nothing_changes():
    m = Player(np.full((3, 2), 0.5, "float32"), np.array([1.0, -2.0], "float32"))
    loss, (grad_a, grad_b) = engine.gradients(lambda: ops.sum(m.a) * ops.sum(m.b) ** 2, [m.a, m.b])
    assert float(loss) == pytest.approx(3.0)  # 3 * (-1)^2
    np.testing.assert_allclose(ops.convert_to_numpy(grad_a), np.ones((3, 2)))  # sum(b)^2
    np.testing.assert_allclose(ops.convert_to_numpy(grad_b), [-6.0, -6.0])  # 2 sum(a) sum(b)
    np.testing.assert_allclose(m.a.numpy(), np.full((3, 2), 0.5))


@pytest.mark.tensorflow_only  # starts the other backend from the TensorFlow run
def test_a_run_resumes_only_on_the_backend_it_started_on(tmp_path):
    """Each backend has its own random streams: ``--resume`` of a TensorFlow run under JAX is refused in one line."""
    pytest.importorskip("jax")
    from gan_keras import recipes

    out = tmp_path / "run"
    recipes.train(recipes.TrainConfig(model="gan", data="digits", epochs=1, limit=64, batch_size=32, seed=0,
                                      verbose=0, out=str(out)))
    settings = json.loads((out / "checkpoint" / "settings.json").read_text())["settings"]
    assert settings["backend"] == "tensorflow"
    done = subprocess.run([sys.executable, "-m", "gan_keras", "train", "gan", "--resume", "--out", str(out),
                           "--epochs", "2"], cwd=tmp_path, env=dict(os.environ, KERAS_BACKEND="jax"),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 2, done.stderr[-2000:]
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "trained on Keras' tensorflow backend" in lines[0], done.stderr
    assert "KERAS_BACKEND=tensorflow" in lines[0]
