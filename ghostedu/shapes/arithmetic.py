"""Output sizes of one layer along one axis: Dumoulin & Visin's relationships, as PyTorch computes them.

Explained in the chapter "Convolution arithmetic".
"""

from __future__ import annotations

import numbers
from collections.abc import Callable

from torch import nn

from ..checks import check_bool, check_int

Shape = tuple[int, ...]

_ADAPTIVE_POOLS = (
    nn.AdaptiveAvgPool1d,
    nn.AdaptiveAvgPool2d,
    nn.AdaptiveAvgPool3d,
    nn.AdaptiveMaxPool1d,
    nn.AdaptiveMaxPool2d,
    nn.AdaptiveMaxPool3d,
)
_CONV_TRANSPOSES = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


def _is_flatten_concat(module: nn.Module) -> bool:
    """Whether ``module`` is a FlattenConcat (matched by name or its ``concat_dim``).

    Matching by duck typing keeps this package free of ``ghostedu.layers``.
    """
    return type(module).__name__ == "FlattenConcat" or hasattr(module, "concat_dim")


# --------------------------------------------------------------------------
# 1. Output sizes of one layer, along one axis
# --------------------------------------------------------------------------


def effective_kernel_size(kernel_size: int, dilation: int = 1) -> int:
    """Span of a dilated kernel: ``k + (k - 1)(d - 1)``, which equals ``d(k - 1) + 1``.

    Three taps with dilation 2 touch positions 0, 2 and 4: they span 5.
    Chapter "Convolution arithmetic".
    """
    k = check_int("effective_kernel_size", "kernel_size", kernel_size, 1)
    d = check_int("effective_kernel_size", "dilation", dilation, 1)
    return k + (k - 1) * (d - 1)


