"""Image datasets: online with a cache, offline stand-ins, folders of pictures (batches, toys and pairs are submodules).

Conventions, stated once for the whole course:

- Images are float32 arrays of shape ``(N, H, W, C)`` scaled to ``[-1, 1]``, the range of
  a ``tanh`` generator. :func:`to_unit` maps them back to ``[0, 1]`` for display.
- Labels are int32 class indices ``0..9``.
- For the discriminator, real = 1 and fake = 0.

``load_images("mnist" | "fashion_mnist")`` looks, in order, in Keras' cache
(``$KERAS_HOME/datasets``, else ``~/.keras/datasets``), in the system's dataset folders
(:data:`SYSTEM_DATA_FOLDERS`: Debian's ``dataset-fashion-mnist`` installs
``/usr/share/datasets/fashion-mnist``), in the folder named by ``GAN_KERAS_DATA`` (idx files,
directly or in a sub-folder ``mnist``/``fashion-mnist``), and only then downloads through
``keras.datasets``; one line on stderr says which source was used. Offline
(``GAN_KERAS_OFFLINE=1``) only the download is skipped. When nothing is found offline, when the
download fails, or when asked for with ``"digits"``, MNIST becomes a stand-in with the same
shape built from the 1797 real handwritten digits that ship inside scikit-learn, said in one line.
"""

from __future__ import annotations

import gzip
import os
import sys
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan_keras import config, validate

DATASETS = ("mnist", "fashion_mnist", "digits")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif")

MNIST_CLASSES = tuple(str(i) for i in range(10))
FASHION_CLASSES = (
    "T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
    "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot",
)


@dataclass
class ImageData:
    """Images in ``[-1, 1]`` with their labels, and where they came from."""

    images: np.ndarray
    labels: np.ndarray | None
    name: str
    source: str
    class_names: tuple[str, ...] = MNIST_CLASSES

    def __len__(self) -> int:
        return len(self.images)

    @property
    def image_shape(self) -> tuple[int, int, int]:
        return tuple(self.images.shape[1:])

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


class DataUnavailableError(config.UnavailableError):
    """A dataset could not be loaded; the message says why and what to do."""


def to_signed(images_unit: np.ndarray) -> np.ndarray:
    """Map images from ``[0, 1]`` to ``[-1, 1]``."""
    return (np.asarray(images_unit, dtype=np.float32) * 2.0 - 1.0).astype(np.float32)


def to_unit(images_signed) -> np.ndarray:
    """Map images from ``[-1, 1]`` to ``[0, 1]`` (clipped), for display and saving."""
    return np.clip((np.asarray(images_signed, dtype=np.float32) + 1.0) / 2.0, 0.0, 1.0)


def _say(message: str) -> None:
    # One line on stderr (a warnings.warn would add the source line under it).
    print(message, file=sys.stderr)


def _upscale_digits(images8: np.ndarray, size: int = 28) -> np.ndarray:
    """Upscale 8x8 digits (0..16) into MNIST's layout: a 20x20 digit centred in 28x28."""
    from PIL import Image

    inner = round(size * 20 / 28)
    pad = (size - inner) // 2
    out = np.zeros((len(images8), size, size), dtype=np.float32)
    for i, img in enumerate(images8):
        pil = Image.fromarray((img / 16.0 * 255.0).astype(np.uint8))
        big = np.asarray(pil.resize((inner, inner), Image.BICUBIC), dtype=np.float32) / 255.0
        out[i, pad:pad + inner, pad:pad + inner] = np.clip(big, 0.0, 1.0)
    return out


