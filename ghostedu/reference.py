"""Convolutions written from scratch, to check against ``torch.nn.functional``.

Chapter "Convolution arithmetic" builds these step by step. The idea: pad the
input, cut it into (dilated) windows with ``Tensor.unfold``, then multiply every
window by every filter with one ``einsum``. Groups split the channels into
independent convolutions; ``groups == C_in`` is the depthwise convolution.

The results equal ``F.conv1d``/``F.conv2d`` with zero padding, up to float
rounding (the sums run in another order).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Union

import torch
import torch.nn.functional as F
from torch import Tensor

from .checks import check_input, check_int, check_ints

__all__ = ["conv1d", "conv2d", "conv1d_loops"]

IntOrPair = Union[int, Sequence[int]]


def _check(func: str, x: Tensor, weight: Tensor, bias: Tensor | None, groups: int, dims: int) -> None:
    """Shapes that fit together: x ``(N, C_in, *spatial)``, weight ``(C_out, C_in/groups, *kernel)``."""
    check_input(func, x, dims + 2)
    for name, t in (("weight", weight), ("bias", bias)):
        if not (isinstance(t, Tensor) or (name == "bias" and t is None)):
            raise TypeError(f"{func}: expected {name} to be a torch.Tensor, got {type(t).__name__}")
    if weight.dim() != dims + 2:
        kernel = "k" if dims == 1 else "kH, kW"
        raise ValueError(
            f"{func}: expected weight of shape (C_out, C_in/groups, {kernel}), got shape {tuple(weight.shape)}"
        )
    check_int(func, "groups", groups)
    c_in, c_out = x.shape[1], weight.shape[0]
    if c_in % groups or c_out % groups:
        raise ValueError(
            f"{func}: expected C_in and C_out divisible by groups={groups}, got C_in={c_in}, C_out={c_out}"
        )
    if weight.shape[1] != c_in // groups:
        raise ValueError(
            f"{func}: expected weight.shape[1] == C_in/groups = {c_in}/{groups} = {c_in // groups}, "
            f"got weight of shape {tuple(weight.shape)}"
        )
    if bias is not None and tuple(bias.shape) != (c_out,):
        raise ValueError(f"{func}: expected bias of shape ({c_out},), got shape {tuple(bias.shape)}")
    if weight.dtype != x.dtype:
        raise ValueError(f"{func}: expected weight with the dtype of x ({x.dtype}), got {weight.dtype}")


def _settings(f: str, stride, padding, dilation, dims: int) -> tuple[tuple[int, ...], ...]:
    """Stride, padding and dilation as one int per spatial axis, checked."""
    return (
        check_ints(f, "stride", stride, dims, 1),
        check_ints(f, "padding", padding, dims, 0),
        check_ints(f, "dilation", dilation, dims, 1),
    )


def _windows(func: str, x: Tensor, kernel: tuple[int, ...], stride: tuple[int, ...], padding: tuple[int, ...],
             dilation: tuple[int, ...]) -> Tensor:  # fmt: skip
    """Every window of x: ``(N, C, *spatial)`` -> ``(N, C, *out, *kernel)``.

    Each output position gets a copy-free view of the input samples its kernel
    taps touch.
    """
    # F.pad lists the last axis first.
    x = F.pad(x, [p for p in reversed(padding) for _ in (0, 1)])
    for axis, (k, s, d) in enumerate(zip(kernel, stride, dilation)):
        span = d * (k - 1) + 1  # a dilated kernel covers this many samples
        size = x.shape[2 + axis]
        if span > size:
            raise ValueError(
                f"{func}: expected the kernel (size {k}, dilation {d}, spanning {span}) to fit in the "
                f"padded input, got padded size {size} on spatial axis {axis}"
            )
        x = x.unfold(2 + axis, span, s)  # the window becomes a new last axis
    # Keep every d-th sample of each window: the taps of the dilated kernel.
    return x[(...,) + tuple(slice(None, None, d) for d in dilation)]


def _conv(f: str, x: Tensor, weight: Tensor, bias: Tensor | None, stride, padding, dilation, groups: int,
          dims: int) -> Tensor:  # fmt: skip
    """The convolution of :func:`conv1d` and :func:`conv2d`, for ``dims`` spatial axes."""
    _check(f, x, weight, bias, groups, dims)
    s, p, d = _settings(f, stride, padding, dilation, dims)
    n, c_in, c_out, kernel = x.shape[0], x.shape[1], weight.shape[0], tuple(weight.shape[2:])
    win = _windows(f, x, kernel, s, p, d)  # (N, C_in, *out, *kernel)
    out_size = win.shape[2 : 2 + dims]
    # Every position of the output, and every tap of the kernel, along one axis each.
    win = win.reshape(n, groups, c_in // groups, math.prod(out_size), math.prod(kernel))
    w = weight.reshape(groups, c_out // groups, c_in // groups, math.prod(kernel))
    # Per group g: output channel o at position p sums input channel c times tap j.
    out = torch.einsum("ngcpj,gocj->ngop", win, w).reshape(n, c_out, *out_size)
    return out if bias is None else out + bias.view(c_out, *(1,) * dims)


def conv1d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int = 1, padding: int = 0,
           dilation: int = 1, groups: int = 1) -> Tensor:  # fmt: skip
    """1D convolution (cross-correlation, as in PyTorch), like ``F.conv1d``.

    x ``(N, C_in, L)``, weight ``(C_out, C_in/groups, k)``, bias ``(C_out,)`` ->
    ``(N, C_out, L_out)`` with ``L_out = floor((L + 2p - d(k - 1) - 1)/s) + 1``.
    Chapter "Convolution arithmetic".
    """
    return _conv("conv1d", x, weight, bias, stride, padding, dilation, groups, dims=1)


def conv2d(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: IntOrPair = 1, padding: IntOrPair = 0,
           dilation: IntOrPair = 1, groups: int = 1) -> Tensor:  # fmt: skip
    """2D convolution (cross-correlation, as in PyTorch), like ``F.conv2d``.

    x ``(N, C_in, H, W)``, weight ``(C_out, C_in/groups, kH, kW)``, bias ``(C_out,)``
    -> ``(N, C_out, H_out, W_out)``, each axis by the 1D formula with its own
    stride, padding and dilation (an int means the same on both axes).
    Chapter "Convolution arithmetic".
    """
    return _conv("conv2d", x, weight, bias, stride, padding, dilation, groups, dims=2)


def conv1d_loops(x: Tensor, weight: Tensor, bias: Tensor | None = None, stride: int = 1, padding: int = 0,
                 dilation: int = 1) -> Tensor:  # fmt: skip
    """The definition, one multiply at a time (no groups; slow, for reading).

    ``out[n, o, t] = bias[o] + sum_c sum_j weight[o, c, j] * x_padded[n, c, t*s + j*d]``
    with x ``(N, C_in, L)``, weight ``(C_out, C_in, k)`` -> ``(N, C_out, L_out)``.
    Chapter "Convolution arithmetic".
    """
    f = "conv1d_loops"
    _check(f, x, weight, bias, groups=1, dims=1)
    (s,), (p,), (d,) = _settings(f, stride, padding, dilation, dims=1)
    n_batch, c_in, length = x.shape
    c_out, _, k = weight.shape
    xp = F.pad(x, (p, p))
    l_out = (length + 2 * p - d * (k - 1) - 1) // s + 1
    if l_out < 1:
        raise ValueError(
            f"{f}: expected the kernel (spanning {d * (k - 1) + 1}) to fit in the padded "
            f"length {length + 2 * p}, got output length {l_out}"
        )
    out = x.new_zeros(n_batch, c_out, l_out)
    for n in range(n_batch):
        for o in range(c_out):
            for t in range(l_out):
                total = bias[o] if bias is not None else x.new_zeros(())
                for c in range(c_in):
                    for j in range(k):
                        total = total + weight[o, c, j] * xp[n, c, t * s + j * d]
                out[n, o, t] = total
    return out
