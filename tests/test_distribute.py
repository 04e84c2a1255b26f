"""Several devices, mixed precision and XLA: the speed options give the same training."""

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import keras
import numpy as np
import pytest

from gan_keras import GAN, data, engine, models
from gan_keras.data import batches
from gan_keras.training import distribute

# Runs in a fresh process: the logical devices must be made before TensorFlow's first op,
# and this test process has already initialised TensorFlow.
TWO_DEVICES = textwrap.dedent("""
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    from gan_keras.training import distribute
    distribute.split_cpu(2)
    import keras, numpy as np, tensorflow as tf
    from gan_keras import GAN, models
    from gan_keras import engine
    sys.path.insert(0, sys.argv[1])
    from tiny_trainers import agreement

    def build(loss):
        keras.utils.set_random_seed(0)
        g = models.build_mlp_generator(8, (8, 8, 1), hidden_units=(16,))
        d = models.build_mlp_discriminator((8, 8, 1), hidden_units=(16,))
        gan = GAN(g, d, d_steps=2, seed=0)
        # Plain SGD: a replica loss not divided by the replicas doubles its step (Adam's
        # normalised step would hide that mistake)
        gan.compile(keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05), loss=loss)
        return gan

    x = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype("float32")
    batches = lambda: tf.data.Dataset.from_tensor_slices(x).batch(16, drop_remainder=True)
    strategy = distribute.get_strategy("mirrored")
    out = {"replicas": strategy.num_replicas_in_sync}
    for loss in ("non_saturating", "wasserstein"):
        single = build(loss)
        start = [w.numpy() for w in single.trainable_weights]
        h1 = single.fit(batches(), epochs=2, verbose=0, shuffle=False).history
        with strategy.scope():
            multi = build(loss)
        h2 = multi.fit(batches(), epochs=2, verbose=0, shuffle=False).history
        out[loss] = agreement(single, multi, start, h1, h2)
        out[loss]["steps"] = [int(multi.d_optimizer.iterations.numpy()), int(multi.g_optimizer.iterations.numpy())]
    print("RESULT " + json.dumps(out))
""")


