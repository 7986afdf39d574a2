"""Self-checks for the chapters' exercises.

Each chapter's checks live in a module named after the chapter (``ghostedu.exercises.depthwise``
...). A check prints ``Correct: <what>`` when the answer is right, and otherwise raises
:class:`ExerciseError`, whose message says what is wrong and gives a hint that names the likely
mistake -- never the expected value: the book prints a check's output under it, and a student
who reads "expected 9152" has been handed the answer.

What the checks accept, so that a right answer is never refused for its type:

* a number is any real number: Python's ``int``/``float``, NumPy scalars, a one-element
  ``torch.Tensor``; a whole number may also be a whole float (``72.0``). A decimal answer is
  compared within a relative tolerance that the exercise's text states.
* a shape is any sequence of whole numbers (tuple, list, ``torch.Size``, a 1-D array).
* an error raised by the reader's own code (a function or class the exercise asks for) becomes
  one line naming the call and the likely mistake (:func:`student_code`).

In a notebook an exercise is a code cell tagged ``solution`` whose answer sits between the lines
``# BEGIN SOLUTION`` and ``# END SOLUTION``, followed by a check cell and a hidden-test cell (see
the page "For teachers"). The student copy (``python -m booktools student``, beside the package)
replaces that region by a stub that sets each answer to None, which the checks report as "not
answered yet".
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

__all__ = [
    "ExerciseError",
    "not_answered",
    "as_number",
    "as_int",
    "as_shape",
    "as_bools",
    "check_value",
    "check_count",
    "check_close",
    "check_true",
    "student_code",
]


class ExerciseError(AssertionError):
    """An exercise answer is missing or wrong; the message says which, and how to fix it.

    In IPython and Jupyter it is shown as its message alone, without the check's traceback: the
    frames of the check function would only hide the hint.
    """

    def _render_traceback_(self) -> list[str]:  # IPython's hook for how an exception is shown
        return [f"{type(self).__name__}: {self}"]


def not_answered(name: str) -> ExerciseError:
    """The error for an answer still at its stub (``None``)."""
    return ExerciseError(f"{name}: not answered yet -- replace the `None` stub with your answer.")


def _fail(name: str, message: str, hint: str | None = None) -> None:
    raise ExerciseError(f"{name}: {message}" + (f"\nHint: {hint}" if hint else ""))


def _ok(name: str) -> None:
    print(f"Correct: {name}")


def _show(value) -> str:
    """A short text for a reader's value in a message (their own answer, never the expected one)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _real(name: str, answer, hint: str | None = None) -> float | int:
    """``answer`` as a Python int or float: ints stay ints, so that large counts stay exact."""
    if answer is None:
        raise not_answered(name)
    value = answer
    if hasattr(value, "numel") and hasattr(value, "item"):  # a torch.Tensor
        if value.numel() != 1:
            _fail(name, f"expected one number, got a tensor of shape {tuple(value.shape)}.", hint)
        value = value.item()
    elif hasattr(value, "ndim") and hasattr(value, "item"):  # a NumPy scalar or array
        if getattr(value, "size", 1) != 1:
            _fail(name, f"expected one number, got an array of shape {tuple(value.shape)}.", hint)
        value = value.item()
    if isinstance(value, bool):
        _fail(name, f"expected a number, got {value!r}.", hint)
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            _fail(name, f"expected a finite number, got {value!r}.", hint)
        return value
    if isinstance(value, str):
        _fail(name, f"expected a number, got the text {value!r}.", "write the number without quotes.")
    _fail(name, f"expected a number, got {type(answer).__name__} {_show(answer)}.", hint)


def as_number(name: str, answer, hint: str | None = None) -> float:
    """``answer`` (any real number: Python, NumPy, a one-element tensor) as a float.

    ``None`` is "not answered yet"; text, booleans, NaN and infinities are errors naming ``name``.
    """
    return float(_real(name, answer, hint))