def _window_count(func: str, length: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """How many windows fit along one axis; the arithmetic shared by convs and pools."""
    # How far the window's first tap can travel inside the padded input.
    room = length + 2 * p - d * (k - 1) - 1
    if ceil_mode:
        out = (room + s - 1) // s + 1  # ceil(room / s) + 1, as PyTorch writes it
        # PyTorch drops a last window that would start in the right padding:
        # it would see padding only.
        if (out - 1) * s >= length + p:
            out -= 1
    else:
        out = room // s + 1
    if out < 1:
        rounding = "ceil" if ceil_mode else "floor"
        raise ValueError(
            f"{func}: expected the window (kernel_size={k}, dilation={d}, spanning "
            f"{d * (k - 1) + 1}) to fit in the padded length {length} + 2*{p} = {length + 2 * p}, "
            f"got output length {rounding}(({length} + 2*{p} - {d}*({k} - 1) - 1)/{s}) + 1 = {out}"
        )
    return out


def conv_output_length(
    length: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1, ceil_mode: bool = False
) -> int:
    """Output length of a convolution (or pooling) along one axis.

    ``L_out = floor((L + 2p - d(k - 1) - 1) / s) + 1``: the padded input is
    ``L + 2p`` long, the window spans ``d(k - 1) + 1`` of it, and it moves ``s``
    positions at a time. With ``ceil_mode`` (pooling only) the division rounds up,
    but, as in PyTorch, the last window must start inside the input or the left
    padding. For an input ``(N, C, L)`` the output is ``(N, C_out, L_out)``.

    Raises ValueError when the output would be shorter than 1.
    Chapter "Convolution arithmetic".
    """
    f = "conv_output_length"
    return _window_count(
        f,
        check_int(f, "length", length, 1),
        check_int(f, "kernel_size", kernel_size, 1),
        check_int(f, "stride", stride, 1),
        check_int(f, "padding", padding, 0),
        check_int(f, "dilation", dilation, 1),
        check_bool(f, "ceil_mode", ceil_mode),
    )


def pool_output_length(
    length: int,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output length of ``nn.MaxPool1d``/``nn.AvgPool1d`` along one axis.

    The same formula as :func:`conv_output_length`; ``stride`` defaults to
    ``kernel_size`` as in ``nn.MaxPool1d``, and, as PyTorch requires, padding may be
    at most half the kernel. ``(N, C, L)`` -> ``(N, C, L_out)``.
    Chapter "Convolution arithmetic".
    """
    f = "pool_output_length"
    k = check_int(f, "kernel_size", kernel_size, 1)
    s = k if stride is None else check_int(f, "stride", stride, 1)
    p = check_int(f, "padding", padding, 0)
    if p > k // 2:
        raise ValueError(
            f"{f}: expected padding <= kernel_size // 2 = {k // 2} (PyTorch's rule for pooling), got padding={p}"
        )
    return _window_count(
        f,
        check_int(f, "length", length, 1),
        k,
        s,
        p,
        check_int(f, "dilation", dilation, 1),
        check_bool(f, "ceil_mode", ceil_mode),
    )


def conv_transpose_output_length(
    length: int, kernel_size: int, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1
) -> int:
    """Output length of a transposed convolution along one axis.

    ``L_out = (L - 1)s - 2p + d(k - 1) + output_padding + 1``: the forward formula
    solved for the input, with ``output_padding`` picking one of the ``s`` input
    lengths that a strided convolution maps to the same output.
    ``(N, C_in, L)`` -> ``(N, C_out, L_out)``. Chapter "Convolution arithmetic".
    """
    f = "conv_transpose_output_length"
    L = check_int(f, "length", length, 1)
    k = check_int(f, "kernel_size", kernel_size, 1)
    s = check_int(f, "stride", stride, 1)
    p = check_int(f, "padding", padding, 0)
    op = check_int(f, "output_padding", output_padding, 0)
    d = check_int(f, "dilation", dilation, 1)
    if op >= s and op >= d:
        raise ValueError(
            f"{f}: expected output_padding smaller than stride or dilation (PyTorch's rule), "
            f"got output_padding={op}, stride={s}, dilation={d}"
        )
    out = (L - 1) * s - 2 * p + d * (k - 1) + op + 1
    if out < 1:
        raise ValueError(
            f"{f}: expected a positive output length, got ({L} - 1)*{s} - 2*{p} + {d}*({k} - 1) + {op} + 1 = {out}"
        )
    return out


def output_length_formula(
    length: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1, ceil_mode: bool = False
) -> str:
    """The output-size formula with the numbers in, terms that are zero left out:
    ``floor((1024 + 2*12 - 32)/8) + 1``. The text ``trace`` and the animations show.
    Chapter "Convolution arithmetic".
    """
    f = "output_length_formula"
    check_int(f, "length", length, 1)
    check_int(f, "kernel_size", kernel_size, 1)
    check_int(f, "stride", stride, 1)
    check_int(f, "padding", padding, 0)
    check_int(f, "dilation", dilation, 1)
    check_bool(f, "ceil_mode", ceil_mode)
    terms = str(length)
    if padding:
        terms += f" + 2*{padding}"
    # d(k - 1) + 1 is just k without dilation: keep the common case short.
    terms += f" - {kernel_size}" if dilation == 1 else f" - {dilation}*({kernel_size} - 1) - 1"
    return f"{'ceil' if ceil_mode else 'floor'}(({terms})/{stride}) + 1"


# --------------------------------------------------------------------------
# 2. Working backwards: which input lengths give a size
# --------------------------------------------------------------------------


def lengths_giving(
    func: str, count: Callable[[int], int | None], target: int, max_length: int, what: str = "features"
) -> range:
    """The input lengths ``L`` in ``1..max_length`` for which ``count(L) == target``.

    ``count(L)`` is a size after some layers (``None`` where ``L`` is too short for one of their
    windows). Output sizes never decrease as the input grows (the floor in the formulas only
    rounds), so such a count never decreases either, and the lengths that give ``target`` form
    one range: two binary searches find its ends with about ``2 log2(max_length)`` calls of
    ``count``. ValueError naming ``func`` when no length gives ``target``.
    Chapter "The multi-scale 1D CNN".
    """
    if not isinstance(func, str):
        raise TypeError(f"lengths_giving: expected func to be the caller's name (a str), got {type(func).__name__}")
    if not callable(count):
        raise TypeError(f"{func}: expected count to be a function of the length, got {type(count).__name__}")
    target = check_int(func, "target", target, 0)
    max_length = check_int(func, "max_length", max_length, 1)
    counts: dict[int, int | None] = {}

    def at(length: int) -> int | None:
        if length not in counts:
            n = count(length)
            if n is not None and not (isinstance(n, numbers.Integral) and not isinstance(n, bool)):
                raise TypeError(f"{func}: expected count({length}) to be an int or None, got {n!r}")
            counts[length] = n
        return counts[length]

    def reaches(length: int) -> bool:
        n = at(length)
        return n is not None and n >= target

    lo, hi = 1, max_length + 1  # the shortest length whose count reaches the target
    while lo < hi:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if reaches(mid) else (mid + 1, hi)
    first = lo
    if first > max_length or at(first) != target:

        def said(length: int) -> str:
            n = at(length)
            return f"L={length} gives " + (f"{n:,}" if n is not None else "none (too short)")

        near = [said(n) for n in (first - 1, first) if 1 <= n <= max_length]
        raise ValueError(
            f"{func}: expected some input length in 1..{max_length} to give {target:,} "
            f"{what}, got none: {' and '.join(near)}"
        )
    lo, hi = first, max_length  # the longest length whose count is still the target
    while lo < hi:
        mid = (lo + hi + 1) // 2
        n = at(mid)
        lo, hi = (mid, hi) if n is not None and n <= target else (lo, mid - 1)
    return range(first, lo + 1)
