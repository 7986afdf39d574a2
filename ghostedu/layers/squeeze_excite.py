"""Squeeze-and-excitation with a hard-sigmoid gate, as GhostNet uses it.

Explained in the chapter "Squeeze-and-excitation".
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_input, check_int


def make_divisible(value: float, divisor: int, min_value: int | None = None) -> int:
    """Round a channel count to the nearest multiple of ``divisor``, never below ``min_value``
    (default ``divisor``) and never more than 10% below ``value``.

    This is the rounding rule of the MobileNet and GhostNet reference code:
    ``make_divisible(72 * 0.25, 4) == 20``.
    """
    if min_value is None:
        min_value = divisor
    rounded = max(min_value, int(value + divisor / 2) // divisor * divisor)
    # Rounding down may not lose more than 10% of the channels.
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def hard_sigmoid(x: torch.Tensor, inplace: bool = False) -> torch.Tensor:
    """``relu6(x + 3) / 6``: a piecewise-linear sigmoid (MobileNetV3), any shape in, same shape out."""
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
        check_int("SqueezeExcite", "in_chs", in_chs)
        if not (isinstance(se_ratio, (int, float)) and se_ratio > 0):
            raise ValueError(f"SqueezeExcite: expected se_ratio > 0, got {se_ratio!r}")
        self.in_chs = in_chs
        self.gate_fn = gate_fn
        reduced_chs = make_divisible((reduced_base_chs or in_chs) * se_ratio, divisor)
        self.avg_pool = nn.AdaptiveAvgPool2d(1)
        self.conv_reduce = nn.Conv2d(in_chs, reduced_chs, 1, bias=True)
        self.act1 = act_layer(inplace=True)
        self.conv_expand = nn.Conv2d(reduced_chs, in_chs, 1, bias=True)

    def gate(self, x: torch.Tensor) -> torch.Tensor:
        """The per-channel gate values in [0, 1] for ``x`` ``(N, C, H, W)``, shaped ``(N, C, 1, 1)``."""
        check_input("SqueezeExcite", x, 4, self.in_chs)
        s = self.avg_pool(x)
        s = self.act1(self.conv_reduce(s))
        return self.gate_fn(self.conv_expand(s))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.gate(x)
