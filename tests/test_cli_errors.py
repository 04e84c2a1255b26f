"""Every option of every command, tried with bad values: one line naming the option, no traceback.

The cases are generated from the parser itself (``cli.build_parser``): each option gets the
bad values of its kind (its argparse ``type``), so an option added later is covered (an
option of a kind this file does not know fails ``test_every_option_has_bad_values``).
Every case runs ``cli.main`` in-process and must be refused while parsing, before any
work: the commands' functions are replaced by ones that fail the test if called.
"""

import argparse
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from gan_keras import io, models
from gan_keras.app import cli

# One worker runs this file (pytest-xdist): its module fixtures are made once.
pytestmark = pytest.mark.xdist_group("test_cli_errors")

# A valid command line of each command, into which one bad value is put.
BASE = {
    "train": ["train", "gan"],
    "models": ["models"],
    "dream": ["dream", "waves", "--out", "out.png"],
    "style": ["style", "waves", "mosaic", "--out", "out.png"],
    "evaluate": ["evaluate", "RUN"],
    "notebooks": ["notebooks", "student"],
    "doctor": ["doctor"],
}

# Files of the fixture folder that bad values point at.
FILE, FOLDER, MISSING = "afile.txt", "afolder", "no/such/thing"
CORRUPT_H5, CORRUPT_PNG, CORRUPT_NB = "broken.h5", "broken.png", "broken.ipynb"
EMPTY_RUN, BROKEN_RUN = "empty_run", "broken_run"

NUMBERS = ["abc", "", "1e400x"]
INTEGERS = ["abc", "1.5", "-1", "", "nan"]
FLOATS = ["abc", "nan", "inf", "-inf", ""]


def bad_values(action) -> list:
    """The bad values of an option, from the kind of value it takes."""
    kind = getattr(action.type, "__name__", None) if action.type else None
    if isinstance(action, (argparse._StoreTrueAction, argparse._StoreFalseAction)):
        return ["=x"]  # a flag given a value
    if action.choices is not None and action.type is None:
        return ["nosuch", ""]
    table = {
        "positive_int": INTEGERS + ["0"],
        "non_negative_int": INTEGERS,
        "positive_float": FLOATS + ["0", "-1"],
        "non_negative_float": FLOATS + ["-1"],
        "output_folder": [FILE, FILE + "/sub"],
        "output_png": [FOLDER, "out.jpg", FILE + "/x.png", "out"],
        "data_name": [FILE, MISSING, FOLDER],  # FOLDER holds no images
        "dataset_name": ["nosuch", FOLDER],
        "loss_name": ["best", ""],
        "weights_arg": [MISSING, FOLDER, CORRUPT_H5, FILE],
        "picture": [MISSING, FOLDER, CORRUPT_PNG, FILE],
        "run_folder_arg": [MISSING, FILE, EMPTY_RUN, BROKEN_RUN],
        "notebook_file": [MISSING, FOLDER, CORRUPT_NB, FILE],
        "layer_weights": ["mixed3=abc", "mixed3=-1", "mixed3=nan", ""],
        "style_layers": ["block1_conv1=abc", "nosuch", "block1_conv1=inf"],
        "content_layer": ["nosuch", ""],
    }
    if kind in table:
        return table[kind]
    if kind and kind.startswith("int_at_least_"):
        return INTEGERS + [str(int(kind.rsplit("_", 1)[1]) - 1)]
    if kind and kind.startswith("float_above_"):
        return FLOATS + [kind.rsplit("_", 1)[1]]
    return []


def commands():
    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices


def cases():
    found = []
    for command, parser in commands().items():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            name = action.option_strings[0] if action.option_strings else (action.metavar or action.dest)
            for value in bad_values(action):
                found.append((command, action, name, value))
    return found


def argv_of(command, action, value):
    argv = list(BASE[command])
    if not action.option_strings:  # a positional: replace the base's one (or add it)
        positionals = [a for a in commands()[command]._actions if not a.option_strings
                       and not isinstance(a, argparse._HelpAction)]
        index = 1 + [a.dest for a in positionals].index(action.dest)
        if index < len(argv) and not argv[index].startswith("--"):
            argv[index] = value
        else:
            argv.insert(index, value)
        return argv
    flag = action.option_strings[0]
    if value.startswith("="):
        return argv + [flag + value]
    if flag in argv:  # e.g. --out of dream: replace the base's value
        argv[argv.index(flag) + 1] = value
        return argv
    return argv + [flag, value]


