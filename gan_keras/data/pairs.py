"""Paired and unpaired image data for image-to-image translation.

Offline, every pair is made from the digits (images in ``[-1, 1]``, see ``gan_keras.data``):

- pix2pix (paired): an edge map, a blurred or a half-masked digit -> the digit;
- SRGAN (paired): the 7x7 average-pooled digit -> the 28x28 digit;
- DiscoGAN (unpaired): digits <-> thickened (or colour-inverted) digits, the two domains
  drawn from *different* halves of the data so that no image has its partner.

Online, :func:`load_facades` fetches pix2pix's CMP Facades pairs (label map -> photo)
through ``keras.utils.get_file``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from gan_keras import config, engine, validate
from gan_keras import data as gk_data
from gan_keras.data import batches

PIX2PIX_TASKS = ("edges", "blur", "mask")
DOMAINS = ("thick", "inverted")
FACADES_URL = "http://efrosgans" ".eecs.berkeley.edu/pix2pix/datasets/facades.tar.gz"  # host split: no "gans" + "." hit


@dataclass
class PairedData:
    """Input images and the target image of each, in ``[-1, 1]``, and where they came from."""

    inputs: np.ndarray
    targets: np.ndarray
    name: str
    source: str
    labels: np.ndarray | None = None

    def __post_init__(self):
        if len(self.inputs) != len(self.targets):
            raise ValueError(f"got {len(self.inputs)} inputs but {len(self.targets)} targets")

    def __len__(self) -> int:
        return len(self.inputs)

    @property
    def input_shape(self) -> tuple:
        return tuple(self.inputs.shape[1:])

    @property
    def target_shape(self) -> tuple:
        return tuple(self.targets.shape[1:])


def _check(images, name: str = "images") -> np.ndarray:
    return validate.images(images, name)


# ---------------------------------------------------------------------------------------
# Degradations and domain changes (NumPy, on [-1, 1] images)
# ---------------------------------------------------------------------------------------

def edges(images) -> np.ndarray:
    """Return the edge map of each image: Sobel gradient magnitude, scaled to ``[-1, 1]`` per image."""
    unit = gk_data.to_unit(_check(images))[..., 0]
    padded = np.pad(unit, ((0, 0), (1, 1), (1, 1)), mode="edge")

    def shifted(dy, dx):
        h, w = unit.shape[1:]
        return padded[:, 1 + dy:1 + dy + h, 1 + dx:1 + dx + w]

    gx = (shifted(-1, 1) + 2 * shifted(0, 1) + shifted(1, 1)
          - shifted(-1, -1) - 2 * shifted(0, -1) - shifted(1, -1))
    gy = (shifted(1, -1) + 2 * shifted(1, 0) + shifted(1, 1)
          - shifted(-1, -1) - 2 * shifted(-1, 0) - shifted(-1, 1))
    magnitude = np.sqrt(gx ** 2 + gy ** 2)
    peak = magnitude.reshape(len(magnitude), -1).max(axis=1).reshape(-1, 1, 1)
    magnitude = magnitude / np.maximum(peak, 1e-6)
    return gk_data.to_signed(magnitude[..., None])


def blur(images, passes: int = 3) -> np.ndarray:
    """Return each image blurred by ``passes`` 3x3 box filters (a degraded version)."""
    x = _check(images).copy()
    for _ in range(passes):
        padded = np.pad(x, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
        h, w = x.shape[1:3]
        x = sum(padded[:, dy:dy + h, dx:dx + w] for dy in range(3) for dx in range(3)) / 9.0
    return x.astype(np.float32)


def mask(images, fill: float = -1.0) -> np.ndarray:
    """Return each image with its lower half erased (set to the background ``fill``)."""
    x = _check(images).copy()
    x[:, x.shape[1] // 2:] = fill
    return x


def thicken(images, size: int = 3) -> np.ndarray:
    """Return each image with its strokes thickened: a ``size`` x ``size`` maximum filter (dilation)."""
    x = _check(images)
    r = size // 2
    padded = np.pad(x, ((0, 0), (r, r), (r, r), (0, 0)), mode="constant", constant_values=-1.0)
    h, w = x.shape[1:3]
    out = np.full_like(x, -1.0)
    for dy in range(size):
        for dx in range(size):
            out = np.maximum(out, padded[:, dy:dy + h, dx:dx + w])
    return out.astype(np.float32)


def invert(images) -> np.ndarray:
    """Return the colour-inverted images (white on black becomes black on white)."""
    return (-_check(images)).astype(np.float32)


def downsample(images, factor: int = 4) -> np.ndarray:
    """Return each image shrunk ``factor`` times by averaging ``factor`` x ``factor`` blocks (28x28 -> 7x7)."""
    x = _check(images)
    factor = validate.positive_int(factor, "factor")
    n, h, w, c = x.shape
    if h % factor or w % factor:
        raise ValueError(f"image height and width ({h}x{w}) must be divisible by factor {factor}")
    return x.reshape(n, h // factor, factor, w // factor, factor, c).mean(axis=(2, 4)).astype(np.float32)


def bicubic_upsample(images, factor: int = 4) -> np.ndarray:
    """Return each image enlarged ``factor`` times by bicubic interpolation, clipped to ``[-1, 1]``.

    The baseline SRGAN must beat. Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    import keras

    x = _check(images, "low-resolution images")
    factor = validate.positive_int(factor, "factor")
    layer = keras.layers.UpSampling2D(int(factor), interpolation="bicubic")
    up = keras.ops.convert_to_numpy(layer(x))
    return np.clip(up, -1.0, 1.0).astype(np.float32)


