"""Output sizes of one layer along one axis: Dumoulin & Visin's relationships, as PyTorch computes them.

Explained in the chapter "Convolution arithmetic".
"""
from __future__ import annotations

import numbers

from torch import nn



Shape = tuple[int, ...]

_ADAPTIVE_POOLS = (
    nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
    nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d,
)
_CONV_TRANSPOSES = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


def _as_int(func: str, name: str, value: object, minimum: int) -> int:
    """``value`` as a Python int, or a ValueError naming ``func``."""
    # type() first: accepted_input_lengths calls this a few hundred thousand times.
    if type(value) is not int and (isinstance(value, bool) or not isinstance(value, numbers.Integral)):
        raise ValueError(f"{func}: expected {name} to be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{func}: expected {name} >= {minimum}, got {value}")
    return int(value)


def _is_flatten_concat(module: nn.Module) -> bool:
    """Whether ``module`` is a FlattenConcat (matched by name or its ``concat_dim``).

    Matching by duck typing keeps this module free of ``ghostedu.layers``.
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
    k = _as_int("effective_kernel_size", "kernel_size", kernel_size, 1)
    d = _as_int("effective_kernel_size", "dilation", dilation, 1)
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
    length: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
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
        _as_int(f, "length", length, 1),
        _as_int(f, "kernel_size", kernel_size, 1),
        _as_int(f, "stride", stride, 1),
        _as_int(f, "padding", padding, 0),
        _as_int(f, "dilation", dilation, 1),
        bool(ceil_mode),
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
    k = _as_int(f, "kernel_size", kernel_size, 1)
    s = k if stride is None else _as_int(f, "stride", stride, 1)
    p = _as_int(f, "padding", padding, 0)
    if p > k // 2:
        raise ValueError(
            f"{f}: expected padding <= kernel_size // 2 = {k // 2} (PyTorch's rule for pooling), "
            f"got padding={p}"
        )
    return _window_count(
        f, _as_int(f, "length", length, 1), k, s, p, _as_int(f, "dilation", dilation, 1), bool(ceil_mode)
    )


def conv_transpose_output_length(
    length: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Output length of a transposed convolution along one axis.

    ``L_out = (L - 1)s - 2p + d(k - 1) + output_padding + 1``: the forward formula
    solved for the input, with ``output_padding`` picking one of the ``s`` input
    lengths that a strided convolution maps to the same output.
    ``(N, C_in, L)`` -> ``(N, C_out, L_out)``. Chapter "Convolution arithmetic".
    """
    f = "conv_transpose_output_length"
    L = _as_int(f, "length", length, 1)
    k = _as_int(f, "kernel_size", kernel_size, 1)
    s = _as_int(f, "stride", stride, 1)
    p = _as_int(f, "padding", padding, 0)
    op = _as_int(f, "output_padding", output_padding, 0)
    d = _as_int(f, "dilation", dilation, 1)
    if op >= s and op >= d:
        raise ValueError(
            f"{f}: expected output_padding smaller than stride or dilation (PyTorch's rule), "
            f"got output_padding={op}, stride={s}, dilation={d}"
        )
    out = (L - 1) * s - 2 * p + d * (k - 1) + op + 1
    if out < 1:
        raise ValueError(
            f"{f}: expected a positive output length, got "
            f"({L} - 1)*{s} - 2*{p} + {d}*({k} - 1) + {op} + 1 = {out}"
        )
    return out