CASES = cases()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("bad")
    (root / FILE).write_text("not what was expected")
    (root / FOLDER).mkdir()
    (root / CORRUPT_H5).write_bytes(b"\x89HDF\r\n\x1a\n" + b"\x00" * 64)
    (root / CORRUPT_PNG).write_bytes(b"\x89PNG\r\n\x1a\n garbage")
    (root / CORRUPT_NB).write_text("{not json")
    (root / EMPTY_RUN).mkdir()
    run = root / "RUN"
    run.mkdir()
    g = models.build_mlp_generator(4, (28, 28, 1), hidden_units=(8,))
    io.save_model(g, run / "generator.keras")
    io.write_json(run / "run.json", {"config": {"model": "gan", "data": "digits"}})
    broken = root / BROKEN_RUN
    broken.mkdir()
    (broken / "generator.keras").write_bytes((run / "generator.keras").read_bytes())
    (broken / "run.json").write_text("{half a file")
    return root


def test_every_option_has_bad_values():
    """A new option of an unknown kind must be given its bad values here."""
    missing = []
    for command, parser in commands().items():
        for action in parser._actions:
            if isinstance(action, argparse._HelpAction):
                continue
            if not bad_values(action):
                missing.append(f"{command} {action.option_strings or action.metavar} ({action.type})")
    assert not missing, f"options without bad values: {missing}"
    assert len(CASES) > 150


def test_every_bad_value_of_every_option_gets_one_line(folder, monkeypatch, capsys):
    monkeypatch.chdir(folder)
    for name in dir(cli):
        if name.startswith("_run_"):
            monkeypatch.setattr(cli, name, lambda args, _n=name: pytest.fail(f"{_n} ran with {vars(args)}"))
    failures = []
    for command, action, option, value in CASES:
        argv = argv_of(command, action, value)
        try:
            code = cli.main(argv)
        except SystemExit as exc:  # noqa: PERF203 - main should not exit, but say so if it does
            code = f"SystemExit({exc.code})"
        err = capsys.readouterr().err
        lines = [line for line in err.splitlines() if line.strip()]
        ok = (code == 2 and len(lines) == 1 and option in lines[0] and "Traceback" not in err
              and lines[0].startswith("python -m gan_keras"))
        if not ok:
            failures.append(f"{' '.join(argv)!r}: exit {code}, stderr {err!r}")
    print(f"{len(CASES)} bad-input cases")
    assert not failures, f"{len(failures)} of {len(CASES)} cases:\n" + "\n".join(failures[:30])


# -- the user errors found by trying the commands as a new user ------------------------

def one_line(argv, capsys, code=2):
    got = cli.main(argv)
    err = capsys.readouterr().err
    lines = [line for line in err.splitlines() if line.startswith("python -m gan_keras")]
    assert got == code and len(lines) == 1 and "Traceback" not in err, (got, err[-2000:])
    return lines[0]


def test_known_user_errors_are_one_line_before_any_work(folder, monkeypatch, capsys):
    monkeypatch.chdir(folder)
    assert "is a file" in one_line(["train", "gan", "--out", f"{FILE}/sub"], capsys)
    assert "is a file" in one_line(["dream", "waves", "--out", f"{FILE}/x.png"], capsys)
    assert "is a file" in one_line(["notebooks", "student", "--out", FILE], capsys)
    assert "is a folder" in one_line(["dream", "waves", "--out", FOLDER], capsys)
    assert "must end in .png" in one_line(["dream", "waves", "--out", "x.jpg"], capsys)
    assert "not an HDF5" in one_line(["dream", "waves", "--out", "x.png", "--weights", FILE], capsys)
    assert "--learning-rate: expected a finite number, got nan" in one_line(
        ["style", "waves", "mosaic", "--out", "x.png", "--learning-rate", "nan"], capsys)
    assert "--tv-weight: expected a finite number, got inf" in one_line(
        ["style", "waves", "mosaic", "--out", "x.png", "--tv-weight", "inf"], capsys)
    assert "--learning-rate: expected a positive number, got 0" in one_line(
        ["style", "waves", "mosaic", "--out", "x.png", "--learning-rate", "0"], capsys)
    assert "--max-loss: expected a number >= 0" in one_line(["dream", "waves", "--out", "x.png", "--max-loss", "-1"],
                                                            capsys)
    assert "--size: expected an integer >= 75" in one_line(["dream", "waves", "--out", "x.png", "--size", "5"], capsys)
    assert "--num-samples: expected an integer >= 4" in one_line(["evaluate", "RUN", "--num-samples", "1"], capsys)
    assert "broken_run/run.json" in one_line(["evaluate", BROKEN_RUN], capsys)
    assert not list(folder.glob("x.*"))


