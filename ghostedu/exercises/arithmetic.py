"""Checks for the exercises of the chapter "Convolution arithmetic".

Every expected value is computed here with the library (``ghostedu.shapes``, torchinfo through
``ghostedu.counting``, the windows of ``ghostedu.shapes``), never typed in.
"""

from __future__ import annotations

from torch import nn

from ..counting import count_params
from ..models import Net
from ..shapes import conv_output_length, conv_windows_1d, receptive_field
from . import check_value


def check_output_length(
    answer, length: int = 50, kernel_size: int = 5, stride: int = 3, padding: int = 2, dilation: int = 1
) -> None:
    """``answer``: the output length of ``nn.Conv1d(..., kernel_size, stride, padding, dilation)`` on ``length``."""
    k, s, p, d = kernel_size, stride, padding, dilation
    expected = conv_output_length(length, k, s, p, d)
    hint = f"L_out = floor((L + 2p - d(k - 1) - 1)/s) + 1 with L={length}, k={k}, s={s}, p={p}, d={d}."
    if isinstance(answer, (int, float)) and answer != expected:
        if answer == conv_output_length(length, k, s, 0, d):
            hint = f"you left out the padding: {p} zeros are added at each end, so the padded length is L + 2p."
        elif answer == (length + 2 * p - d * (k - 1) - 1) / s:
            hint = "take the floor of the division, then add 1 for the first window."
        elif answer == -(-(length + 2 * p - d * (k - 1) - 1) // s) + 1:
            hint = "convolutions round down (floor), not up: a window that does not fit is dropped."
    check_value("output length", answer, expected, hint)


def check_grouped_params(
    answer, in_channels: int = 64, out_channels: int = 128, kernel_size: int = 3, groups: int = 4, bias: bool = True
) -> None:
    """``answer``: the parameter count of ``nn.Conv2d(in_channels, out_channels, kernel_size, groups=groups)``."""
    layer = nn.Conv2d(in_channels, out_channels, kernel_size, groups=groups, bias=bias)
    expected = count_params(layer)
    k2 = kernel_size * kernel_size
    hint = "C_out * (C_in / groups) * k * k weights, plus one bias per output channel."
    if isinstance(answer, int) and answer != expected:
        if answer == out_channels * in_channels * k2 + (out_channels if bias else 0):
            hint = (
                f"that is the count without groups: each output channel sees only C_in/groups = "
                f"{in_channels // groups} input channels."
            )
        elif answer == out_channels * (in_channels // groups) * k2:
            hint = f"add the bias: one per output channel ({out_channels})."
        elif answer == (out_channels // groups) * (in_channels // groups) * k2 + (out_channels if bias else 0):
            hint = "every one of the C_out output channels has its own kernel: do not divide C_out by groups too."
    check_value("parameters of the grouped conv", answer, expected, hint)


def check_receptive_field(answer) -> None:
    """``answer``: the receptive field, in input samples, of one output of ``Net``'s ``conv1 -> pool1 -> conv3_1``."""
    net = Net()
    layers = [net.conv1, net.pool1, net.conv3_1]
    expected = receptive_field(layers).receptive_field
    hint = "r grows by (k - 1) * jump at each layer, and the jump (distance between outputs) is the product of strides."
    if isinstance(answer, int) and answer != expected:
        no_jump = 1 + sum(k - 1 for k in (32, 2, 3))
        if answer == no_jump:
            hint = (
                "you added k - 1 per layer as if every stride were 1; after conv1 (stride 8) neighbouring "
                "positions are 8 input samples apart, after pool1 16."
            )
    check_value("receptive field (samples)", answer, expected, hint)


def check_unread_inputs(answer, length: int = 10, kernel_size: int = 3, stride: int = 4) -> None:
    """``answer``: how many of the ``length`` inputs no window of ``Conv1d(k, stride)`` (no padding) reads."""
    windows = conv_windows_1d(length, kernel_size, stride)
    read = {i for w in windows for i in w}
    unread = sorted(set(range(length)) - read)
    hint = (
        "list the windows: output o reads inputs o*s .. o*s + k - 1; there are "
        "floor((L - k)/s) + 1 of them. Then count the inputs in no window."
    )
    if isinstance(answer, int) and answer != len(unread):
        tail = length - 1 - max(read)
        if answer == tail:
            hint = (
                f"the {tail} inputs after the last window are dropped by the floor, but with stride {stride} > "
                f"k = {kernel_size} the windows also skip inputs between them."
            )
    check_value("inputs never read", answer, len(unread), hint)
