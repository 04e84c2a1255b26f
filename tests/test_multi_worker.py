"""Multi-worker training: two worker processes on 127.0.0.1 train like one device.

Each worker is a fresh process (``MultiWorkerMirroredStrategy`` must exist before
TensorFlow's first op) with its own ``TF_CONFIG`` from ``distribute.local_cluster``; the
two talk gRPC over loopback only.
"""

import json
import os
import subprocess
import sys
import textwrap
import time

import numpy as np
import pytest

from gan_keras.training import distribute

LOSSES = ("non_saturating", "wasserstein")  # wasserstein: + gradient penalty
GLOBAL_BATCH = 16

# Same tiny GAN and data as TWO_DEVICES in test_distribute.py. Every worker trains it under
# the strategy; worker 0 then trains it again on one device (outside the strategy's scope,
# the default strategy, one replica) on the same global batches.
WORKER = textwrap.dedent("""
    import json, os
    from gan_keras.training import distribute
    strategy = distribute.get_strategy("multi_worker")  # before any TensorFlow op
    import keras, numpy as np, tensorflow as tf
    from gan_keras import GAN, models
    from gan_keras import engine

    worker = json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    losses, global_batch = %(losses)r, %(global_batch)d

    def build(loss):
        keras.utils.set_random_seed(0)
        g = models.build_mlp_generator(8, (8, 8, 1), hidden_units=(16,))
        d = models.build_mlp_discriminator((8, 8, 1), hidden_units=(16,))
        gan = GAN(g, d, d_steps=2, seed=0)
        gan.compile(engine.make_optimizer(1e-3), engine.make_optimizer(1e-3), loss=loss)
        return gan

    x = np.random.default_rng(0).uniform(-1, 1, (64, 8, 8, 1)).astype("float32")

    def batches():
        # Global batches, sharded by data: tf.distribute splits each global batch into
        # per-replica slices and worker i keeps slice i.
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
        return (tf.data.Dataset.from_tensor_slices(x).batch(global_batch, drop_remainder=True)
                .with_options(options))

    ids = strategy.run(lambda: tf.distribute.get_replica_context().replica_id_in_sync_group)
    first = next(iter(strategy.experimental_distribute_dataset(batches())))
    first = strategy.experimental_local_results(first)[0].numpy()
    out = {
        "worker": worker,
        "replicas": strategy.num_replicas_in_sync,
        "replica_ids": [int(i) for i in strategy.experimental_local_results(ids)],
        # rows of the first global batch that this worker trains on
        "rows": [int(np.argmin(np.abs(x[:global_batch] - r).sum(axis=(1, 2, 3)))) for r in first],
    }
    weights = lambda gan: [w.numpy().tolist() for w in gan.weights]
    for loss in losses:
        with strategy.scope():
            multi = build(loss)
        start = weights(multi)
        history = multi.fit(batches(), epochs=2, verbose=0, shuffle=False).history
        out[loss] = {
            "start": start, "weights": weights(multi), "history": history,
            "steps": [int(multi.d_optimizer.iterations.numpy()),
                      int(multi.g_optimizer.iterations.numpy())],
        }
    if worker == 0:
        for loss in losses:
            single = build(loss)
            history = single.fit(batches(), epochs=2, verbose=0, shuffle=False).history
            out[loss]["single"] = {"weights": weights(single), "history": history,
                                   "replicas": single.distribute_strategy.num_replicas_in_sync}
    print("RESULT " + json.dumps(out), flush=True)
""") % {"losses": LOSSES, "global_batch": GLOBAL_BATCH}

PROXY_VARIABLES = ("grpc_proxy", "http_proxy", "https_proxy", "all_proxy")


def tail(path, size=3000):
    text = path.read_text(errors="replace") if path.exists() else ""
    return text[-size:]


def run_workers(tmp_path, script, num_workers=2, timeout=240, attempts=2):
    """Run ``script`` in ``num_workers`` processes forming a local cluster; return their stdouts.

    Never hangs: when one worker fails the others are killed at once (they would wait
    for it forever), and all of them are killed after ``timeout`` seconds. A port that
    another program took between ``local_cluster`` and the worker's bind is retried
    with fresh ports. Failures show every worker's stderr.
    """
    env = {k: v for k, v in os.environ.items() if k.lower() not in PROXY_VARIABLES}  # loopback only
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    for attempt in range(attempts):
        procs, logs = [], []
        try:
            for config in distribute.local_cluster(num_workers):
                index = config["task"]["index"]
                out, err = tmp_path / f"worker{index}.{attempt}.out", tmp_path / f"worker{index}.{attempt}.err"
                logs.append((out, err))
                with open(out, "w") as stdout, open(err, "w") as stderr:
                    procs.append(subprocess.Popen(
                        [sys.executable, "-c", script], cwd=tmp_path, stdout=stdout, stderr=stderr,
                        env=dict(env, TF_CONFIG=distribute.tf_config_json(config))))
            deadline = time.monotonic() + timeout
            while True:
                codes = [p.poll() for p in procs]
                if all(code == 0 for code in codes):
                    return [out.read_text() for out, _ in logs]
                failed = any(code not in (None, 0) for code in codes)
                if failed or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        finally:
            for p in procs:
                if p.poll() is None:
                    p.kill()
                p.wait()
        errors = [tail(err) for _, err in logs]
        report = "\n".join(f"--- worker {i} (exit code {p.returncode}) stderr:\n{text}"
                           for i, (p, text) in enumerate(zip(procs, errors)))
        if failed and attempt + 1 < attempts and "address already in use" in report.lower():
            continue
        why = "a worker failed" if failed else f"the workers did not finish in {timeout} s"
        pytest.fail(f"{why}\n{report}", pytrace=False)


