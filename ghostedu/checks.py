"""Argument checks shared by the whole package.

Every error names the function or layer, what it expected and what it got, in one form:
``"conv_dw: expected stride to be an integer >= 1, got 0"``.

* :func:`check_input` -- the input tensor of a layer or model: its rank, channels and dtype.
* :func:`check_int`, :func:`check_ints`, :func:`check_odd` -- an integer (or one per axis) with a
  lower bound; an odd kernel size.
* :func:`check_number`, :func:`check_bool` -- a finite number (positive, or within bounds), a flag.
* :func:`check_interval`, :func:`check_names` -- a ``(low, high)`` pair, names from a known set.
* :func:`check_module`, :func:`check_size` -- a model, and the size of an input (batch included).
* :func:`check_memory`, :func:`check_model_memory` -- a request (a data set, an input, a model)
  whose memory would exceed :data:`MEMORY_LIMIT_BYTES`.

NaN is never "too small" or "too large": it is not a finite number, and the messages say so.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Sequence

import numpy as np
import torch

__all__ = [
    "MEMORY_LIMIT_BYTES",
    "tracing",
    "check_input",
    "check_int",
    "check_ints",
    "check_odd",
    "check_number",
    "check_bool",
    "check_interval",
    "check_names",
    "check_module",
    "check_output",
    "check_size",
    "check_memory",
    "check_model_memory",
    "format_bytes",
]

MEMORY_LIMIT_BYTES: int = 4 * 2**30
"""The most memory (4 GiB) one request to the package may need, estimated before anything is allocated.

A model, a data set or an input whose estimate exceeds it is refused with the estimate, instead of
filling the machine's memory until the process is killed. On a machine with more memory, raise it:
``ghostedu.checks.MEMORY_LIMIT_BYTES = 32 * 2**30``.
"""

_LAYOUTS = {3: "(N, C, L)", 4: "(N, C, H, W)"}
_CONVERSIONS = {torch.float32: "float", torch.float64: "double", torch.float16: "half", torch.bfloat16: "bfloat16"}


def _conversion(dtype: torch.dtype) -> str:
    """The method that converts to ``dtype``: ``x.float()``, ``model.double()``; ``.to(dtype)`` for others."""
    name = _CONVERSIONS.get(dtype)
    return f"{name}()" if name else f"to({dtype})"


def _autocast(x: torch.Tensor) -> bool:
    """Whether ``torch.autocast`` is on for ``x``'s device (False for devices it does not know)."""
    try:
        return torch.is_autocast_enabled(x.device.type)
    except RuntimeError:
        return False


def tracing(*values: object) -> bool:
    """Whether a tracer is recording the forward pass: ``torch.jit.trace`` (and the TorchScript-based
    ONNX exporter) is running, or one of ``values`` is a ``torch.fx.Proxy`` (``torch.fx.symbolic_trace``).

    Shapes are not known there (symbolic, or recorded as graph values), so the checks step aside;
    ``torch.export`` and ``torch.compile`` run them on real shapes.
    """
    return torch.jit.is_tracing() or any(isinstance(v, torch.fx.Proxy) for v in values)


