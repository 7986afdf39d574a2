"""Argument checks shared by the whole package.

Every error names the function or layer, what it expected and what it got, in one form:
``"conv_dw: expected stride to be an integer >= 1, got 0"``.

* :func:`check_input` -- the input tensor of a layer or model: its rank and its channels.
* :func:`check_int`, :func:`check_ints` -- an integer (or one per axis) with a lower bound.
* :func:`check_number`, :func:`check_bool` -- a finite (or positive) number, a flag.
* :func:`check_interval`, :func:`check_names` -- a ``(low, high)`` pair, names from a known set.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence

import numpy as np
import torch

__all__ = ["check_input", "check_int", "check_ints", "check_number", "check_bool", "check_interval", "check_names"]

_LAYOUTS = {3: "(N, C, L)", 4: "(N, C, H, W)"}


def check_input(layer: str, x: torch.Tensor, dims: int, channels: int | None = None) -> None:
    """Raise unless ``x`` is a tensor of ``dims`` dimensions with ``channels`` in dim 1.

    ``dims`` counts the batch dimension: 4 for ``(N, C, H, W)``, 3 for ``(N, C, L)``.
    Every layer and model of the package checks its input with this one function.
    """
    layout = _LAYOUTS.get(dims, f"{dims}-D")
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{layer}: expected a torch.Tensor shaped {layout}, got {type(x).__name__}")
    if x.dim() != dims:
        raise ValueError(
            f"{layer}: expected a {dims}-D input shaped {layout}, got a {x.dim()}-D tensor of shape {tuple(x.shape)}"
        )
    if channels is not None and x.shape[1] != channels:
        raise ValueError(
            f"{layer}: expected {channels} input channels (dim 1 of {layout}), "
            f"got {x.shape[1]} in shape {tuple(x.shape)}"
        )


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def check_int(func: str, name: str, value: object, minimum: int = 1) -> int:
    """``value`` as a Python int, or a ValueError naming ``func`` unless it is an integer
    ``>= minimum`` (NumPy integers count; ``True`` and ``2.0`` do not)."""
    if type(value) is int and value >= minimum:  # the common case, first
        return value
    if not _is_int(value) or value < minimum:
        raise ValueError(f"{func}: expected {name} to be an integer >= {minimum}, got {value!r}")
    return int(value)


def check_ints(func: str, name: str, value: object, dims: int, minimum: int = 1) -> tuple[int, ...]:
    """One integer ``>= minimum`` per axis: an int (the same on every axis) or ``dims`` of them."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
    if len(values) != dims or not all(_is_int(v) and v >= minimum for v in values):
        what = "an integer" if dims == 1 else f"an integer or {dims} integers"
        raise ValueError(f"{func}: expected {name} to be {what} >= {minimum}, got {value!r}")
    return tuple(int(v) for v in values)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and math.isfinite(value)


def check_number(func: str, name: str, value: object, positive: bool = False) -> float:
    """``value`` as a float, or a ValueError unless it is a finite number (``> 0`` if ``positive``)."""
    if not _is_number(value) or (positive and value <= 0):
        expected = "a positive number" if positive else "a finite number"
        raise ValueError(f"{func}: expected {name} to be {expected}, got {value!r}")
    return float(value)


def check_bool(func: str, name: str, value: object) -> bool:
    """``value`` itself, or a ValueError unless it is ``True`` or ``False``."""
    if not isinstance(value, (bool, np.bool_)):
        raise ValueError(f"{func}: expected {name} to be True or False, got {value!r}")
    return bool(value)


def check_interval(
    func: str, name: str, value: object, allow_number: bool, positive: bool = False
) -> tuple[float, float]:
    """``(low, high)`` from a pair of finite numbers with ``low <= high`` or, if ``allow_number``,
    from one number (``low == high``); ``positive`` also requires ``low > 0``."""
    expected = "a number or a (low, high) pair" if allow_number else "a (low, high) pair"
    if positive:
        expected += " of positive numbers"
    if allow_number and _is_number(value):
        low = high = float(value)
    elif (
        isinstance(value, (tuple, list, np.ndarray))
        and len(value) == 2
        and all(_is_number(v) for v in value)
        and value[0] <= value[1]
    ):
        low, high = float(value[0]), float(value[1])
    else:
        raise ValueError(f"{func}: expected {name} to be {expected} with low <= high, got {value!r}")
    if positive and low <= 0:
        raise ValueError(f"{func}: expected {name} to be {expected}, got {value!r}")
    return low, high


def check_names(func: str, name: str, value: object, known: Sequence[str]) -> tuple[str, ...]:
    """``value`` as a tuple of distinct names, each one of ``known``; a ValueError otherwise."""
    known = tuple(known)
    if isinstance(value, str) or not isinstance(value, Sequence) or len(value) == 0:
        raise ValueError(f"{func}: expected {name} to be a non-empty sequence of names from {known}, got {value!r}")
    if any(v not in known for v in value) or len(set(value)) != len(value):
        raise ValueError(f"{func}: expected {name} to be distinct names from {known}, got {tuple(value)!r}")
    return tuple(value)
