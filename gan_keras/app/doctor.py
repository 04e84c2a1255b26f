"""What this machine gives the course: ``python -m gan_keras doctor``.

One place that says what a student has: Python, Keras and its backend's versions
(TensorFlow, or JAX or PyTorch with ``KERAS_BACKEND``; TensorFlow is not imported then),
the devices (GPU name and memory, or none), online or offline and why, the cache
folders and which datasets and ImageNet weights are in them (checked against their known
hashes), and the fast-mode setting. Each problem found gets one line of advice. It never
fails: the exit code is 0 whatever it finds. The notebooks' setup cell prints its short form
(:func:`short_report`).
"""

from __future__ import annotations

import hashlib
import importlib
import os
import platform
import shutil
import socket
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from gan_keras import config, engine

# Where the downloads come from: the host the online probe tries.
PROBE_HOST = ("storage.googleapis.com", 443)
PROBE_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class CachedFile:
    """A file the course downloads once: what it is, where Keras keeps it, how large, its hash."""

    what: str
    relative: str  # under KERAS_HOME
    size_bytes: int
    file_hash: str | None  # md5 (32 hex digits) or sha256 (64), as keras.utils.get_file checks
    needed_by: str
    exact_size: bool = True  # False: the size is approximate, only presence is checked


# Sizes and hashes as Keras 3 publishes them (keras/src/datasets, keras/src/applications).
CACHED_FILES = (
    CachedFile("MNIST", "datasets/mnist.npz", 11_490_434,
               "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1", "chapters 01, 03, 04, 07, 08"),
    CachedFile("Fashion-MNIST (train images)", "datasets/fashion-mnist/train-images-idx3-ubyte.gz",
               26_421_880, None, "--data fashion_mnist"),
    CachedFile("Fashion-MNIST (train labels)", "datasets/fashion-mnist/train-labels-idx1-ubyte.gz",
               29_515, None, "--data fashion_mnist"),
    CachedFile("Fashion-MNIST (test images)", "datasets/fashion-mnist/t10k-images-idx3-ubyte.gz",
               4_422_102, None, "--data fashion_mnist"),
    CachedFile("Fashion-MNIST (test labels)", "datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz",
               5_148, None, "--data fashion_mnist"),
    CachedFile("ImageNet weights of InceptionV3", "models/inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
               87_910_968, "bcbd6486424b2319ff4ef7d526e38f63", "chapter 05 (DeepDream), evaluate --features inception"),
    CachedFile("ImageNet weights of VGG19", "models/vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
               80_134_624, "253f8cb515780f3b799900260a226db6", "chapter 06 (style transfer)"),
    CachedFile("CMP Facades", "datasets/facades.tar.gz", 30_000_000, None, "chapter 10 with --data facades",
               exact_size=False),
)


@dataclass
class Line:
    """One finding: a label, what was found, and advice when it is a problem."""

    label: str
    text: str
    advice: str | None = None


@dataclass
class Report:
    lines: list = field(default_factory=list)

    def add(self, label: str, text: str, advice: str | None = None) -> None:
        self.lines.append(Line(label, text, advice))

    @property
    def advice(self) -> list:
        return [line.advice for line in self.lines if line.advice]

    def format(self) -> str:
        width = max(len(line.label) for line in self.lines) + 1
        out = [f"{(line.label + ':').ljust(width + 1)}{line.text}" for line in self.lines]
        problems = self.advice
        out.append("")
        if problems:
            out.append(f"{len(problems)} thing(s) to look at:")
            out += [f"- {a}" for a in problems]
        else:
            out.append("No problems found.")
        return "\n".join(out)


