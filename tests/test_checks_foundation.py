"""The three checks every chapter relies on accept the reference and reject typical mistakes."""

import keras
import numpy as np
import pytest

from gan_keras import checks, losses, theory
from gan_keras.checks import ExerciseError

bce = keras.losses.BinaryCrossentropy(from_logits=True)
ops = keras.ops


def test_references_pass_printing_one_line_and_returning_nothing(capsys):
    """In a notebook a check prints its line and returns None, so the cell echoes no True/False."""
    assert checks.check_discriminator_loss(losses.discriminator_loss) is None
    assert checks.check_generator_loss(losses.generator_loss) is None
    assert checks.check_optimal_discriminator(theory.optimal_discriminator) is None
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all(line.startswith("✓ exercise") for line in lines), lines
    # quiet=True (scripts, tests): nothing printed, the outcome returned
    assert checks.check_generator_loss(losses.generator_loss, quiet=True) is True
    assert capsys.readouterr().out == ""


def test_keras_bce_versions_pass():
    assert checks.check_discriminator_loss(
        lambda r, f: bce(ops.ones_like(r), r) + bce(ops.zeros_like(f), f), quiet=True)
    assert checks.check_generator_loss(lambda f: bce(ops.ones_like(f), f), quiet=True)


def test_stub_is_not_attempted_and_does_not_raise(capsys):
    def stub(*args):
        raise NotImplementedError

    assert checks.check_discriminator_loss(stub) is None
    assert "not attempted" in capsys.readouterr().out
    assert checks.check_discriminator_loss(stub, quiet=True) is False


def _stub_bare(real_logits, fake_logits):
    raise NotImplementedError


def _stub_exercise_message(real_logits, fake_logits):
    """Return the loss."""
    # Your code here
    raise NotImplementedError("exercise 2.1")


def _stub_your_code(real_logits, fake_logits):
    raise NotImplementedError("exercise 7.1: your code here")


def _stub_class_form(real_logits, fake_logits):
    raise NotImplementedError()


@pytest.mark.parametrize("stub", [_stub_bare, _stub_exercise_message, _stub_your_code, _stub_class_form])
def test_every_form_of_the_notebooks_stub_is_not_attempted(stub):
    assert checks.check_discriminator_loss(stub, quiet=True) is False


def _not_written(x):
    raise NotImplementedError


def _attempt_calling_an_unfinished_helper(real_logits, fake_logits):
    return _not_written(real_logits) + bce(ops.zeros_like(fake_logits), fake_logits)


def _attempt_with_a_message_of_its_own(real_logits, fake_logits):
    if real_logits.shape[0] > 1:
        raise NotImplementedError("batches larger than 1")
    return bce(ops.ones_like(real_logits), real_logits)


class _Unsupported:
    def __add__(self, other):
        raise NotImplementedError("_Unsupported + tensor")


def _attempt_whose_operation_is_not_implemented(real_logits, fake_logits):
    return _Unsupported() + bce(ops.ones_like(real_logits), real_logits)


@pytest.mark.parametrize("attempt, words", [
    (_attempt_calling_an_unfinished_helper, "raised in _not_written"),
    (_attempt_with_a_message_of_its_own, "batches larger than 1"),
    (_attempt_whose_operation_is_not_implemented, "raised in __add__"),
    (lambda r, f: r.no_such_method(), "AttributeError"),
])
def test_a_real_attempt_that_raises_is_the_students_error_not_a_skip(attempt, words):
    """Only the untouched stub is "not attempted"; a deeper NotImplementedError is an error with its message."""
    with pytest.raises(ExerciseError, match=words) as caught:
        checks.check_discriminator_loss(attempt, quiet=True)
    assert "not attempted" not in str(caught.value)
    with pytest.raises(ExerciseError):  # under pytest: a failure, not a skip
        checks.require(checks.check_discriminator_loss, attempt)