def test_two_devices_train_like_one_device_with_the_same_global_batch(tmp_path):
    """Global batch 16 split over 2 logical CPUs gives the single-device weights.

    Without dividing each replica's loss by 2 the summed gradients double the updates
    (diff of the order of the movement itself); without slicing the noise per replica
    both replicas see the same fake images.
    """
    out = subprocess.run([sys.executable, "-c", TWO_DEVICES, str(Path(__file__).parent)], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    result = json.loads(out.stdout.split("RESULT ", 1)[1])
    assert result["replicas"] == 2
    for loss in ("non_saturating", "wasserstein"):  # wasserstein: + gradient penalty
        r = result[loss]
        assert r["steps"] == [16, 8]  # 4 batches x 2 epochs, d_steps=2
        assert r["moved"] > 1e-3, r  # training moved the weights...
        assert r["diff"] < 1e-5, r  # ...and both runs moved them the same way
        assert r["history_diff"] < 1e-4, r  # trackers report the global-batch values


def small_gan(mixed=False, jit=False, loss_scale=False):
    keras.utils.set_random_seed(0)
    with engine.precision_policy(mixed):
        g = models.build_mlp_generator(16, (28, 28, 1), hidden_units=(32,))
        d = models.build_mlp_discriminator((28, 28, 1), hidden_units=(32,))
    gan = GAN(g, d, seed=0)
    optimizers = [engine.make_optimizer(), engine.make_optimizer()]
    if loss_scale:  # forced: the optimizers are given already wrapped
        optimizers = [keras.optimizers.LossScaleOptimizer(opt) for opt in optimizers]
    gan.compile(*optimizers, jit_compile=jit)
    return gan


def test_mixed_precision_scales_both_losses_and_trains():
    gan = small_gan(mixed=True)
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    assert gan.generator.layers[-1].dtype_policy.name == "mixed_float16"
    for opt in (gan.d_optimizer, gan.g_optimizer):
        assert isinstance(opt, keras.optimizers.LossScaleOptimizer)
    assert gan.d_optimizer is not gan.g_optimizer
    x = data.load_images("digits", limit=64).images
    g0 = [w.numpy().copy() for w in gan.generator.trainable_weights]
    d0 = [w.numpy().copy() for w in gan.discriminator.trainable_weights]
    history = gan.fit(batches.make_dataset(x, batch_size=32), epochs=1, verbose=0, shuffle=False).history
    assert all(np.isfinite(v[-1]) for v in history.values())
    for before, model in ((g0, gan.generator), (d0, gan.discriminator)):
        assert any(not np.array_equal(a, w.numpy()) for a, w in zip(before, model.trainable_weights))
        assert all(w.dtype == "float32" for w in model.trainable_weights)  # float32 master weights
    for model in (gan.generator, gan.discriminator):
        assert all(np.all(np.isfinite(w.numpy())) for w in model.weights)


def test_loss_scale_skips_an_overflowing_step_and_lowers_the_scale():
    gan = small_gan(loss_scale=True)  # float32 model, loss scaling forced
    opt = gan.g_optimizer
    scale = float(opt.dynamic_scale)
    before = [w.numpy().copy() for w in gan.generator.trainable_weights]
    grads = [np.full(w.shape, np.inf, dtype="float32") for w in gan.generator.trainable_weights]
    opt.apply_gradients(zip(grads, gan.generator.trainable_weights))
    assert float(opt.dynamic_scale) == scale / 2
    for a, w in zip(before, gan.generator.trainable_weights):
        np.testing.assert_array_equal(a, w.numpy())


def test_xla_step_trains_like_the_graph_step():
    """XLA draws its noise with another RNG algorithm, so runs agree closely, not bit for bit."""
    x = data.load_images("digits", limit=64).images
    results = []
    for jit in (False, True):
        gan = small_gan(jit=jit)
        start = [w.numpy().copy() for w in gan.generator.weights]
        history = gan.fit(batches.make_dataset(x, batch_size=32, seed=0), epochs=1, verbose=0, shuffle=False)
        assert gan.jit_compile is jit
        moved = max(float(np.max(np.abs(a - w.numpy()))) for a, w in zip(start, gan.generator.weights))
        results.append((history.history, moved))
    (graph, moved_graph), (xla, moved_xla) = results
    assert moved_graph > 1e-4 and moved_xla > 1e-4
    for key in graph:
        assert abs(graph[key][-1] - xla[key][-1]) < 0.05, (key, graph[key], xla[key])


def test_batch_arithmetic_and_strategy_names():
    assert distribute.per_replica_batch_size(64, 2) == 32
    with pytest.raises(ValueError, match="split evenly"):
        distribute.per_replica_batch_size(65, 2)
    with pytest.raises(ValueError, match="unknown strategy"):
        distribute.get_strategy("tpu")
    with pytest.raises(ValueError, match="TF_CONFIG"):
        distribute.get_strategy("multi_worker")
    assert distribute.get_strategy("default").num_replicas_in_sync == 1
    assert engine.num_replicas() == 1
    import tensorflow as tf

    tf.zeros(1)  # TensorFlow is running in this process (whichever test ran first)...
    with pytest.raises(RuntimeError, match="before TensorFlow"):
        distribute.split_cpu(2)  # ...so its devices can no longer be split


# The command line with --strategy mirrored on two logical CPUs, against one device.
CLI_MIRRORED = textwrap.dedent("""
    import json, os, sys
    os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
    from gan_keras.training import distribute
    distribute.split_cpu(2)
    import keras, numpy as np
    from gan_keras.app import cli
    # One batch per epoch: tf.data re-seeds its shuffle when a dataset is distributed, so with
    # several batches per epoch the two runs would see them in another order.
    args = ["train", "gan", "--data", "digits", "--epochs", "3", "--batch-size", "32", "--limit", "32",
            "--latent-dim", "16", "--seed", "1"]
    assert cli.main(args + ["--out", "one"]) == 0
    assert cli.main(args + ["--out", "two", "--strategy", "mirrored"]) == 0
    one = keras.models.load_model("one/generator.keras")
    two = keras.models.load_model("two/generator.keras")
    print("RESULT " + json.dumps({
        "diff": max(float(np.max(np.abs(a - b))) for a, b in zip(one.get_weights(), two.get_weights())),
        "history_one": json.load(open("one/history.json")),
        "history_two": json.load(open("two/history.json")),
        "checkpoint": json.load(open("two/checkpoint/latest.json"))["epoch"],
    }))
""")


def test_cli_strategy_mirrored_trains_like_one_device(tmp_path):
    """``train gan --strategy mirrored`` on 2 logical CPUs: the same generator as one device."""
    out = subprocess.run([sys.executable, "-c", CLI_MIRRORED], cwd=tmp_path, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "training on 2 replicas (mirrored)" in out.stderr
    result = json.loads(out.stdout.split("RESULT ", 1)[1])
    assert result["diff"] < 1e-5, result["diff"]
    assert result["checkpoint"] == 3  # checkpoints are written under the strategy too
    for key, values in result["history_one"].items():
        np.testing.assert_allclose(result["history_two"][key], values, atol=1e-4, err_msg=key)


def test_strategy_option_is_checked():
    from gan_keras import recipes

    with pytest.raises(ValueError, match="strategy must be one of default, mirrored"):
        recipes.TrainConfig(strategy="tpu")
    with pytest.raises(ValueError, match="split evenly"):  # one logical CPU here: a 1-replica mirror
        distribute.per_replica_batch_size(33, 2)