def keras_home() -> Path:
    """Return Keras' folder (``KERAS_HOME`` or ``~/.keras``): ``models/`` and ``datasets/`` live there."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")


def file_digest(path, algorithm: str) -> str:
    """Return the hex digest of a file, read in chunks."""
    digest = hashlib.new(algorithm)
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_cached_file(entry: CachedFile, home: Path | None = None) -> str:
    """Return ``"missing"``, ``"ok"`` or ``"corrupt (...)"`` for one cached download."""
    path = (home or keras_home()) / entry.relative
    if not path.exists():
        return "missing"
    size = path.stat().st_size
    if entry.file_hash is not None:
        algorithm = "sha256" if len(entry.file_hash) == 64 else "md5"
        if file_digest(path, algorithm) != entry.file_hash:
            return f"corrupt ({size:,} bytes, {algorithm} does not match)"
    elif entry.exact_size and size != entry.size_bytes:
        return f"corrupt ({size:,} bytes, expected {entry.size_bytes:,})"
    return "ok"


def network_status(timeout: float = PROBE_TIMEOUT_S) -> tuple[bool, str]:
    """Return ``(online, why)``: offline mode, or whether the download host can be reached now.

    With ``GAN_KERAS_OFFLINE=1`` nothing is tried. Otherwise one TCP connection to the
    download host is attempted (DNS included) in a background thread, given ``timeout``
    seconds in all.
    """
    if config.offline_mode():
        return False, f"offline mode is on ({config.OFFLINE_ENV}=1): downloads are not tried"
    host, port = PROBE_HOST
    outcome = {}

    def probe():
        try:
            with socket.create_connection((host, port), timeout=timeout):
                outcome["ok"] = True
        except socket.gaierror as exc:
            outcome["why"] = f"cannot resolve {host} (no DNS: {exc.strerror or exc})"
        except OSError as exc:
            outcome["why"] = f"cannot connect to {host}:{port} ({type(exc).__name__}: {exc})"

    thread = threading.Thread(target=probe, daemon=True)
    thread.start()
    thread.join(timeout + 0.5)
    if outcome.get("ok"):
        return True, f"reached {host}, where MNIST and the ImageNet weights come from"
    why = outcome.get("why", f"no answer from {host} within {timeout:g} s")
    proxies = [k for k in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy") if os.environ.get(k)]
    if proxies:
        why += f"; a proxy is set ({proxies[0]}), which this check does not use"
    return False, why


def _gpu_memory() -> list:
    """Return ``[(name, total memory text)]`` from nvidia-smi, or ``[]`` when it is not there."""
    smi = shutil.which("nvidia-smi")
    if not smi:
        return []
    try:
        out = subprocess.run([smi, "--query-gpu=name,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return []
    rows = []
    for line in out.stdout.strip().splitlines():
        name, _, memory = line.partition(",")
        rows.append((name.strip(), memory.strip()))
    return rows


def _devices(report: Report, tf) -> None:
    gpus = tf.config.list_physical_devices("GPU")
    if not gpus:
        report.add("devices", "no GPU: expect CPU times (the README's 'Laptop CPU' column)",
                   "no GPU: in Colab choose Runtime > Change runtime type > T4 GPU; on a laptop, "
                   "try the notebooks with GAN_KERAS_FAST=1 first")
        return
    memory = _gpu_memory()
    texts = []
    for i, gpu in enumerate(gpus):
        try:
            name = tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name)
        except Exception:  # details are best effort
            name = gpu.name
        total = memory[i][1] if i < len(memory) else "memory unknown (no nvidia-smi)"
        texts.append(f"{name}, {total}")
    report.add("devices", f"{len(gpus)} GPU(s): " + "; ".join(texts))


# The framework under each Keras backend: the name people know it by and its module.
FRAMEWORKS = {"tensorflow": ("TensorFlow", "tensorflow"), "jax": ("JAX", "jax"), "torch": ("PyTorch", "torch")}


@dataclass(frozen=True)
class Device:
    """An accelerator the backend trains on: its name (``gpu_message`` reads ``.name``)."""

    name: str


# The versions the course is tested with (the same bounds as pyproject.toml).
TENSORFLOW_MIN = (2, 16)
TENSORFLOW_TESTED_BELOW = (2, 22)
KERAS_MIN = (3, 3)
KERAS_BELOW = (4, 0)


def _version_tuple(version: str) -> tuple[int, int]:
    parts = []
    for piece in str(version).split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    while len(parts) < 2:
        parts.append(0)
    return tuple(parts)


def _dotted(version: tuple[int, int]) -> str:
    return ".".join(str(v) for v in version)


def check_keras_version(keras_version: str) -> list[str]:
    """Raise RuntimeError for a Keras the course cannot run on; return warnings (none so far)."""
    keras_v = _version_tuple(keras_version)
    if keras_v < (3, 0):
        raise RuntimeError(
            f"gan_keras needs Keras 3, found Keras {keras_version}: "
            f"pip install 'keras>={_dotted(KERAS_MIN)},<4', then restart the kernel")
    if keras_v < KERAS_MIN or keras_v >= KERAS_BELOW:
        raise RuntimeError(
            f"gan_keras needs Keras >={_dotted(KERAS_MIN)},<4, found Keras {keras_version}: "
            f"pip install 'keras>={_dotted(KERAS_MIN)},<4', then restart the kernel")
    return []


def check_versions(tensorflow_version: str, keras_version: str) -> list[str]:
    """Raise RuntimeError for versions the course cannot run on; return warnings for untested ones."""
    tf_v = _version_tuple(tensorflow_version)
    warnings = check_keras_version(keras_version)
    if tf_v < TENSORFLOW_MIN:
        raise RuntimeError(
            f"gan_keras needs TensorFlow >={_dotted(TENSORFLOW_MIN)}, found {tensorflow_version}: "
            f"pip install 'tensorflow>={_dotted(TENSORFLOW_MIN)},<{_dotted(TENSORFLOW_TESTED_BELOW)}', "
            "then restart the kernel")
    if tf_v >= TENSORFLOW_TESTED_BELOW:
        warnings.append(
            f"TensorFlow {tensorflow_version} is newer than the versions the course is tested with "
            f"(<{_dotted(TENSORFLOW_TESTED_BELOW)}); if a cell fails, "
            f"pip install 'tensorflow<{_dotted(TENSORFLOW_TESTED_BELOW)}' and restart.")
    return warnings


def _restart_needed(module) -> str | None:
    """Return a message if pip installed another version than the one already imported."""
    from importlib import metadata

    name = module.__name__
    try:
        installed = metadata.version(name)
    except metadata.PackageNotFoundError:
        try:
            installed = metadata.version(f"{name}-cpu")
        except metadata.PackageNotFoundError:
            return None
    if _version_tuple(installed) != _version_tuple(module.__version__):
        return (f"{name} {installed} is installed but {module.__version__} is loaded: restart the "
                "kernel (Colab: Runtime > Restart session) and run the notebook from the top.")
    return None


def framework_check() -> tuple[str, list, list]:
    """The notebooks' setup cell's check of Keras and the framework under it: ``(first line, warnings, GPUs)``.

    Raises ``ModuleNotFoundError`` saying what to install when Keras or the framework cannot be
    imported, and ``RuntimeError`` for versions the course cannot run on. On TensorFlow its
    versions are checked against the tested bounds; on JAX and PyTorch TensorFlow is not imported.
    """
    from gan_keras import __version__

    backend = engine.name()
    label, module_name = FRAMEWORKS[backend]
    try:
        import keras

        framework = importlib.import_module(module_name)
    except ImportError as exc:
        if backend == "tensorflow":
            raise ModuleNotFoundError(
                f"gan_keras needs TensorFlow and Keras 3, but importing them failed ({exc}): run "
                "`pip install -r requirements.txt` in the course repository, then restart the kernel") from exc
        raise ModuleNotFoundError(
            f"Keras is set to the {backend} backend (KERAS_BACKEND or ~/.keras/keras.json), but importing "
            f"Keras or {label} failed ({exc}): pip install {module_name}, or unset KERAS_BACKEND for "
            "TensorFlow, then restart the kernel") from exc
    if backend == "tensorflow":
        warnings = check_versions(framework.__version__, keras.__version__)
        first = f"{label} {framework.__version__}, Keras {keras.__version__}, gan_keras {__version__}: set up."
    else:
        warnings = check_keras_version(keras.__version__)
        first = (f"{label} {framework.__version__}, Keras {keras.__version__}, gan_keras {__version__}: "
                 f"set up (Keras backend: {backend}).")
    for module in (framework, keras):
        restart = _restart_needed(module)
        if restart:
            warnings.append(restart)
    return first, warnings, backend_gpus(backend)


def installed_version(distribution: str) -> str | None:
    """Return the installed version of a package without importing it (None if not installed)."""
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def backend_gpus(backend: str) -> list:
    """Return the GPUs (as :class:`Device`) the framework of ``backend`` trains on; imports that framework."""
    if backend == "tensorflow":
        import tensorflow as tf

        return list(tf.config.list_physical_devices("GPU"))
    if backend == "jax":
        import jax

        return [Device(getattr(d, "device_kind", str(d))) for d in jax.devices()
                if d.platform in ("gpu", "cuda", "rocm")]
    if backend == "torch":
        import torch

        if torch.cuda.is_available():
            return [Device(torch.cuda.get_device_name(i)) for i in range(torch.cuda.device_count())]
        mps = getattr(torch.backends, "mps", None)
        return [Device("Apple MPS")] if mps is not None and mps.is_available() else []
    raise ValueError(f"backend must be one of {', '.join(FRAMEWORKS)}, got {backend!r}")


def _other_backend(report: Report, backend: str, keras) -> None:
    """The lines of a JAX or PyTorch backend: its framework's version and devices; TensorFlow is not used."""
    label, module_name = FRAMEWORKS[backend]
    try:
        module = __import__(module_name)
    except Exception as exc:
        report.add(label, f"cannot be imported ({type(exc).__name__}: {exc})",
                   f"Keras is set to the {backend} backend: pip install {module_name}, or unset KERAS_BACKEND "
                   "for TensorFlow, then restart")
        return
    text = module.__version__
    if backend == "jax":
        jaxlib = installed_version("jaxlib")
        text += f" (jaxlib {jaxlib})" if jaxlib else ""
    report.add(label, text)
    tf_version = installed_version("tensorflow") or installed_version("tensorflow-cpu")
    report.add("TensorFlow", f"not used on the {backend} backend"
               + (f" (TensorFlow {tf_version} is installed)" if tf_version else " (not installed)"))
    try:
        gpus = backend_gpus(backend)
    except Exception as exc:
        report.add("devices", f"could not list them ({type(exc).__name__}: {exc})")
        return
    if not gpus:
        extra = ""
        if backend == "jax":
            cpus = len(module.devices())
            extra = f" ({cpus} JAX CPU devices)" if cpus > 1 else ""
        report.add("devices", f"no GPU: expect CPU times (the README's 'Laptop CPU' column){extra}",
                   "no GPU: in Colab choose Runtime > Change runtime type > T4 GPU; on a laptop, "
                   "try the notebooks with GAN_KERAS_FAST=1 first")
        return
    memory = _gpu_memory()
    texts = [f"{gpu.name}, {memory[i][1] if i < len(memory) else 'memory unknown (no nvidia-smi)'}"
             for i, gpu in enumerate(gpus)]
    report.add("devices", f"{len(gpus)} GPU(s): " + "; ".join(texts))


