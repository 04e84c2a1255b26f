"""The tests ignore the user's machine: private caches and a network guard, in subprocesses and kernels too.

The corrupt-weights fixture writes garbage ImageNet weight files into the user's real
``~/.keras/models`` only where no file of that name exists, and removes exactly what it made.
"""

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from gan_keras import config, images

# One worker runs this file (pytest-xdist): its module fixtures are made once.
pytestmark = pytest.mark.xdist_group("test_isolation")

# "This host" (0.0.0.0) is not loopback, so the guard must refuse it; and were the guard broken,
# the connection would still stay on this machine: no test sends a packet beyond it.
UNROUTABLE = ("0.0.0.0", 9)
USER_KERAS_HOME = Path(os.environ["GAN_KERAS_TEST_USER_KERAS_HOME"])


def _inside_temp(path) -> bool:
    return Path(path).resolve().is_relative_to(Path(tempfile.gettempdir()).resolve())


@pytest.fixture(scope="module")
def corrupt_user_weights():
    """Garbage in place of the ImageNet weights in the user's real Keras folder (never overwriting a file)."""
    models = USER_KERAS_HOME / "models"
    made_dirs = [d for d in (USER_KERAS_HOME, models) if not d.exists()]
    try:
        models.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        pytest.skip(f"the user's Keras folder {models} cannot be written here ({exc})")
    made = []
    for name in images.WEIGHT_FILES.values():
        path = models / name
        if not path.exists():
            path.write_bytes(b"not an HDF5 file: a download cut short\n" * 64)
            made.append(path)
    yield models
    for path in made:
        path.unlink(missing_ok=True)
    for folder in reversed(made_dirs):
        try:
            folder.rmdir()  # only if still empty: nothing the user made is removed
        except OSError:
            pass


@pytest.fixture
def own_guard_log(tmp_path, monkeypatch):
    """Send refused attempts of this test to its own log (the session's log must stay empty)."""
    log = tmp_path / "attempts.log"
    monkeypatch.setenv("GAN_KERAS_GUARD_LOG", str(log))
    return log


class _Listener:
    """A loopback server accepting one connection (what a notebook kernel's own sockets look like)."""

    def __init__(self):
        self.server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(1)
        self.thread = threading.Thread(target=lambda: self.server.accept()[0].close(), daemon=True)
        self.thread.start()

    def getsockname(self):
        return self.server.getsockname()

    def close(self):
        self.thread.join(timeout=10)
        self.server.close()


def test_caches_of_this_session_are_temporary():
    import keras

    keras_home = Path(os.environ["KERAS_HOME"])
    assert _inside_temp(keras_home) and _inside_temp(config.cache_dir())
    assert Path(keras.config.keras_home() if hasattr(keras.config, "keras_home")
                else keras.src.backend.config.keras_home()).resolve() == keras_home.resolve()
    assert keras_home.resolve() != USER_KERAS_HOME.resolve()
    assert os.environ["PYTHONPATH"].split(os.pathsep)[0].endswith(os.path.join("tests", "_guard"))


def test_guard_refuses_the_internet_and_allows_loopback_in_process(own_guard_log):
    with pytest.raises(AssertionError, match="0.0.0.0"):
        socket.create_connection(UNROUTABLE, timeout=1)
    assert "0.0.0.0" in own_guard_log.read_text()
    server = _Listener()
    with socket.create_connection(server.getsockname(), timeout=5):
        pass
    server.close()


def test_corrupt_user_weights_change_nothing_offline(corrupt_user_weights, own_guard_log, capsys):
    # What chapters 05 and 06 expect offline: random weights, said in one line naming offline mode.
    for name in ("inception_v3", "vgg19"):
        model, used = images.load_application(name, weights="imagenet")
        assert used == "random", name
        message = capsys.readouterr().err.strip().splitlines()
        assert len(message) == 1 and "offline mode" in message[0] and name in message[0], message
    assert not own_guard_log.exists(), own_guard_log.read_text()


SUBPROCESS = r"""
import json, os, socket, sys
result = {"keras_home": os.environ.get("KERAS_HOME"), "cache": os.environ.get("GAN_KERAS_CACHE")}
try:
    socket.create_connection(("0.0.0.0", 9), timeout=2)
    result["internet"] = "connected"
except OSError as exc:
    result["internet"] = type(exc).__name__ + ": " + str(exc)
host, port = sys.argv[1], int(sys.argv[2])
with socket.create_connection((host, port), timeout=5):
    result["loopback"] = "connected"
if len(sys.argv) > 3:
    from gan_keras import images
    result["weights"] = images.load_application("vgg19", weights="imagenet")[1]
print(json.dumps(result))
"""


def test_guard_and_private_caches_reach_subprocesses(corrupt_user_weights, own_guard_log, tmp_path):
    # Costs one Python start with TensorFlow and a random VGG19 (about 10 s on 2 CPU cores).
    server = _Listener()
    host, port = server.getsockname()
    out = subprocess.run([sys.executable, "-c", SUBPROCESS, host, str(port), "vgg19"], cwd=tmp_path,
                         capture_output=True, text=True, timeout=300)
    server.close()
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["keras_home"] == os.environ["KERAS_HOME"] and result["cache"] == os.environ["GAN_KERAS_CACHE"]
    assert result["internet"].startswith("NetworkGuardError"), result
    assert result["loopback"] == "connected"
    assert result["weights"] == "random"  # the garbage in the user's ~/.keras/models was never read
    assert "0.0.0.0" in own_guard_log.read_text()


def test_guard_reaches_notebook_kernels(own_guard_log):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    server = _Listener()
    host, port = server.getsockname()
    code = SUBPROCESS.replace("sys.argv[1], int(sys.argv[2])", f"{host!r}, {port}").replace(
        "len(sys.argv) > 3", "False")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(code)])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    server.close()
    text = "".join(o.get("text", "") for o in nb.cells[0].outputs if o.get("output_type") == "stream")
    result = json.loads(text.strip().splitlines()[-1])
    assert result["keras_home"] == os.environ["KERAS_HOME"]
    assert result["internet"].startswith("NetworkGuardError"), result
    assert result["loopback"] == "connected"
    assert "0.0.0.0" in own_guard_log.read_text()
