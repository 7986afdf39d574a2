"""Checks for the exercises of the chapter "Depthwise separable convolution".

Every expected value is computed here with the library (``ghostedu.layers``, torchinfo through
``ghostedu.counting``, ``torch.utils.flop_counter``), never typed in.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import nn

from ..counting import count_macs, count_params
from ..layers import conv_dw
from . import ExerciseError, _fail, _ok, check_value, not_answered


def _conv_params(cin: int, cout: int, k: int, groups: int = 1) -> int:
    return count_params(nn.Conv2d(cin, cout, k, groups=groups, bias=False))


def _bn_params(c: int) -> int:
    return count_params(nn.BatchNorm2d(c))


def check_params(answer, filter_in: int = 64, filter_out: int = 128) -> None:
    """``answer``: the number of parameters of ``conv_dw(filter_in, filter_out)``, BatchNorm included."""
    expected = count_params(conv_dw(filter_in, filter_out))
    depthwise = _conv_params(filter_in, filter_in, 3, groups=filter_in)
    pointwise = _conv_params(filter_in, filter_out, 1)
    norms = _bn_params(filter_in) + _bn_params(filter_out)
    hints = {
        depthwise + pointwise: "you counted the two convolutions' weights but not the BatchNorm layers: "
        "each has a scale and a shift per channel.",
        _conv_params(filter_in, filter_in, 3)
        + pointwise
        + norms: "your depthwise part has 3*3*filter_in weights per output channel, as groups=1 would; with "
        "groups=filter_in each channel has ONE 3x3 filter of its own (3*3*1 weights).",
        _conv_params(filter_in, filter_out, 3)
        + _bn_params(
            filter_out
        ): "that is a standard 3x3 convolution filter_in -> filter_out (+ BatchNorm); conv_dw splits it in two.",
        depthwise + pointwise + norms // 2: "BatchNorm has two learned parameters per channel (weight and bias), "
        "not one (running mean and variance are buffers, not parameters).",
    }
    hint = hints.get(
        answer,
        "3*3*filter_in (depthwise) + filter_in*filter_out (pointwise) "
        "+ 2*filter_in + 2*filter_out (the two BatchNorms); neither convolution has a bias.",
    )
    check_value(f"parameters of conv_dw({filter_in}, {filter_out})", answer, expected, hint)


def _macs_standard_and_separable(n_out: int, k: int, n_in: int = 4, size: int = 4) -> tuple[int, int]:
    """Multiply-adds of a standard kxk conv and of depthwise kxk + pointwise 1x1, n_in -> n_out channels."""
    shape = (1, n_in, size, size)
    standard = nn.Conv2d(n_in, n_out, k, padding=k // 2, bias=False)
    separable = nn.Sequential(
        nn.Conv2d(n_in, n_in, k, padding=k // 2, groups=n_in, bias=False), nn.Conv2d(n_in, n_out, 1, bias=False)
    )
    return count_macs(standard, shape), count_macs(separable, shape)


def smallest_n_for_saving(factor: int, k: int = 3, max_n: int = 4096) -> int:
    """The smallest number of output channels C_out at which depthwise separable kxk needs at most
    ``1/factor`` of the standard convolution's multiply-adds, found by counting them."""
    low, high = 1, max_n
    std, sep = _macs_standard_and_separable(high, k)
    if std < factor * sep:
        raise ValueError(f"smallest_n_for_saving: a {factor}x saving needs factor < k*k = {k * k}, got {factor}")
    while low < high:  # the saving grows with N: bisect on the counted multiply-adds
        mid = (low + high) // 2
        std, sep = _macs_standard_and_separable(mid, k)
        if std >= factor * sep:
            high = mid
        else:
            low = mid + 1
    return low


