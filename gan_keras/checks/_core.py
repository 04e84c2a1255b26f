"""The machinery behind every exercise check.

A check runs the student's function on small fixed inputs and compares it with the
package's reference. Three outcomes:

- correct: prints ``✓ <exercise>: correct`` and returns True;
- a mistake: raises :class:`ExerciseError` (an ``AssertionError``) with a teaching message;
- a stub that still raises ``NotImplementedError``: prints "not attempted" and returns
  False, so "Run all" in a notebook goes on. Under pytest, :func:`require` turns that
  into a skip.

Each check is written with :func:`exercise`::

    @exercise("2.1", "the discriminator loss")
    def check_discriminator_loss(fn):
        got = call(fn, real_logits, fake_logits)
        ...
        explain(condition, "real images take the label 1 ...")
"""

from __future__ import annotations

import functools
import inspect

import numpy as np

REGISTRY: dict[str, "Exercise"] = {}


class ExerciseError(AssertionError):
    """A student's function gave a wrong answer; the message says what and why."""


class NotAttempted(Exception):
    """The student's function is still the stub (it raised ``NotImplementedError``)."""


class Exercise:
    """One exercise: its id (``"2.1"``), title, check function and the reference it accepts."""

    def __init__(self, exercise_id: str, title: str, check, reference=None):
        self.id = exercise_id
        self.title = title
        self.check = check
        self.reference = reference

    def __repr__(self):
        return f"Exercise({self.id!r}, {self.title!r})"


def exercise(exercise_id: str, title: str, reference=None):
    """Register a check function as exercise ``exercise_id``; wrap it with the outcome logic.

    ``reference`` names the package function that passes the check (``"module:function"``
    or a callable); the solutions notebooks and the tests use it.
    """

    def decorate(check):
        @functools.wraps(check)
        def run(fn, *args, quiet: bool = False, **kwargs):
            if not callable(fn):
                raise TypeError(
                    f"exercise {exercise_id} expects your function, got {type(fn).__name__}: "
                    "pass the function itself, without calling it (no parentheses)"
                )
            try:
                check(fn, *args, **kwargs)
            except NotAttempted:
                if not quiet:
                    print(f"· exercise {exercise_id} ({title}): not attempted yet "
                          "(the stub still raises NotImplementedError); the chapter goes on "
                          "with the package's version")
                return False
            except ExerciseError as err:
                raise ExerciseError(f"exercise {exercise_id} ({title}): {err}") from None
            if not quiet:
                print(f"✓ exercise {exercise_id} ({title}): correct")
            return True

        run.exercise = Exercise(exercise_id, title, run, reference)
        if exercise_id in REGISTRY and REGISTRY[exercise_id].check.__name__ != run.__name__:
            raise RuntimeError(f"exercise id {exercise_id} is used twice")
        REGISTRY[exercise_id] = run.exercise
        return run

    return decorate


def call(fn, *args, **kwargs):
    """Call the student's function; a ``NotImplementedError`` means "not attempted"."""
    try:
        return fn(*args, **kwargs)
    except NotImplementedError:
        raise NotAttempted() from None
    except ExerciseError:
        raise
    except Exception as exc:  # a crash is a mistake to explain, not a traceback to decode
        raise ExerciseError(
            f"your function raised {type(exc).__name__}: {exc}. It was called with "
            f"{_describe_args(args)}"
        ) from exc


def _describe_args(args) -> str:
    parts = []
    for a in args:
        if hasattr(a, "shape"):
            parts.append(f"an array of shape {tuple(a.shape)}")
        else:
            parts.append(repr(a)[:40])
    return ", ".join(parts) if parts else "no arguments"


def to_numpy(value, what: str = "your function's result") -> np.ndarray:
    """Convert a result (tensor, array, number) to a float64 NumPy array, or explain why not."""
    try:
        if hasattr(value, "numpy"):
            value = value.numpy()
        return np.asarray(value, dtype=np.float64)
    except Exception as exc:
        raise ExerciseError(f"{what} should be numbers (a tensor or an array), got {type(value).__name__}") from exc


def scalar(value, what: str = "your function's result") -> float:
    """Return a result as a float, explaining if it is not a single number."""
    array = to_numpy(value, what)
    if array.size != 1:
        raise ExerciseError(
            f"{what} should be one number (a scalar), but it has shape {array.shape}. "
            "Did you forget to take the mean over the batch?"
        )
    return float(array.reshape(()))


def explain(condition: bool, message: str) -> None:
    """Raise the teaching message unless ``condition`` holds."""
    if not condition:
        raise ExerciseError(message)


def close(got, expected, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    """Return True if two arrays or numbers agree within tolerance (shapes must match)."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    return got.shape == expected.shape and bool(np.allclose(got, expected, rtol=rtol, atol=atol))


def reference_of(check):
    """Return the reference callable that a check accepts."""
    ref = check.exercise.reference
    if isinstance(ref, str):
        import importlib

        module, _, name = ref.partition(":")
        return getattr(importlib.import_module(module), name)
    return ref


def require(check, fn, *args, **kwargs) -> None:
    """Run a check under pytest: pass, fail with the teaching message, or skip if not attempted."""
    import pytest

    if not check(fn, *args, quiet=True, **kwargs):
        pytest.skip(f"exercise {check.exercise.id} not attempted yet")


def source_of(fn) -> str:
    """Return the source code of a function (for solutions notebooks)."""
    return inspect.getsource(fn)
