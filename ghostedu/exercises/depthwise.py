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
from . import _fail, _ok, as_int, check_count, not_answered, student_code


def _conv_params(cin: int, cout: int, k: int, groups: int = 1) -> int:
    return count_params(nn.Conv2d(cin, cout, k, groups=groups, bias=False))


def _bn_params(c: int) -> int:
    return count_params(nn.BatchNorm2d(c))


def check_params(answer, filter_in: int = 64, filter_out: int = 128) -> None:
    """``answer``: the number of parameters of ``conv_dw(filter_in, filter_out)``, BatchNorm included."""
    depthwise = _conv_params(filter_in, filter_in, 3, groups=filter_in)
    pointwise = _conv_params(filter_in, filter_out, 1)
    norms = _bn_params(filter_in) + _bn_params(filter_out)
    check_count(
        f"parameters of conv_dw({filter_in}, {filter_out})",
        answer,
        count_params(conv_dw(filter_in, filter_out)),
        hint="3*3*filter_in (depthwise) + filter_in*filter_out (pointwise) + 2*filter_in + 2*filter_out (the two "
        "BatchNorms); neither convolution has a bias.",
        mistakes=[
            (depthwise + pointwise, "you counted the two convolutions' weights but not the BatchNorm layers: each "
             "has a scale and a shift per channel."),
            (_conv_params(filter_in, filter_in, 3) + pointwise + norms, "your depthwise part has 3*3*filter_in "
             "weights per output channel, as groups=1 would; with groups=filter_in each channel has ONE 3x3 filter "
             "of its own (3*3*1 weights)."),
            (_conv_params(filter_in, filter_out, 3) + _bn_params(filter_out), "that is a standard 3x3 convolution "
             "filter_in -> filter_out (+ BatchNorm); conv_dw splits it in two."),
            (depthwise + pointwise + norms // 2, "BatchNorm has two learned parameters per channel (weight and "
             "bias), not one (running mean and variance are buffers, not parameters)."),
            (depthwise + pointwise + 2 * norms, "the running mean and variance of a BatchNorm are buffers, not "
             "parameters: count the scale and the shift only."),
            (depthwise + pointwise + norms + filter_in + filter_out, "neither convolution has a bias "
             "(bias=False): the batch norm after each has its own shift."),
        ],
    )  # fmt: skip


def _saving(n_out: int, k: int, n_in: int = 4, size: int = 4) -> float:
    """Multiply-adds of a standard kxk convolution divided by those of depthwise kxk + pointwise 1x1,
    ``n_in -> n_out`` channels, counted by ``torch.utils.flop_counter`` (the ratio does not depend on
    ``n_in`` or the map size)."""
    shape = (1, n_in, size, size)
    standard = nn.Conv2d(n_in, n_out, k, padding=k // 2, bias=False)
    separable = nn.Sequential(
        nn.Conv2d(n_in, n_in, k, padding=k // 2, groups=n_in, bias=False), nn.Conv2d(n_in, n_out, 1, bias=False)
    )
    return count_macs(standard, shape) / count_macs(separable, shape)


def check_eightfold(answer, k: int = 3, factor: int = 8) -> None:
    """``answer``: the smallest number of output channels C_out for which a depthwise separable kxk
    convolution needs at most 1/factor of the multiply-adds of a standard kxk convolution.

    Checked by counting at C_out and at C_out - 1: no solver of the exercise is needed (or given)."""
    name = f"smallest C_out for a saving of {factor}x at k={k}"
    n = as_int(name, answer, "channels come in whole numbers: round the C_out that solves the inequality up.")
    if n < 1:
        _fail(name, f"C_out={n} channels cannot be: a layer has at least one output channel.")
    hint = f"the cost ratio is 1/C_out + 1/k^2; solve 1/C_out + 1/{k * k} <= 1/{factor} for C_out."
    saving = _saving(n, k)
    if saving < factor:
        _fail(name, f"at C_out={n} the separable convolution saves only {saving:.3f}x, less than {factor}x.", hint)
    if n > 1 and _saving(n - 1, k) >= factor:
        _fail(name, f"C_out={n} saves {saving:.3f}x, but a smaller C_out already saves {factor}x.", hint)
    _ok(name)


def check_linear_block(conv_dw_linear: Callable[..., nn.Module], params_change) -> None:
    """``conv_dw_linear(filter_in, filter_out, stride=1)``: ``conv_dw`` without its two ReLU6;
    ``params_change``: how many parameters that removes (or adds: negative / positive)."""
    name = "conv_dw without ReLU6"
    if conv_dw_linear is None:
        raise not_answered("conv_dw_linear")
    if isinstance(conv_dw_linear, nn.Module):
        _fail(name, "conv_dw_linear is a module, not a function.", "write `def conv_dw_linear(filter_in, filter_out, "
              "stride=1):` and return the block from it.")  # fmt: skip
    with student_code("conv_dw_linear", "conv_dw_linear(32, 64, 2)"):
        block = conv_dw_linear(32, 64, 2)
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
    if any(m.bias is not None for m in convs):
        _fail(
            name,
            "a convolution of the block has a bias.",
            "conv_dw builds both convolutions with bias=False: the batch norm after each has its own shift.",
        )
    norms = [m.num_features for m in block.modules() if isinstance(m, nn.BatchNorm2d)]
    if norms != [32, 64]:
        _fail(
            name,
            f"expected BatchNorm2d(32) after the depthwise conv and BatchNorm2d(64) after the 1x1 conv, got "
            f"BatchNorm2d of {norms}.",
            "each batch norm takes the channel count of the convolution before it; keep both (only the "
            "activations go).",
        )
    with student_code("conv_dw_linear", "conv_dw_linear(32, 64, 2)(x)"):
        out = block(torch.randn(2, 32, 16, 16))
    if tuple(out.shape) != (2, 64, 8, 8):
        _fail(
            name,
            f"conv_dw_linear(32, 64, 2) maps (2, 32, 16, 16) to {tuple(out.shape)}, not (2, 64, 8, 8).",
            "padding 1 on the 3x3 conv; stride on the depthwise conv only.",
        )
    _ok(name)
    reference = conv_dw(32, 64)
    without_relu6 = nn.Sequential(*[m for m in reference if not isinstance(m, nn.ReLU6)])
    check_count(
        "params_change",
        params_change,
        count_params(without_relu6) - count_params(reference),
        hint="ReLU6 is min(max(x, 0), 6): count what it learns, or compare count_params of conv_dw and of your block.",
        mistakes=[(-2, "ReLU6 has no learned parameters: it is a fixed function, min(max(x, 0), 6).")],
    )
