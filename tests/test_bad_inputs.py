"""An audit of bad inputs: each gets a clear ValueError/TypeError naming what was expected.

The table below is the audit: one row per bad input to the public API, with the error
type and a piece of its message. The command line cases run ``cli.main`` in-process and
check for a one-line message and exit code 2.
"""

import importlib
import zipfile

import keras
import numpy as np
import pytest
import tensorflow as tf

from gan_keras import GAN, data, engine, io, models, validate
from gan_keras.app import cli
from gan_keras.data import batches
from gan_keras.recipes import TrainConfig

# One worker runs this file (pytest-xdist): its module fixtures are made once.
pytestmark = pytest.mark.xdist_group("test_bad_inputs")


@pytest.fixture(scope="module")
def gan():
    g = models.build_mlp_generator(16, (28, 28, 1), hidden_units=(8,))
    d = models.build_mlp_discriminator((28, 28, 1), hidden_units=(8,))
    model = GAN(g, d, seed=0)
    model.compile(engine.make_optimizer(), engine.make_optimizer())
    return model


def images(n=8, shape=(28, 28, 1), low=-1.0, high=1.0, dtype="float32"):
    return np.random.default_rng(0).uniform(low, high, (n, *shape)).astype(dtype)


def _ds(x, batch_size=4):
    return tf.data.Dataset.from_tensor_slices(x).batch(batch_size)


# (what is wrong, call, error type, piece of the message)
API_CASES = [
    # -- data -------------------------------------------------------------------------
    ("unknown dataset name", lambda g: data.load_images("cifar"), ValueError, "unknown dataset"),
    ("dataset name of wrong type", lambda g: data.load_images(3), TypeError, "dataset name"),
    ("bad split", lambda g: data.load_images("digits", split="val"), ValueError, "split"),
    ("limit zero", lambda g: data.load_images("digits", limit=0), ValueError, "limit"),
    ("images of rank 3", lambda g: validate.images(np.zeros((4, 28, 28))), ValueError, "(N, H, W, C)"),
    ("images of strings", lambda g: validate.images(np.full((1, 2, 2, 1), "a")), TypeError, "numbers"),
    ("images in 0..255", lambda g: validate.images(images(high=255.0)), ValueError, "scale 0..255"),
    ("images with NaN", lambda g: validate.images(np.full((1, 2, 2, 1), np.nan)), ValueError, "NaN"),
    ("no images", lambda g: validate.images(np.zeros((0, 2, 2, 1))), ValueError, "empty"),
    ("images of the wrong size", lambda g: validate.images(images(), expected_shape=(32, 32, 1)),
     ValueError, "(32, 32, 1)"),
    ("dataset of zero images", lambda g: batches.make_dataset(np.zeros((0, 28, 28, 1))), ValueError, "zero images"),
    ("batch larger than data", lambda g: batches.make_dataset(images(4), batch_size=8), ValueError, "larger"),
    ("labels of another length", lambda g: batches.make_dataset(images(8), np.arange(3), batch_size=2),
     ValueError, "3 labels"),
    ("negative labels", lambda g: batches.make_dataset(images(4), np.array([0, 1, -1, 2]), batch_size=2),
     ValueError, ">= 0"),
    ("fractional labels", lambda g: batches.make_dataset(images(2), np.array([0.5, 1.0]), batch_size=2),
     TypeError, "integer class"),
    ("labels out of range", lambda g: data.check_labels(np.array([0, 10]), num_classes=10), ValueError, "0..9"),
    ("batch size zero", lambda g: batches.make_dataset(images(4), batch_size=0), ValueError, "batch_size"),
    # -- trainer construction and compile ---------------------------------------------
    ("generator that is not a model", lambda g: GAN("g", g.discriminator), TypeError, "keras.Model"),
    ("generator/discriminator shapes differ",
     lambda g: GAN(g.generator, models.build_mlp_discriminator((32, 32, 1))), ValueError, "expects"),
    ("d_steps zero", lambda g: GAN(g.generator, g.discriminator, d_steps=0), ValueError, "d_steps"),
    ("optimizer of wrong type", lambda g: GAN(g.generator, g.discriminator).compile("adam", engine.make_optimizer()),
     TypeError, "keras optimizer"),
    ("one optimizer for both", lambda g: (lambda o: GAN(g.generator, g.discriminator).compile(o, o))(
        engine.make_optimizer()), ValueError, "separate"),
    ("unknown loss", lambda g: GAN(g.generator, g.discriminator).compile(loss="best"), ValueError, "unknown loss"),
    ("negative gradient penalty",
     lambda g: GAN(g.generator, g.discriminator).compile(loss="wasserstein", gradient_penalty_weight=-1),
     ValueError, "gradient_penalty_weight"),
    # -- training data ----------------------------------------------------------------
    ("images of the wrong shape (array)", lambda g: g.fit(images(8, (32, 32, 1)), batch_size=4, verbose=0),
     ValueError, "(28, 28, 1)"),
    ("images of the wrong shape (tf.data)", lambda g: g.fit(_ds(images(8, (32, 32, 1))), verbose=0),
     ValueError, "(28, 28, 1)"),
    ("uint8 images (tf.data)", lambda g: g.fit(_ds(images(8, high=255.0).astype("uint8")), verbose=0),
     TypeError, "floats scaled to [-1, 1]"),
    ("images in 0..255 (array)", lambda g: g.fit(images(8, high=255.0), batch_size=4, verbose=0),
     ValueError, "[-1, 1]"),
    ("images with NaN (array)", lambda g: g.fit(np.full((8, 28, 28, 1), np.nan, "float32"), verbose=0),
     ValueError, "NaN"),
    ("empty dataset", lambda g: g.fit(_ds(images(8)).take(0), verbose=0), ValueError, "empty"),
    ("empty array", lambda g: g.fit(np.zeros((0, 28, 28, 1), "float32"), verbose=0), ValueError, "empty"),
    ("strings as data", lambda g: g.fit(np.full((4, 28, 28, 1), "x"), verbose=0), TypeError, "numbers"),
    # -- sampling ----------------------------------------------------------------------
    ("latent vectors of the wrong size", lambda g: g.generate(np.zeros((3, 7))), ValueError, "(n, 16)"),
    # -- run settings ------------------------------------------------------------------
    ("negative epochs", lambda g: TrainConfig(epochs=-1), ValueError, "epochs"),
    ("seed that is not an integer", lambda g: TrainConfig(seed=1.5), TypeError, "seed"),  # wrong type
    ("epochs of type bool", lambda g: TrainConfig(epochs=True), TypeError, "epochs"),
    ("uneven split over replicas",
     lambda g: importlib.import_module("gan_keras.training.distribute").per_replica_batch_size(7, 2),
     ValueError, "evenly"),
]


