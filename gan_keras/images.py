"""Photographs for chapters 05 and 06: load from a path or URL, offline samples, pretrained networks.

Images here are float32 ``(H, W, 3)`` arrays in ``[0, 1]`` (photographs, not the ``[-1, 1]``
of the GAN chapters); each network's own pre-processing happens in ``dream.py``/``style.py``.

Offline, the samples come from installed packages (matplotlib's photograph of Grace Hopper,
scikit-learn's ``china.jpg`` and ``flower.jpg``) or are drawn here (``waves``, ``mosaic``).
"""

from __future__ import annotations

import io as _io
import os
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import numpy as np

from gan_keras import config, validate

# Drawn images need no package at all; the photographs ship with matplotlib and scikit-learn.
SAMPLES = ("grace_hopper", "china", "flower", "waves", "mosaic")

# The ImageNet weight files keras.applications downloads (include_top=False) into ~/.keras/models.
WEIGHT_FILES = {
    "vgg19": "vgg19_weights_tf_dim_ordering_tf_kernels_notop.h5",
    "inception_v3": "inception_v3_weights_tf_dim_ordering_tf_kernels_notop.h5",
}


class WeightsUnavailableError(config.UnavailableError):
    """ImageNet weights could not be loaded; the message says why and what to do."""


def _say(message: str) -> None:
    print(message, file=sys.stderr)


def _decode(data: bytes, source: str) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(_io.BytesIO(data)) as pil:
            pil = pil.convert("RGB")
            return np.asarray(pil, dtype=np.float32) / 255.0
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        raise ValueError(
            f"{source} is not an image that Pillow can read (expected a JPEG, PNG, BMP, GIF or "
            f"WebP file, got {len(data)} bytes starting with {data[:8]!r})"
        ) from exc