def collect(probe_network: bool = True) -> Report:
    """Look at this machine and return the findings (never raises)."""
    from gan_keras import __version__

    report = Report()
    report.add("Python", f"{platform.python_version()} ({sys.executable})")
    report.add("gan_keras", f"{__version__} ({Path(__file__).resolve().parents[1]})")
    try:
        config.check_backend_setting()
        backend_problem = None
    except RuntimeError as exc:
        backend_problem = str(exc)
    wanted = None
    if backend_problem is None:  # the backend Keras runs on (once imported), else the one it will
        wanted = engine.name()
    if wanted in ("jax", "torch"):  # TensorFlow is neither needed nor imported
        try:
            import keras
        except Exception as exc:
            report.add("Keras", f"cannot be imported ({type(exc).__name__}: {exc})",
                       "install the course's requirements: pip install -r requirements.txt, then restart")
        else:
            try:
                warnings = check_keras_version(keras.__version__)
            except RuntimeError as exc:
                warnings = [str(exc)]
            report.add("Keras", keras.__version__, warnings[0] if warnings else None)
            report.add("backend", keras.backend.backend())
            _other_backend(report, keras.backend.backend(), keras)
        _rest(report, probe_network)
        return report
    try:
        import tensorflow as tf
    except Exception as exc:
        report.add("TensorFlow", f"cannot be imported ({type(exc).__name__}: {exc})",
                   "install the course's requirements: pip install -r requirements.txt, then restart")
        tf = None
    keras = None
    if backend_problem is None:
        try:
            import keras
        except Exception as exc:
            report.add("Keras", f"cannot be imported ({type(exc).__name__}: {exc})",
                       "install the course's requirements: pip install -r requirements.txt, then restart")
    if tf is not None:
        warnings = []
        if keras is not None:
            try:
                warnings = check_versions(tf.__version__, keras.__version__)
            except RuntimeError as exc:
                warnings = [str(exc)]
        report.add("TensorFlow", tf.__version__, warnings[0] if warnings else None)
    if keras is not None:
        report.add("Keras", keras.__version__)
        backend = keras.backend.backend()
        report.add("backend", backend, None if backend == "tensorflow" else
                   "gan_keras needs the TensorFlow backend: unset KERAS_BACKEND or set "
                   "\"backend\": \"tensorflow\" in keras.json, then restart")
    elif backend_problem:
        report.add("backend", f"unsupported ({config.backend_setting()!r})", backend_problem)
    if tf is not None:
        try:
            _devices(report, tf)
        except Exception as exc:
            report.add("devices", f"could not list them ({type(exc).__name__}: {exc})")
    _rest(report, probe_network)
    return report