@pytest.mark.parametrize("what, call, error, message", API_CASES, ids=[c[0] for c in API_CASES])
def test_api_bad_input_gets_a_clear_error(gan, what, call, error, message):
    with pytest.raises(error) as info:
        call(gan)
    assert message in str(info.value), f"{what}: {info.value}"


# -- files -----------------------------------------------------------------------------

def test_unreadable_and_missing_files(tmp_path):
    folder = tmp_path / "pics"
    folder.mkdir()
    with pytest.raises(ValueError, match="holds no images"):
        data.load_images(str(folder))
    (folder / "broken.png").write_bytes(b"not a png")
    with pytest.raises(ValueError, match="cannot read image"):
        data.load_images(str(folder))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        data.load_images(str(tmp_path / "nowhere") + "/")
    with pytest.raises(FileNotFoundError):
        io.read_json(tmp_path / "none.json")
    (tmp_path / "bad.json").write_text("{half")
    with pytest.raises(ValueError, match="not valid JSON"):
        io.read_json(tmp_path / "bad.json")
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(ValueError, match="damaged"):
        io.read_arrays(tmp_path / "bad.npz")


def test_load_model_checks_the_file_and_the_model(tmp_path):
    g = models.build_mlp_generator(16, (28, 28, 1), hidden_units=(8,))
    path = io.save_model(g, tmp_path / "generator.keras")
    loaded = io.load_model(path, expected_input_shape=(16,), expected_output_shape=(28, 28, 1))
    np.testing.assert_array_equal(loaded.weights[0].numpy(), g.weights[0].numpy())
    # a .keras file from another model
    with pytest.raises(ValueError, match=r"input has shape \(16,\), expected \(64,\).*another model"):
        io.load_model(path, expected_input_shape=(64,))
    with pytest.raises(ValueError, match="output has shape"):
        io.load_model(path, expected_output_shape=(32, 32, 3))
    # not a model file at all
    with pytest.raises(FileNotFoundError):
        io.load_model(tmp_path / "missing.keras")
    with pytest.raises(ValueError, match="must end in .keras"):
        io.load_model(tmp_path / "generator.h5")
    (tmp_path / "text.keras").write_text("hello")
    with pytest.raises(ValueError, match="not a Keras model file"):
        io.load_model(tmp_path / "text.keras")
    (tmp_path / "dir.keras").mkdir()
    with pytest.raises(IsADirectoryError):
        io.load_model(tmp_path / "dir.keras")
    with zipfile.ZipFile(tmp_path / "empty.keras", "w") as z:
        z.writestr("nothing.txt", "x")
    with pytest.raises(ValueError, match="cannot load model"):
        io.load_model(tmp_path / "empty.keras")
    with pytest.raises(TypeError, match="file path"):
        io.load_model(3)


def test_loading_never_runs_code_from_the_file(tmp_path):
    """A Lambda layer carries pickled Python: safe mode refuses it, so nothing runs."""
    inputs = keras.Input((4,))
    outputs = keras.layers.Lambda(lambda x: x * 2.0)(inputs)
    path = io.save_model(keras.Model(inputs, outputs), tmp_path / "lambda.keras")
    with pytest.raises(ValueError, match="cannot load model.*(unsafe|safe_mode|Lambda)"):
        io.load_model(path)


