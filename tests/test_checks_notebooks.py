"""Students run the checks on their saved notebook with pytest: pass, teaching failure or skip."""

import json
import shutil
from pathlib import Path

import pytest

from gan_keras import checks
from gan_keras.checks import ExerciseError

ROOT = Path(__file__).resolve().parents[1]
CHAPTER_02 = ROOT / "notebooks" / "02_loss_computation.ipynb"


def with_answer(tmp_path, exercise_id, source):
    """Copy chapter 02 with the stub of one exercise replaced by ``source``."""
    path = tmp_path / CHAPTER_02.name
    shutil.copy(CHAPTER_02, path)
    nb = json.loads(path.read_text())
    for cell in nb["cells"]:
        if cell.get("metadata", {}).get("gan_keras", {}).get("exercise") == exercise_id:
            cell["source"] = source
            break
    else:
        raise AssertionError(f"no exercise {exercise_id} in chapter 02")
    path.write_text(json.dumps(nb))
    return path


def test_stored_notebooks_hold_only_stubs():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for ex_id, fn in checks.load_exercises(path).items():
            with pytest.raises(pytest.skip.Exception):
                checks.require_exercise(ex_id, fn)


def test_a_right_answer_passes(tmp_path):
    path = with_answer(tmp_path, "2.2", (
        "def generator_loss(fake_logits):\n"
        "    return keras.ops.mean(keras.ops.softplus(-fake_logits))\n"
    ))
    answers = checks.load_exercises(path)  # `keras` comes from another cell's import
    checks.require_exercise("2.2", answers["2.2"])


def test_a_wrong_answer_fails_with_the_teaching_message(tmp_path):
    path = with_answer(tmp_path, "2.2", (
        "def generator_loss(fake_logits):\n"
        "    return -keras.ops.mean(keras.ops.softplus(fake_logits))\n"
    ))
    with pytest.raises(ExerciseError, match="saturating"):
        checks.require_exercise("2.2", checks.load_exercises(path)["2.2"])


def test_unknown_exercise_and_bad_files():
    with pytest.raises(ValueError, match="unknown exercise"):
        checks.require_exercise("99.1", print)
    with pytest.raises(FileNotFoundError):
        checks.load_exercises("no_such_notebook.ipynb")
    with pytest.raises(ValueError, match=".ipynb"):
        checks.load_exercises(__file__)
