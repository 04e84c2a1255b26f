"""gan_keras: the library behind the course's chapters (GANs, DeepDream, style transfer, VAEs).

Import what a chapter needs by name, e.g. ``from gan_keras import data, losses, models``.
Importing the package checks that Keras is set to run on TensorFlow; it downloads
nothing, seeds nothing and changes no global setting.
"""

from gan_keras.config import check_backend_setting as _check_backend_setting
from gan_keras.config import fast_mode


def _check_backend_or_exit() -> None:
    """Check the Keras backend setting; under ``python -m gan_keras`` a wrong one is one line."""
    import sys

    try:
        _check_backend_setting()
    except RuntimeError as exc:
        if sys.argv[:1] == ["-m"]:  # the command line is starting (runpy sets argv[0] to "-m")
            print(f"python -m gan_keras: error: {exc}", file=sys.stderr)
            raise SystemExit(2) from None
        raise


_check_backend_or_exit()

__version__ = "0.1.0"
__all__ = ["GAN", "fast_mode", "__version__"]


def __getattr__(name):
    # Loaded on first use so that `python -m gan_keras --help` starts without TensorFlow.
    if name == "GAN":
        from gan_keras.trainers.gan import GAN

        return GAN
    raise AttributeError(f"module 'gan_keras' has no attribute {name!r}")
