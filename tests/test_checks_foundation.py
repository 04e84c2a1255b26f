"""The three checks every chapter relies on accept the reference and reject typical mistakes."""

import keras
import numpy as np
import pytest

from gan_keras import checks, losses, theory
from gan_keras.checks import ExerciseError

bce = keras.losses.BinaryCrossentropy(from_logits=True)
ops = keras.ops


def test_references_pass():
    assert checks.check_discriminator_loss(losses.discriminator_loss) is True
    assert checks.check_generator_loss(losses.generator_loss) is True
    assert checks.check_optimal_discriminator(theory.optimal_discriminator) is True


def test_keras_bce_versions_pass():
    assert checks.check_discriminator_loss(
        lambda r, f: bce(ops.ones_like(r), r) + bce(ops.zeros_like(f), f))
    assert checks.check_generator_loss(lambda f: bce(ops.ones_like(f), f))


def test_stub_is_not_attempted_and_does_not_raise(capsys):
    def stub(*args):
        raise NotImplementedError

    assert checks.check_discriminator_loss(stub) is False
    assert "not attempted" in capsys.readouterr().out


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
        checks.check_discriminator_loss(wrong)


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