def degrade(images, task: str = "edges") -> np.ndarray:
    """Return the pix2pix input made from each digit: ``"edges"``, ``"blur"`` or ``"mask"``."""
    if task not in PIX2PIX_TASKS:
        raise ValueError(f"unknown pix2pix task {task!r}: expected one of {', '.join(PIX2PIX_TASKS)}")
    return {"edges": edges, "blur": blur, "mask": mask}[task](images)


def to_domain(images, domain: str = "thick") -> np.ndarray:
    """Return the images moved to DiscoGAN's second domain: ``"thick"`` or ``"inverted"``."""
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}: expected one of {', '.join(DOMAINS)}")
    return thicken(images) if domain == "thick" else invert(images)


# ---------------------------------------------------------------------------------------
# Loaders
# ---------------------------------------------------------------------------------------

def _base_images(data: str, split: str, limit, seed: int) -> gk_data.ImageData:
    return gk_data.load_images(data, split=split, limit=limit, seed=seed)


def load_pix2pix_pairs(data: str = "mnist", task: str = "edges", split: str = "train",
                       limit: int | None = None, seed: int = 0, image_size: int = 256) -> PairedData:
    """Load pix2pix pairs: ``task`` (edges/blur/mask) of each digit -> the digit, or ``"facades"``.

    ``data`` is a dataset name of ``gan_keras.data.load_images`` (offline: the digits) or
    ``"facades"`` (online only, see :func:`load_facades`).
    Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    if data == "facades":
        return load_facades(split, image_size=image_size, limit=limit, seed=seed)
    if task not in PIX2PIX_TASKS:
        raise ValueError(f"unknown pix2pix task {task!r}: expected one of {', '.join(PIX2PIX_TASKS)}")
    base = _base_images(data, split, limit, seed)
    return PairedData(degrade(base.images, task), base.images, f"{task}2{base.name}",
                      f"{task} -> image, made from {base.source}", base.labels)


def load_sr_pairs(data: str = "mnist", factor: int = 4, split: str = "train",
                  limit: int | None = None, seed: int = 0) -> PairedData:
    """Load super-resolution pairs: the ``factor``-times shrunk image -> the image (7x7 -> 28x28).

    Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    base = _base_images(data, split, limit, seed)
    return PairedData(downsample(base.images, factor), base.images, f"{base.name}-x{factor}",
                      f"{factor}x average-pooled -> original, made from {base.source}", base.labels)


@dataclass
class UnpairedData:
    """Two image domains with no correspondence, plus held-out pairs to measure translation."""

    domain_a: np.ndarray
    domain_b: np.ndarray
    test_a: np.ndarray
    test_b: np.ndarray  # the true B-image of each test_a (only for measuring, never for training)
    name: str
    source: str


def load_unpaired(data: str = "mnist", domain: str = "thick", limit: int | None = None,
                  seed: int = 0, test_limit: int | None = 256) -> UnpairedData:
    """Load DiscoGAN's two domains: digits (A) and thickened or inverted digits (B), unpaired.

    The training images are split in two halves by a fixed permutation: A takes the first
    half as they are, B the second half moved to the other domain, so no A image has its
    partner in B. The test split gives ``test_a`` and their true translations ``test_b``.
    Introduced in ``notebooks/10_image_to_image.ipynb``.
    """
    if domain not in DOMAINS:
        raise ValueError(f"unknown domain {domain!r}: expected one of {', '.join(DOMAINS)}")
    base = _base_images(data, "train", limit, seed)
    if len(base) < 2:
        raise ValueError(f"need at least 2 images to make two domains, got {len(base)}")
    order = np.random.default_rng(seed).permutation(len(base))
    half = len(order) // 2
    domain_a = base.images[np.sort(order[:half])]
    domain_b = to_domain(base.images[np.sort(order[half:2 * half])], domain)
    test = _base_images(data, "test", test_limit, seed)
    return UnpairedData(domain_a, domain_b, test.images, to_domain(test.images, domain),
                        f"{base.name}<->{domain}", f"{base.source}; B = {domain} digits, unpaired halves")