def load_digits_standin(split: str = "train", size: int = 28, test_fraction: float = 0.2):
    """Return scikit-learn's real handwritten digits as 28x28x1 images in ``[-1, 1]``.

    The 1797 8x8 digits are upscaled to a 20x20 box centred in 28x28, as in MNIST, and
    split into train and test (80/20, stratified, fixed seed).
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    _check_split(split)
    digits = load_digits()
    index = np.arange(len(digits.images))
    train_idx, test_idx = train_test_split(
        index, test_size=test_fraction, stratify=digits.target, random_state=0
    )
    chosen = np.sort(train_idx if split == "train" else test_idx)
    images = _upscale_digits(digits.images[chosen], size)[..., None]
    return to_signed(images), digits.target[chosen].astype(np.int32)


# Fast mode is small wherever it runs: online, MNIST would bring 60 000 training images into
# a chapter that gets 1437 offline. A load without a limit keeps at most this many images in
# fast mode (a fixed random subset); the digits stand-in (1437 train, 360 test) stays whole.
FAST_MODE_LIMITS = {"train": 2048, "test": 1024}


def fast_mode_limit(split: str = "train") -> int | None:
    """Return the most images a load without a ``limit`` keeps: a bound in fast mode, ``None`` otherwise."""
    _check_split(split)
    return config.fast_or_full(FAST_MODE_LIMITS[split], None)


def _check_split(split: str) -> None:
    if split not in ("train", "test"):
        raise ValueError(f"split must be 'train' or 'test', got {split!r}")


# What keras.datasets fetches: the name said, its size, and its files under KERAS_HOME/datasets.
DOWNLOADS = {
    "mnist": ("MNIST", "about 11 MB", ("mnist.npz",)),
    "fashion_mnist": ("Fashion-MNIST", "about 30 MB", tuple(
        f"fashion-mnist/{f}" for f in ("train-labels-idx1-ubyte.gz", "train-images-idx3-ubyte.gz",
                                      "t10k-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz"))),
}


def keras_home() -> Path:
    """Return Keras' cache folder (``KERAS_HOME``, else ``~/.keras``): ``datasets/`` and ``models/``."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")


def announce_download(what: str, size: str, folder) -> None:
    """Say in one line what is downloaded, how large it is and where it is cached.

    On stdout, beside Keras' own "Downloading data from ..." line: it is news, not a warning
    (the warnings, such as a fallback to a stand-in, go to stderr).
    """
    print(f"gan_keras: downloading {what} ({size}) into {folder} (once; later runs read it from there).",
          flush=True)


def _download(name: str):
    import keras

    loader = {"mnist": keras.datasets.mnist, "fashion_mnist": keras.datasets.fashion_mnist}[name]
    what, size, files = DOWNLOADS[name]
    paths = [keras_home() / "datasets" / f for f in files]
    if not all(p.exists() for p in paths):
        announce_download(what, size, paths[0].parent)
    try:
        return loader.load_data()
    except Exception as exc:
        damaged = [p for p in paths if p.exists()]
        if not damaged or "URL fetch failure" in str(exc):
            raise  # nothing cached to blame: a network failure, reported by the caller
        # A cut-short or corrupt cached file: remove it and fetch it once more.
        _say(f"gan_keras: the cached {what} in {paths[0].parent} is damaged ({type(exc).__name__}: "
             f"{str(exc)[:80]}); fetching it again.")
        for p in damaged:
            p.unlink()
        announce_download(what, size, paths[0].parent)
        return loader.load_data()



# ------------------------------------------------------------------ where real MNIST and Fashion-MNIST come from

# Folders a system package installs the idx files into (tests point this at a temporary folder).
SYSTEM_DATA_FOLDERS = {
    "mnist": (Path("/usr/share/datasets/mnist"),),
    "fashion_mnist": (Path("/usr/share/datasets/fashion-mnist"),),
}
# The package that provides a system folder, named in the line that says where the data came from.
SYSTEM_PACKAGES = {
    Path("/usr/share/datasets/fashion-mnist"): "Debian package dataset-fashion-mnist",
    Path("/usr/share/datasets/mnist"): "system package",
}
DATA_ENV = "GAN_KERAS_DATA"
# GAN_KERAS_SYSTEM_DATA=0 leaves the system folders out (the test session sets it, for its subprocesses too).
SYSTEM_DATA_ENV = "GAN_KERAS_SYSTEM_DATA"
# The sub-folder names a GAN_KERAS_DATA folder may hold each dataset in.
DATA_SUBFOLDERS = {"mnist": ("mnist", "MNIST"), "fashion_mnist": ("fashion-mnist", "fashion_mnist", "Fashion-MNIST")}
PRETTY = {"mnist": "MNIST", "fashion_mnist": "Fashion-MNIST"}
# The standard idx file names of each split: (images, labels); gzipped (.gz) or not.
IDX_FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
_IDX_DTYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
               0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