def check_eightfold(answer, k: int = 3, factor: int = 8) -> None:
    """``answer``: the smallest number of output channels C_out for which a depthwise separable kxk
    convolution needs at most 1/factor of the multiply-adds of a standard kxk convolution."""
    name = f"smallest C_out for a saving of {factor}x at k={k}"
    if answer is None:
        raise not_answered(name)
    expected = smallest_n_for_saving(factor, k)
    if isinstance(answer, bool) or not isinstance(answer, int):
        _fail(
            name,
            f"expected a whole number of channels (an int), got {answer!r}.",
            "channels come in whole numbers: round the N that solves the equation up.",
        )
    if answer != expected:
        std, sep = _macs_standard_and_separable(max(answer, 1), k)
        if answer < expected:
            message = f"at C_out={answer} the separable convolution saves only {std / sep:.3f}x, less than {factor}x."
        else:
            message = f"C_out={answer} saves {std / sep:.3f}x, but a smaller C_out already saves {factor}x."
        _fail(name, message, f"the cost ratio is 1/C_out + 1/k^2; solve 1/C_out + 1/{k * k} <= 1/{factor} for C_out.")
    std, sep = _macs_standard_and_separable(expected, k)
    _ok(name, f"C_out={expected}: standard / separable = {std / sep:g}")


def check_linear_block(conv_dw_linear: Callable[..., nn.Module], params_change) -> None:
    """``conv_dw_linear(filter_in, filter_out, stride=1)``: ``conv_dw`` without its two ReLU6;
    ``params_change``: how many parameters that removes (or adds: negative / positive)."""
    name = "conv_dw without ReLU6"
    if conv_dw_linear is None:
        raise not_answered("conv_dw_linear")
    try:
        block = conv_dw_linear(32, 64, 2)
    except NotImplementedError:
        raise not_answered("conv_dw_linear") from None
    if not isinstance(block, nn.Module):
        _fail(
            name,
            f"conv_dw_linear(32, 64, 2) should return an nn.Module, got {type(block).__name__}.",
            "return nn.Sequential(...) of the four remaining modules.",
        )
    activations = [type(m).__name__ for m in block.modules() if isinstance(m, (nn.ReLU6, nn.ReLU, nn.Hardtanh))]
    if activations:
        _fail(name, f"the block still has activations: {activations}.", "leave out both nn.ReLU6 modules.")
    convs = [m for m in block.modules() if isinstance(m, nn.Conv2d)]
    kinds = [(m.kernel_size, m.groups, m.stride) for m in convs]
    if kinds != [((3, 3), 32, (2, 2)), ((1, 1), 1, (1, 1))]:
        _fail(
            name,
            f"expected a 3x3 depthwise conv (groups=32, stride 2) then a 1x1 conv, got (kernel, groups, "
            f"stride) = {kinds}.",
            "keep both convolutions of conv_dw exactly as they are.",
        )
    norms = [m.num_features for m in block.modules() if isinstance(m, nn.BatchNorm2d)]
    if norms != [32, 64]:
        _fail(
            name,
            f"expected BatchNorm2d(32) and BatchNorm2d(64), got BatchNorm2d of {norms}.",
            "keep both batch norms: only the activations go.",
        )
    out = block(torch.randn(2, 32, 16, 16))
    if tuple(out.shape) != (2, 64, 8, 8):
        _fail(
            name,
            f"conv_dw_linear(32, 64, 2) maps (2, 32, 16, 16) to {tuple(out.shape)}, expected (2, 64, 8, 8).",
            "padding 1 on the 3x3 conv; stride on the depthwise conv only.",
        )
    if params_change is None:
        raise not_answered("params_change")
    expected = count_params(conv_dw_linear(32, 64)) - count_params(conv_dw(32, 64))
    same_macs = count_macs(block, (1, 32, 16, 16)) == count_macs(conv_dw(32, 64, 2), (1, 32, 16, 16))
    if params_change != expected:
        _fail(
            "params_change",
            f"expected {expected!r}, got {params_change!r}.",
            "ReLU6 is min(max(x, 0), 6): does it have any weights? Compare count_params of both blocks.",
        )
    if not same_macs:  # pragma: no cover - the structure checks above make this impossible
        raise ExerciseError(f"{name}: the multiply-adds differ from conv_dw's.")
    negative = bool((out < 0).any())
    _ok(name, f"params change {expected}, multiply-adds unchanged; outputs can now be negative: {negative}")
