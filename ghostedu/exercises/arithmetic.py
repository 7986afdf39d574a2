"""Checks for the exercises of the chapter "Convolution arithmetic".

Every expected value is computed here with the library (``ghostedu.shapes``, torchinfo through
``ghostedu.counting``, the windows of ``ghostedu.shapes``), never typed in.
"""

from __future__ import annotations

from torch import nn

from ..counting import count_params
from ..models import Net
from ..shapes import conv_output_length, conv_windows_1d, receptive_field
from . import check_count


def check_output_length(
    answer, length: int = 50, kernel_size: int = 5, stride: int = 3, padding: int = 2, dilation: int = 1
) -> None:
    """``answer``: the output length of ``nn.Conv1d(..., kernel_size, stride, padding, dilation)`` on ``length``."""
    k, s, p, d = kernel_size, stride, padding, dilation
    span = d * (k - 1) + 1
    check_count(
        "output length",
        answer,
        conv_output_length(length, k, s, p, d),
        hint=f"L_out = floor((L + 2p - d(k - 1) - 1)/s) + 1 with L={length}, k={k}, s={s}, p={p}, d={d}.",
        mistakes=[
            (
                conv_output_length(length, k, s, 0, d),
                f"you left out the padding: {p} zeros are added at each end, so the padded length is L + 2p.",
            ),
            ((length + 2 * p - span) / s, "take the floor of the division, then add 1 for the first window."),
            (
                -(-(length + 2 * p - span) // s) + 1,
                "convolutions round down (floor), not up: a window that does not fit is dropped.",
            ),
        ],
    )


def check_grouped_params(
    answer, in_channels: int = 64, out_channels: int = 128, kernel_size: int = 3, groups: int = 4, bias: bool = True
) -> None:
    """``answer``: the parameter count of ``nn.Conv2d(in_channels, out_channels, kernel_size, groups=groups)``."""
    c_in, c_out, k2 = in_channels, out_channels, kernel_size * kernel_size
    biases = c_out if bias else 0
    check_count(
        "parameters of the grouped conv",
        answer,
        count_params(nn.Conv2d(c_in, c_out, kernel_size, groups=groups, bias=bias)),
        hint="C_out * (C_in / groups) * k * k weights, plus one bias per output channel.",
        mistakes=[
            (
                c_out * c_in * k2 + biases,
                "that is the count without groups: each output channel sees only C_in / groups input channels.",
            ),
            (c_out * (c_in // groups) * k2, "add the bias: one per output channel."),
            (
                (c_out // groups) * (c_in // groups) * k2 + biases,
                "every one of the C_out output channels has its own kernel: do not divide C_out by groups too.",
            ),
        ],
    )


def check_receptive_field(answer) -> None:
    """``answer``: the receptive field, in input samples, of one output of ``Net``'s ``conv1 -> pool1 -> conv3_1``."""
    net = Net()
    layers = [net.conv1, net.pool1, net.conv3_1]
    kernels = [m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0] for m in layers]
    check_count(
        "receptive field (samples)",
        answer,
        receptive_field(layers).receptive_field,
        hint="r grows by (k - 1) * jump at each layer, and the jump (distance between outputs) is the product "
        "of the strides below.",
        mistakes=[
            (
                1 + sum(k - 1 for k in kernels),
                "you added k - 1 per layer as if every stride were 1; after conv1 "
                "(stride 8) neighbouring positions are 8 input samples apart, after pool1 16.",
            )
        ],
    )


def check_unread_inputs(answer, length: int = 10, kernel_size: int = 3, stride: int = 4) -> None:
    """``answer``: how many of the ``length`` inputs no window of ``Conv1d(k, stride)`` (no padding) reads."""
    read = {i for window in conv_windows_1d(length, kernel_size, stride) for i in window}
    check_count(
        "inputs never read",
        answer,
        length - len(read),
        hint="list the windows: output o reads inputs o*s .. o*s + k - 1; there are floor((L - k)/s) + 1 of "
        "them. Then count the inputs in no window.",
        mistakes=[
            (
                length - 1 - max(read),
                f"the inputs after the last window are dropped by the floor, but with "
                f"stride {stride} > k = {kernel_size} the windows also skip inputs between them.",
            )
        ],
    )
