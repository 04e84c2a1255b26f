"""A run's folder: refusing one that holds another run, ``--overwrite`` and ``--resume``, ``run.json`` and the
checkpoint's settings, the resume command, and the machine errors that name a file."""

from __future__ import annotations

import dataclasses
import shlex
import shutil
import time
from pathlib import Path

import keras

from gan_keras import config as gk_config
from gan_keras import engine, io, validate
from gan_keras.recipes.registry import settings_of
from gan_keras.recipes.settings import (
    DATA_NAMES,
    OPTIONAL_SETTINGS,
    RESUME_MAY_CHANGE,
    SETTING_FLAGS,
    TrainConfig,
)

# The files and folders a run writes (what --overwrite removes, and nothing else).
RUN_FILES = ("run.json", "history.json", "history.csv", "history.png", "d_outputs.png", "d_trace.json",
             "progress.gif", "generator.keras", "generator_ab.keras", "generator_ba.keras", "encoder.keras",
             "classifier.keras", "class_grid.png", "reconstructions.png", "latent_map.png",
             "latent_scatter.png", "evaluation.json")


RUN_FOLDERS = ("samples", "checkpoint")


SETTINGS_FILE = "settings.json"  # inside checkpoint/


class RunFinished(Exception):
    """``--resume`` of a run that already reached the epochs asked: nothing to do, nothing changed."""


MachineError = io.MachineError  # one line: what failed, the checkpoint's epoch, how to resume


MACHINE_ERRNOS = io.MACHINE_ERRNOS  # errno values of the machine, not the user


