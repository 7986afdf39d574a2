"""Which inputs each output reads: the windows of a layer, the dependencies through a stack.

Explained in the chapters "Convolution arithmetic" and "Dilated (atrous) convolution"; the
animations of :mod:`ghostedu.viz.animation` draw what these functions compute.

* :func:`conv_windows_1d` -- output ``o`` of a 1D convolution reads inputs ``o*s - p + j*d``,
  ``j = 0 .. k-1`` (how many outputs there are comes from :func:`conv_output_length`).
* :func:`stack_windows`, :func:`stack_dependencies` -- the same, layer after layer, and which
  positions of each level one output depends on (with dilations: the gaps of "gridding").
* :func:`dependency_mask` -- the same question answered for any model by autograd.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from ..checks import check_bool, check_int, check_module, check_output, check_size
from ..utils import evaluating, zeros_input
from .arithmetic import conv_output_length

__all__ = ["conv_windows_1d", "stack_windows", "stack_dependencies", "dependency_mask"]

Window = tuple[int, int, int, int]  # (kernel_size, stride, padding, dilation)


def conv_windows_1d(
    length: int, kernel_size: int, stride: int = 1, padding: int = 0, dilation: int = 1
) -> list[list[int]]:
    """Input positions read by each output position of a 1D convolution (or pooling) window.

    Returns one list per output position ``o`` (``conv_output_length(...)`` of them), holding the
    ``kernel_size`` input positions ``o*stride - padding + j*dilation``, ``j = 0 .. k-1``. Positions
    ``< 0`` or ``>= length`` fall on the zero padding. Along each axis of a 2D convolution the same
    rule holds, so this also describes ``Conv2d`` row by row and column by column.

    >>> conv_windows_1d(5, 3, stride=2)
    [[0, 1, 2], [2, 3, 4]]
    """
    f = "conv_windows_1d"
    n_out = conv_output_length(
        check_int(f, "length", length),
        check_int(f, "kernel_size", kernel_size),
        check_int(f, "stride", stride),
        check_int(f, "padding", padding, 0),
        check_int(f, "dilation", dilation),
    )
    return [[o * stride - padding + j * dilation for j in range(kernel_size)] for o in range(n_out)]


def _layer_window(layer) -> Window:
    """``(kernel_size, stride, padding, dilation)`` of one layer of a 1D stack.

    Accepts what :func:`ghostedu.shapes.receptive_field` accepts -- ``(kernel_size, stride)`` or
    ``(kernel_size, stride, dilation)`` tuples (no padding) and conv/pool modules (their padding
    included) -- and dicts ``{"kernel_size": k, "stride": s, "padding": p, "dilation": d}``.
    """
    if isinstance(layer, dict):
        unknown = set(layer) - {"kernel_size", "stride", "padding", "dilation"}
        if "kernel_size" not in layer or unknown:
            raise ValueError(
                "stack_windows: expected a layer dict with kernel_size and optionally stride, padding, "
                f"dilation, got {layer!r}"
            )
        return (layer["kernel_size"], layer.get("stride", 1), layer.get("padding", 0), layer.get("dilation", 1))
    if isinstance(layer, (tuple, list)) and len(layer) in (2, 3):
        k, s, d = (*layer, 1)[:3]
        return k, s, 0, d
    if isinstance(layer, nn.Module) and hasattr(layer, "kernel_size"):

        def first(v):
            return v[0] if isinstance(v, (tuple, list)) else v

        padding = getattr(layer, "padding", 0)
        if isinstance(padding, str):
            raise ValueError(
                f"stack_windows: expected a numeric padding in {type(layer).__name__}, got padding={padding!r}"
            )
        return (
            first(layer.kernel_size),
            first(getattr(layer, "stride", 1)),
            first(padding),
            first(getattr(layer, "dilation", 1)),
        )
    raise ValueError(
        f"stack_windows: expected a layer as (kernel_size, stride[, dilation]), a dict or a "
        f"conv/pool module, got {layer!r}"
    )


def stack_windows(layers: Sequence, length: int) -> list[tuple[Window, list[list[int]]]]:
    """For each layer of a 1D stack (input first), its window and the input positions each of its
    outputs reads (:func:`conv_windows_1d`), the first layer reading ``length`` positions, each
    next layer what the previous one gives. Each layer is a ``(kernel_size, stride)`` or
    ``(kernel_size, stride, dilation)`` tuple (no padding), a dict ``{"kernel_size": k, "stride": s,
    "padding": p, "dilation": d}`` or a conv/pool module (its padding included).
    """
    if isinstance(layers, (str, bytes)) or not isinstance(layers, Sequence):
        raise ValueError(f"stack_windows: expected a sequence of layers, got {layers!r}")
    length = check_int("stack_windows", "length", length)
    out = []
    for i, layer in enumerate(layers):
        k, s, p, d = _layer_window(layer)
        n = len(out[-1][1]) if out else length
        try:
            out.append(((k, s, p, d), conv_windows_1d(n, k, s, p, d)))
        except ValueError as error:
            raise ValueError(
                f"stack_windows: expected every layer to produce an output, got none from layer {i} "
                f"(k={k}, s={s}, p={p}, d={d}) on length {n}: {error}"
            ) from None
    return out


def stack_dependencies(layers: Sequence, length: int, output_index: int | None = None) -> list[list[int]]:
    """Which positions of each level one output of a stack of 1D layers depends on.

    ``layers``: the stack from input to output, as for :func:`stack_windows` (the tuples are those
    of :func:`ghostedu.shapes.receptive_field`). ``length``: the input length. ``output_index``: the
    output position to follow (default: the middle one).

    Returns one sorted list per level, from the input (level 0) to the output (a single position),
    with the positions (padding excluded) that the chosen output depends on. The number of input
    positions is the receptive field when they are contiguous; dilated stacks can leave holes.
    """
    windows = [win for _, win in stack_windows(layers, length)]
    lengths = [length] + [len(win) for win in windows]
    if output_index is None:
        output_index = lengths[-1] // 2
    index = check_int("stack_dependencies", "output_index", output_index, 0)
    if index >= lengths[-1]:
        raise ValueError(f"stack_dependencies: expected output_index in 0..{lengths[-1] - 1}, got {output_index!r}")
    output_index = index
    levels = [[output_index]]
    for level, win in zip(reversed(lengths[:-1]), reversed(windows)):
        below = sorted({i for o in levels[0] for i in win[o] if 0 <= i < level})
        levels.insert(0, below)
    return levels


def dependency_mask(
    model: nn.Module, input_size: Sequence[int], output_index: Sequence[int] | None = None, counts: bool = False
) -> torch.Tensor:
    """Which input values one output value of ``model`` depends on, found by autograd.

    Runs ``model`` in eval mode (its modes restored after) on a zero input of ``input_size`` (batch
    included), back-propagates a one-hot gradient from the output value at ``output_index`` (a full
    index into the output, default: batch 0, channel 0 and the centre of every spatial axis) and
    returns the input gradient of sample 0 summed over channels: ``(L,)`` or ``(H, W)``. With
    ``counts=False`` it is a boolean mask (non-zero gradient); with ``counts=True`` the gradient
    itself. With all kernel weights set to 1 and linear layers only, the gradient counts the paths
    from each input to the output -- the "effective receptive field" of Luo et al. In training mode
    a BatchNorm would mix the samples of the batch, so the model runs in eval mode.
    Chapter "Dilated (atrous) convolution".
    """
    f = "dependency_mask"
    check_module(f, model)
    size = check_size(f, "input_size", input_size)
    check_bool(f, "counts", counts)
    if len(size) not in (3, 4):
        raise ValueError(f"{f}: expected input_size (N, C, L) or (N, C, H, W), got {size!r}")
    x = zeros_input(model, size, requires_grad=True)
    with evaluating(model, no_grad=False):
        y = check_output(f, model, x)
    if output_index is None:
        output_index = (0, 0) + tuple(n // 2 for n in y.shape[2:])
    if (
        isinstance(output_index, (str, bytes))
        or not isinstance(output_index, Sequence)
        or len(output_index) != y.dim()
        or not all(isinstance(i, int) and not isinstance(i, bool) and 0 <= i < n for i, n in zip(output_index, y.shape))
    ):
        raise ValueError(
            f"{f}: expected output_index to be {y.dim()} indices into the output of shape {tuple(y.shape)}, "
            f"got {output_index!r}"
        )
    grad = torch.zeros_like(y)
    grad[tuple(output_index)] = 1.0
    y.backward(grad)
    g = x.grad[0].sum(0).detach().cpu()
    return g if counts else g != 0