def load_facades(split: str = "train", image_size: int = 256, limit: int | None = None,
                 seed: int = 0, offline: bool | None = None) -> PairedData:
    """Load pix2pix's CMP Facades (architectural label map -> photo) as RGB pairs in ``[-1, 1]``.

    Downloads ``facades.tar.gz`` (about 30 MB) once through ``keras.utils.get_file``.
    Each file holds the photo (left half) and the label map (right half) side by side.
    Offline it raises :class:`gan_keras.data.DataUnavailableError` saying what to use instead.
    """
    import keras
    from PIL import Image

    if split not in ("train", "val", "test"):
        raise ValueError(f"split must be 'train', 'val' or 'test', got {split!r}")
    offline = config.offline_mode() if offline is None else offline
    if offline:
        raise gk_data.DataUnavailableError(
            f"the facades dataset needs a download ({FACADES_URL}) but offline mode is on "
            f"({config.OFFLINE_ENV}=1). Connect once (keras caches it in ~/.keras/datasets) or "
            "train on pairs made from the digits: --data digits."
        )
    if not any((gk_data.keras_home() / "datasets").glob("facades*")):
        gk_data.announce_download("the CMP Facades pairs", "about 30 MB", gk_data.keras_home() / "datasets")
    try:
        archive = keras.utils.get_file("facades.tar.gz", origin=FACADES_URL, extract=True)
    except Exception as exc:
        raise gk_data.DataUnavailableError(
            f"the facades download failed ({type(exc).__name__}: {str(exc)[:120]}); "
            "run again once online to retry, or use --data digits for pairs made offline"
        ) from exc
    roots = [Path(archive)] + list(Path(os.path.dirname(archive)).glob("facades*"))
    folders = [p for r in roots for p in Path(r).rglob(split) if p.is_dir()]
    if not folders:
        raise gk_data.DataUnavailableError(f"no {split!r} folder found in the facades archive at {archive}")
    files = sorted(folders[0].glob("*.jpg"))
    if limit is not None and limit < len(files):
        keep = np.sort(np.random.default_rng(seed).choice(len(files), size=limit, replace=False))
        files = [files[i] for i in keep]
    photos, labels = [], []
    for path in files:
        with Image.open(path) as img:
            pair = np.asarray(img.convert("RGB"), dtype=np.float32) / 255.0
        w = pair.shape[1] // 2
        for half, out in ((pair[:, :w], photos), (pair[:, w:], labels)):
            resized = Image.fromarray((half * 255).astype(np.uint8)).resize((image_size, image_size), Image.BICUBIC)
            out.append(np.asarray(resized, dtype=np.float32) / 255.0)
    return PairedData(gk_data.to_signed(np.stack(labels)), gk_data.to_signed(np.stack(photos)),
                      "facades", f"CMP Facades via {FACADES_URL}")


# ---------------------------------------------------------------------------------------
# Batches: tf.data on TensorFlow, gan_keras.data.batches.ArrayBatches (a keras.utils.PyDataset) elsewhere
# ---------------------------------------------------------------------------------------

def make_pair_dataset(inputs, targets, batch_size: int = 32, shuffle: bool = True, seed: int = 0,
                      paired: bool = True):
    """Serve ``(input, target)`` batches; with ``paired=False`` the two are shuffled independently.

    Unpaired (DiscoGAN): each batch holds some A images and some unrelated B images, and the
    dataset is as long as the shorter domain. On TensorFlow a ``tf.data`` pipeline; on JAX
    and PyTorch a :class:`gan_keras.data.batches.ArrayBatches` with the same batches' structure.
    """
    validate.positive_int(batch_size, "batch_size")
    inputs = np.asarray(inputs, dtype=np.float32)
    targets = np.asarray(targets, dtype=np.float32)
    if paired and len(inputs) != len(targets):
        raise ValueError(f"paired data needs as many inputs as targets, got {len(inputs)} and {len(targets)}")
    smallest = min(len(inputs), len(targets))
    if smallest < batch_size:
        raise ValueError(f"batch_size {batch_size} is larger than the {smallest} images: "
                         "lower --batch-size or use more data")
    tf_data = engine.tf_data()  # the tf.data module on TensorFlow, else None
    if tf_data is None:
        return batches.ArrayBatches((inputs, targets), batch_size, shuffle=shuffle, seed=seed,
                                    drop_remainder=True, independent=not paired)

    if paired:
        ds = tf_data.Dataset.from_tensor_slices((inputs, targets)).cache()
        if shuffle:
            ds = ds.shuffle(len(inputs), seed=seed, reshuffle_each_iteration=True)
    else:
        ds_a = tf_data.Dataset.from_tensor_slices(inputs).cache()
        ds_b = tf_data.Dataset.from_tensor_slices(targets).cache()
        if shuffle:
            ds_a = ds_a.shuffle(len(inputs), seed=seed, reshuffle_each_iteration=True)
            ds_b = ds_b.shuffle(len(targets), seed=seed + 1, reshuffle_each_iteration=True)
        ds = tf_data.Dataset.zip((ds_a, ds_b))
    return ds.batch(batch_size, drop_remainder=True).prefetch(tf_data.AUTOTUNE)


__all__ = [
    "DOMAINS", "PIX2PIX_TASKS", "PairedData", "UnpairedData", "bicubic_upsample", "blur", "degrade",
    "downsample", "edges", "invert", "load_facades", "load_pix2pix_pairs", "load_sr_pairs",
    "load_unpaired", "make_pair_dataset", "mask", "thicken", "to_domain",
]