def default_out(model: str) -> Path:
    """Return a new folder name ``runs/<model>-<time>`` that does not exist yet."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    out = gk_config.runs_dir() / f"{model}-{stamp}"
    suffix = 1
    while out.exists():
        suffix += 1
        out = gk_config.runs_dir() / f"{model}-{stamp}-{suffix}"
    return out


def read_run_info(out) -> dict | None:
    """Return the ``run.json`` of a run folder, ``None`` if there is none (a clear error if damaged)."""
    path = Path(out) / "run.json"
    if not path.exists():
        return None
    info = io.read_json(path)
    if not isinstance(info, dict):
        raise ValueError(f"cannot read {str(path)!r}: expected a JSON object, got {type(info).__name__}")
    return info


def holds_run(out) -> bool:
    """Return True if the folder holds (part of) a run: its files, grids or checkpoint.

    A ``run.json`` alone whose run failed before training (status ``failed``) does not count.
    """
    out = Path(out)
    if not out.is_dir():
        return False
    if any((out / name).exists() for name in RUN_FILES if name != "run.json"):
        return True
    if (out / "samples").is_dir() and any((out / "samples").iterdir()):
        return True
    checkpoint = out / "checkpoint"
    if (checkpoint / "latest.json").exists() or any(checkpoint.glob("epoch_*")):
        return True
    if (out / "run.json").exists():
        try:
            info = read_run_info(out) or {}
        except ValueError:
            return True  # a damaged run.json is still someone's run
        return info.get("status") != "failed"
    return False


def clear_run(out) -> None:
    """Remove the files and folders a run writes (and their temporaries), nothing else."""
    out = Path(out)
    for name in RUN_FILES:
        if (out / name).is_file():
            (out / name).unlink()
    for name in RUN_FOLDERS:
        if (out / name).is_dir():
            shutil.rmtree(out / name)
    for tmp in out.glob(".*.partial-*"):
        if tmp.is_file():
            tmp.unlink()


def check_run_folder(config: TrainConfig, clear: bool = True) -> Path:
    """Check ``config.out`` can hold this run: refuse a folder that holds another run unless
    ``resume`` (continue it) or ``overwrite`` (with ``clear``, its files are removed now;
    ``recipes.train`` checks with ``clear=False`` before any work and ``run_folder`` clears once
    the data loaded, so a run that fails to start leaves the old one). Return the folder."""
    out = validate.output_folder(config.out, "--out")
    if holds_run(out) and not config.resume:
        if not config.overwrite:
            raise ValueError(f"--out {str(out)!r} already holds a run: add --resume to continue it, "
                             "or --overwrite to replace it (its files are removed first)")
        if clear:
            clear_run(out)
    return out


def resume_command(config: TrainConfig) -> str:
    """Return the command line that resumes this run (the settings come from its checkpoint)."""
    words = ["python", "-m", "gan_keras", "train", config.model, "--out", str(config.out), "--resume"]
    if config.strategy != "default":  # a shaping setting the command line does not take from the checkpoint
        words += ["--strategy", config.strategy]
    if gk_config.fast_mode():
        words.append("--fast")
    if gk_config.offline_mode():
        words.append("--offline")
    return " ".join(shlex.quote(w) for w in words)


def used_settings(config: TrainConfig) -> dict:
    """Return the settings of ``config`` that its recipe uses (what run.json records)."""
    uses = settings_of(config.model)
    record = {"model": config.model}
    record.update({name: getattr(config, name) for name in uses})
    data = record.get("data")
    if isinstance(data, str) and data not in DATA_NAMES and Path(data).is_dir():
        record["data"] = str(Path(data).resolve())  # a folder of images: found from any working folder
    precision = config.compute_precision
    record.update(mixed_precision=precision == "mixed_float16", precision=precision, jit=config.jit,
                  strategy=config.strategy, extra=dict(config.extra),
                  out=None if config.out is None else str(config.out))
    return record


def shaping_settings(config: TrainConfig) -> dict:
    """Return the settings that shape training (recorded in the checkpoint; --resume must match)."""
    record = {k: v for k, v in used_settings(config).items() if k not in RESUME_MAY_CHANGE and k != "out"}
    record["fast_mode"] = gk_config.fast_mode()
    # The Keras backend: each has its own random streams and counter dtypes, so a run resumes
    # exactly only on the backend it started on
    record["backend"] = engine.name()
    return record


def mark_run(out, status: str, **fields) -> None:
    """Update the status (and ``fields``) of the run.json in ``out``, if there is one."""
    info = read_run_info(out)
    if info is None:
        return
    info.update(status=status, **fields)
    io.write_json(Path(out) / "run.json", info)


def check_data_source(out, data_source) -> None:
    """Refuse to resume on other data than the checkpoint's (e.g. MNIST online after the offline stand-in).

    ``--data mnist`` names a dataset, but what loads depends on the machine: MNIST online, the
    scikit-learn digits offline. A resumed run must train on the images it started with.
    """
    settings_path = Path(out) / "checkpoint" / SETTINGS_FILE
    if data_source is None or not settings_path.exists():
        return
    record = io.read_json(settings_path)
    stored = record.get("data_source") if isinstance(record, dict) else None
    if stored is not None and stored != data_source:
        hint = (" (offline mode or a failed download gave the stand-in: resume with GAN_KERAS_OFFLINE=1)"
                if "stand-in" in stored else " (resume where the same data loads, e.g. online)")
        raise ValueError(f"cannot resume {str(out)!r} on other data: the checkpoint was trained on {stored!r}, "
                         f"but this time {data_source!r} loaded{hint}; or start a new run folder")


def run_folder(config: TrainConfig, data_source: str | None = None) -> Path:
    """Create the run's output folder and write its ``run.json`` (status ``running``).

    ``config.out`` is the folder (``recipes.train`` sets ``runs/<model>-<time>`` when none
    is given); one that holds another run is refused unless ``resume`` or ``overwrite``.
    A new run also records its training settings in ``checkpoint/settings.json``, with
    ``data_source`` (what the data loader says it loaded): a resume on other data is refused.
    """
    if not config.out:
        config.out = str(default_out(config.model))
    out = check_run_folder(config)
    settings_path = out / "checkpoint" / SETTINGS_FILE
    if config.data and Path(str(config.data)).expanduser().is_dir():
        data_source = None  # a folder of images: its absolute path is a setting already, checked above
    if config.resume:
        check_data_source(out, data_source)
    out.mkdir(parents=True, exist_ok=True)
    settings = shaping_settings(config)
    if not config.resume or not settings_path.exists():
        io.write_json(settings_path, {"settings": settings, "epochs": config.epochs, "data_source": data_source})
    io.write_json(out / "run.json", {
        "status": "running", "config": used_settings(config), "summary": {},
        "resume_command": resume_command(config), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "keras": keras.__version__, "fast_mode": gk_config.fast_mode()})
    return out


def checkpoint_epoch(out) -> int | None:
    """Return the epoch the last complete checkpoint of a run folder holds (None if none)."""
    latest = Path(out) / "checkpoint" / "latest.json"
    if not latest.is_file():
        return None
    try:
        return int(io.read_json(latest)["epoch"])
    except (ValueError, KeyError, TypeError):
        return None


def prepare_resume(config: TrainConfig) -> TrainConfig:
    """Check a ``--resume`` against the checkpoint's settings; fill the settings not given.

    A shaping setting given with another value than the checkpoint's is refused, naming
    each difference; the ones in ``RESUME_MAY_CHANGE`` (``epochs``, ``jit``, ...) may change.
    A run that already reached the epochs asked raises ``RunFinished`` (nothing changes);
    fewer epochs than the checkpoint holds is refused.
    """
    out = Path(config.out)
    settings_path = out / "checkpoint" / SETTINGS_FILE
    stored, stored_epochs = None, None
    if settings_path.exists():
        record = io.read_json(settings_path)
        if not isinstance(record, dict) or not isinstance(record.get("settings"), dict):
            raise ValueError(f"cannot read {str(settings_path)!r}: expected the run's settings")
        stored, stored_epochs = record["settings"], record.get("epochs")
    else:
        info = read_run_info(out)  # a run of before settings.json: compare what its run.json says
        if info is not None and isinstance(info.get("config"), dict):
            keys = set(shaping_settings(config)) - {"fast_mode"}
            stored = {k: v for k, v in info["config"].items() if k in keys}
            if "fast_mode" in info:
                stored["fast_mode"] = info["fast_mode"]
            stored_epochs = info["config"].get("epochs")
    if stored is not None and "precision" not in stored and "mixed_precision" in stored:
        # A checkpoint of before --precision: --mixed-precision was float16, otherwise float32
        stored = dict(stored, precision="mixed_float16" if stored["mixed_precision"] else "float32")
    if stored is None:
        return dataclasses.replace(config, data=config.data or "mnist",
                                   seed=0 if config.seed is None else config.seed)
    fill = {}
    for name in OPTIONAL_SETTINGS + ("data", "seed"):
        if getattr(config, name) is None and name in stored:
            fill[name] = stored[name]
    if config.epochs is None and stored_epochs is not None:
        fill["epochs"] = stored_epochs
    if not config.extra and stored.get("extra"):
        fill["extra"] = dict(stored["extra"])
    config = dataclasses.replace(config, **fill)
    asked = shaping_settings(config)
    differences = []
    for name in sorted(set(stored) & set(asked)):
        if name == "extra" and not config.extra:
            continue
        if name == "mixed_precision" and "precision" in stored:
            continue  # the same setting as --precision (named there)
        if stored.get(name) != asked.get(name):
            if name == "fast_mode":
                differences.append("the run was trained " + ("in fast mode: add --fast" if stored.get(name)
                                                              else "in full mode: leave out --fast"))
                continue
            if name == "backend":
                differences.append(f"the run was trained on Keras' {stored.get(name)} backend, this is "
                                   f"{asked.get(name)}: resume with KERAS_BACKEND={stored.get(name)}")
                continue
            flag = SETTING_FLAGS.get(name, name)
            differences.append(f"{flag} {asked.get(name)!r} (the checkpoint has {stored.get(name)!r})")
    if differences:
        raise ValueError(f"cannot resume {str(out)!r} with different settings: {'; '.join(differences)}; "
                         f"only {', '.join('--' + n.replace('_', '-') for n in RESUME_MAY_CHANGE[:2])} "
                         "may change (or start a new run folder)")
    done = checkpoint_epoch(out)
    if done is not None and config.epochs is not None:
        info = read_run_info(out) or {}
        if done > config.epochs:
            raise ValueError(f"--epochs {config.epochs} is fewer than the {done} epochs the checkpoint in "
                             f"{str(out)!r} holds: give --epochs {done + 1} or more to train further")
        if done == config.epochs and info.get("status") == "finished":
            raise RunFinished(f"the run in {str(out)!r} already finished its {done} epochs: nothing to do "
                              f"(give --epochs {done + 1} or more to train further)")
    return config


def machine_error(exc: OSError, config: TrainConfig) -> MachineError:
    """Return the one-line MachineError of a failed write."""
    what = exc.filename or "a file"
    done = checkpoint_epoch(config.out) if config.out else None
    kept = (f"the last complete checkpoint holds epoch {done}" if done is not None
            else "no checkpoint was complete yet")
    return MachineError(f"could not write {what}: {exc.strerror or exc}; {kept}; "
                        f"free space (or make the folder writable) and resume with: {resume_command(config)}")