def check_input(
    layer: str, x: torch.Tensor, dims: int, channels: int | None = None, dtype: torch.dtype | None = None
) -> None:
    """Raise unless ``x`` is a tensor of ``dims`` dimensions with ``channels`` in dim 1 and, when
    ``dtype`` is given (the dtype of the layer's weights), of that floating-point type.

    ``dims`` counts the batch dimension: 4 for ``(N, C, H, W)``, 3 for ``(N, C, L)``.
    Every layer and model of the package checks its input with this one function. A wrong dtype is
    a TypeError that says how to convert (``x.float()``, or the model with ``model.double()``);
    under ``torch.autocast`` the layers compute in lower precision on purpose, and the dtype is not
    checked. Under ``torch.fx.symbolic_trace`` and ``torch.jit.trace`` it checks nothing (the
    shapes are not known there); ``torch.export`` and ``torch.compile`` run it on real shapes.
    """
    if tracing(x):  # a stand-in of a tracer: no shapes to check
        return
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
    if dtype is not None and x.dtype != dtype and not _autocast(x):
        # A model takes another floating-point type; integers, booleans and complex numbers it does not.
        model = f", or the model with model.{_conversion(x.dtype)}" if x.dtype.is_floating_point else ""
        raise TypeError(
            f"{layer}: expected a {str(dtype).removeprefix('torch.')} input (the dtype of its weights), "
            f"got {x.dtype}; convert the input with x.{_conversion(dtype)}{model}"
        )


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def check_int(func: str, name: str, value: object, minimum: int = 1) -> int:
    """``value`` as a Python int, or a ValueError naming ``func`` unless it is an integer
    ``>= minimum`` (NumPy integers count; ``True`` and ``2.0`` do not)."""
    if type(value) is int and value >= minimum:  # the common case, first
        return value
    if not _is_int(value) or value < minimum:
        raise ValueError(f"{func}: expected {name} to be an integer >= {minimum}, got {_got(value)}")
    return int(value)


def check_ints(func: str, name: str, value: object, dims: int, minimum: int = 1) -> tuple[int, ...]:
    """One integer ``>= minimum`` per axis: an int (the same on every axis) or ``dims`` of them."""
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims
    if len(values) != dims or not all(_is_int(v) and v >= minimum for v in values):
        what = "an integer" if dims == 1 else f"an integer or {dims} integers"
        raise ValueError(f"{func}: expected {name} to be {what} >= {minimum}, got {value!r}")
    return tuple(int(v) for v in values)


def check_odd(func: str, name: str, value: object) -> int:
    """``value`` as an int, or a ValueError unless it is an odd integer >= 1: a kernel size padded by
    ``k // 2``, which keeps a map's size at stride 1 only for an odd ``k`` (an even one adds a row
    and a column)."""
    k = check_int(func, name, value)
    if k % 2 == 0:
        raise ValueError(
            f"{func}: expected {name} to be an odd integer >= 1 (padding {name} // 2 keeps the "
            f"size only for an odd kernel), got {value!r}"
        )
    return k


def _got(value: object) -> str:
    """``repr(value)``, and for NaN what it is: no bound can call it too small or too large."""
    nan = isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral) and math.isnan(value)
    return f"{value!r} (not a number)" if nan else repr(value)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_)) and math.isfinite(value)


def check_number(
    func: str,
    name: str,
    value: object,
    positive: bool = False,
    *,
    at_least: float | None = None,
    below: float | None = None,
) -> float:
    """``value`` as a float, or a ValueError unless it is a finite number: ``> 0`` if ``positive``,
    ``>= at_least`` and ``< below`` when given. NaN and infinities are never accepted."""
    ok = _is_number(value)
    ok = ok and not (positive and value <= 0)
    ok = ok and not (at_least is not None and value < at_least)
    ok = ok and not (below is not None and value >= below)
    if not ok:
        if at_least is not None and below is not None:
            expected = f"a number in [{at_least:g}, {below:g})"
        elif at_least is not None:
            expected = f"a number >= {at_least:g}"
        elif below is not None:
            expected = f"a number < {below:g}"
        else:
            expected = "a positive number" if positive else "a finite number"
        raise ValueError(f"{func}: expected {name} to be {expected}, got {_got(value)}")
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
        raise ValueError(f"{func}: expected {name} to be {expected} with low <= high, got {_got(value)}")
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


def check_module(func: str, model: object, name: str = "an nn.Module") -> torch.nn.Module:
    """``model`` itself, or a TypeError naming ``func`` unless it is a ``torch.nn.Module``."""
    if not isinstance(model, torch.nn.Module):
        raise TypeError(f"{func}: expected {name}, got {type(model).__name__}")
    return model