def max_diff(a, b):
    return max(float(np.max(np.abs(np.asarray(x) - np.asarray(y)))) for x, y in zip(a, b))


def test_two_workers_train_like_one_device_with_the_same_global_batch(tmp_path):
    """Global batch 16 over two worker processes (one replica each) gives one device's weights.

    Checks on the way that the replica ids are global (0 and 1, not 0 on both workers,
    else both would draw the same noise slice) and that worker i trains on slice i of
    every global batch (the DATA auto-shard policy; OFF feeds both the same slice).
    """
    outputs = run_workers(tmp_path, WORKER)
    results = sorted((json.loads(o.split("RESULT ", 1)[1]) for o in outputs), key=lambda r: r["worker"])
    per_replica = GLOBAL_BATCH // 2
    for index, result in enumerate(results):
        assert result["worker"] == index
        assert result["replicas"] == 2
        assert result["replica_ids"] == [index]
        assert result["rows"] == list(range(index * per_replica, (index + 1) * per_replica))
    first, second = results
    for loss in LOSSES:
        multi, single = first[loss], first[loss]["single"]
        assert single["replicas"] == 1
        assert multi["steps"] == second[loss]["steps"] == [16, 8]  # 4 batches x 2 epochs, d_steps=2
        assert len(multi["weights"]) == len(single["weights"]) > 0
        moved = max_diff(multi["weights"], multi["start"])
        diff = max_diff(multi["weights"], single["weights"])
        assert moved > 1e-3, (loss, moved)  # training moved the weights...
        assert diff < 1e-5, (loss, diff, moved)  # ...as one device moves them
        assert max_diff(multi["weights"], second[loss]["weights"]) < 1e-6  # the workers agree
        for key, values in single["history"].items():  # trackers report global-batch values
            assert len(multi["history"][key]) == len(values) == 2
            assert max_diff(multi["history"][key], values) < 1e-4, (loss, key)
            assert max_diff(second[loss]["history"][key], values) < 1e-4, (loss, key)


def test_local_cluster_gives_each_worker_its_tf_config():
    configs = distribute.local_cluster(3)
    workers = configs[0]["cluster"]["worker"]
    assert len(workers) == len(set(workers)) == 3
    assert all(w.startswith("127.0.0.1:") and 0 < int(w.rsplit(":", 1)[1]) < 65536 for w in workers)
    for index, config in enumerate(configs):
        assert config == {"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}}
        assert json.loads(distribute.tf_config_json(config)) == config
    fixed = distribute.local_cluster(2, base_port=23456)
    assert fixed[1]["cluster"]["worker"] == ["127.0.0.1:23456", "127.0.0.1:23457"]
    assert fixed[1]["task"]["index"] == 1
    # The rule of gan_keras.validate: a wrong type is a TypeError, a wrong value a ValueError.
    for bad in (0, -1):
        with pytest.raises(ValueError, match="num_workers must be a positive integer"):
            distribute.local_cluster(bad)
    for bad in (1.5, True, "2", None):
        with pytest.raises(TypeError, match="num_workers must be an integer"):
            distribute.local_cluster(bad)
    for bad in (0, 65535, -5):
        with pytest.raises(ValueError, match="base_port"):
            distribute.local_cluster(2, base_port=bad)
    for bad in (8000.0, True):
        with pytest.raises(TypeError, match="base_port"):
            distribute.local_cluster(2, base_port=bad)
    with pytest.raises(ValueError, match="'cluster' and 'task'"):
        distribute.tf_config_json({"worker": workers})


def test_keras_reduction_patch_is_idempotent_and_leaves_other_strategies_alone(monkeypatch):
    import tensorflow as tf
    from keras.src.backend.tensorflow import trainer as tf_trainer

    original = tf_trainer.reduce_per_replica
    monkeypatch.setattr(tf_trainer, "reduce_per_replica", original)  # restored after the test
    assert distribute.patch_keras_multi_worker_reduction()
    patched = tf_trainer.reduce_per_replica
    assert patched is not original and patched.__wrapped__ is original
    assert distribute.patch_keras_multi_worker_reduction()
    assert tf_trainer.reduce_per_replica is patched  # not wrapped twice
    logs = {"d_loss": tf.constant(1.5), "g_loss": tf.constant(0.5)}
    reduced = patched(logs, tf.distribute.get_strategy(), "auto")
    assert {k: float(v) for k, v in reduced.items()} == {"d_loss": 1.5, "g_loss": 0.5}
