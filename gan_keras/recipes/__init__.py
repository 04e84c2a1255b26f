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


# Speed and fault options a recipe must opt into (its module lists them in ``OPTIONS``).
OPTION_FLAGS = {"resume": "--resume", "jit": "--jit", "mixed_precision": "--mixed-precision"}


def supports(name: str, option: str) -> bool:
    """Return True if the recipe of model ``name`` honours ``option`` (e.g. ``"resume"``)."""
    return option in getattr(get(name), "OPTIONS", ())


def train(config: TrainConfig) -> RunResult:
    """Train the model named in ``config`` and write its run folder.

    An option the recipe does not honour is refused, never silently ignored.
    """
    recipe = get(config.model)
    for option, flag in OPTION_FLAGS.items():
        if getattr(config, option, None) and option not in getattr(recipe, "OPTIONS", ()):
            able = [n for n in REGISTRY if supports(n, option)]
            raise ValueError(
                f"train {config.model} does not support {flag} yet "
                f"(models that do: {', '.join(able) or 'none'})"
            )
    return recipe.train(config)


__all__ = ["REGISTRY", "RunResult", "TrainConfig", "available", "get", "supports", "train"]
