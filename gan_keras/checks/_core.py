"""The machinery behind every exercise check.

A check runs the student's function on small fixed inputs and compares it with the
package's reference. Three outcomes:

- correct: prints ``✓ <exercise>: correct``;
- a mistake: raises :class:`ExerciseError` (an ``AssertionError``) with a teaching message;
  a function that crashes is a mistake too, reported with its exception and message;
- the untouched stub (its own body raises ``NotImplementedError``): prints "not attempted",
  so "Run all" in a notebook goes on. Under pytest, :func:`require` turns that into a skip.

A check prints its one line and returns None, so a notebook cell shows nothing else under
it; with ``quiet=True`` it prints nothing and returns True (correct) or False (not attempted).

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
import re
import types
import warnings

import numpy as np

from gan_keras.exercises import REGISTRY, Exercise, register

__all__ = ["REGISTRY", "Exercise", "ExerciseError", "NotAttempted", "exercise", "call", "call_loss", "scalar",
           "to_numpy", "explain", "close", "reference_of", "require", "source_of"]


class ExerciseError(AssertionError):
    """A student's function gave a wrong answer; the message says what and why."""


class NotAttempted(Exception):
    """The student's function is still the stub (its own body raised ``NotImplementedError``)."""


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
                if quiet:
                    return False
                print(f"· exercise {exercise_id} ({title}): not attempted yet "
                      "(the stub still raises NotImplementedError); the chapter goes on "
                      "with the package's version")
                return None
            except ExerciseError as err:
                raise ExerciseError(f"exercise {exercise_id} ({title}): {err}") from None
            if quiet:
                return True
            print(f"✓ exercise {exercise_id} ({title}): correct")
            return None

        run.exercise = register(Exercise(exercise_id, title, run, reference))
        return run

    return decorate


# The stubs of the notebooks: `raise NotImplementedError`, `... ("exercise 5.1")`,
# `... ("exercise 7.1: your code here")`.
_STUB_MESSAGE = re.compile(r"^\s*(exercise\s+\d+\.\d+\b.*|.*your code.*|todo\b.*)?$", re.IGNORECASE | re.DOTALL)


def _own_code(fn) -> set:
    """Return the code objects written in ``fn``'s own body (with lambdas and comprehensions in it)."""
    target = inspect.unwrap(fn) if callable(fn) else fn
    while isinstance(target, functools.partial):
        target = target.func
    target = getattr(target, "__func__", target)
    if not isinstance(target, types.FunctionType):
        target = getattr(type(target), "__call__", None)
        target = getattr(target, "__func__", target)
    code = getattr(target, "__code__", None)
    found, todo = set(), [code] if code is not None else []
    while todo:
        c = todo.pop()
        found.add(c)
        todo.extend(k for k in c.co_consts if isinstance(k, types.CodeType))
    return found


def is_stub(fn, exc: BaseException) -> bool:
    """Tell the untouched stub from a real attempt that raised ``NotImplementedError``.

    The stub raises ``NotImplementedError`` itself, from its own body, with no message or
    the notebook's stub message; a ``NotImplementedError`` raised deeper, by something the
    student's code called, or with a message of its own, is a real error to report.
    """
    if type(exc) is not NotImplementedError:
        return False
    tb = exc.__traceback__
    if tb is None:
        return False
    while tb.tb_next is not None:
        tb = tb.tb_next
    if tb.tb_frame.f_code not in _own_code(fn):
        return False
    return bool(_STUB_MESSAGE.match(str(exc)))


def call(fn, *args, **kwargs):
    """Call the student's function; a ``NotImplementedError`` means "not attempted"."""
    try:
        return fn(*args, **kwargs)
    except ExerciseError:
        raise
    except Exception as exc:  # a crash is a mistake to explain, not a traceback to decode
        if is_stub(fn, exc):
            raise NotAttempted() from None
        where = _where(fn, exc)
        raise ExerciseError(
            f"your function raised {type(exc).__name__}: {str(exc) or '(no message)'}{where}. It was "
            f"called with {_describe_args(args)}"
        ) from exc


DOUBLE_SIGMOID = (
    "you applied a sigmoid to the logits and then gave the result to a loss that expects "
    "logits (from_logits=True): that is a sigmoid twice. Keras notices an output of "
    "keras.ops.sigmoid and quietly undoes the second sigmoid, so the number can look right, but "
    "the code is wrong (with tf.math.sigmoid, 1/(1+exp(-x)) or any other framework the loss "
    "changes). Pass the logits themselves.")


def call_loss(fn, *args, **kwargs):
    """Call a student's loss on logits, catching a sigmoid (or softmax) applied before a logits loss.

    Keras marks what ``keras.ops.sigmoid`` returns and a cross-entropy with
    ``from_logits=True`` then uses the logits underneath (with a warning), so a double
    sigmoid gives the right number; the warning is what gives it away.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = call(fn, *args, **kwargs)
    twice = [w for w in caught if "produced by a Sigmoid activation" in str(w.message)
             or "produced by a Softmax activation" in str(w.message)]
    explain(not twice, DOUBLE_SIGMOID)
    for w in caught:  # other warnings still reach the student
        warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    return result


def _where(fn, exc) -> str:
    """Say why a NotImplementedError that is not the untouched stub counts as an error."""
    if not isinstance(exc, NotImplementedError) or exc.__traceback__ is None:
        return ""
    tb = exc.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    code = tb.tb_frame.f_code
    if code in _own_code(fn):
        return " (raised by your own code with a message of its own, so this is not the untouched stub)"
    return (f" (raised in {code.co_name}, line {tb.tb_lineno} of {code.co_filename}: your code "
            "calls something that is not implemented; this is not the untouched stub)")


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

    if check(fn, *args, quiet=True, **kwargs) is False:
        pytest.skip(f"exercise {check.exercise.id} not attempted yet")


def source_of(fn) -> str:
    """Return the source code of a function (for solutions notebooks)."""
    return inspect.getsource(fn)