def test_checkpoint_of_another_model_is_refused(tmp_path, gan):
    from gan_keras.training import callbacks

    callbacks.TrainingCheckpoint(tmp_path).save(1, model=gan)
    other = GAN(models.build_mlp_generator(8, (28, 28, 1), hidden_units=(8,)), gan.discriminator)
    other.compile(engine.make_optimizer(), engine.make_optimizer())
    with pytest.raises(ValueError, match="different model"):
        callbacks.TrainingCheckpoint(tmp_path).restore(other)
    (tmp_path / "latest.json").write_text("{oops")
    with pytest.raises(ValueError, match="not valid JSON"):
        callbacks.TrainingCheckpoint(tmp_path).restore(gan)


# -- other developers' trainers (present at the time of the audit) ---------------------

def test_conditional_gan_bad_inputs():
    cgan = pytest.importorskip("gan_keras.trainers.cgan")
    g = models.build_conditional_generator(8, 10, (28, 28, 1), filters=(8, 4))
    d = models.build_conditional_discriminator((28, 28, 1), 10, filters=(4, 8))
    model = cgan.ConditionalGAN(g, d, num_classes=10, seed=0)
    model.compile(engine.make_optimizer(), engine.make_optimizer())
    with pytest.raises(ValueError, match="0..9"):
        model.generate([3, 12])
    with pytest.raises(TypeError, match="integer class"):
        model.generate(np.array([0.5]))
    with pytest.raises(ValueError, match="num_classes"):
        cgan.ConditionalGAN(g, d, num_classes=1)
    with pytest.raises(ValueError, match=r"\(n, 8\)"):
        model.generate([1, 2], z=np.zeros((2, 5)))
    with pytest.raises(ValueError, match="0..9"):
        batches.make_dataset(images(4), np.array([0, 1, 2, 3]), batch_size=2) and data.check_labels([11], 10)


def test_vae_bad_inputs():
    vae = pytest.importorskip("gan_keras.trainers.vae")
    from gan_keras.models import vae as vae_models

    encoder = vae_models.build_vae_encoder(2, (28, 28, 1))
    decoder = vae_models.build_vae_decoder(2, (28, 28, 1))
    with pytest.raises(ValueError, match="beta"):
        vae.VAE(encoder, decoder, beta=-1)
    with pytest.raises(TypeError, match="keras.Model"):
        vae.VAE("encoder", decoder)
    model = vae.VAE(encoder, decoder)
    with pytest.raises(ValueError, match="latent vectors"):
        model.generate(np.zeros((2, 5)))


# -- the command line ------------------------------------------------------------------

CLI_CASES = [
    (["train", "gan", "--resume"], "--resume needs --out"),
    (["train", "gan", "--fast", "--batch-size", "600", "--limit", "100", "--data", "digits"], "larger"),
    (["train", "gan", "--seed", "-1"], "--seed"),
    (["train", "gan", "--fast", "--loss", "best", "--data", "digits"], "unknown loss"),
]


@pytest.mark.parametrize("args, message", CLI_CASES, ids=[" ".join(a[1:]) for a, _ in CLI_CASES])
def test_cli_bad_input_gets_one_line(args, message, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    try:
        code = cli.main(args)
    except SystemExit as exc:  # argparse errors exit
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2
    assert "Traceback" not in err
    lines = [line for line in err.splitlines() if line.startswith("python -m gan_keras")]
    assert len(lines) == 1 and message in lines[0], err[-1000:]


def test_cli_unreadable_data_folder_and_file_as_out(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "pics").mkdir()
    (tmp_path / "pics" / "a.png").write_bytes(b"garbage")
    assert cli.main(["train", "gan", "--fast", "--data", "pics", "--out", "run"]) == 2
    assert "cannot read image" in capsys.readouterr().err
    (tmp_path / "afile").write_text("x")
    assert cli.main(["train", "gan", "--fast", "--data", "digits", "--out", "afile"]) == 2
    assert "is a file" in capsys.readouterr().err


def test_semi_supervised_and_image_to_image_bad_inputs():
    sgan = pytest.importorskip("gan_keras.semi_supervised")
    image2image = pytest.importorskip("gan_keras.translation")
    with pytest.raises(TypeError, match="integer classes"):
        sgan.labelled_subset(np.array([0.5, 1.0]), per_class=1)
    with pytest.raises(ValueError, match="per_class"):
        sgan.labelled_subset(np.array([0, 1]), per_class=0)
    with pytest.raises(ValueError, match="fewer than per_class"):
        sgan.labelled_subset(np.array([0, 0, 1]), per_class=2)
    with pytest.raises(ValueError, match="one shape"):
        image2image.psnr(images(2), images(3))
    with pytest.raises(ValueError, match="one shape"):
        image2image.mean_abs_error(images(2), images(2, (14, 14, 1)))
