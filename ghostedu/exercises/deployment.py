"""Checks for the exercises of the chapter "From multiply-adds to milliseconds".

Every expected value is computed here with maintained tools (``torch.nn.utils.fusion`` for batch-norm
folding, ``ghostedu.counting.layer_table`` for arithmetic intensity, ONNX Runtime's own
``compute_scale_zp`` for quantization parameters), never typed in. A wrong answer is told what is
wrong and given a hint; no message shows the expected value.
"""
from __future__ import annotations

import math

import numpy as np
import torch
from torch import nn

from ..counting import layer_table
from ..models import ghostnet
from . import _fail, _ok, as_number, not_answered

# ----------------------------------------------------------------------------------------------
# Folding a batch norm into the convolution before it
# ----------------------------------------------------------------------------------------------


def folding_layers() -> tuple[nn.Conv2d, nn.BatchNorm2d]:
    """The exercise's layers: ``Conv2d(3, 4, 3, bias=True)`` and ``BatchNorm2d(4)`` in eval mode, with
    fixed weights and running statistics (some variances small, so that ``eps`` matters)."""
    gen = torch.Generator().manual_seed(16)
    conv = nn.Conv2d(3, 4, 3, padding=1, bias=True)
    bn = nn.BatchNorm2d(4)
    with torch.no_grad():
        conv.weight.copy_(torch.randn(conv.weight.shape, generator=gen) * 0.3)
        conv.bias.copy_(torch.randn(4, generator=gen))
        bn.weight.copy_(torch.tensor([1.5, -0.8, 0.6, 2.0]))
        bn.bias.copy_(torch.tensor([0.1, -0.3, 0.7, 0.0]))
        bn.running_mean.copy_(torch.tensor([0.5, -1.0, 2.0, 0.2]))
        bn.running_var.copy_(torch.tensor([0.002, 0.5, 3.0, 0.0004]))
    return conv.eval(), bn.eval()


def _as_tensor(name: str, value, shape: tuple[int, ...]) -> torch.Tensor:
    if value is None:
        raise not_answered(name)
    try:
        t = torch.as_tensor(value, dtype=torch.float32).detach().cpu()
    except (TypeError, ValueError, RuntimeError):
        _fail(name, f"expected a tensor of shape {shape}, got {type(value).__name__}.", None)
    if tuple(t.shape) != shape:
        _fail(name, f"expected shape {shape}, got {tuple(t.shape)}.",
              "the scale belongs to the OUTPUT channels: multiply weight[c] (all its inputs and taps) by "
              "scale[c], e.g. weight * scale[:, None, None, None]." if len(shape) == 4 else
              "one bias value per output channel.")
    return t