@pytest.mark.parametrize("wrong, words", [
    (lambda r, f: bce(ops.zeros_like(r), r) + bce(ops.ones_like(f), f), "swapped"),
    (lambda r, f: -losses.discriminator_loss(r, f), "sign"),
    (lambda r, f: keras.losses.BinaryCrossentropy()(ops.ones_like(r), r)
     + keras.losses.BinaryCrossentropy()(ops.zeros_like(f), f), "logits"),
    (lambda r, f: ops.softplus(-r) + ops.softplus(f), "mean"),
    (lambda r, f: bce(ops.ones_like(r), r), "two terms"),
])
def test_discriminator_loss_mistakes_are_explained(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        checks.check_discriminator_loss(wrong, quiet=True)


@pytest.mark.parametrize("wrong, words", [
    (losses.minimax_generator_loss, "saturating"),
    (lambda f: -losses.generator_loss(f), "sign"),
    (lambda f: keras.losses.BinaryCrossentropy()(ops.ones_like(f), f), "logits"),
    (lambda f: ops.sum(ops.softplus(-f)), "mean"),
    (lambda f: bce(ops.zeros_like(f), f), "label 0"),
    (lambda f: ops.mean(f), "expected"),
])
def test_generator_loss_mistakes_are_explained(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        checks.check_generator_loss(wrong)


@pytest.mark.parametrize("wrong, words", [
    (lambda pd, pg: pg / (pd + pg), "fake"),
    (lambda pd, pg: pd / pg, "denominator"),
    (lambda pd, pg: np.mean(pd / (pd + pg)), "point by point"),
    (lambda pd, pg: pd, "expected"),
])
def test_optimal_discriminator_mistakes_are_explained(wrong, words):
    with pytest.raises(ExerciseError, match=words):
        checks.check_optimal_discriminator(wrong)


def test_passing_a_call_instead_of_a_function_is_a_type_error():
    with pytest.raises(TypeError, match="without calling"):
        checks.check_generator_loss(0.3)


def test_a_crash_in_student_code_is_explained():
    with pytest.raises(ExerciseError, match="ZeroDivisionError"):
        checks.check_generator_loss(lambda f: 1 / 0)


def test_require_skips_when_not_attempted():
    def stub(f):
        raise NotImplementedError

    with pytest.raises(pytest.skip.Exception):
        checks.require(checks.check_generator_loss, stub)


def test_every_registered_exercise_accepts_its_reference():
    for ex_id, ex in checks.REGISTRY.items():
        ref = checks.reference_of(ex.check)
        assert ref is not None, ex_id
        assert ex.check(ref, quiet=True) is True, ex_id


def test_the_registry_is_one_dict_shared_by_checks_and_notebook_tools():
    from gan_keras import exercises
    from gan_keras.app import notebook

    assert checks.REGISTRY is exercises.REGISTRY
    assert exercises.registered() is checks.REGISTRY and len(checks.REGISTRY) >= 24
    assert notebook.exercise_id is exercises.exercise_id
    with pytest.raises(ValueError, match="unknown exercise '99.1'"):
        exercises.lookup("99.1")


def _module_imports(path):
    """Return the gan_keras modules a file imports, at module level and inside functions."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("gan_keras"):
            found |= {node.module} | {f"{node.module}.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("gan_keras")}
    return found


def test_no_import_circle_between_checks_and_notebook_tools():
    """exercises.py imports no gan_keras module; the checks and notebook.py never import each other."""
    from pathlib import Path

    package = Path(checks.__file__).resolve().parents[1]
    assert _module_imports(package / "exercises.py") == set()
    notebook_imports = _module_imports(package / "app" / "notebook.py")
    assert not any(name.startswith("gan_keras.checks") for name in notebook_imports), notebook_imports
    for path in (package / "checks").glob("*.py"):
        imports = _module_imports(path)
        assert "gan_keras.app.notebook" not in imports, path.name


def test_import_order_does_not_matter():
    import subprocess
    import sys

    for first in ("gan_keras.app.notebook",):  # what `python -m gan_keras notebooks solutions` imports
        code = (f"import {first}\nfrom gan_keras import exercises\n"
                "assert len(exercises.registered()) >= 24\nprint('ok')")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
        assert done.stdout.strip().endswith("ok"), done.stderr[-500:]
