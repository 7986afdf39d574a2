"""Checks for the exercises of the chapter "From multiply-adds to milliseconds".

Every expected value is computed here with maintained tools (``torch.nn.utils.fusion`` for batch-norm
folding, ``ghostedu.counting.layer_table`` for arithmetic intensity, ONNX Runtime's own
``compute_scale_zp`` for quantization parameters), never typed in. A wrong answer is told what is
wrong and given a hint that names the likely mistake; no message shows the expected value.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import torch
from torch import nn

from ..counting import layer_table
from ..models import ghostnet
from . import _fail, _ok, as_int, check_close, not_answered, student_code

# ---------------------------------------------------------------------------------------------------
# Folding a batch norm into the convolution before it


def _folding_layers(bias: bool = True) -> tuple[nn.Conv2d, nn.BatchNorm2d]:
    """``Conv2d(3, 4, 3, padding=1)`` and ``BatchNorm2d(4)`` in eval mode, with fixed weights and
    running statistics (two variances small, so that ``eps`` matters); with or without a conv bias."""
    gen = torch.Generator().manual_seed(16)
    conv = nn.Conv2d(3, 4, 3, padding=1, bias=bias)
    bn = nn.BatchNorm2d(4)
    with torch.no_grad():
        conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * 0.3)
        if bias:
            conv.bias.copy_(torch.randn(4, generator=gen))
        bn.weight.copy_(torch.tensor([1.5, -0.8, 0.6, 2.0]))
        bn.bias.copy_(torch.tensor([0.1, -0.3, 0.7, 0.0]))
        bn.running_mean.copy_(torch.tensor([0.5, -1.0, 2.0, 0.2]))
        bn.running_var.copy_(torch.tensor([0.002, 0.5, 3.0, 0.0004]))
    return conv.eval(), bn.eval()


def _tensor(name: str, value, shape: tuple[int, ...], hint: str) -> torch.Tensor:
    try:
        t = torch.as_tensor(value, dtype=torch.float32).detach().cpu()
    except (TypeError, ValueError, RuntimeError):
        _fail(name, f"expected a tensor of shape {shape}, got {type(value).__name__}.", hint)
    if tuple(t.shape) != shape:
        _fail(name, f"expected shape {shape}, got {tuple(t.shape)}.", hint)
    return t


_WEIGHT_HINTS = {
    "no_eps": "the batch norm divides by sqrt(running_var + eps), not sqrt(running_var): with a variance as "
    "small as some of these, eps changes the result.",
    "no_sqrt": "divide by the standard deviation, sqrt(running_var + eps), not by the variance.",
    "no_gamma": "the batch norm's weight (gamma) scales each output channel too.",
}
_BIAS_HINTS = {
    "no_conv_bias": "this convolution has a bias of its own: it is shifted and scaled with the output, "
    "(conv.bias - running_mean) * scale + beta.",
    "bias_unscaled": "the bias passes through the normalization too: multiply (conv.bias - running_mean) by "
    "the same per-channel scale as the weights.",
    "no_mean": "the batch norm subtracts running_mean before it scales.",
    "no_beta": "the batch norm adds its bias (beta) after scaling.",
}


def _wrong_foldings(conv: nn.Conv2d, bn: nn.BatchNorm2d) -> tuple[dict, dict]:
    """The folded weights and biases of the known mistakes, by name."""
    gamma, beta, mean, var, eps = bn.weight.detach(), bn.bias.detach(), bn.running_mean, bn.running_var, bn.eps
    w = conv.weight.detach()
    b = conv.bias.detach() if conv.bias is not None else torch.zeros_like(mean)
    scale = gamma / (var + eps).sqrt()
    weights = {
        "no_eps": w * (gamma / var.sqrt())[:, None, None, None],
        "no_sqrt": w * (gamma / (var + eps))[:, None, None, None],
        "no_gamma": w / (var + eps).sqrt()[:, None, None, None],
    }
    biases = {
        "no_conv_bias": beta - mean * scale,
        "bias_unscaled": b - mean + beta,
        "no_mean": b * scale + beta,
        "no_beta": (b - mean) * scale,
    }
    return weights, biases


def check_fold(fold_bn: Callable) -> None:
    """``fold_bn(conv, bn)``: ``(weight, bias)`` of the one convolution that computes ``bn(conv(x))``
    for a ``Conv2d`` and the ``BatchNorm2d`` after it in eval mode (weight ``(C_out, C_in, k, k)``,
    bias ``(C_out,)``), compared with PyTorch's ``fuse_conv_bn_weights`` to ``rtol=1e-4``; with and
    without a convolution bias."""
    from torch.nn.utils.fusion import fuse_conv_bn_weights

    name = "fold_bn"
    if fold_bn is None:
        raise not_answered(name)
    if not callable(fold_bn):
        _fail(name, f"expected a function fold_bn(conv, bn), got {type(fold_bn).__name__}.",
              "write `def fold_bn(conv, bn):` and return (weight, bias) from it.")  # fmt: skip
    close = lambda a, e: torch.allclose(a, e.float(), rtol=1e-4, atol=1e-6)
    shape_hint = (
        "the scale belongs to the OUTPUT channels: weight * scale[:, None, None, None]; one bias per output channel."
    )
    for bias in (True, False):
        conv, bn = _folding_layers(bias)
        call = f"fold_bn(conv, bn) for a convolution {'with' if bias else 'without'} a bias"
        with torch.no_grad(), student_code(name, call):
            result = fold_bn(conv, bn)
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            _fail(
                name,
                f"{call} should return (weight, bias), got {type(result).__name__}.",
                "return a pair: weight, bias.",
            )
        w = _tensor(f"{name}: the weight", result[0], tuple(conv.weight.shape), shape_hint)
        b = _tensor(f"{name}: the bias", result[1], (conv.out_channels,), shape_hint)
        with torch.no_grad():
            w_ok, b_ok = (
                p.detach()
                for p in fuse_conv_bn_weights(
                    conv.weight, conv.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias
                )
            )
            w_wrong, b_wrong = _wrong_foldings(conv, bn)
        if not close(w, w_ok):
            hint = next(
                (_WEIGHT_HINTS[k] for k, v in w_wrong.items() if close(w, v)),
                "scale each output channel's filter by gamma / sqrt(running_var + eps).",
            )
            _fail(name, f"{call}: the folded weight differs from what bn(conv(x)) computes.", hint)
        if not close(b, b_ok):
            hint = next(
                (_BIAS_HINTS[k] for k, v in b_wrong.items() if close(b, v)),
                "the folded bias is (conv.bias - running_mean) * gamma / sqrt(running_var + eps) + beta.",
            )
            _fail(name, f"{call}: the folded bias differs from what bn(conv(x)) computes.", hint)
    _ok("fold_bn (one convolution computes bn(conv(x)), with and without a conv bias)")  # fmt: skip


# ---------------------------------------------------------------------------------------------------
# Arithmetic intensity of a depthwise convolution with stride 2

INTENSITY_LAYER = "blocks.7.0.conv_dw"  # GhostNet 1.0x: 5x5 depthwise, stride 2, 672 channels, 14x14 -> 7x7


def _intensity_row(name: str = INTENSITY_LAYER):
    rows = [r for r in layer_table(ghostnet(), (1, 3, 224, 224)) if r.name == name]
    if len(rows) != 1:
        raise LookupError(f"check_intensity: GhostNet 1.0x has no single layer named {name!r}")
    return rows[0]


def check_intensity(answer, rel: float = 0.01) -> None:
    """``answer``: multiply-adds per byte (float32, least traffic: read input and weights once, write
    output once) of GhostNet 1.0x's ``blocks.7.0.conv_dw``, within ``rel`` of ``layer_table``'s."""
    row = _intensity_row()
    c, h_in, h_out = row.input_shape[1], row.input_shape[2], row.output_shape[2]
    k = math.isqrt(row.params // c)
    in_values, out_values, weights = c * h_in * h_in, c * h_out * h_out, c * k * k
    mistakes = [
        ((c * h_in * h_in * k * k) / (4 * (2 * in_values + weights)),
         "stride 2 halves the height and width: the layer computes a 7x7 map per channel, not 14x14."),
        (row.macs / (row.min_bytes / 4), "the intensity is per BYTE: each float32 value is 4 bytes."),
        (row.macs / (4 * (in_values + out_values)), "the weights are read too (one 5x5 filter per channel)."),
        ((c * h_out * h_out * 9) / (4 * (in_values + out_values + 9 * c)),
         "this block's depthwise kernel is 5x5 (k = 5 in its configuration row)."),
        ((c * c * h_out * h_out * k * k) / (4 * (in_values + out_values + c * c * k * k)),
         "a depthwise convolution filters each channel on its own: k*k multiply-adds per output value, "
         "not k*k*channels."),
    ]  # fmt: skip
    check_close(
        f"arithmetic intensity of {INTENSITY_LAYER}",
        answer,
        row.intensity,
        rel,
        hint="multiply-adds = channels x output height x output width x k x k; bytes = 4 x (input values "
        "+ output values + weights).",
        unit=" multiply-adds per byte",
        mistakes=mistakes,
    )


# ---------------------------------------------------------------------------------------------------
# Scale and zero point of an 8-bit activation


def _uint8_scale_zero_point(rmin: float, rmax: float) -> tuple[float, int]:
    """ONNX Runtime's ``(scale, zero_point)`` for uint8 values (0..255) covering ``[rmin, rmax]``
    (asymmetric, as ``quantize_static`` does for activations)."""
    from onnxruntime.quantization.quant_utils import compute_scale_zp

    zero_point, scale = compute_scale_zp(
        np.array(rmin, dtype=np.float32),
        np.array(rmax, dtype=np.float32),
        np.array(0, dtype=np.uint8),
        np.array(255, dtype=np.uint8),
    )
    return float(scale), int(zero_point)


def check_scale_zero_point(scale, zero_point, rmin: float = -1.5, rmax: float = 4.5) -> None:
    """``scale`` and ``zero_point`` of uint8 quantization (ONNX Runtime's, for activations) of a tensor
    calibrated to ``[rmin, rmax]``: the scale within 0.1 %, the zero point exactly."""
    want_scale, want_zp = _uint8_scale_zero_point(rmin, rmax)
    span = rmax - min(rmin, 0.0)
    largest = max(abs(rmin), abs(rmax))
    check_close(
        f"scale for [{rmin:g}, {rmax:g}] in uint8",
        scale,
        want_scale,
        1e-3,
        hint="scale = (rmax - rmin) / (qmax - qmin).",
        mistakes=[
            (span / 256, "256 values make 255 steps: divide the range by 255."),
            (2 * largest / 255, "activations are quantized asymmetrically here: the range is [rmin, rmax] "
             "itself, not [-max|r|, +max|r|]."),
            (largest / 255, "the range to cover is rmax - rmin, not the largest magnitude."),
        ],
    )  # fmt: skip
    name = f"zero point for [{rmin:g}, {rmax:g}] in uint8"
    exact = -rmin / want_scale
    zp = as_int(name, zero_point, "the zero point is the uint8 value that stands for 0.0, so it must be an "
                "integer: round it to the nearest one.")  # fmt: skip
    if zp != want_zp:
        if zp == -want_zp:
            hint = "the sign: real 0.0 maps to q = zero_point, and rmin (negative here) maps to q = 0."
        elif zp in (math.floor(exact), math.ceil(exact)):
            hint = "round to the NEAREST integer."
        else:
            hint = "zero_point = round(qmin - rmin / scale), where qmin = 0 for uint8."
        _fail(name, f"{zp} is not the value that represents 0.0 exactly.", hint)
    _ok(name)
