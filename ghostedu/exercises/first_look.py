"""Checks for the exercises of the chapter "A first look"."""

from __future__ import annotations

from ..models import Net
from ..shapes import conv_output_length
from . import check_value


def check_conv1_length(answer, length: int = 2048) -> None:
    """``answer``: the output length of ``Net.conv1`` for an input of ``length`` samples."""
    conv1 = Net().conv1
    expected = conv_output_length(length, conv1.kernel_size[0], conv1.stride[0], conv1.padding[0])
    hint = None
    if isinstance(answer, int) and answer == (length - conv1.kernel_size[0]) // conv1.stride[0] + 1:
        hint = "you left out the padding: conv1 adds 12 zeros at each end (2*p)."
    elif (
        isinstance(answer, (int, float))
        and answer == (length + 2 * conv1.padding[0] - conv1.kernel_size[0]) / conv1.stride[0]
    ):
        hint = "take the floor of the division, then add 1 for the first window."
    check_value(
        "length after conv1", answer, expected, hint or "L_out = floor((L + 2p - k) / s) + 1 with k=32, s=8, p=12."
    )