def check_output(func: str, forward: Callable, x: torch.Tensor, what: str = "the model") -> torch.Tensor:
    """``forward(x)``, which must be one tensor; ``func`` names the failure of a model on ``x``.

    A ``RuntimeError`` inside the model (a wrong feature count, say) becomes a ValueError that names
    ``func`` and the input's shape; an output that is not a tensor (a tuple, a dict) a TypeError.
    """
    try:
        y = forward(x)
    except RuntimeError as error:
        raise ValueError(f"{func}: {what} fails on an input of shape {tuple(x.shape)}: {error}") from error
    if not isinstance(y, torch.Tensor):
        raise TypeError(f"{func}: expected {what} to return one tensor, got {type(y).__name__}")
    return y


def check_size(func: str, name: str, size: object, bytes_per_value: int = 4) -> tuple[int, ...]:
    """``size`` as a tuple of ints >= 1 -- the size of a tensor, batch included, such as
    ``(1, 1, 1024)`` -- or a ValueError; a tensor of that size must also fit in
    :data:`MEMORY_LIMIT_BYTES` (``bytes_per_value`` each: 4 for float32)."""
    if (
        isinstance(size, (str, bytes))
        or not isinstance(size, Sequence)
        or len(size) == 0
        or not all(_is_int(n) and n >= 1 for n in size)
    ):
        raise ValueError(f"{func}: expected {name} to be a sequence of integers >= 1 like (1, 1, 1024), got {size!r}")
    size = tuple(int(n) for n in size)
    values = math.prod(size)
    check_memory(func, f"{name} {size}", values * bytes_per_value, f"{values:,} values of {bytes_per_value} bytes")
    return size


def format_bytes(n: float) -> str:
    """``20730032`` -> ``"19.8 MiB"``: binary units, one decimal."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:,.0f} B" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    raise AssertionError  # pragma: no cover


def check_memory(func: str, what: str, nbytes: float, detail: str) -> None:
    """A ValueError naming ``func`` when ``what`` would need more than :data:`MEMORY_LIMIT_BYTES`.

    ``nbytes`` is the estimate, made before anything is allocated; ``detail`` says what it counts
    (``"5,182,508 float32 parameters"``). The limit is read when the check runs, so a changed
    ``ghostedu.checks.MEMORY_LIMIT_BYTES`` takes effect at once.
    """
    limit = MEMORY_LIMIT_BYTES
    if nbytes > limit:
        raise ValueError(
            f"{func}: expected {what} to need at most {format_bytes(limit)}, got an estimated "
            f"{format_bytes(nbytes)} for {detail} (the limit is ghostedu.checks.MEMORY_LIMIT_BYTES; "
            "raise it if this machine has the memory)"
        )


def check_model_memory(func: str, what: str, build: Callable[[], torch.nn.Module]) -> None:
    """A ValueError naming ``func`` when the parameters of the model that ``build()`` makes would
    exceed :data:`MEMORY_LIMIT_BYTES` at 4 bytes each (float32).

    ``build()`` runs on PyTorch's meta device, which records shapes only: it allocates no memory and
    draws no random numbers, so the weights of the real model that follows are unchanged. Inside
    that build (the default device is then ``meta``) the check does nothing.
    """
    if torch.get_default_device().type == "meta":
        return
    try:
        with torch.device("meta"):
            model = build()
    except (RuntimeError, OverflowError, MemoryError, TypeError) as error:
        if isinstance(error, TypeError) and "verflow" not in str(error):
            raise  # a wrong argument, named by the layer that checked it
        # sizes beyond any tensor: torch cannot even lay the model out
        reason = (str(error).strip() or type(error).__name__).splitlines()[0].strip("'\"")
        raise ValueError(
            f"{func}: expected {what} to need at most {format_bytes(MEMORY_LIMIT_BYTES)}, got a model too "
            f"large for torch to lay out at all ({reason})"
        ) from None
    count = sum(p.numel() for p in model.parameters())
    check_memory(func, what, 4 * count, f"{count:,} float32 parameters")