def test_a_corrupt_or_foreign_weights_file_is_one_clear_error(folder):
    import h5py

    from gan_keras import images

    with pytest.raises(ValueError, match="damaged HDF5 file"):
        images.load_application("vgg19", weights=str(folder / CORRUPT_H5))
    with h5py.File(folder / "other.h5", "w") as f:  # a readable HDF5 file of something else
        f["x"] = np.zeros(3)
    with pytest.raises(ValueError, match="cannot load the weights file .*other.h5"):
        images.load_application("vgg19", weights=str(folder / "other.h5"))


def test_evaluate_a_run_trained_on_a_folder_says_what_to_give(folder, monkeypatch, capsys):
    monkeypatch.chdir(folder)
    run = folder / "folder_run"
    run.mkdir(exist_ok=True)
    (run / "generator.keras").write_bytes((folder / "RUN" / "generator.keras").read_bytes())
    io.write_json(run / "run.json", {"config": {"model": "gan", "data": "my_pictures"}})
    line = one_line(["evaluate", "folder_run"], capsys)
    assert "trained on the folder 'my_pictures'" in line and "give --data mnist or fashion_mnist or digits" in line


def test_an_unsupported_keras_backend_is_one_line(tmp_path):
    """TensorFlow, JAX and PyTorch run the course; another Keras backend (here OpenVINO, which cannot train) is
    refused."""
    env = dict(os.environ, KERAS_BACKEND="openvino")
    out = subprocess.run([sys.executable, "-m", "gan_keras", "models"], cwd=tmp_path, env=env,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2 and "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "KERAS_BACKEND says 'openvino'" in lines[0], out.stderr
    assert "tensorflow, jax, torch" in lines[0]


def test_style_and_dream_check_their_numbers_before_the_work():
    from gan_keras import dream, images, style

    picture = images.draw_waves(80)
    with pytest.raises(ValueError, match="learning_rate must be a finite number"):
        style.transfer_style(picture, picture, model=object(), learning_rate=float("nan"))
    with pytest.raises(ValueError, match="tv_weight must be a finite number"):
        style.transfer_style(picture, picture, model=object(), tv_weight=float("inf"))
    with pytest.raises(TypeError, match="steps must be an integer"):
        style.transfer_style(picture, picture, model=object(), steps=2.0)
    with pytest.raises(ValueError, match="max_loss must be a number >= 0"):
        dream.deep_dream(picture, model=object(), max_loss=-1.0)
    with pytest.raises(ValueError, match="step_size must be a positive number"):
        dream.deep_dream(picture, model=object(), step_size=0.0)
    assert np.isfinite(picture).all()
    assert json.dumps(style.VGG19_LAYERS)


def test_save_image_writes_png_bytes_only_under_a_png_name(tmp_path):
    from gan_keras import images

    picture = images.draw_waves(16)
    with pytest.raises(ValueError, match="must end in .png"):
        images.save_image(picture, tmp_path / "x.jpg")
    with pytest.raises(ValueError, match="is a folder"):
        images.save_image(picture, tmp_path)
    assert images.save_image(picture, tmp_path / "x.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.png"]


def test_a_full_disk_in_another_command_is_one_line(tmp_path, monkeypatch, capsys):
    import errno
    from pathlib import Path

    notebook = Path(__file__).resolve().parents[1] / "notebooks" / "01_gan_basics.ipynb"

    def full_disk(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device", str(dst))

    monkeypatch.setattr(os, "replace", full_disk)
    code = cli.main(["notebooks", "student", str(notebook), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    monkeypatch.undo()
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1 and "Traceback" not in err, err
    assert "could not write" in lines[0] and "01_gan_basics.ipynb: No space left on device" in lines[0]
    assert not list((tmp_path / "out").iterdir())  # no temporary left
