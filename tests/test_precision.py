"""``--precision float32|mixed_float16|mixed_bfloat16``: every trainer under bfloat16, the
option recorded in the run folder, and a resume with another precision refused.

bfloat16 keeps float32's exponent range, so only float16 wraps the optimizers for loss
scaling. The CLI cases run ``cli.main`` in-process on a tiny vanilla GAN (4 batches).
"""

import json

import keras
import numpy as np
import pytest
from tiny_trainers import TRAINERS, X, images

from gan_keras import engine, io, models
from gan_keras.app import cli
from gan_keras.recipes import run_folder, settings
from gan_keras.trainers.gan import GAN

TINY = ["--data", "digits", "--limit", "128", "--batch-size", "32", "--latent-dim", "8", "--seed", "1",
        "--epochs", "1"]


def tiny_gan():
    g = models.build_mlp_generator(3, (4, 4, 1), hidden_units=(12,))
    d = models.build_mlp_discriminator((4, 4, 1), hidden_units=(12,))
    gan = GAN(g, d, seed=0)
    return gan


TRAINERS_AND_GAN = dict(TRAINERS, gan=(tiny_gan, lambda m, **kw: m.compile(
    keras.optimizers.SGD(0.05), keras.optimizers.SGD(0.05), **kw), lambda: images(X)))


def compute_dtypes(model):
    found = set()
    for sub in [l for l in model._flatten_layers() if l is not model]:
        policy = getattr(sub, "dtype_policy", None)
        if policy is not None and sub.weights:
            found.add(policy.compute_dtype)
    return found


@pytest.mark.parametrize("name", sorted(TRAINERS_AND_GAN))
def test_every_trainer_trains_under_bfloat16_without_loss_scaling(name):
    make, compile_, batches = TRAINERS_AND_GAN[name]
    keras.utils.set_random_seed(0)
    with engine.precision_policy("mixed_bfloat16"):
        model = make()
    assert keras.config.dtype_policy().name == "float32"  # the global policy is restored
    compile_(model)
    # Layers with weights compute in bfloat16 (the tiny models' float32 output layers excepted)
    assert "bfloat16" in compute_dtypes(model), compute_dtypes(model)
    optimizers = [opt for _, opt in engine.optimizers_of(model)]
    assert optimizers and not any(isinstance(opt, keras.optimizers.LossScaleOptimizer) for opt in optimizers)
    start = [w.numpy().copy() for w in model.trainable_weights]
    history = model.fit(batches(), epochs=1, verbose=0, shuffle=False).history
    assert all(np.isfinite(v[-1]) for v in history.values()), history
    assert all(w.dtype == "float32" for w in model.trainable_weights)  # float32 master weights
    assert any(not np.array_equal(a, w.numpy()) for a, w in zip(start, model.trainable_weights))


def test_precision_policy_names_and_the_older_bool():
    for policy, name in (("float32", "float32"), ("mixed_float16", "mixed_float16"),
                         ("mixed_bfloat16", "mixed_bfloat16"), (True, "mixed_float16"), (False, "float32")):
        with engine.precision_policy(policy):
            assert keras.config.dtype_policy().name == name
        assert keras.config.dtype_policy().name == "float32"
    for bad in ("bfloat16", "float16", None, 16):
        with pytest.raises(ValueError, match="precision must be one of float32, mixed_float16, mixed_bfloat16"):
            with engine.precision_policy(bad):
                pass
    # float16 alone asks for loss scaling
    with engine.precision_policy("mixed_float16"):
        gan = tiny_gan()
    gan.compile()
    assert isinstance(gan.d_optimizer, keras.optimizers.LossScaleOptimizer)


def test_train_config_precision_and_the_mixed_precision_spelling():
    assert settings.TrainConfig().compute_precision == "float32"
    assert settings.TrainConfig(mixed_precision=True).compute_precision == "mixed_float16"
    assert settings.TrainConfig(mixed_precision=True, precision="mixed_float16").compute_precision == "mixed_float16"
    assert settings.TrainConfig(precision="mixed_bfloat16").compute_precision == "mixed_bfloat16"
    with pytest.raises(ValueError, match="--mixed-precision means --precision mixed_float16"):
        settings.TrainConfig(mixed_precision=True, precision="mixed_bfloat16")
    with pytest.raises(ValueError, match="precision must be one of"):
        settings.TrainConfig(precision="bfloat16")


def run(*args, capsys):
    try:
        code = cli.main(["train", "gan", *TINY, *args])
    except SystemExit as exc:
        code = exc.code
    return code, capsys.readouterr().err


def error_lines(err):
    return [line for line in err.splitlines() if line.startswith("python -m gan_keras")]


