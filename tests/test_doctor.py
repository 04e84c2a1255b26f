"""`python -m gan_keras doctor`: versions, backend, devices, network and why, caches, fast mode; exit 0."""

import hashlib
import json
import os
import socket
import subprocess
import sys

import pytest

from gan_keras.app import doctor, notebook


def _lines(report):
    return {line.label.strip(): line for line in report.lines}


def _on_tensorflow() -> bool:
    import keras

    return keras.backend.backend() == "tensorflow"


def test_report_names_versions_backend_devices_network_caches_and_fast_mode(tmp_path, monkeypatch):
    import keras

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    lines = _lines(doctor.collect())
    assert lines["Python"].text.startswith(".".join(map(str, sys.version_info[:3])))
    if not _on_tensorflow():  # JAX or PyTorch: that framework's version, TensorFlow not used
        backend = keras.backend.backend()
        label, module = doctor.FRAMEWORKS[backend]
        assert lines["backend"].text == backend and lines["backend"].advice is None
        assert lines[label].text.startswith(__import__(module).__version__)
        assert lines["TensorFlow"].text.startswith(f"not used on the {backend} backend")
        gpus = len(doctor.backend_gpus(backend))
        assert lines["devices"].text.startswith(("no GPU: expect CPU times", f"{gpus} GPU"))
        return
    import tensorflow as tf

    assert lines["TensorFlow"].text.startswith(tf.__version__) and lines["Keras"].text == keras.__version__
    assert lines["backend"].text == "tensorflow" and lines["backend"].advice is None
    if tf.config.list_physical_devices("GPU"):
        assert "GPU(s):" in lines["devices"].text
    else:
        assert lines["devices"].text.startswith("no GPU: expect CPU times") and lines["devices"].advice
    # The tests run with GAN_KERAS_OFFLINE=1: offline, and the reason is the switch (no probe tried).
    assert lines["network"].text.startswith("offline:") and "GAN_KERAS_OFFLINE=1" in lines["network"].text
    assert lines["Keras cache"].text == str(tmp_path)
    assert lines["MNIST"].text.startswith("missing") and lines["ImageNet weights of VGG19"].text.startswith("missing")
    assert "offline without MNIST" in lines["offline"].advice
    assert lines["fast mode"].text.startswith("ON")
    text = doctor.collect().format()
    assert "thing(s) to look at:" in text and all(f"- {a}" in text for a in doctor.collect().advice)


def test_cached_files_are_checked_by_hash_and_size(tmp_path):
    content = b"some bytes standing for a dataset"
    for algorithm in ("sha256", "md5"):
        entry = doctor.CachedFile("data", "datasets/x.bin", len(content),
                                  hashlib.new(algorithm, content).hexdigest(), "a test")
        assert doctor.check_cached_file(entry, tmp_path) == "missing"
        (tmp_path / "datasets").mkdir(exist_ok=True)
        (tmp_path / "datasets" / "x.bin").write_bytes(content)
        assert doctor.check_cached_file(entry, tmp_path) == "ok"
        (tmp_path / "datasets" / "x.bin").write_bytes(content[:-1] + b"!")
        assert doctor.check_cached_file(entry, tmp_path).startswith(f"corrupt ({len(content)} bytes, {algorithm}")
        (tmp_path / "datasets" / "x.bin").unlink()
    sized = doctor.CachedFile("data", "d/y.gz", 10, None, "a test")
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "y.gz").write_bytes(b"0123456789")
    assert doctor.check_cached_file(sized, tmp_path) == "ok"
    (tmp_path / "d" / "y.gz").write_bytes(b"012345")
    assert doctor.check_cached_file(sized, tmp_path) == "corrupt (6 bytes, expected 10)"


def test_damaged_and_present_downloads_are_reported_with_advice(tmp_path, monkeypatch):
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "datasets" / "fashion-mnist").mkdir(parents=True)
    (tmp_path / "datasets" / "mnist.npz").write_bytes(b"half a download")
    labels = next(e for e in doctor.CACHED_FILES if e.relative.endswith("t10k-labels-idx1-ubyte.gz"))
    (tmp_path / labels.relative).write_bytes(b"x" * labels.size_bytes)
    lines = _lines(doctor.collect())
    assert lines["MNIST"].text.startswith("corrupt") and "delete that file" in lines["MNIST"].advice
    assert str(tmp_path / "datasets" / "mnist.npz") in lines["MNIST"].advice
    assert lines[labels.what].text.startswith("ok") and lines[labels.what].advice is None
    short = doctor.short_report()
    assert "Fashion-MNIST" not in short.split("Cached in")[1].splitlines()[0]  # only the train images count
    assert "Advice: MNIST in" in short and "damaged" in short