def check_folded(w_folded, b_folded) -> None:
    """``w_folded`` ``(4, 3, 3, 3)`` and ``b_folded`` ``(4,)``: the weights and bias of the one
    convolution that computes ``bn(conv(x))`` for the layers of :func:`folding_layers`."""
    conv, bn = folding_layers()
    w = _as_tensor("w_folded", w_folded, tuple(conv.weight.shape))
    b = _as_tensor("b_folded", b_folded, tuple(conv.bias.shape))
    from torch.nn.utils.fusion import fuse_conv_bn_weights

    w_ok, b_ok = (p.detach() for p in fuse_conv_bn_weights(conv.weight, conv.bias, bn.running_mean,
                                                          bn.running_var, bn.eps, bn.weight, bn.bias))
    close = lambda a, e: torch.allclose(a, e, rtol=1e-4, atol=1e-6)  # noqa: E731

    gamma, beta, mean, var, eps = bn.weight.detach(), bn.bias.detach(), bn.running_mean, bn.running_var, bn.eps
    with torch.no_grad():
        w_mistakes = {
            "no_eps": conv.weight * (gamma / var.sqrt())[:, None, None, None],
            "no_sqrt": conv.weight * (gamma / (var + eps))[:, None, None, None],
            "no_gamma": conv.weight / (var + eps).sqrt()[:, None, None, None],
        }
        scale = gamma / (var + eps).sqrt()
        b_mistakes = {
            "no_conv_bias": beta - mean * scale,
            "bias_unscaled": conv.bias - mean + beta,
            "no_mean": conv.bias * scale + beta,
            "no_beta": (conv.bias - mean) * scale,
        }
    weight_hints = {
        "no_eps": "the batch norm divides by sqrt(running_var + eps), not sqrt(running_var): with a variance "
                  "as small as some of these, eps changes the result.",
        "no_sqrt": "divide by the standard deviation, sqrt(running_var + eps), not by the variance.",
        "no_gamma": "the batch norm's weight (gamma) scales each output channel too.",
    }
    bias_hints = {
        "no_conv_bias": "this convolution has a bias of its own: it is shifted and scaled with the output, "
                        "(conv.bias - running_mean) * scale + beta.",
        "bias_unscaled": "the bias passes through the normalization too: multiply (conv.bias - running_mean) "
                         "by the same per-channel scale as the weights.",
        "no_mean": "the batch norm subtracts running_mean before it scales.",
        "no_beta": "the batch norm adds its bias (beta) after scaling.",
    }
    name = "folded weights"
    if not close(w, w_ok.float()):
        hint = next((h for k, h in weight_hints.items() if close(w, w_mistakes[k].float())),
                    "scale each output channel's filter by gamma / sqrt(running_var + eps).")
        _fail(name, "bn(conv(x)) and the folded convolution differ.", hint)
    name = "folded bias"
    if not close(b, b_ok.float()):
        hint = next((h for k, h in bias_hints.items() if close(b, b_mistakes[k].float())),
                    "the folded bias is (conv.bias - running_mean) * gamma / sqrt(running_var + eps) + beta.")
        _fail(name, "bn(conv(x)) and the folded convolution differ.", hint)
    x = torch.randn(2, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        same = torch.allclose(nn.functional.conv2d(x, w, b, padding=1), bn(conv(x)), rtol=1e-4, atol=1e-5)
    if not same:  # unreachable when the two checks above pass; kept so the check cannot pass wrongly
        _fail("folded convolution", "its output differs from bn(conv(x)).", None)
    _ok("folded convolution", "one convolution now computes bn(conv(x))")


# ----------------------------------------------------------------------------------------------
# Arithmetic intensity of a depthwise convolution with stride 2
# ----------------------------------------------------------------------------------------------

INTENSITY_LAYER = "blocks.7.0.conv_dw"  # GhostNet 1.0x: 5x5 depthwise, stride 2, 672 channels, 14x14 -> 7x7


def _intensity_row(name: str = INTENSITY_LAYER):
    rows = [r for r in layer_table(ghostnet(), (1, 3, 224, 224)) if r.name == name]
    if len(rows) != 1:
        raise LookupError(f"check_intensity: GhostNet 1.0x has no single layer named {name!r}")
    return rows[0]


def check_intensity(answer, rel: float = 0.01) -> None:
    """``answer``: multiply-adds per byte (float32, least traffic: read input and weights once, write
    output once) of GhostNet 1.0x's ``blocks.7.0.conv_dw``, to within ``rel``."""
    name = f"arithmetic intensity of {INTENSITY_LAYER}"
    value = as_number(name, answer)
    row = _intensity_row()
    expected = row.intensity
    c, h_in = row.input_shape[1], row.input_shape[2]
    h_out = row.output_shape[2]
    k = int(math.isqrt(row.params // c))
    bytes_ = lambda values: 4 * values  # noqa: E731
    mistakes = {
        "no stride": (c * h_in * h_in * k * k) / bytes_(2 * c * h_in * h_in + c * k * k),
        "values, not bytes": row.macs / (row.min_bytes / 4),
        "no weights": row.macs / bytes_(c * h_in * h_in + c * h_out * h_out),
        "3x3": (c * h_out * h_out * 9) / bytes_(c * h_in * h_in + c * h_out * h_out + 9 * c),
        "full conv": (c * c * h_out * h_out * k * k) / bytes_(c * h_in * h_in + c * h_out * h_out + c * c * k * k),
    }
    hints = {
        "no stride": "stride 2 halves the height and width: the layer computes a 7x7 map per channel, "
                     "not 14x14.",
        "values, not bytes": "the intensity is per BYTE: each float32 value is 4 bytes.",
        "no weights": "the weights are read too (one 5x5 filter per channel).",
        "3x3": "this block's depthwise kernel is 5x5 (k = 5 in its configuration row).",
        "full conv": "a depthwise convolution filters each channel on its own: k*k multiply-adds per output "
                     "value, not k*k*channels.",
    }
    if not math.isclose(value, expected, rel_tol=rel):
        hint = next((hints[k_] for k_, wrong in mistakes.items() if math.isclose(value, wrong, rel_tol=rel)),
                    "multiply-adds = channels x output height x output width x k x k; bytes = 4 x (input values "
                    "+ output values + weights).")
        size = "too large" if value > expected else "too small"
        _fail(name, f"{value:.4g} multiply-adds per byte is {size}.", hint)
    _ok(name, "within 1 %" if rel == 0.01 else f"within {rel:g}")


# ----------------------------------------------------------------------------------------------
# Scale and zero point of an 8-bit activation
# ----------------------------------------------------------------------------------------------

def uint8_scale_zero_point(rmin: float, rmax: float) -> tuple[float, int]:
    """ONNX Runtime's ``(scale, zero_point)`` for uint8 values (0..255) covering ``[rmin, rmax]``
    (asymmetric, as ``quantize_static`` does for activations)."""
    from onnxruntime.quantization.quant_utils import compute_scale_zp

    zero_point, scale = compute_scale_zp(np.array(rmin, dtype=np.float32), np.array(rmax, dtype=np.float32),
                                         np.array(0, dtype=np.uint8), np.array(255, dtype=np.uint8))
    return float(scale), int(zero_point)


def _as_int(name: str, value) -> int:
    if value is None:
        raise not_answered(name)
    number = as_number(name, value)
    if not float(number).is_integer():
        _fail(name, f"expected a whole number, got {value!r}.",
              "a zero point is a uint8 value itself: round it to the nearest integer.")
    return int(number)


def check_scale_zero_point(scale, zero_point, rmin: float = -1.5, rmax: float = 4.5) -> None:
    """``scale`` and ``zero_point`` of uint8 quantization for a tensor calibrated to ``[rmin, rmax]``;
    the scale to within 0.1 %, the zero point exactly."""
    want_scale, want_zp = uint8_scale_zero_point(rmin, rmax)
    name = f"scale for [{rmin:g}, {rmax:g}] in uint8"
    value = as_number(name, scale)
    span = rmax - min(rmin, 0.0)
    scale_hints = [
        (span / 256, "256 values make 255 steps: divide the range by 255."),
        (2 * max(abs(rmin), abs(rmax)) / 255, "activations are quantized asymmetrically here: the range is "
                                              "[rmin, rmax] itself, not [-max|r|, +max|r|]."),
        (max(abs(rmin), abs(rmax)) / 255, "the range to cover is rmax - rmin, not the largest magnitude."),
    ]
    if not math.isclose(value, want_scale, rel_tol=1e-3):
        hint = next((h for wrong, h in scale_hints if math.isclose(value, wrong, rel_tol=1e-3)),
                    "scale = (rmax - rmin) / (qmax - qmin).")
        _fail(name, f"{value:.6g} is {'too large' if value > want_scale else 'too small'}.", hint)
    _ok(name, "within 0.1 %")
    name = f"zero point for [{rmin:g}, {rmax:g}] in uint8"
    if zero_point is None:
        raise not_answered(name)
    exact = -rmin / want_scale
    if isinstance(zero_point, float) and not zero_point.is_integer() and math.isclose(zero_point, exact, rel_tol=1e-3):
        _fail(name, f"expected a whole number, got {zero_point!r}.",
              "the zero point is the uint8 value that stands for 0.0, so it must be an integer: round it.")
    zp = _as_int(name, zero_point)
    if zp != want_zp:
        if zp == -want_zp:
            hint = "the sign: real 0.0 maps to q = zero_point, and rmin (negative here) maps to q = 0."
        elif zp == math.floor(exact) or zp == math.ceil(exact):
            hint = "round to the NEAREST integer."
        else:
            hint = "zero_point = round(qmin - rmin / scale), where qmin = 0 for uint8."
        _fail(name, f"{zp} is not the value that represents 0.0 exactly.", hint)
    _ok(name, "0.0 is represented exactly")