@pytest.fixture
def quiet_env(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GAN_KERAS_FAST", "0")
    return tmp_path


def test_cli_records_the_precision_and_refuses_a_resume_with_another(quiet_env, capsys):
    code, err = run("--precision", "mixed_bfloat16", "--out", "bf16", capsys=capsys)
    assert code == 0, err[-2000:]
    config = json.loads((quiet_env / "bf16" / "run.json").read_text())["config"]
    assert config["precision"] == "mixed_bfloat16" and config["mixed_precision"] is False
    settings = io.read_json(quiet_env / "bf16" / "checkpoint" / "settings.json")["settings"]
    assert settings["precision"] == "mixed_bfloat16"
    assert keras.config.dtype_policy().name == "float32"  # the run restored the global policy
    before = {p: p.read_bytes() for p in sorted((quiet_env / "bf16").rglob("*")) if p.is_file()}
    for other, shown in ((["--precision", "float32"], "'float32'"), ([], "'float32'"),
                         (["--mixed-precision"], "'mixed_float16'")):
        code, err = run("--epochs", "2", "--out", "bf16", "--resume", *other, capsys=capsys)
        (line,) = error_lines(err)
        assert code == 2 and "different settings" in line, line
        assert f"--precision {shown} (the checkpoint has 'mixed_bfloat16')" in line, line
        assert "--mixed-precision" not in line.split(";")[0], line  # named once, as --precision
    after = {p: p.read_bytes() for p in sorted((quiet_env / "bf16").rglob("*")) if p.is_file()}
    assert before == after  # refused before anything was written
    # The same precision resumes
    code, err = run("--epochs", "2", "--out", "bf16", "--resume", "--precision", "mixed_bfloat16", capsys=capsys)
    assert code == 0, err[-2000:]
    assert io.read_json(quiet_env / "bf16" / "checkpoint" / "latest.json")["epoch"] == 2
    # Both spellings with different values: one line, nothing trained
    code, err = run("--mixed-precision", "--precision", "mixed_bfloat16", "--out", "both", capsys=capsys)
    (line,) = error_lines(err)
    assert code == 2 and "--mixed-precision means --precision mixed_float16" in line, line
    assert not (quiet_env / "both").exists()


def test_mixed_precision_checkpoints_of_before_the_option_keep_resuming(tmp_path):
    # A settings.json written before --precision existed records only mixed_precision
    for stored_mixed, same, other in ((True, dict(mixed_precision=True), dict(precision="mixed_bfloat16")),
                                      (False, dict(), dict(precision="mixed_bfloat16"))):
        out = tmp_path / f"old-{stored_mixed}"
        config = settings.TrainConfig(model="gan", data="digits", epochs=3, batch_size=32, latent_dim=8, seed=1,
                                    limit=128, loss="non_saturating", out=str(out), mixed_precision=stored_mixed)
        stored = run_folder.shaping_settings(config)
        del stored["precision"]
        io.write_json(out / "checkpoint" / "settings.json", {"settings": stored, "epochs": 3})
        io.write_json(out / "checkpoint" / "latest.json", {"epoch": 2, "folder": "epoch_0002"})
        resumed = run_folder.prepare_resume(settings.TrainConfig(model="gan", out=str(out), resume=True, data="digits",
                                                           seed=1, **same))
        assert resumed.compute_precision == ("mixed_float16" if stored_mixed else "float32")
        with pytest.raises(ValueError, match=r"--precision 'mixed_bfloat16' \(the checkpoint has "
                                             r"'(mixed_float16|float32)'\)"):
            run_folder.prepare_resume(settings.TrainConfig(model="gan", out=str(out), resume=True, data="digits",
                                                     seed=1, **other))


def test_the_options_a_model_takes_name_precision_where_it_is_supported():
    from gan_keras import recipes

    for name in recipes.available():
        flags = recipes.options_of(name)
        assert ("--precision" in flags) == recipes.supports(name, "mixed_precision"), name


@pytest.mark.parametrize("model", ["dcgan", "cgan"])
def test_the_new_defaults_of_dcgan_and_cgan_train_under_bfloat16(model, tmp_path):
    """Self-conditioning (dcgan) and the AC-GAN's class loss (cgan) under --precision mixed_bfloat16."""
    from gan_keras import io, recipes

    result = recipes.train(recipes.TrainConfig(model=model, data="digits", epochs=1, limit=64, batch_size=32,
                                               out=str(tmp_path / model), verbose=0, precision="mixed_bfloat16"))
    assert all(np.isfinite(v[-1]) for v in result.history.values()), result.history
    g = io.load_model(tmp_path / model / "generator.keras")
    assert g is not None