def as_int(name: str, answer, hint: str | None = None) -> int:
    """``answer`` as an int: any whole number (``72``, ``72.0``, ``np.int64(72)``, ``torch.tensor(72)``).

    A number that is not whole is an error whose hint is ``hint``.
    """
    value = _real(name, answer, hint)
    if isinstance(value, float):
        if not value.is_integer():
            _fail(name, f"expected a whole number, got {value:g}.", hint)
        value = int(value)
    return value


def as_shape(name: str, answer, hint: str | None = None) -> tuple[int, ...]:
    """``answer`` as a tuple of ints: any sequence of whole numbers (tuple, list, ``torch.Size``, array)."""
    if answer is None:
        raise not_answered(name)
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__") or not hasattr(answer, "__iter__"):
        _fail(name, f"expected a sequence of whole numbers such as (2, 3), got {_show(answer)}.", hint)
    if getattr(answer, "ndim", 1) != 1:
        _fail(name, f"expected a flat sequence of whole numbers, got an array of shape {tuple(answer.shape)}.", hint)
    return tuple(as_int(f"{name}[{i}]", item, hint) for i, item in enumerate(answer))


def as_bools(name: str, answer, length: int, hint: str | None = None) -> list[bool]:
    """``answer`` as a list of ``length`` booleans (``True``/``False``, NumPy or one-element torch booleans)."""
    if answer is None:
        raise not_answered(name)
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__") or len(answer) != length:
        _fail(name, f"expected a list of {length} True/False values, got {_show(answer)}.", hint)
    values = []
    for i, item in enumerate(answer):
        if hasattr(item, "item") and getattr(item, "dtype", None) is not None and "bool" in str(item.dtype):
            item = item.item()
        if not isinstance(item, bool):
            _fail(name, f"item {i} should be True or False, got {_show(item)}.", hint)
        values.append(item)
    return values


def _matches(value: float, wrong: float) -> bool:
    return math.isclose(value, wrong, rel_tol=1e-9, abs_tol=1e-12)


def _mistake_hint(value: float, expected: float, mistakes, rel: float = 0.0) -> str | None:
    """The hint of the first known mistake ``value`` matches (within ``rel``); none equal to ``expected``."""
    for wrong, hint in mistakes:
        if _matches(wrong, expected):
            continue  # not a mistake for these arguments
        if _matches(value, wrong) or (rel and math.isclose(value, wrong, rel_tol=rel)):
            return hint
    return None


def check_count(
    name: str,
    answer,
    expected: int,
    hint: str,
    mistakes: Sequence[tuple[float, str]] = (),
    whole_hint: str | None = None,
    report: bool = True,
) -> None:
    """A whole-number answer (a length, a count) equal to ``expected``.

    ``mistakes``: ``(wrong_value, hint)`` pairs -- an answer equal to a known wrong value (a whole
    number, or the unrounded value of a formula) gets that hint instead of ``hint``. A number that
    is not whole gets ``whole_hint`` (or the hint of a mistake it matches). The message says
    whether the answer is too large or too small, never by how much. ``report=False``: print no
    "Correct" line (for one part of a larger answer).
    """
    value = _real(name, answer, hint)
    if isinstance(value, float) and not value.is_integer():
        _fail(
            name,
            f"expected a whole number, got {value:g}.",
            _mistake_hint(value, expected, mistakes) or whole_hint or hint,
        )
    value = int(value)
    if value != expected:
        size = "too large" if value > expected else "too small"
        _fail(name, f"{value:,} is {size}.", _mistake_hint(value, expected, mistakes) or hint)
    if report:
        _ok(name)


def check_value(name: str, answer, expected, hint: str | None = None) -> None:
    """Exact equality. A whole-number ``expected`` accepts any whole number (see :func:`as_int`), a
    tuple of ints any sequence of them; the message never shows ``expected``."""
    if answer is None:
        raise not_answered(name)
    if isinstance(expected, int) and not isinstance(expected, bool):
        value = as_int(name, answer, hint)
    elif isinstance(expected, tuple) and all(isinstance(v, int) for v in expected):
        value = as_shape(name, answer, hint)
    else:
        value = answer
    if value != expected:
        _fail(name, f"{_show(value)} is not right.", hint)
    _ok(name)