@dataclass(frozen=True)
class DataSource:
    """A place holding MNIST or Fashion-MNIST: ``kind`` is ``"cache"``, ``"system"``, ``"env"`` or ``"folder"``."""

    name: str
    kind: str
    path: Path  # mnist.npz, or the folder of idx files
    note: str  # what the place is, said after the path

    def describe(self) -> str:
        return f"{self.path} ({self.note})"


def _idx_path(folder: Path, stem: str) -> Path | None:
    """Return the file of one standard idx name in ``folder`` (``.gz`` first, then plain; ``-idx`` or ``.idx``)."""
    for spelling in (stem, stem.replace("-idx", ".idx")):
        for candidate in (folder / f"{spelling}.gz", folder / spelling):
            if candidate.is_file():
                return candidate
    return None


def idx_files(folder, split: str) -> tuple[Path, Path] | None:
    """Return ``(images, labels)`` idx files of ``split`` in ``folder``, or None when either is missing."""
    folder = Path(folder)
    found = [_idx_path(folder, stem) for stem in IDX_FILES[split]]
    return None if None in found else tuple(found)


def is_idx_folder(folder) -> bool:
    """Whether ``folder`` holds any of the standard idx files (train or test, images or labels)."""
    folder = Path(folder)
    return folder.is_dir() and any(_idx_path(folder, stem) for pair in IDX_FILES.values() for stem in pair)


def _open_idx(path: Path):
    with open(path, "rb") as probe:
        gzipped = probe.read(2) == b"\x1f\x8b"
    return gzip.open(path, "rb") if gzipped else open(path, "rb")


def _idx_header(path: Path, head: bytes) -> tuple[np.dtype, tuple[int, ...], int]:
    """Check an idx header; return (dtype, dims, header length). ``head`` holds at least its first bytes."""
    if len(head) < 4 or head[0] != 0 or head[1] != 0 or head[2] not in _IDX_DTYPES:
        raise ValueError(f"{path} is not an idx file: its magic number is {head[:4].hex() or 'missing'} "
                         "(expected 0000 then a type code and the number of dimensions)")
    ndim = head[3]
    if ndim < 1:
        raise ValueError(f"{path} is not a valid idx file: it declares 0 dimensions")
    size = 4 + 4 * ndim
    if len(head) < size:
        raise ValueError(f"{path} is cut short: its idx header needs {size} bytes, the file has {len(head)}")
    dims = tuple(int(d) for d in np.frombuffer(head[4:size], dtype=">u4"))
    return np.dtype(_IDX_DTYPES[head[2]]), dims, size


def read_idx_shape(path) -> tuple[int, ...]:
    """Return the dimensions an idx file (gzipped or not) declares, reading only its header."""
    path = Path(path)
    try:
        with _open_idx(path) as handle:
            head = handle.read(4)
            if len(head) == 4:
                head += handle.read(4 * head[3])
    except (OSError, EOFError, zlib.error) as exc:
        raise ValueError(f"cannot read idx file {path}: {exc}") from None
    return _idx_header(path, head)[1]


def read_idx(path) -> np.ndarray:
    """Read an idx file (gzipped or not) into a NumPy array, checking its magic number, dimensions and length.

    A corrupt or truncated file raises one ``ValueError`` naming it.
    """
    path = Path(path)
    try:
        with _open_idx(path) as handle:
            raw = handle.read()
    except (OSError, EOFError, zlib.error) as exc:  # gzip.BadGzipFile is an OSError; a cut .gz raises EOFError
        raise ValueError(f"cannot read idx file {path}: {exc}") from None
    dtype, dims, size = _idx_header(path, raw)
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(raw) - size != expected:
        shape = "x".join(str(d) for d in dims)
        raise ValueError(f"{path} is {'cut short' if len(raw) - size < expected else 'too long'}: its header "
                         f"declares {shape} values ({expected} bytes of data), the file holds {len(raw) - size}")
    return np.frombuffer(raw, dtype=dtype, offset=size).reshape(dims).astype(dtype.newbyteorder("="))


