"""Training recipes: one module per model that ``python -m gan_keras train MODEL`` runs.

A recipe loads data, builds the models, trains them with the package's trainer and writes
the run folder; notebooks call the same ``train`` function. Each module defines
``DESCRIPTION`` (one line) and ``train(config: TrainConfig) -> RunResult``.
"""

from __future__ import annotations

import importlib

from gan_keras.recipes.common import RunResult, TrainConfig

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


def available() -> list[str]:
    """Return the names of the models that ``train`` knows."""
    return list(REGISTRY)


def get(name: str):
    """Return the recipe module of a model name."""
    if name not in REGISTRY:
        raise ValueError(f"unknown model {name!r}: expected one of {', '.join(REGISTRY)}")
    return importlib.import_module(REGISTRY[name])


def train(config: TrainConfig) -> RunResult:
    """Train the model named in ``config`` and write its run folder."""
    return get(config.model).train(config)


__all__ = ["REGISTRY", "RunResult", "TrainConfig", "available", "get", "train"]
