"""Which recipe trains which model: the registry, and the settings and options each recipe takes.

The lowest module of ``recipes``: ``recipes.common`` asks it which settings a run records,
``recipes`` re-exports it, and the recipe modules themselves are imported only when asked for.
"""

from __future__ import annotations

import importlib

# model name -> module holding its recipe (imported only when used)
REGISTRY = {
    "gan": "gan_keras.recipes.gan",
    "dcgan": "gan_keras.recipes.dcgan",
    "cgan": "gan_keras.recipes.cgan",
    "sgan": "gan_keras.recipes.sgan",
    "pix2pix": "gan_keras.recipes.pix2pix",
    "srgan": "gan_keras.recipes.srgan",
    "discogan": "gan_keras.recipes.discogan",
    "vae": "gan_keras.recipes.vae",
}

# The run settings every recipe uses; a recipe adds the ones it also uses in its SETTINGS
# (``latent_dim``, ``loss``). An optional setting outside SETTINGS is refused (recipes.train).
BASE_SETTINGS = ("data", "epochs", "batch_size", "limit", "seed")


def available() -> list[str]:
    """Return the names of the models that ``train`` knows."""
    return list(REGISTRY)


def get(name: str):
    """Return the recipe module of a model name."""
    if name not in REGISTRY:
        raise ValueError(f"unknown model {name!r}: expected one of {', '.join(REGISTRY)}")
    return importlib.import_module(REGISTRY[name])


def supports(name: str, option: str) -> bool:
    """Return True if the recipe of model ``name`` honours ``option`` (e.g. ``"resume"``)."""
    return option in getattr(get(name), "OPTIONS", ())


def settings_of(name: str) -> tuple:
    """Return the run settings (``TrainConfig`` fields) the recipe of ``name`` uses."""
    return tuple(getattr(get(name), "SETTINGS", BASE_SETTINGS + ("latent_dim", "loss")))
