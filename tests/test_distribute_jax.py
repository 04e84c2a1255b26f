"""JAX's data parallelism: ``keras.distribution.DataParallel`` on two devices trains like one device.

On JAX a step is one global computation that XLA partitions over the devices, so nothing is
divided by replicas and batch normalisation sees the global batch: a two-device run of the
same global batches gives the single-device weights up to the order of floating-point sums.
The runs happen in a fresh process with ``KERAS_BACKEND=jax`` and two CPU devices
(``XLA_FLAGS=--xla_force_host_platform_device_count=2``, read when JAX starts its CPU backend),
whatever backend this test process runs on.
"""

import json
import os
import subprocess
import sys
import textwrap

import pytest

# One worker runs this file (pytest-xdist): its module fixtures are made once.
pytestmark = pytest.mark.xdist_group("test_distribute_jax")

pytest.importorskip("jax")

TWO_DEVICES = textwrap.dedent("""
    import json, sys
    import jax, keras, numpy as np
    from gan_keras import GAN, data, models
    from gan_keras.data import batches
    from gan_keras.training import distribute
    from gan_keras.recipes.common import set_random_seed

    assert keras.backend.backend() == "jax", keras.backend.backend()
    out = {"devices": len(jax.devices())}

    def build(kind, loss):
        set_random_seed(0)
        if kind == "mlp":
            g = models.build_mlp_generator(8, (8, 8, 1), hidden_units=(16,))
            d = models.build_mlp_discriminator((8, 8, 1), hidden_units=(16,))
            gan = GAN(g, d, d_steps=2, seed=0)
        else:  # convolutions, and BatchNormalization in the generator
            g = models.build_dcgan_generator(8, (8, 8, 1), filters=(8, 4))
            d = models.build_dcgan_discriminator((8, 8, 1), filters=(4, 8), dropout=0.0)
            gan = GAN(g, d, seed=0)
        # Plain SGD: an update scaled wrongly (a loss divided by the devices) shows in the weights
        gan.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05), loss=loss)
        return gan

    def weights(model):
        return [keras.ops.convert_to_numpy(w) for w in model.trainable_weights]

    x = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype("float32")
    # 4 global batches in a seeded order; a fresh dataset per run (each epoch draws the next order)
    fresh = lambda: batches.make_dataset(x, batch_size=16, seed=0)
    out["dataset"] = type(fresh()).__name__
    for kind, loss in (("mlp", "non_saturating"), ("mlp", "wasserstein"), ("dcgan", "non_saturating")):
        single = build(kind, loss)
        start = weights(single)
        h1 = single.fit(fresh(), epochs=2, verbose=0).history
        distribution = distribute.data_parallel()
        with distribution.scope():  # build and train under the distribution
            multi = build(kind, loss)
            h2 = multi.fit(fresh(), epochs=2, verbose=0).history
        trained, parallel = weights(single), weights(multi)
        out[f"{kind}-{loss}"] = {
            "diff": max(float(np.max(np.abs(a - b))) for a, b in zip(trained, parallel)),
            "moved": max(float(np.max(np.abs(a - b))) for a, b in zip(trained, start)),
            "history_diff": max(abs(h1[k][-1] - h2[k][-1]) for k in h1),
            "steps": [int(keras.ops.convert_to_numpy(multi.d_optimizer.iterations)),
                      int(keras.ops.convert_to_numpy(multi.g_optimizer.iterations))],
            "weight_devices": len(multi.generator.trainable_weights[0].value.sharding.device_set),
        }
    try:
        distribute.get_strategy("mirrored")
    except ValueError as exc:
        out["get_strategy"] = str(exc)
    out["split_cpu"] = len(distribute.split_cpu(2))
    try:
        distribute.split_cpu(3)
    except RuntimeError as exc:
        out["split_cpu_late"] = str(exc)

    # The command line: train gan --strategy mirrored against one device, same global batches
    from gan_keras import io
    from gan_keras.app import cli
    args = ["train", "gan", "--data", "digits", "--epochs", "2", "--batch-size", "32", "--limit", "96",
            "--latent-dim", "16", "--seed", "1"]  # 3 shuffled batches per epoch
    assert cli.main(args + ["--out", "one"]) == 0
    assert cli.main(args + ["--out", "two", "--strategy", "mirrored"]) == 0
    one, two = io.load_model("one/generator.keras"), io.load_model("two/generator.keras")
    out["cli"] = {
        "diff": max(float(np.max(np.abs(a - b))) for a, b in zip(one.get_weights(), two.get_weights())),
        "history_one": json.load(open("one/history.json")),
        "history_two": json.load(open("two/history.json")),
        "checkpoint": json.load(open("two/checkpoint/latest.json"))["epoch"],
    }
    out["tensorflow_imported"] = "tensorflow" in sys.modules
    print("RESULT " + json.dumps(out))
""")