def _rest(report: Report, probe_network: bool) -> None:
    """The lines of every backend: network, caches, fast mode."""
    if probe_network:
        online, why = network_status()
    else:
        online, why = (not config.offline_mode()), "not checked"
    report.add("network", f"{'online' if online else 'offline'}: {why}")

    home = keras_home()
    writable = os.access(home if home.exists() else home.parent, os.W_OK)
    report.add("Keras cache", f"{home}{'' if writable else ' (not writable: Keras falls back to /tmp/.keras)'}")
    missing_needed = []
    for entry in CACHED_FILES:
        state = check_cached_file(entry, home)
        advice = None
        if state.startswith("corrupt"):
            advice = (f"{entry.what} in {home / entry.relative} is damaged: delete that file; "
                      f"{'it is fetched again on next use' if online else 'it is fetched again online'}")
        elif state == "missing" and not online and entry.what == "MNIST" and _found("mnist"):
            pass  # MNIST is read from a system folder or GAN_KERAS_DATA instead
        elif state == "missing" and not online and entry.what in ("MNIST", "ImageNet weights of InceptionV3",
                                                                  "ImageNet weights of VGG19"):
            missing_needed.append(entry.what)
        size = ("about " if not entry.exact_size else "") + (
            f"{entry.size_bytes / 1e6:.0f} MB" if entry.size_bytes >= 1e6 else f"{entry.size_bytes / 1e3:.0f} kB")
        report.add(f"  {entry.what}", f"{state} ({size}; {entry.needed_by})", advice)
    if missing_needed:
        report.lines.append(Line(
            "  offline", "stand-ins are used", f"offline without {', '.join(missing_needed)}: the chapters use "
            "the digits stand-in and random networks; to get the real ones, run once with internet "
            f"(and {config.OFFLINE_ENV} unset)"))
    _data_sources(report, online)
    cache = config.cache_dir()
    classifiers = sorted(p.stem for p in cache.glob("classifier-*.keras"))
    report.add("gan_keras cache", f"{cache} ({len(classifiers)} trained digit classifier(s)"
               f"{': ' + ', '.join(classifiers) if classifiers else '; trained on first use'})")
    fast = config.fast_mode()
    report.add("fast mode", "ON (tiny data and few steps in every chapter)" if fast else
               f"off (the full course settings; {config.FAST_ENV}=1 for seconds per cell)")