def _checked_pair(where, images: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if images.ndim != 3:
        raise ValueError(f"{where}: images must have 3 dimensions (N, height, width), got shape {images.shape}")
    if labels.ndim != 1 or len(labels) != len(images):
        raise ValueError(f"{where}: {len(images)} images but labels of shape {labels.shape}")
    return images, labels


def read_idx_split(folder, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Read ``(images, labels)`` of ``split`` from a folder of standard idx files (uint8 images, int labels)."""
    _check_split(split)
    found = idx_files(folder, split)
    if found is None:
        names = " and ".join(f"{stem}[.gz]" for stem in IDX_FILES[split])
        raise ValueError(f"idx folder {str(folder)!r} lacks the {split} files (expected {names})")
    images, labels = (read_idx(p) for p in found)
    if images.dtype != np.uint8:
        raise ValueError(f"{found[0]}: expected uint8 images, got {images.dtype}")
    return _checked_pair(folder, images, labels)


def _read_npz(path: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    key = "train" if split == "train" else "test"
    try:
        with np.load(path) as f:
            return _checked_pair(path, f[f"x_{key}"], f[f"y_{key}"])
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error, ValueError) as exc:
        if isinstance(exc, ValueError) and str(exc).startswith(str(path)):
            raise
        raise ValueError(f"cannot read {path}: {type(exc).__name__}: {str(exc)[:100]}") from None


def _npz_counts(path: Path) -> dict:
    """Image counts of a keras mnist.npz from its arrays' headers (nothing else is read)."""
    counts = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for split, member in (("train", "x_train.npy"), ("test", "x_test.npy")):
                with archive.open(member) as handle:
                    version = np.lib.format.read_magic(handle)
                    read_header = (np.lib.format.read_array_header_1_0 if version == (1, 0)
                                   else np.lib.format.read_array_header_2_0)
                    shape = read_header(handle)[0]
                    counts[split] = int(shape[0])
    except (OSError, EOFError, KeyError, zipfile.BadZipFile, zlib.error, ValueError) as exc:
        raise ValueError(f"cannot read {path}: {type(exc).__name__}: {str(exc)[:100]}") from None
    return counts


def source_counts(source: DataSource) -> dict:
    """Return ``{"train": n, "test": n}`` for a source, reading only headers (fast)."""
    if source.path.suffix == ".npz":
        return _npz_counts(source.path)
    counts = {}
    for split in IDX_FILES:
        found = idx_files(source.path, split)
        if found is not None:
            counts[split] = read_idx_shape(found[0])[0]
    return counts


def find_sources(name: str) -> list[DataSource]:
    """Every place holding MNIST or Fashion-MNIST, in the order :func:`load_images` tries them (downloads aside)."""
    validate.choice(name, "name", tuple(PRETTY))
    sources = []
    cache = keras_home() / "datasets"
    if name == "mnist":
        if (cache / "mnist.npz").is_file():
            sources.append(DataSource(name, "cache", cache / "mnist.npz", "Keras' cache"))
    elif idx_files(cache / "fashion-mnist", "train") or idx_files(cache / "fashion-mnist", "test"):
        sources.append(DataSource(name, "cache", cache / "fashion-mnist", "Keras' cache"))
    system = () if os.environ.get(SYSTEM_DATA_ENV) == "0" else SYSTEM_DATA_FOLDERS.get(name, ())
    for folder in system:
        folder = Path(folder)
        if idx_files(folder, "train") or idx_files(folder, "test"):
            sources.append(DataSource(name, "system", folder, SYSTEM_PACKAGES.get(folder, "system dataset folder")))
    env = os.environ.get(DATA_ENV)
    if env:
        root = Path(env).expanduser()
        for folder in [root / sub for sub in DATA_SUBFOLDERS[name]] + [root]:
            if idx_files(folder, "train") or idx_files(folder, "test"):
                sources.append(DataSource(name, "env", folder, f"{DATA_ENV}"))
                break
    return sources


def _has_split(source: DataSource, split: str) -> bool:
    return source.path.suffix == ".npz" or idx_files(source.path, split) is not None


def _read_source(source: DataSource, split: str) -> tuple[np.ndarray, np.ndarray]:
    if source.path.suffix == ".npz":
        return _read_npz(source.path, split)
    return read_idx_split(source.path, split)


def _as_image_data(images: np.ndarray, labels: np.ndarray, name: str, source: str, classes) -> ImageData:
    labels = labels.astype(np.int32)
    if labels.size and (labels.min() < 0 or labels.max() >= len(classes)):
        raise ValueError(f"{source}: labels must lie in 0..{len(classes) - 1}, got {labels.min()}..{labels.max()}")
    return ImageData(to_signed(images[..., None].astype(np.float32) / 255.0), labels, name, source, classes)


def load_idx_folder(path, split: str = "train") -> ImageData:
    """Load ``split`` from a folder of the standard MNIST-style idx files (gzipped or not)."""
    folder = Path(path)
    images, labels = read_idx_split(folder, split)
    classes = FASHION_CLASSES if "fashion" in folder.name.lower() else MNIST_CLASSES
    source = f"idx files {split} ({len(images)} images) from {folder}"
    _say(f"gan_keras: {source}")
    return _as_image_data(images, labels, folder.name, source, classes)


def load_images(
    name: str = "mnist",
    split: str = "train",
    limit: int | None = None,
    offline: bool | None = None,
    seed: int = 0,
) -> ImageData:
    """Load an image dataset as 28x28x1 images in ``[-1, 1]`` with labels.

    ``name`` is ``"mnist"``, ``"fashion_mnist"``, ``"digits"`` (the offline stand-in) or
    a folder of image files. ``limit`` keeps a random subset of that many images (fixed
    ``seed``); without one, fast mode keeps at most :data:`FAST_MODE_LIMITS` images (2048
    train, 1024 test), so a chapter is as small online as offline. Offline, MNIST falls back to the
    digits stand-in with a one-line warning.
    Introduced in ``notebooks/01_gan_basics.ipynb``.
    """
    if not isinstance(name, (str, os.PathLike)):
        raise TypeError(f"name must be a dataset name or a folder path, got {type(name).__name__}")
    _check_split(split)
    validate.optional_positive_int(limit, "limit")
    offline = config.offline_mode() if offline is None else offline
    name_str = os.fspath(name)

    if name_str not in DATASETS:
        if os.sep in name_str or os.path.exists(name_str) or name_str.startswith("."):
            if is_idx_folder(name_str):
                data = load_idx_folder(name_str, split)
            else:
                data = load_image_folder(name_str)
        else:
            raise ValueError(
                f"unknown dataset {name_str!r}: expected one of {', '.join(DATASETS)} "
                "or the path of a folder of images"
            )
    elif name_str == "digits":
        images, labels = load_digits_standin(split)
        data = ImageData(images, labels, "digits", "scikit-learn handwritten digits (offline stand-in)")
    else:
        pretty = "MNIST" if name_str == "mnist" else "Fashion-MNIST"
        classes = MNIST_CLASSES if name_str == "mnist" else FASHION_CLASSES
        reason = None
        data = None
        for found in find_sources(name_str):
            if not _has_split(found, split):
                continue
            try:
                x, y = _read_source(found, split)
            except ValueError:
                if found.kind == "cache" and not offline:
                    break  # a damaged download: keras.datasets removes it and fetches it again below
                raise
            source = f"{pretty} {split} ({len(x)} images) from {found.describe()}"
            _say(f"gan_keras: {source}")
            data = _as_image_data(x, y, name_str, source, classes)
            break
        if data is None and offline:
            reason = f"offline mode is on ({config.OFFLINE_ENV}=1)"
        elif data is None:
            try:
                (x_train, y_train), (x_test, y_test) = _download(name_str)
            except Exception as exc:  # any download or cache failure
                # keras says "URL fetch failure on URL: code -- cause"; the cause is what helps
                cause = str(exc).rsplit(" -- ", 1)[-1].strip() or type(exc).__name__
                reason = f"the download failed ({cause[:100]})"
        if data is None and reason is None:
            x, y = (x_train, y_train) if split == "train" else (x_test, y_test)
            source = f"{pretty} {split} ({len(x)} images) via keras.datasets (cached in {keras_home() / 'datasets'})"
            _say(f"gan_keras: {source}")
            data = _as_image_data(x, y, name_str, source, classes)
        elif data is None:
            if name_str == "fashion_mnist":
                raise DataUnavailableError(
                    f"Fashion-MNIST is not available: {reason}. Install the Debian/Ubuntu package "
                    f"dataset-fashion-mnist, put its idx files in the folder {DATA_ENV} names, or connect to the "
                    f"internet once (keras caches it in {keras_home() / 'datasets'}) and run again to retry, "
                    "or use --data digits."
                )
            retry = "" if offline else " To retry, check the connection and run again."
            _say(
                f"gan_keras: using the offline stand-in for {pretty} (scikit-learn's handwritten "
                f"digits at 28x28) because {reason}.{retry}"
            )
            images, labels = load_digits_standin(split)
            data = ImageData(images, labels, "digits", "scikit-learn handwritten digits (offline stand-in)")

    if limit is None and fast_mode_limit(split) is not None and len(data) > fast_mode_limit(split):
        limit = fast_mode_limit(split)
        _say(f"gan_keras: fast mode keeps {limit} of the {len(data)} {data.name} {split} images "
             f"({config.FAST_ENV}=0 for all of them).")
    if limit is not None and limit < len(data):
        rng = np.random.default_rng(seed)
        keep = np.sort(rng.choice(len(data), size=limit, replace=False))
        data = ImageData(
            data.images[keep], None if data.labels is None else data.labels[keep],
            data.name, data.source, data.class_names,
        )
    return data


def load_image_folder(path, image_size: int = 28, grayscale: bool = True) -> ImageData:
    """Load every image file in a folder, resized to a square, as an unlabelled dataset.

    Sub-folders, if present, become the labels (one class per sub-folder, sorted by name).
    """
    from PIL import Image, UnidentifiedImageError

    folder = Path(path)
    if not folder.exists():
        raise FileNotFoundError(f"data folder {str(folder)!r} does not exist")
    if not folder.is_dir():
        raise ValueError(f"data path {str(folder)!r} is a file, expected a folder of images")
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in IMAGE_SUFFIXES)
    if not files:
        raise ValueError(
            f"data folder {str(folder)!r} holds no images (looked for {', '.join(IMAGE_SUFFIXES)})"
        )
    classes = sorted({p.parent.name for p in files if p.parent != folder})
    images = []
    for p in files:
        try:
            with Image.open(p) as img:
                img = img.convert("L" if grayscale else "RGB").resize((image_size, image_size))
                images.append(np.asarray(img, dtype=np.float32) / 255.0)
        except (UnidentifiedImageError, OSError) as exc:
            raise ValueError(f"cannot read image {str(p)!r}: {exc}") from exc
    array = np.stack(images)
    if grayscale:
        array = array[..., None]
    labels = None
    if classes and all(p.parent != folder for p in files):
        labels = np.array([classes.index(p.parent.name) for p in files], dtype=np.int32)
    return ImageData(
        to_signed(array), labels, folder.name, f"image folder {folder}",
        tuple(classes) if labels is not None else MNIST_CLASSES,
    )


def check_labels(labels, num_classes: int | None = None, name: str = "labels") -> np.ndarray:
    """Return labels as int32 after checking they are class indices ``0..num_classes - 1``."""
    if not hasattr(labels, "__len__"):
        raise TypeError(f"{name} must be an array of class indices, got {type(labels).__name__}")
    array = np.asarray(labels)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.dtype.kind == "f" and array.size and np.all(np.isfinite(array)) and np.all(array == np.round(array)):
        array = array.astype(np.int64)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name} must be integer class indices, got dtype {array.dtype}")
    if array.ndim != 1:
        raise ValueError(f"{name} must have shape (n,), got {array.shape}")
    if array.size and array.min() < 0:
        raise ValueError(f"{name} must be class indices >= 0, got {array.min()}")
    if num_classes is not None and array.size and array.max() >= num_classes:
        raise ValueError(f"{name} must lie in 0..{num_classes - 1}, got {array.max()}")
    return array.astype(np.int32)
