"""Where real MNIST and Fashion-MNIST come from: Keras' cache, system folders, GAN_KERAS_DATA, then downloads.

Every test writes small synthetic idx files under ``tmp_path`` and points the lookup there
(``KERAS_HOME``, ``data.SYSTEM_DATA_FOLDERS``, ``GAN_KERAS_DATA``); only the last test reads the
real Fashion-MNIST of Debian's ``dataset-fashion-mnist`` package, when it is installed.
"""

import gzip
import os
import re
import struct
from pathlib import Path

import numpy as np
import pytest

from gan_keras import data

REAL_FASHION = Path("/usr/share/datasets/fashion-mnist")


def _idx_bytes(array: np.ndarray) -> bytes:
    array = np.asarray(array, dtype=np.uint8)
    return struct.pack(">BBBB", 0, 0, 0x08, array.ndim) + struct.pack(f">{array.ndim}I", *array.shape) + array.tobytes()


def write_idx_folder(folder: Path, n_train: int = 12, n_test: int = 7, gz: bool = True, value: int = 0) -> Path:
    """Write the four standard idx files (images all ``value``, labels 0..9 cycling)."""
    folder.mkdir(parents=True, exist_ok=True)
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        for kind, array in (("images-idx3", np.full((n, 28, 28), value)), ("labels-idx1", np.arange(n) % 10)):
            raw = _idx_bytes(array)
            name = f"{prefix}-{kind}-ubyte"
            if gz:
                (folder / f"{name}.gz").write_bytes(gzip.compress(raw))
            else:
                (folder / name).write_bytes(raw)
    return folder


@pytest.fixture
def places(tmp_path, monkeypatch):
    """Empty Keras cache, system folder and GAN_KERAS_DATA folder, all under tmp_path."""
    import keras  # noqa: F401  (imported under the session's KERAS_HOME: Keras reads it once, at import)

    home, system, env = tmp_path / "keras", tmp_path / "system", tmp_path / "mine"
    monkeypatch.setenv("KERAS_HOME", str(home))
    monkeypatch.setenv(data.DATA_ENV, str(env))
    monkeypatch.delenv(data.SYSTEM_DATA_ENV, raising=False)  # the session leaves system folders out
    monkeypatch.setattr(data, "SYSTEM_DATA_FOLDERS", {"mnist": (system / "mnist",),
                                                      "fashion_mnist": (system / "fashion-mnist",)})
    return home / "datasets", system, env


def test_cache_wins_over_system_folder_over_gan_keras_data(places, capsys):
    cache, system, env = places
    write_idx_folder(env / "fashion-mnist", n_train=5)
    got = data.load_images("fashion_mnist", offline=True)
    assert len(got) == 5 and data.DATA_ENV in got.source and str(env / "fashion-mnist") in got.source

    write_idx_folder(system / "fashion-mnist", n_train=6, gz=False)
    got = data.load_images("fashion_mnist", offline=True)
    assert len(got) == 6 and str(system / "fashion-mnist") in got.source

    write_idx_folder(cache / "fashion-mnist", n_train=8)
    got = data.load_images("fashion_mnist", offline=True)
    assert len(got) == 8 and "Keras' cache" in got.source
    assert got.class_names == data.FASHION_CLASSES and got.image_shape == (28, 28, 1)
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == f"gan_keras: Fashion-MNIST train (8 images) from {cache / 'fashion-mnist'} (Keras' cache)"
    assert [s.kind for s in data.find_sources("fashion_mnist")] == ["cache", "system", "env"]


def test_offline_mode_reads_the_keras_cache(places, capsys):
    cache, _, _ = places
    cache.mkdir(parents=True)
    rng = np.random.default_rng(0)
    np.savez(cache / "mnist.npz", x_train=rng.integers(0, 255, (9, 28, 28), dtype=np.uint8), y_train=np.arange(9),
             x_test=np.full((4, 28, 28), 255, np.uint8), y_test=np.arange(4))
    got = data.load_images("mnist", split="test", offline=True)
    assert got.name == "mnist" and len(got) == 4 and np.all(got.images == 1.0)
    assert got.labels.dtype == np.int32 and list(got.labels) == [0, 1, 2, 3]
    err = capsys.readouterr().err
    assert "stand-in" not in err and f"MNIST test (4 images) from {cache / 'mnist.npz'}" in err


def test_gan_keras_data_may_hold_the_files_directly(places):
    _, _, env = places
    write_idx_folder(env, n_train=3, gz=False)
    got = data.load_images("mnist", offline=True)
    assert got.name == "mnist" and len(got) == 3 and got.source.endswith(f"{env} ({data.DATA_ENV})")


