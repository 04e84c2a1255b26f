"""A training run's settings: what `train MODEL` was asked (``TrainConfig``), what a run leaves (``RunResult``),
the options and settings a recipe may take, and the defaults it picks in fast or full mode."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

import keras

from gan_keras import config as gk_config
from gan_keras import validate

# The speed and fault options a recipe honours once it builds and compiles in model_scope,
# trains with fit_resumable and standard_callbacks (a recipe lists them in its OPTIONS).
ALL_OPTIONS = ("resume", "jit", "mixed_precision")


# Strategies a run can use from the command line. Several machines (``multi_worker``) need
# one process per worker and only one of them writing files: see gan_keras.training.distribute.
TRAIN_STRATEGIES = ("default", "mirrored")


# BASE_SETTINGS (recipes.registry): the run settings every recipe uses. An optional setting
# outside a recipe's SETTINGS is refused (recipes.train).
OPTIONAL_SETTINGS = ("epochs", "batch_size", "latent_dim", "limit", "loss")


SETTING_FLAGS = {"data": "--data", "epochs": "--epochs", "batch_size": "--batch-size",
                 "latent_dim": "--latent-dim", "limit": "--limit", "loss": "--loss", "seed": "--seed",
                 "mixed_precision": "--mixed-precision", "precision": "--precision", "strategy": "--strategy",
                 "jit": "--jit", "model": "MODEL", "extra": "extra settings", "fast_mode": "--fast"}


RESUME_MAY_CHANGE = ("epochs", "jit", "verbose", "show")


DATA_NAMES = ("mnist", "fashion_mnist", "digits", "facades")


@dataclass
class TrainConfig:
    """Settings of one training run; ``None`` means the recipe's default (fast or full)."""

    model: str = "gan"
    data: str = "mnist"
    epochs: int | None = None
    batch_size: int | None = None
    latent_dim: int | None = None
    seed: int = 0
    out: str | None = None
    loss: str | None = None
    limit: int | None = None
    verbose: int | str | None = None
    show: bool = False
    extra: dict = field(default_factory=dict)
    # Speed and fault options (``--precision``, ``--jit``, ``--resume``). ``jit=None``
    # is Keras' "auto": off on a CPU, where XLA measured slower (benchmarks/RESULTS_speed.md).
    # ``precision``: "float32", "mixed_float16" or "mixed_bfloat16" (None: float32, or
    # mixed_float16 with ``mixed_precision=True``, the older spelling of the same).
    mixed_precision: bool = False
    precision: str | None = None
    jit: bool | None = None
    resume: bool = False
    # Replace the run already in ``out`` (its files are removed first); without it and
    # without ``resume`` a folder holding a run is refused.
    overwrite: bool = False
    # Several devices: "default" (one device) or "mirrored" (every GPU, or every logical CPU:
    # tf.distribute.MirroredStrategy on TensorFlow, keras.distribution.DataParallel on JAX);
    # --batch-size is then the global batch, split across the replicas.
    strategy: str = "default"

    def __post_init__(self):
        for name in ("epochs", "batch_size", "latent_dim", "limit"):
            validate.optional_positive_int(getattr(self, name), name)
        if self.seed is not None:
            validate.non_negative_int(self.seed, "seed")
        if self.data is not None:
            validate.instance(self.data, "data", str, "a dataset name or a folder path (a string)")
        if self.loss is not None:
            validate.instance(self.loss, "loss", str, "a loss name (a string)")
        if self.precision is not None:
            from gan_keras.engine import PRECISIONS

            if self.precision not in PRECISIONS:
                raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
            if self.mixed_precision and self.precision != "mixed_float16":
                raise ValueError(f"--mixed-precision means --precision mixed_float16, but --precision "
                                 f"{self.precision} was given too: give one of them")
        if self.resume and self.overwrite:
            raise ValueError("--resume continues the run in --out and --overwrite replaces it: give one of them")
        if self.strategy not in TRAIN_STRATEGIES:
            raise ValueError(f"strategy must be one of {', '.join(TRAIN_STRATEGIES)}, got {self.strategy!r} "
                             "(several machines: see gan_keras.training.distribute)")

    @property
    def compute_precision(self) -> str:
        """The dtype policy the run's models are built in (``precision``, or from ``mixed_precision``)."""
        if self.precision is not None:
            return self.precision
        return "mixed_float16" if self.mixed_precision else "float32"

    def with_defaults(self, **defaults) -> "TrainConfig":
        """Return a copy where every ``None`` setting takes the recipe's default."""
        filled = {k: v for k, v in defaults.items() if getattr(self, k, None) is None}
        return dataclasses.replace(self, **filled)


@dataclass
class RunResult:
    """What a run leaves: its folder, the history, the files written and the trained model."""

    out_dir: Path
    history: dict
    files: list
    model: keras.Model | None = None
    data: object = None
    summary: dict = field(default_factory=dict)


def defaults(fast: dict, full: dict) -> dict:
    """Return the fast-mode or the full-course defaults."""
    return dict(fast if gk_config.fast_mode() else full)


def recipe_choices(config: TrainConfig, defaults: dict, allowed=()) -> dict:
    """Return the recipe's building-block choices: ``defaults`` updated with ``config.extra``.

    ``config.extra`` may change any key of ``defaults`` (``benchmarks/quality_ablation.py``
    turns the changes on one at a time that way) and the keys in ``allowed``; any other
    key is refused by name, so a misspelt choice is never silently ignored.
    """
    unknown = sorted(set(config.extra) - set(defaults) - set(allowed))
    if unknown:
        known = ", ".join(sorted(set(defaults) | set(allowed)))
        raise ValueError(f"train {config.model} has no setting {', '.join(map(repr, unknown))} "
                         f"(its extra settings: {known})")
    choices = dict(defaults)
    choices.update({k: v for k, v in config.extra.items() if k in defaults})
    return choices
