"""What the property-based suites of bad input share (``test_bad_input_*.py``).

A suite draws bad arguments for one public function at a time, from the strategies here, and
calls :func:`expect_error`: the only acceptable outcome is a ``ValueError`` or ``TypeError`` whose
message names the function or layer -- never another exception, a hang or a result. Valid values
at the boundaries go through :func:`expect_handled`.

With the environment variable ``GHOSTEDU_BAD_INPUT_TALLY`` set to a file, every outcome is
appended to it as ``area<TAB>outcome<TAB>function``: the count of bad inputs tried per area.
"""

from __future__ import annotations

import os

import numpy as np
import torch
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

# Every suite: a few seconds, the same examples on every run.
SETTINGS = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
)


def draw_bad_argument(data, table: dict) -> tuple[str, object]:
    """One argument name of ``table`` (name -> strategy of bad values) and a bad value drawn for it."""
    argument = data.draw(st.sampled_from(sorted(table)), label="argument")
    return argument, data.draw(table[argument], label=argument)


def tally(area: str, outcome: str, func: str) -> None:
    path = os.environ.get("GHOSTEDU_BAD_INPUT_TALLY")
    if path:
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"{area}\t{outcome}\t{func}\n")


def expect_error(area: str, func: str, call, name: str | None = None) -> Exception:
    """Call ``call()``; pass only if it raises ValueError or TypeError naming ``name`` (default ``func``)."""
    name = name or func
    try:
        result = call()
    except (ValueError, TypeError) as error:
        assert name in str(error), f"{func}: the error does not name {name}: {type(error).__name__}: {error}"
        tally(area, "clear error", func)
        return error
    except Exception as error:  # noqa: BLE001 -- any other kind is the defect under test
        raise AssertionError(f"{func}: raised {type(error).__name__}, not ValueError/TypeError: {error}") from error
    raise AssertionError(f"{func}: accepted the bad input and returned {str(result)[:200]}")


def expect_handled(area: str, func: str, call):
    """Call ``call()`` with valid (boundary) input; it must return."""
    result = call()
    tally(area, "handled", func)
    return result


# ---------------------------------------------------------------------------------------------
# Bad values, by what was expected

NOT_NUMBERS = st.one_of(
    st.none(),
    st.text(max_size=3),
    st.just([1]),
    st.just((1, 2)),
    st.just({"a": 1}),
    st.just(object()),
    st.complex_numbers(max_magnitude=4, allow_nan=False, allow_infinity=False),
)
NON_FINITE = st.sampled_from([float("nan"), float("inf"), -float("inf"), np.float64("nan"), np.float32("inf")])


def bad_int(minimum: int = 1) -> st.SearchStrategy:
    """Not an integer >= ``minimum``: the boundary ``minimum - 1`` and below, any float (``2.0``
    too), booleans, NumPy floats, a tensor, and things that are not numbers."""
    return st.one_of(
        st.just(minimum - 1),
        st.integers(max_value=minimum - 1),
        st.floats(allow_nan=True, allow_infinity=True),
        st.booleans(),
        st.just(np.float32(3)),
        st.just(torch.tensor(3)),
        NOT_NUMBERS,
    )


def bad_odd(minimum: int = 1) -> st.SearchStrategy:
    """Not an odd integer >= ``minimum``: what :func:`bad_int` draws, and even integers."""
    return st.one_of(bad_int(minimum), st.integers(1, 32).map(lambda k: 2 * k))


def bad_bool() -> st.SearchStrategy:
    """Not ``True`` or ``False``: integers (0 and 1 too), floats, strings such as ``"False"``, None."""
    return st.one_of(
        st.integers(), st.floats(), st.sampled_from(["False", "no", "", "True"]), st.none(), st.just(np.int64(1))
    )


def bad_positive() -> st.SearchStrategy:
    """Not a finite number > 0: zero (and -0.0), negatives, NaN, infinities, booleans, non-numbers."""
    return st.one_of(
        st.just(0),
        st.just(-0.0),
        st.floats(max_value=0.0),
        st.integers(max_value=0),
        NON_FINITE,
        st.booleans(),
        NOT_NUMBERS,
    )


def bad_nonnegative() -> st.SearchStrategy:
    """Not a finite number >= 0."""
    return st.one_of(st.floats(max_value=-1e-300), st.integers(max_value=-1), NON_FINITE, st.booleans(), NOT_NUMBERS)


def bad_size(dims: int | None = None) -> st.SearchStrategy:
    """Not a size such as ``(1, 3, 8, 8)``: zero or negative entries, floats, strings, empty,
    nested, and sizes far beyond the memory limit."""
    length = dims or 3
    return st.one_of(
        st.lists(st.integers(max_value=0), min_size=1, max_size=length).map(tuple),
        st.tuples(st.just(1), st.floats(allow_nan=True)),
        st.just(()),
        st.just("1x3x8"),
        st.none(),
        st.integers(),
        st.just((1, (3, 8))),
        st.just((1, 3, 10**6, 10**6)),
        st.just((10**9, 10**9)),
    )


def tensors_of_rank(rank: int) -> torch.Tensor:
    return torch.zeros((1,) * rank)


def bad_inputs(dims: int, channels: int, spatial: tuple[int, ...]) -> st.SearchStrategy:
    """Inputs a layer expecting ``(N, channels, *spatial)`` float32 must refuse: another rank,
    another channel count, another dtype (float64, float16, bfloat16, integers, bool, complex),
    and things that are not tensors (a NumPy array of the right shape among them)."""
    shape = (1, channels, *spatial)
    return st.one_of(
        st.integers(0, 6).filter(lambda r: r != dims).map(tensors_of_rank),
        st.integers(1, 9).filter(lambda c: c != channels).map(lambda c: torch.zeros(1, c, *spatial)),
        st.sampled_from(
            [torch.float64, torch.float16, torch.bfloat16, torch.int64, torch.int32, torch.uint8, torch.bool]
        ).map(lambda d: torch.zeros(shape, dtype=d)),
        st.just(torch.zeros(shape, dtype=torch.complex64)),
        st.one_of(st.none(), st.integers(), st.text(max_size=3), st.just([[0.0]])),
        st.just(np.zeros(shape, dtype=np.float32)),
    )