def _found(name: str) -> list:
    from gan_keras import data

    try:
        return data.find_sources(name)
    except OSError:
        return []


def _data_sources(report: Report, online: bool) -> None:
    """One line per place holding MNIST or Fashion-MNIST, with its image counts (headers only)."""
    from gan_keras import data

    env = os.environ.get(data.DATA_ENV)
    system = ", ".join(str(f) for folders in data.SYSTEM_DATA_FOLDERS.values() for f in folders) or "no system folder"
    if os.environ.get(data.SYSTEM_DATA_ENV) == "0":
        system = f"no system folder ({data.SYSTEM_DATA_ENV}=0)"
    report.add("real datasets", f"looked in Keras' cache, {system} and {data.DATA_ENV}"
               + (f"={env}" if env else " (not set)"))
    for name, pretty in data.PRETTY.items():
        sources = _found(name)
        for source in sources:
            try:
                counts = data.source_counts(source)
                text = ", ".join(f"{n} {split}" for split, n in counts.items()) + " images"
                advice = None
            except ValueError as exc:
                text, advice = "damaged", str(exc)
            report.add(f"  {pretty} source", f"{source.describe()}: {text}", advice)
        if not sources:
            later = "downloaded on first use" if online else (
                "the digits stand-in is used offline" if name == "mnist" else "unavailable offline")
            report.add(f"  {pretty} source", f"none found ({later})")


def short_report(probe_network: bool = True) -> str:
    """Return the setup cell's summary: online or offline, what is cached where, and the advice lines."""
    online, why = network_status() if probe_network else (not config.offline_mode(), "not checked")
    home = keras_home()
    cached, problems = [], []
    for entry in CACHED_FILES:
        if entry.what.startswith("Fashion-MNIST (") and "train images" not in entry.what:
            continue
        state = check_cached_file(entry, home)
        name = entry.what.replace(" (train images)", "").replace("ImageNet weights of ", "")
        if state == "ok":
            cached.append(name)
        elif state.startswith("corrupt"):
            problems.append(f"{entry.what} in {home / entry.relative} is damaged: delete that file")
    lines = [f"{'Online' if online else 'Offline'}: {why}.",
             f"Cached in {home}: {', '.join(cached) if cached else 'nothing yet'}."]
    if not online and "MNIST" not in cached:
        problems.append("offline without MNIST: the digits stand-in is used instead")
    lines += [f"Advice: {p}" for p in problems]
    lines.append("(python -m gan_keras doctor tells more)")
    return "\n".join(lines)


def run(probe_network: bool = True, out=None) -> int:
    """Print the full report; return 0 whatever it finds."""
    out = out or sys.stdout
    print(collect(probe_network=probe_network).format(), file=out)
    return 0
