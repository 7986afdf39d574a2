"""Squeeze-and-excitation with a hard-sigmoid gate, as GhostNet uses it.

Explained in the chapter "Squeeze-and-excitation".
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_bool, check_input, check_int, check_number, tracing


def make_divisible(value: float, divisor: int, min_value: int | None = None) -> int:
    """Round a channel count to the nearest multiple of ``divisor``, never below ``min_value``
    (default ``divisor``) and never more than 10% below ``value``.

    This is the rounding rule of the MobileNet and GhostNet reference code:
    ``make_divisible(72 * 0.25, 4) == 20``.
    """
    f = "make_divisible"
    check_number(f, "value", value, at_least=0)
    divisor = check_int(f, "divisor", divisor)
    if min_value is None:
        min_value = divisor
    min_value = check_int(f, "min_value", min_value, 0)
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    # Rounding down may not lose more than 10% of the channels.
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def hard_sigmoid(x: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """``relu6(x + 3) / 6``: a piecewise-linear sigmoid (MobileNetV3), any shape in, same shape out."""
    if not isinstance(x, torch.Tensor) and not tracing(x):
        raise TypeError(f"hard_sigmoid: expected a torch.Tensor, got {type(x).__name__}")
    check_bool("hard_sigmoid", "inplace", inplace)
    if inplace:
        return x.add_(3.0).clamp_(0.0, 6.0).div_(6.0)
    return F.relu6(x + 3.0) / 6.0


class SqueezeExcite(nn.Module):
    """Reweight the channels of ``(N, C, H, W)`` by a gate computed from their global averages.

    ``avg_pool`` (squeeze to ``(N, C, 1, 1)``) -> ``conv_reduce`` (1x1, C -> reduced) -> ``act1``
    -> ``conv_expand`` (1x1, reduced -> C) -> ``gate_fn`` -> multiply the input channel-wise.
    The reduced width is ``make_divisible((reduced_base_chs or in_chs) * se_ratio, divisor)``:
    ``SqueezeExcite(72)`` reduces to 20 channels. Output shape equals input shape.
    """

    def __init__(
        self,
        in_chs: int,
        se_ratio: float = 0.25,
        reduced_base_chs: int | None = None,
        act_layer: type[nn.Module] = nn.ReLU,
        gate_fn=hard_sigmoid,
        divisor: int = 4,
        **_,
    ):
        super().__init__()
        f = "SqueezeExcite"
        check_int(f, "in_chs", in_chs)
        check_number(f, "se_ratio", se_ratio, positive=True)
        if reduced_base_chs is not None:
            check_int(f, "reduced_base_chs", reduced_base_chs)
        check_int(f, "divisor", divisor)
        for name, fn in (("act_layer", act_layer), ("gate_fn", gate_fn)):
            if not callable(fn):
                raise TypeError(f"{f}: expected {name} to be callable, got {type(fn).__name__}")
        self.in_chs = in_chs
        self.gate_fn = gate_fn
        reduced_chs = make_divisible((reduced_base_chs or in_chs) * se_ratio, divisor)
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.conv_reduce = nn.Conv2d(in_chs, reduced_chs, 1, bias=True)
        self.act1 = act_layer(inplace=True)
        self.conv_expand = nn.Conv2d(reduced_chs, in_chs, 1, bias=True)

    def gate(self, x: torch.Tensor) -> torch.Tensor:
        """The per-channel gate values in [0, 1] for ``x`` ``(N, C, H, W)``, shaped ``(N, C, 1, 1)``."""
        check_input("SqueezeExcite", x, 4, self.in_chs, self.conv_reduce.weight.dtype)
        s = self.avg_pool(x)
        s = self.act1(self.conv_reduce(s))
        return self.gate_fn(self.conv_expand(s))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)