@pytest.mark.parametrize("outcome, online, words", [
    (socket.gaierror(-2, "Name or service not known"), False, "cannot resolve storage.googleapis.com"),
    (ConnectionRefusedError(111, "Connection refused"), False, "cannot connect to storage.googleapis.com:443"),
    (None, True, "reached storage.googleapis.com"),
])
def test_network_status_says_why(monkeypatch, outcome, online, words):
    class Connection:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

    def create_connection(address, timeout):
        assert address == doctor.PROBE_HOST and timeout <= doctor.PROBE_TIMEOUT_S
        if outcome is not None:
            raise outcome
        return Connection()

    monkeypatch.setenv("GAN_KERAS_OFFLINE", "0")
    monkeypatch.setattr(doctor.socket, "create_connection", create_connection)
    result_online, why = doctor.network_status()
    assert result_online is online and words in why


@pytest.mark.tensorflow_only  # on JAX TensorFlow is not used (the JAX report's test below)
def test_a_broken_tensorflow_is_advice_not_a_crash(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow", None)
    lines = _lines(doctor.collect(probe_network=False))
    assert lines["TensorFlow"].text.startswith("cannot be imported")
    assert "pip install -r requirements.txt" in lines["TensorFlow"].advice
    assert "devices" not in lines and "fast mode" in lines


# Both in one fresh process on JAX (about 5 s): the report and the setup cell, and no TensorFlow.
ON_JAX = """
import json, sys
from gan_keras.app import doctor
from gan_keras.app import notebook
sys.modules["tensorflow"] = None  # importing TensorFlow would fail: the JAX path must not need it
report = doctor.collect(probe_network=False)
fast = notebook.setup()
print("RESULT " + json.dumps({"lines": {l.label.strip(): [l.text, l.advice] for l in report.lines}, "fast": fast}))
"""


def test_report_and_setup_cell_on_jax_name_jax_and_need_no_tensorflow(tmp_path):
    jax = pytest.importorskip("jax")
    import keras

    env = dict(os.environ, KERAS_BACKEND="jax")
    out = subprocess.run([sys.executable, "-c", ON_JAX], cwd=tmp_path, env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    printed, result = out.stdout.split("RESULT ", 1)
    result = json.loads(result)
    lines = result["lines"]
    assert lines["backend"] == ["jax", None] and lines["Keras"] == [keras.__version__, None]
    assert lines["JAX"][0].startswith(jax.__version__) and lines["JAX"][1] is None
    assert lines["TensorFlow"][0].startswith("not used on the jax backend") and lines["TensorFlow"][1] is None
    assert lines["devices"][0].startswith(("no GPU: expect CPU times", "1 GPU", "2 GPU", "4 GPU", "8 GPU"))
    assert "network" in lines and "fast mode" in lines
    assert result["fast"] is True
    assert f"JAX {jax.__version__}, Keras {keras.__version__}, gan_keras " in printed
    assert "set up (Keras backend: jax)." in printed and "python -m gan_keras doctor" in printed


def test_setup_cell_prints_the_short_form(capsys):
    assert notebook.setup() is True
    out = capsys.readouterr().out
    assert "Offline: offline mode is on (GAN_KERAS_OFFLINE=1)" in out
    assert "Cached in " in out and "python -m gan_keras doctor" in out


def test_doctor_command_exits_0(tmp_path):
    # One Python start with TensorFlow (about 5 s).
    out = subprocess.run([sys.executable, "-m", "gan_keras", "doctor"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    for label in ("Python:", "TensorFlow:", "Keras:", "backend:", "devices:", "network:", "Keras cache:",
                  "MNIST:", "ImageNet weights of InceptionV3:", "gan_keras cache:", "fast mode:"):
        assert label in out.stdout, label
    assert "Traceback" not in out.stderr


# ------------------------------------------------------------------ downloads explain themselves

def _fake_mnist_loader(monkeypatch, tmp_path, fail=None):
    """Stand in for keras.datasets.mnist.load_data: read the cached file, or 'download' a small valid one."""
    import keras
    import numpy as np

    calls = []

    def load_data():
        calls.append("load")
        path = tmp_path / "datasets" / "mnist.npz"
        if fail:
            raise Exception(fail)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            rng = np.random.default_rng(0)
            np.savez(path, x_train=rng.integers(0, 255, (30, 28, 28), dtype=np.uint8), y_train=np.arange(30) % 10,
                     x_test=rng.integers(0, 255, (20, 28, 28), dtype=np.uint8), y_test=np.arange(20) % 10)
        with np.load(path) as f:
            return (f["x_train"], f["y_train"]), (f["x_test"], f["y_test"])

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    monkeypatch.setattr(keras.datasets.mnist, "load_data", load_data)
    return calls


def test_a_download_says_what_how_large_and_where(tmp_path, monkeypatch, capsys):
    from gan_keras import data

    calls = _fake_mnist_loader(monkeypatch, tmp_path)
    got = data.load_images("mnist", offline=False)
    out = capsys.readouterr().out
    assert len(got) == 30 and got.name == "mnist" and calls == ["load"]
    assert f"downloading MNIST (about 11 MB) into {tmp_path / 'datasets'}" in out
    data.load_images("mnist", offline=False)  # cached now: no announcement
    assert "downloading" not in capsys.readouterr().out


def test_a_corrupt_cached_dataset_is_fetched_again(tmp_path, monkeypatch, capsys):
    from gan_keras import data

    calls = _fake_mnist_loader(monkeypatch, tmp_path)
    (tmp_path / "datasets").mkdir()
    (tmp_path / "datasets" / "mnist.npz").write_bytes(b"PK\x03\x04 cut short")
    got = data.load_images("mnist", split="test", offline=False)
    captured = capsys.readouterr()
    assert len(got) == 20 and got.name == "mnist" and calls == ["load", "load"]
    assert "is damaged" in captured.err and "fetching it again" in captured.err
    assert "downloading MNIST" in captured.out


def test_a_failed_download_says_how_to_retry(tmp_path, monkeypatch, capsys):
    from gan_keras import data

    _fake_mnist_loader(monkeypatch, tmp_path, fail="URL fetch failure on https://x/mnist.npz: None -- "
                                                   "[Errno -3] Temporary failure in name resolution")
    got = data.load_images("mnist", offline=False)
    err = capsys.readouterr().err
    assert got.name == "digits" and "Temporary failure in name resolution" in err and "To retry" in err


def test_weights_downloads_and_damaged_weights_explain_themselves(tmp_path, monkeypatch, capsys):
    import keras

    from gan_keras import images

    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    (tmp_path / "models").mkdir()
    damaged = tmp_path / "models" / images.WEIGHT_FILES["vgg19"]
    damaged.write_bytes(b"half an HDF5 file")
    # Offline: the damaged file is not used, and no download is tried.
    with pytest.raises(images.WeightsUnavailableError, match="offline mode"):
        images.load_application("vgg19", weights="imagenet", fallback=False)
    captured = capsys.readouterr()
    assert "damaged (17 bytes, expected 80,134,624): ignoring them (offline mode)" in captured.err
    assert "downloading" not in captured.out
    # Online: one line before the download says what, how large and where; a failure says what to do.
    monkeypatch.setenv("GAN_KERAS_OFFLINE", "0")
    damaged.unlink()

    def vgg19_without_internet(*args, weights=None, **kwargs):
        raise Exception("URL fetch failure on https://storage.googleapis.com/...: None -- [Errno -3]")

    monkeypatch.setattr(keras.applications, "VGG19", vgg19_without_internet)
    with pytest.raises(images.WeightsUnavailableError, match="connect to the internet once"):
        images.load_application("vgg19", weights="imagenet", fallback=False)
    out = capsys.readouterr().out
    assert f"downloading the ImageNet weights of vgg19 (about 80 MB) into {tmp_path / 'models'}" in out
