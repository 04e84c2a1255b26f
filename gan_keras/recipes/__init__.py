"""Training recipes: one module per model that ``python -m gan_keras train MODEL`` runs.

A recipe loads data, builds the models, trains them with the package's trainer and writes
the run folder; notebooks call the same ``train`` function. Each module defines
``DESCRIPTION`` (one line) and ``train(config: TrainConfig) -> RunResult``.
"""

from __future__ import annotations

import dataclasses

from gan_keras.recipes import common, run_folder, settings
from gan_keras.recipes.registry import REGISTRY, available, get, settings_of, supports
from gan_keras.recipes.run_folder import MachineError, RunFinished
from gan_keras.recipes.settings import RunResult, TrainConfig

# Speed and fault options a recipe must opt into (its module lists them in ``OPTIONS``).
OPTION_FLAGS = {"resume": "--resume", "jit": "--jit", "mixed_precision": "--mixed-precision"}


def options_of(name: str) -> list[str]:
    """Return the command-line options ``train name`` takes."""
    flags = [settings.SETTING_FLAGS[s] for s in ("data", "epochs", "batch_size", "latent_dim", "limit", "loss", "seed")
             if s in settings_of(name)]
    flags += ["--out", "--fast", "--offline", "--resume", "--overwrite", "--strategy"]
    flags += [flag for option, flag in OPTION_FLAGS.items() if option != "resume" and supports(name, option)]
    if supports(name, "mixed_precision"):
        flags.append("--precision")  # float32, mixed_float16 or mixed_bfloat16
    return flags


def check_config(config: TrainConfig) -> None:
    """Refuse an option or setting the recipe of ``config.model`` does not use (never ignore it)."""
    recipe = get(config.model)
    common.check_strategy(config)  # a --strategy this Keras backend cannot run
    for option, flag in OPTION_FLAGS.items():
        asked = getattr(config, option, None)
        if option == "mixed_precision" and not asked and config.compute_precision != "float32":
            asked, flag = True, f"--precision {config.compute_precision}"  # every 16-bit policy
        if asked and option not in getattr(recipe, "OPTIONS", ()):
            able = [n for n in REGISTRY if supports(n, option)]
            raise ValueError(
                f"train {config.model} does not support {flag} yet "
                f"(models that do: {', '.join(able) or 'none'})"
            )
    uses = settings_of(config.model)
    for name in settings.OPTIONAL_SETTINGS:
        if getattr(config, name) is not None and name not in uses:
            flag = settings.SETTING_FLAGS[name]
            reason = getattr(recipe, "NOT_USED", {}).get(name, "")
            raise ValueError(f"train {config.model} does not use {flag}{': ' + reason if reason else ''} "
                             f"(it takes {', '.join(options_of(config.model))})")


def train(config: TrainConfig) -> RunResult:
    """Train the model named in ``config`` and write its run folder.

    Before any work: an option the recipe does not use is refused, never silently ignored;
    a folder holding another run is refused unless ``resume`` or ``overwrite``; a resume is
    checked against the settings in its checkpoint (those not given are taken from it).
    Ctrl-C raises ``KeyboardInterrupt`` after marking ``run.json`` interrupted (its
    ``resume_command`` continues the run); a write the machine refused (full disk,
    read-only folder) raises ``MachineError`` with one line saying what to do.
    """
    check_config(config)
    if config.resume and not config.out:
        raise ValueError("--resume needs --out FOLDER: the run folder to continue")
    if not config.out:
        config = dataclasses.replace(config, out=str(run_folder.default_out(config.model)))
    run_folder.check_run_folder(config, clear=False)  # refused before any work; --overwrite clears in run_folder
    if config.resume:
        config = run_folder.prepare_resume(config)
    else:
        config = dataclasses.replace(config, data=config.data or "mnist",
                                     seed=0 if config.seed is None else config.seed)
    try:
        return get(config.model).train(config)
    except KeyboardInterrupt:
        _mark_stopped(config, "interrupted")
        raise
    except OSError as exc:
        if exc.errno in run_folder.MACHINE_ERRNOS:
            _mark_stopped(config, "interrupted", error=f"{exc.strerror}: {exc.filename}")
            raise run_folder.machine_error(exc, config) from exc
        _mark_stopped(config, None)
        raise
    except Exception as exc:
        _mark_stopped(config, None, error=str(exc)[:500])
        raise


def _mark_stopped(config: TrainConfig, status, **fields) -> None:
    """Record in run.json how the run stopped (``interrupted`` when a checkpoint exists, else
    ``failed``); never raises (the disk may be full)."""
    try:
        info = run_folder.read_run_info(config.out) or {}
    except Exception:  # noqa: BLE001 - a damaged run.json is left as it is
        return
    if info.get("status") != "running":  # this run did not get to write its run.json: leave it
        return
    done = run_folder.checkpoint_epoch(config.out)
    if status is None:
        status = "interrupted" if done is not None else "failed"
    try:
        run_folder.mark_run(config.out, status, checkpoint_epoch=done,
                        resume_command=run_folder.resume_command(config), **fields)
    except Exception:  # noqa: BLE001 - the original error is the one to report
        pass


__all__ = ["REGISTRY", "MachineError", "RunFinished", "RunResult", "TrainConfig", "available", "check_config",
           "get", "options_of", "settings_of", "supports", "train"]
