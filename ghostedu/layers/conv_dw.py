"""Depthwise separable convolution: the block behind ``conv_dw(filter_in, filter_out, stride=1)`` on the Q&A page.

Explained in the chapter "Depthwise separable convolution".

The Q&A page shows only the signature; the body here is reconstructed the way code with that
signature (MobileNetV1 ports) writes it. The MobileNets paper uses ReLU after each batch norm;
this block uses ReLU6, as those ports and later MobileNets do.
"""

from __future__ import annotations

import torch
from torch import nn

from ..checks import check_input, check_int, check_odd


def _check_input(block: nn.Sequential, args: tuple[torch.Tensor, ...]) -> None:
    """The forward pre-hook of every ``conv_dw`` block: its input is ``(N, filter_in, H, W)`` in the
    dtype of its weights."""
    depthwise = block[0]
    check_input("conv_dw", args[0], 4, depthwise.in_channels, depthwise.weight.dtype)


def conv_bn_act(
    in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1, act: type[nn.Module] = nn.ReLU6
) -> nn.Sequential:
    """The standard block that ``conv_dw`` replaces: a full convolution + BatchNorm + activation.

    ``Conv2d(in_channels, out_channels, kernel_size, stride, padding=kernel_size // 2, bias=False)``,
    ``BatchNorm2d(out_channels)``, ``act(inplace=True)``: ``(N, C_in, H, W) -> (N, C_out, H', W')``
    with ``H' = floor((H - 1) / stride) + 1`` for an odd ``kernel_size``. MobileNetV1's stem is
    ``conv_bn_act(3, 32, 3, 2)``.
    """
    f = "conv_bn_act"
    for name, value in (("in_channels", in_channels), ("out_channels", out_channels), ("stride", stride)):
        check_int(f, name, value)
    check_odd(f, "kernel_size", kernel_size)
    if not (isinstance(act, type) and issubclass(act, nn.Module)):
        raise TypeError(f"{f}: expected act to be an nn.Module class such as nn.ReLU6, got {act!r}")
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size, stride, kernel_size // 2, bias=False),
        nn.BatchNorm2d(out_channels),
        act(inplace=True),
    )


def conv_dw(filter_in: int, filter_out: int, stride: int = 1, *, kernel_size: int = 3) -> nn.Sequential:
    """A depthwise 3x3 convolution followed by a pointwise 1x1 convolution.

    Input ``(N, filter_in, H, W)``; output ``(N, filter_out, H', W')`` with
    ``H' = floor((H - 1) / stride) + 1`` (padding 1 keeps the size at stride 1).
    ``kernel_size`` (keyword only, odd; not on the Q&A page) widens the depthwise kernel, with
    ``padding = kernel_size // 2``.

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
    check_odd("conv_dw", "kernel_size", kernel_size)
    block = nn.Sequential(
        nn.Conv2d(filter_in, filter_in, kernel_size, stride, kernel_size // 2, groups=filter_in, bias=False),
        nn.BatchNorm2d(filter_in),
        nn.ReLU6(inplace=True),
        nn.Conv2d(filter_in, filter_out, 1, 1, 0, bias=False),
        nn.BatchNorm2d(filter_out),
        nn.ReLU6(inplace=True),
    )
    block.register_forward_pre_hook(_check_input)
    return block