def check_close(
    name: str,
    answer,
    expected: float,
    rel: float,
    hint: str | None = None,
    unit: str = "",
    mistakes: Sequence[tuple[float, str]] = (),
    fmt=lambda v: f"{v:.4g}",
) -> None:
    """A decimal answer within relative tolerance ``rel`` of ``expected`` (state ``rel`` in the exercise).

    ``mistakes``: ``(wrong_value, hint)`` pairs -- an answer within ``rel`` of a known wrong value
    gets that hint instead of ``hint``. ``fmt`` formats the reader's value in the message.
    """
    value = as_number(name, answer, hint)
    if not math.isclose(value, expected, rel_tol=rel):
        size = "too large" if value > expected else "too small"
        _fail(
            name,
            f"{fmt(value)}{unit} is {size}: more than {100 * rel:g} % off.",
            _mistake_hint(value, expected, mistakes, rel) or hint,
        )
    _ok(name)


def check_true(name: str, condition: bool, message: str, hint: str | None = None) -> None:
    """A condition computed by the caller; ``message`` says what is wrong when it is false."""
    if not condition:
        _fail(name, message, hint)
    _ok(name)


# ---------------------------------------------------------------------------------------------------
# The reader's own code


_LIKELY_MISTAKES = (
    (
        r"cannot assign module before Module\.__init__\(\) call|object has no attribute '_modules'",
        "call super().__init__() first in __init__, before assigning any layer.",
    ),
    (
        r"running_mean should contain|expected input\[.*\] to have \d+ channels",
        "a layer gets a different number of channels than it was built for: each BatchNorm2d takes "
        "the channel count of the convolution before it, and each convolution's in_channels is the "
        "previous layer's output channels.",
    ),
    (r"mat1 and mat2 shapes cannot be multiplied", "the features reaching a Linear layer differ from its in_features."),
    (r"Invalid computed output size|Output size is too small", "the input became shorter than a pooling window."),
    (
        r"missing \d+ required positional argument|takes \d+ positional arguments? but|takes from \d+ to \d+ "
        r"positional arguments|got an unexpected keyword argument",
        "the signature differs from the one the exercise asks for.",
    ),
    (r"object is not callable", "pass the function or class itself, not the result of calling it."),
)


def _likely_mistake(error: BaseException) -> str | None:
    text = f"{type(error).__name__}: {error}"
    for pattern, hint in _LIKELY_MISTAKES:
        if re.search(pattern, text):
            return hint
    return None


@contextmanager
def student_code(name: str, call: str, hint: str | None = None) -> Iterator[None]:
    """Run the reader's code inside ``with student_code(name, "f(32, 64, 2)"):``.

    A stub's ``NotImplementedError("... YOUR CODE HERE")`` becomes "not answered yet"; any other
    error becomes one :class:`ExerciseError` line naming ``call``, the error's first line and the
    likely mistake (or ``hint``) -- not a traceback of the library's internals.
    """
    try:
        yield
    except ExerciseError:
        raise
    except NotImplementedError as error:
        if "YOUR CODE HERE" in str(error):
            raise ExerciseError(f"{name}: not answered yet -- {error}") from None
        raise ExerciseError(f"{name}: {call} raised NotImplementedError: {error}") from None
    except Exception as error:  # the reader's code: whatever it raised, say it in one line
        first = (str(error).strip().splitlines() or [""])[0]
        message = f"{call} raised {type(error).__name__}: {first}"
        raise ExerciseError(
            f"{name}: {message}"
            + (f"\nHint: {_likely_mistake(error) or hint}" if (_likely_mistake(error) or hint) else "")
        ) from None