@pytest.mark.parametrize("damage, words", [
    (lambda raw: raw[:-100], "cut short"),
    (lambda raw: raw[:10], "cut short"),
    (lambda raw: b"\x00\x00\x07\x03" + raw[4:], "magic number"),
    (lambda raw: b"garbage!", "magic number"),
])
@pytest.mark.parametrize("gz", [True, False])
def test_a_corrupt_or_truncated_idx_file_is_one_value_error_naming_it(places, damage, words, gz):
    _, system, _ = places
    folder = write_idx_folder(system / "fashion-mnist", gz=False)
    bad = folder / "train-images-idx3-ubyte"
    raw = damage(bad.read_bytes())
    if gz:
        bad.unlink()
        bad = folder / "train-images-idx3-ubyte.gz"
        raw = gzip.compress(raw)
    bad.write_bytes(raw)
    with pytest.raises(ValueError) as info:
        data.load_images("fashion_mnist", offline=True)
    message = str(info.value)
    assert str(bad) in message and words in message and "\n" not in message


def test_a_cut_gzip_stream_is_one_value_error_naming_it(places):
    _, system, _ = places
    folder = write_idx_folder(system / "mnist")
    bad = folder / "t10k-labels-idx1-ubyte.gz"
    bad.write_bytes(bad.read_bytes()[:15])
    with pytest.raises(ValueError, match=re.escape(str(bad))):
        data.load_images("mnist", split="test", offline=True)
    with pytest.raises(ValueError, match="cannot read"):
        data.read_idx(bad)


def test_an_idx_folder_is_loaded_by_load_images(tmp_path, capsys):
    folder = write_idx_folder(tmp_path / "fashion-mnist", n_train=10, n_test=6, value=255)
    (folder / "not-a-picture.png").write_bytes(b"x")  # an idx folder is recognised before image files
    got = data.load_images(str(folder), split="test")
    assert len(got) == 6 and got.image_shape == (28, 28, 1) and np.all(got.images == 1.0)
    assert got.class_names == data.FASHION_CLASSES and list(got.labels) == [0, 1, 2, 3, 4, 5]
    assert f"from {folder}" in got.source and f"from {folder}" in capsys.readouterr().err
    plain = write_idx_folder(tmp_path / "digits_idx", gz=False)
    assert len(data.load_images(plain)) == 12
    (plain / "t10k-images-idx3-ubyte").unlink()
    with pytest.raises(ValueError, match="lacks the test files"):
        data.load_images(plain, split="test")


def test_the_data_option_takes_an_idx_folder(tmp_path):
    from gan_keras.app import cli

    folder = write_idx_folder(tmp_path / "idx", gz=False)
    assert cli.build_parser().parse_args(["train", "gan", "--data", str(folder)]).data == str(folder)


def test_the_session_leaves_the_system_folders_out(tmp_path, monkeypatch):
    write_idx_folder(tmp_path / "fashion-mnist")
    monkeypatch.setattr(data, "SYSTEM_DATA_FOLDERS", {"fashion_mnist": (tmp_path / "fashion-mnist",)})
    assert os.environ[data.SYSTEM_DATA_ENV] == "0" and data.find_sources("fashion_mnist") == []
    monkeypatch.delenv(data.SYSTEM_DATA_ENV)
    assert [s.kind for s in data.find_sources("fashion_mnist")] == ["system"]


def test_doctor_lists_every_source_with_counts(places):
    from gan_keras.app import doctor

    cache, system, env = places
    write_idx_folder(system / "fashion-mnist", n_train=11, n_test=5)
    write_idx_folder(env / "fashion-mnist", n_train=4, n_test=2)
    write_idx_folder(env / "mnist", n_train=3, n_test=1, gz=False)
    report = doctor.collect(probe_network=False)
    texts = [line.text for line in report.lines if line.label.strip().endswith("source")]
    assert f"{env / 'mnist'} ({data.DATA_ENV}): 3 train, 1 test images" in texts
    assert f"{system / 'fashion-mnist'} (system dataset folder): 11 train, 5 test images" in texts
    assert f"{env / 'fashion-mnist'} ({data.DATA_ENV}): 4 train, 2 test images" in texts
    assert len(texts) == 3
    assert "Fashion-MNIST" not in " ".join(report.advice)


@pytest.mark.skipif(not REAL_FASHION.exists() and os.environ.get("CI") != "true",
                    reason=f"{REAL_FASHION} is absent (apt-get install dataset-fashion-mnist)")
def test_the_installed_fashion_mnist_reads_whole(monkeypatch):
    # The one test that reads a system folder (only reads): CI installs the package, so there it must exist.
    assert REAL_FASHION.exists(), f"{REAL_FASHION} is missing: CI installs dataset-fashion-mnist with apt"
    monkeypatch.setattr(data, "SYSTEM_DATA_FOLDERS", {"fashion_mnist": (REAL_FASHION,)})
    monkeypatch.delenv(data.DATA_ENV, raising=False)
    monkeypatch.delenv(data.SYSTEM_DATA_ENV, raising=False)
    monkeypatch.setenv("KERAS_HOME", "/nonexistent-keras-home")
    for split, n in (("train", 60000), ("test", 10000)):
        got = data.load_images("fashion_mnist", split=split, limit=n, offline=True)
        assert len(got) == n and got.image_shape == (28, 28, 1) and got.images.dtype == np.float32
        assert sorted(set(got.labels.tolist())) == list(range(10))
        assert got.images.min() >= -1.0 and got.images.max() <= 1.0
        assert str(REAL_FASHION) in got.source
