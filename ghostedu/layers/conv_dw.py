"""Depthwise separable convolution: the block behind ``conv_dw(filter_in, filter_out, stride=1)`` on the Q&A page.

Explained in the chapter "Depthwise separable convolution".

The Q&A page shows only the signature; the body here is reconstructed the way code with that
signature (MobileNetV1 ports) writes it. The MobileNets paper uses ReLU after each batch norm;
this block uses ReLU6, as those ports and later MobileNets do.
"""

from __future__ import annotations

import torch
from torch import nn

from ..checks import check_input, check_int


def _check_input(block: nn.Sequential, args: tuple[torch.Tensor, ...]) -> None:
    """The forward pre-hook of every ``conv_dw`` block: its input is ``(N, filter_in, H, W)`` in the
    dtype of its weights."""
    depthwise = block[0]
    check_input("conv_dw", args[0], 4, depthwise.in_channels, depthwise.weight.dtype)


def conv_dw(filter_in: int, filter_out: int, stride: int = 1) -> nn.Sequential:
    """A depthwise 3x3 convolution followed by a pointwise 1x1 convolution.

    Input ``(N, filter_in, H, W)``; output ``(N, filter_out, H', W')`` with
    ``H' = floor((H - 1) / stride) + 1`` (padding 1 keeps the size at stride 1).

    The six modules, in order:

    0. ``Conv2d(filter_in, filter_in, 3, stride, padding=1, groups=filter_in, bias=False)`` --
       depthwise: ``groups=filter_in`` gives each input channel its own 3x3 filter.
    1. ``BatchNorm2d(filter_in)``
    2. ``ReLU6``
    3. ``Conv2d(filter_in, filter_out, 1, bias=False)`` -- pointwise: mixes the channels.
    4. ``BatchNorm2d(filter_out)``
    5. ``ReLU6``

    Parameters: ``9*filter_in + filter_in*filter_out`` weights plus ``2*(filter_in + filter_out)``
    batch-norm scales and shifts; ``conv_dw(32, 64)`` has 2,528.

    A forward pre-hook checks the input as every layer of the package does: a 3-D tensor, a wrong
    channel count or a float64 input gets an error that names ``conv_dw``.
    """
    check_int("conv_dw", "filter_in", filter_in)
    check_int("conv_dw", "filter_out", filter_out)
    check_int("conv_dw", "stride", stride)
    block = nn.Sequential(
        nn.Conv2d(filter_in, filter_in, 3, stride, 1, groups=filter_in, bias=False),
        nn.BatchNorm2d(filter_in),
        nn.ReLU6(inplace=True),
        nn.Conv2d(filter_in, filter_out, 1, 1, 0, bias=False),
        nn.BatchNorm2d(filter_out),
        nn.ReLU6(inplace=True),
    )
    block.register_forward_pre_hook(_check_input)
    return block
