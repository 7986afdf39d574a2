"""Self-checks for the chapters' exercises.

Each chapter's checks live in a module named after the chapter (``ghostedu.exercises.depthwise``
...). A check prints a line starting with "Correct" when the answer is right, and otherwise raises
``ExerciseError`` whose message says what is wrong and gives a hint -- never a bare AssertionError.

In a notebook an exercise is a code cell tagged ``solution`` whose answer sits between the lines
``# BEGIN SOLUTION`` and ``# END SOLUTION``, followed by a cell that calls a check. The student
copy (``python -m booktools student``, beside the package) replaces that region by a stub that sets each answer to None.
"""

from __future__ import annotations

import math

__all__ = ["ExerciseError", "as_number", "check_value", "check_close", "check_true", "not_answered"]


class ExerciseError(AssertionError):
    """An exercise answer is missing or wrong; the message says which, and how to fix it."""


def not_answered(name: str) -> ExerciseError:
    return ExerciseError(f"{name}: not answered yet -- replace the `None` stub with your answer.")


def _fail(name: str, message: str, hint: str | None) -> None:
    raise ExerciseError(f"{name}: {message}" + (f"\nHint: {hint}" if hint else ""))


def _ok(name: str, detail: str = "") -> None:
    print(f"Correct: {name}" + (f" ({detail})" if detail else ""))


def check_value(name: str, answer, expected, hint: str | None = None) -> None:
    """Exact equality (ints, tuples, strings, ranges...)."""
    if answer is None:
        raise not_answered(name)
    if answer != expected:
        _fail(name, f"expected {expected!r}, got {answer!r}.", hint)
    _ok(name, repr(expected))


def as_number(name: str, answer, hint: str | None = None) -> float:
    """``answer`` as a float; ``None`` is "not answered yet", anything else non-numeric is an error."""
    if answer is None:
        raise not_answered(name)
    try:
        return float(answer)
    except (TypeError, ValueError):
        _fail(name, f"expected a number, got {answer!r}.", hint)


def check_close(
    name: str,
    answer,
    expected: float,
    rel: float = 1e-3,
    hint: str | None = None,
    unit: str = "",
    mistakes=(),
    fmt=lambda v: f"{v:.4g}",
    detail: str | None = None,
) -> None:
    """A number within relative tolerance ``rel`` of ``expected``.

    ``mistakes``: ``(wrong_value, hint)`` pairs -- an answer close to a known wrong value gets that
    hint instead of ``hint``. ``fmt`` formats the numbers in messages; ``detail`` replaces the
    expected value in the "Correct" line.
    """
    value = as_number(name, answer, hint)
    if not math.isclose(value, expected, rel_tol=rel):
        for wrong, mistake_hint in mistakes:
            if math.isclose(value, wrong, rel_tol=rel):
                hint = mistake_hint
                break
        size = "too large" if value > expected else "too small"
        _fail(name, f"{fmt(value)}{unit} is {size}: expected about {fmt(expected)}{unit}.", hint)
    _ok(name, detail or f"{fmt(expected)}{unit}")


def check_true(name: str, condition: bool, message: str, hint: str | None = None, detail: str = "") -> None:
    """A condition computed by the caller; ``message`` says what is wrong when it is false."""
    if not condition:
        _fail(name, message, hint)
    _ok(name, detail)
