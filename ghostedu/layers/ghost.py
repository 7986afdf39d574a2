"""The Ghost module and the Ghost bottleneck of GhostNet (Han et al., 2020).

Explained in the chapter "The Ghost module and GhostBottleneck". Submodule names follow the
official GhostNet code, so its weights load into these modules unchanged.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from ..checks import check_bool, check_input, check_int, check_number, check_odd
from .squeeze_excite import SqueezeExcite


def _depthwise(channels: int, kernel_size: int, stride: int) -> nn.Conv2d:
    """A depthwise ``kernel_size`` convolution (one filter per channel, no bias), padded to keep the size
    at stride 1: ``(N, channels, H, W) -> (N, channels, H', W')``."""
    return nn.Conv2d(channels, channels, kernel_size, stride, (kernel_size - 1) // 2, groups=channels, bias=False)


class GhostModule(nn.Module):
    """Make ``oup`` feature maps from a few "intrinsic" maps and cheap depthwise copies of them.

    Input ``(N, inp, H, W)``; output ``(N, oup, H', W')`` with ``H' = floor((H - 1) / stride) + 1``.

    * ``primary_conv``: a ``kernel_size`` convolution to ``init_channels = ceil(oup / ratio)``
      intrinsic maps (+ BN, + ReLU when ``relu``).
    * ``cheap_operation``: a depthwise ``dw_size`` convolution making ``(ratio - 1)`` "ghost"
      maps from each intrinsic map (+ BN, + ReLU when ``relu``).
    * The two are concatenated and sliced to the first ``oup`` channels.

    ``kernel_size`` and ``dw_size`` must be odd: with padding ``size // 2`` an even kernel would
    make ``H + 1`` rows, not the ``H'`` above.
    """

    def __init__(
        self,
        inp: int,
        oup: int,
        kernel_size: int = 1,
        ratio: int = 2,
        dw_size: int = 3,
        stride: int = 1,
        relu: bool = True,
    ):
        super().__init__()
        for name, value in (("inp", inp), ("oup", oup), ("stride", stride)):
            check_int("GhostModule", name, value)
        check_odd("GhostModule", "kernel_size", kernel_size)
        check_odd("GhostModule", "dw_size", dw_size)
        check_int("GhostModule", "ratio", ratio, minimum=2)
        check_bool("GhostModule", "relu", relu)
        self.inp = inp
        self.oup = oup
        init_channels = math.ceil(oup / ratio)
        new_channels = init_channels * (ratio - 1)
        self.primary_conv = nn.Sequential(
            nn.Conv2d(inp, init_channels, kernel_size, stride, kernel_size // 2, bias=False),
            nn.BatchNorm2d(init_channels),
            nn.ReLU(inplace=True) if relu else nn.Sequential(),
        )
        self.cheap_operation = nn.Sequential(
            nn.Conv2d(init_channels, new_channels, dw_size, 1, dw_size // 2, groups=init_channels, bias=False),
            nn.BatchNorm2d(new_channels),
            nn.ReLU(inplace=True) if relu else nn.Sequential(),
        )

    def intrinsic_and_ghost(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The intrinsic maps ``(N, ceil(oup/ratio), H', W')`` and the ghost maps made from them."""
        check_input("GhostModule", x, 4, self.inp, self.primary_conv[0].weight.dtype)
        intrinsic = self.primary_conv(x)
        return intrinsic, self.cheap_operation(intrinsic)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        intrinsic, ghost = self.intrinsic_and_ghost(x)
        return torch.cat([intrinsic, ghost], dim=1)[:, : self.oup]


class GhostBottleneck(nn.Module):
    """Ghost bottleneck with optional squeeze-and-excitation (the Q&A page's ``class GhostBottleneck``).

    Input ``(N, in_chs, H, W)``; output ``(N, out_chs, H', W')``, ``H' = floor((H - 1) / stride) + 1``.

    ``ghost1`` expands to ``mid_chs`` (with ReLU) -> at ``stride > 1`` a depthwise ``conv_dw`` +
    ``bn_dw`` downsamples -> optional ``se`` -> ``ghost2`` projects to ``out_chs`` (no ReLU) ->
    plus ``shortcut(input)``: the identity when ``in_chs == out_chs and stride == 1``, otherwise a
    depthwise conv + BN + pointwise conv + BN that brings the input to the output's shape.
    ``act_layer`` is accepted for signature compatibility with the official code, which also ignores it.
    ``se_ratio`` 0 (or None) means no SE block; a negative or NaN ratio is an error, as in
    ``SqueezeExcite``. ``dw_kernel_size`` must be odd, as ``GhostModule``'s kernels.
    """

    def __init__(
        self,
        in_chs: int,
        mid_chs: int,
        out_chs: int,
        dw_kernel_size: int = 3,
        stride: int = 1,
        act_layer: type[nn.Module] = nn.ReLU,
        se_ratio: float = 0.0,
    ):
        super().__init__()
        for name, value in (("in_chs", in_chs), ("mid_chs", mid_chs), ("out_chs", out_chs), ("stride", stride)):
            check_int("GhostBottleneck", name, value)
        check_odd("GhostBottleneck", "dw_kernel_size", dw_kernel_size)
        if se_ratio is not None:  # None, as 0, means no SE (the official code's test)
            check_number("GhostBottleneck", "se_ratio (0: no SE)", se_ratio, at_least=0)
        has_se = se_ratio is not None and se_ratio > 0.0
        self.in_chs = in_chs
        self.stride = stride
        self.ghost1 = GhostModule(in_chs, mid_chs, relu=True)
        if stride > 1:
            self.conv_dw = _depthwise(mid_chs, dw_kernel_size, stride)
            self.bn_dw = nn.BatchNorm2d(mid_chs)
        self.se = SqueezeExcite(mid_chs, se_ratio=se_ratio) if has_se else None
        self.ghost2 = GhostModule(mid_chs, out_chs, relu=False)
        if in_chs == out_chs and stride == 1:
            self.shortcut = nn.Sequential()
        else:
            self.shortcut = nn.Sequential(
                _depthwise(in_chs, dw_kernel_size, stride),
                nn.BatchNorm2d(in_chs),
                nn.Conv2d(in_chs, out_chs, 1, stride=1, padding=0, bias=False),
                nn.BatchNorm2d(out_chs),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input("GhostBottleneck", x, 4, self.in_chs, self.ghost1.primary_conv[0].weight.dtype)
        residual = x
        x = self.ghost1(x)
        if self.stride > 1:
            x = self.bn_dw(self.conv_dw(x))
        if self.se is not None:
            x = self.se(x)
        x = self.ghost2(x)
        return x + self.shortcut(residual)