@pytest.fixture(scope="module")
def two_device_run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jax_two_devices")
    env = dict(os.environ, KERAS_BACKEND="jax", GAN_KERAS_FAST="1", GAN_KERAS_OFFLINE="1",
               XLA_FLAGS="--xla_force_host_platform_device_count=2", JAX_PLATFORMS="cpu")
    out = subprocess.run([sys.executable, "-c", TWO_DEVICES], cwd=folder, env=env, capture_output=True,
                         text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.split("RESULT ", 1)[1])
    return result, out.stderr


def test_two_jax_devices_train_like_one_device_with_the_same_global_batch(two_device_run):
    """Global batch 16 sharded over 2 CPU devices gives the single-device weights.

    Measured (CPU, 2 epochs, SGD 0.05): training moved the weights by 0.05 (DCGAN) to 0.39
    (WGAN-GP) from their start, and the two runs differ by 3e-8 to 6e-8 (BatchNormalization
    included); 1e-5 leaves room for other sum orders and none for an update scaled by the
    devices (a difference of the order of the movement itself).
    """
    result, _ = two_device_run
    assert result["devices"] == 2 and result["dataset"] == "ArrayBatches"
    for name in ("mlp-non_saturating", "mlp-wasserstein", "dcgan-non_saturating"):  # wasserstein: + penalty
        r = result[name]
        assert r["weight_devices"] == 2, r  # the variables live on both devices
        assert r["moved"] > 1e-3, (name, r)  # training moved the weights...
        assert r["diff"] < 1e-5, (name, r)  # ...and both runs moved them the same way
        assert r["history_diff"] < 1e-4, (name, r)  # the trackers report the global-batch values
    assert result["mlp-non_saturating"]["steps"] == [16, 8]  # 4 batches x 2 epochs, d_steps=2
    assert result["dcgan-non_saturating"]["steps"] == [8, 8]


def test_tf_only_strategies_and_late_device_splits_say_so_in_one_line(two_device_run):
    result, _ = two_device_run
    assert "Keras runs on jax" in result["get_strategy"] and "data_parallel" in result["get_strategy"]
    assert result["split_cpu"] == 2
    assert "before JAX starts its CPU backend" in result["split_cpu_late"]


def test_cli_strategy_mirrored_on_jax_trains_like_one_device(two_device_run):
    """``train gan --strategy mirrored`` on 2 JAX devices: the same generator as one device, no TensorFlow."""
    result, stderr = two_device_run
    assert "training on 2 devices (mirrored: keras.distribution.DataParallel on JAX)" in stderr
    cli = result["cli"]
    assert cli["diff"] < 1e-5, cli["diff"]
    assert cli["checkpoint"] == 2  # checkpoints are written under the distribution too
    for key, values in cli["history_one"].items():
        assert max(abs(a - b) for a, b in zip(values, cli["history_two"][key])) < 1e-4, key
    assert result["tensorflow_imported"] is False  # the JAX path never imports TensorFlow