def _read_url(url: str, timeout: float = 20.0) -> bytes:
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise ValueError(f"expected an http(s) address such as https://host/picture.jpg, got {url!r}")
    if config.offline_mode():
        raise ValueError(
            f"offline mode (GAN_KERAS_OFFLINE=1) does not download {url}: download the picture "
            "yourself and pass its path, or use a sample such as 'grace_hopper'"
        )
    request = urllib.request.Request(url, headers={"User-Agent": "gan_keras"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.read()
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise ValueError(
            f"could not download {url} ({reason}); check the address and your connection, or "
            "download the picture yourself and pass its path"
        ) from exc


def _is_url(source: str) -> bool:
    return "://" in source or source.startswith(("http:", "https:", "www."))


def load_image(source, max_size: int | None = None) -> np.ndarray:
    """Load a picture from a path, an http(s) URL or a sample name as ``(H, W, 3)`` in ``[0, 1]``.

    ``max_size`` shrinks the picture (keeping its aspect ratio) so its longer side is at most
    that many pixels. Introduced in `notebooks/05_deepdream.ipynb`.
    """
    if isinstance(source, np.ndarray):
        image = check_image(source)
    elif isinstance(source, (str, os.PathLike)):
        text = os.fspath(source)
        if not text:
            raise ValueError("expected an image path, URL or sample name, got an empty string")
        if text in SAMPLES:
            image = sample_image(text)
        elif _is_url(text):
            image = _decode(_read_url(text), text)
        else:
            path = Path(text).expanduser()
            if not path.exists():
                raise FileNotFoundError(
                    f"no image at {text!r} (looked in {path.resolve().parent}); pass an existing "
                    f"file, an http(s) URL or a sample name: {', '.join(SAMPLES)}"
                )
            if path.is_dir():
                raise ValueError(f"expected an image file, got the folder {text!r}")
            image = _decode(path.read_bytes(), repr(text))
    else:
        raise TypeError(
            f"expected an image path, URL, sample name or (H, W, 3) array, got {type(source).__name__}"
        )
    if max_size is not None:
        image = fit_size(image, max_size)
    return image


def check_image(image, name: str = "image") -> np.ndarray:
    """Return ``image`` as float32 ``(H, W, 3)`` in ``[0, 1]``, or explain what is wrong with it."""
    image = np.asarray(image)
    if image.ndim == 4 and image.shape[0] == 1:
        image = image[0]
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)
    if image.ndim != 3 or image.shape[-1] not in (1, 3):
        raise ValueError(f"{name} must have shape (height, width, 3), got {image.shape}")
    if image.shape[-1] == 1:
        image = np.repeat(image, 3, axis=-1)
    if image.dtype == np.uint8:
        image = image.astype(np.float32) / 255.0
    image = image.astype(np.float32)
    if not np.all(np.isfinite(image)):
        raise ValueError(f"{name} contains NaN or infinite values")
    if image.min() < -1e-3 or image.max() > 1 + 1e-3:
        raise ValueError(
            f"{name} must hold values in [0, 1] (or uint8 0..255), got the range "
            f"[{image.min():.3g}, {image.max():.3g}]"
        )
    if min(image.shape[:2]) < 8:
        raise ValueError(f"{name} is too small ({image.shape[0]}x{image.shape[1]}); use at least 8x8 pixels")
    return np.clip(image, 0.0, 1.0)


def resize(image, height: int, width: int) -> np.ndarray:
    """Resize an ``(H, W, 3)`` image to ``height x width`` with bicubic interpolation."""
    from keras import ops

    # On TensorFlow this is tf.image.resize(..., method="bicubic"); JAX and PyTorch use their own
    # bicubic kernels (Keys' cubic on JAX, as TensorFlow; PyTorch's a = -0.75 differs slightly).
    out = ops.image.resize(np.asarray(image, np.float32)[None], (int(height), int(width)),
                           interpolation="bicubic", antialias=False, data_format="channels_last")
    return np.clip(ops.convert_to_numpy(out)[0], 0.0, 1.0)


def fit_size(image, max_size: int) -> np.ndarray:
    """Shrink an image so its longer side is ``max_size`` pixels (never enlarge it)."""
    validate.integer(max_size, "max_size", minimum=8)
    image = check_image(image)
    h, w = image.shape[:2]
    scale = max_size / max(h, w)
    if scale >= 1:
        return image
    return resize(image, max(8, round(h * scale)), max(8, round(w * scale)))


def sample_image(name: str = "grace_hopper") -> np.ndarray:
    """Return a picture that needs no download: a photograph from an installed package or a drawn one.

    ``grace_hopper`` (matplotlib), ``china``, ``flower`` (scikit-learn), ``waves``, ``mosaic``
    (drawn here, 256x256).
    """
    if name == "grace_hopper":
        from matplotlib import cbook

        with open(cbook.get_sample_data("grace_hopper.jpg", asfileobj=False), "rb") as f:
            return _decode(f.read(), "matplotlib's grace_hopper.jpg")
    if name in ("china", "flower"):
        from sklearn.datasets import load_sample_image

        return load_sample_image(f"{name}.jpg").astype(np.float32) / 255.0
    if name == "waves":
        return draw_waves()
    if name == "mosaic":
        return draw_mosaic()
    raise ValueError(f"unknown sample image {name!r}; expected one of {', '.join(SAMPLES)}")


def draw_waves(size: int = 256, seed: int = 0) -> np.ndarray:
    """Draw swirling coloured bands (a style image with strong strokes), ``(size, size, 3)``."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:size, 0:size].astype(np.float32) / size
    channels = []
    for c in range(3):
        fx, fy, phase = rng.uniform(3, 9), rng.uniform(3, 9), rng.uniform(0, 2 * np.pi)
        swirl = np.sin(2 * np.pi * (fx * x + 0.6 * np.sin(2 * np.pi * fy * y)) + phase)
        channels.append(0.5 + 0.5 * swirl)
    return np.stack(channels, axis=-1).astype(np.float32)


def draw_mosaic(size: int = 256, cells: int = 40, seed: int = 0) -> np.ndarray:
    """Draw a stained-glass mosaic: random coloured cells with dark borders, ``(size, size, 3)``."""
    rng = np.random.default_rng(seed)
    centers = rng.uniform(0, size, (cells, 2))
    colors = rng.uniform(0.1, 1.0, (cells, 3))
    y, x = np.mgrid[0:size, 0:size].astype(np.float32)
    d = (y[..., None] - centers[:, 0]) ** 2 + (x[..., None] - centers[:, 1]) ** 2
    order = np.sort(d, axis=-1)
    nearest = np.argmin(d, axis=-1)
    # Dark lead lines where the two nearest centres are almost equally far.
    border = (np.sqrt(order[..., 1]) - np.sqrt(order[..., 0])) < 2.0
    image = colors[nearest]
    image[border] = 0.05
    return image.astype(np.float32)


def save_image(image, path) -> Path:
    """Save an ``(H, W, 3)`` image in ``[0, 1]`` as a PNG, atomically.

    ``path`` must end in ``.png`` (the bytes written are PNG) and must not be a folder.
    """
    from gan_keras import plots

    path = validate.output_file(path, "path", suffixes=(".png",))
    return plots.save_image(check_image(image), path)


def load_application(name: str, weights="imagenet", seed: int = 0, fallback: bool = True):
    """Build ``keras.applications`` VGG19 or InceptionV3 without its classifier head.

    ``weights``: ``"imagenet"`` (downloaded once into ``~/.keras/models``), ``None`` (random,
    re-initialised with seeded He-normal kernels so that activations keep their scale
    through the depth), or a path to a weights file. Offline, or when the download fails,
    ``fallback=True`` prints one line and uses random weights; ``fallback=False`` raises
    :class:`WeightsUnavailableError`. Returns ``(model, used)`` with ``used`` one of
    ``"imagenet"``, ``"random"`` or the weights path.
    """
    import keras

    builders = {"vgg19": keras.applications.VGG19, "inception_v3": keras.applications.InceptionV3}
    if name not in builders:
        raise ValueError(f"expected a network name in {sorted(builders)}, got {name!r}")
    if isinstance(weights, str) and weights.lower() in ("none", "random"):
        weights = None
    if weights not in (None, "imagenet") and not isinstance(weights, (str, os.PathLike)):
        raise TypeError(f"weights must be 'imagenet', None/'random' or a file path, got {weights!r}")
    build = builders[name]
    if weights == "imagenet":
        keras_home = Path(os.environ.get("KERAS_HOME", Path.home() / ".keras"))
        cached = _weights_cached(name, keras_home / "models" / WEIGHT_FILES[name])
        problem = None
        if config.offline_mode() and not cached:
            problem = (f"offline mode (GAN_KERAS_OFFLINE=1) and the ImageNet weights of {name} "
                       f"are not in {keras_home / 'models'}")
        else:
            try:
                return build(include_top=False, weights="imagenet"), "imagenet"
            except Exception as exc:  # urllib, HTTP and hash errors all end here
                problem = f"could not download the ImageNet weights of {name} ({type(exc).__name__}: {exc})"
        advice = (f"connect to the internet once (they are cached in {keras_home / 'models'}), "
                  "or pass weights=None for a random network")
        if not fallback:
            raise WeightsUnavailableError(f"{problem}; {advice}")
        _say(f"{problem}: using a randomly initialised {name} instead ({advice}).")
        weights = None
    if weights is None:
        model = build(include_top=False, weights=None)
        _reinitialise(model, seed)
        return model, "random"
    path = check_weights_file(weights)
    model = build(include_top=False, weights=None)
    try:
        model.load_weights(str(path))
    except Exception as exc:  # h5py's OSError, Keras' ValueError: a damaged or foreign file
        raise ValueError(f"cannot load the weights file {str(path)!r} into {name} (damaged, or the weights "
                         f"of another network): {type(exc).__name__}: {' '.join(str(exc).split())[:200]}") from exc
    return model, str(path)


def check_weights_file(weights) -> Path:
    """Return the path of a weights file: an existing file in the HDF5 format that Keras writes
    (``.h5``, ``.weights.h5``); ``FileNotFoundError`` or ``ValueError`` saying what is wrong."""
    path = Path(weights).expanduser()
    if path.is_dir():
        raise ValueError(f"weights {str(weights)!r} is a folder, expected a weights file (.h5)")
    if not path.exists():
        raise FileNotFoundError(f"no weights file at {str(weights)!r}")
    with open(path, "rb") as f:
        signature = f.read(8)
    if signature != b"\x89HDF\r\n\x1a\n":
        raise ValueError(f"weights file {str(weights)!r} is not an HDF5 weights file (.h5): damaged or "
                         "something else")
    import h5py

    try:
        with h5py.File(path, "r"):
            pass
    except Exception as exc:  # h5py raises OSError for a damaged file
        raise ValueError(f"weights file {str(weights)!r} is a damaged HDF5 file: "
                         f"{' '.join(str(exc).split())[:200]}") from None
    return path


# Sizes of the files keras.applications downloads (include_top=False); Keras checks their hashes.
WEIGHT_SIZES = {"vgg19": 80_134_624, "inception_v3": 87_910_968}


def _weights_cached(name: str, path: Path) -> bool:
    """Return True if intact weights are cached; say what is downloaded, or that a cached file is damaged."""
    from gan_keras import data

    size_text = f"about {WEIGHT_SIZES[name] / 1e6:.0f} MB"
    if path.exists() and path.stat().st_size == WEIGHT_SIZES[name]:
        return True
    if path.exists():  # cut short or corrupt: Keras' hash check fetches it again online
        _say(f"the cached ImageNet weights of {name} in {path} are damaged ({path.stat().st_size:,} bytes, "
             f"expected {WEIGHT_SIZES[name]:,}): "
             + ("ignoring them (offline mode)" if config.offline_mode() else "fetching them again"))
    if not config.offline_mode():
        data.announce_download(f"the ImageNet weights of {name}", size_text, path.parent)
    return False


def _reinitialise(model, seed: int) -> None:
    """Give every convolution seeded He-normal kernels and zero biases."""
    import keras

    for i, layer in enumerate(model.layers):
        if isinstance(layer, keras.layers.Conv2D):
            init = keras.initializers.HeNormal(seed=seed + i)
            layer.kernel.assign(init(layer.kernel.shape))
            if layer.use_bias:
                layer.bias.assign(np.zeros(layer.bias.shape, np.float32))


def parse_layer_weights(layers, what: str = "layers") -> dict:
    """Turn ``"mixed4=1,mixed5=1.5"``, ``"a,b"``, a list of names or a dict into ``{name: weight}``."""
    if isinstance(layers, str):
        parsed = {}
        for part in (p.strip() for p in layers.split(",")):
            if not part:
                continue
            name, _, weight = part.partition("=")
            try:
                parsed[name.strip()] = float(weight) if weight else 1.0
            except ValueError:
                raise ValueError(f"{what}: expected name=weight with a number as weight, got {part!r}") from None
        layers = parsed
    elif isinstance(layers, (list, tuple)):
        layers = {name: 1.0 for name in layers}
    if not isinstance(layers, dict) or not layers:
        raise TypeError(f"{what} must be a dict name -> weight, a list of layer names or a string "
                        f"like 'name=1,name=2', got {layers!r}")
    out = {}
    for name, weight in layers.items():
        out[str(name)] = validate.non_negative_number(weight, f"{what}: the weight of {name!r}")
    return out
