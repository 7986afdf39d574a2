"""Checks for the exercises of the chapter "A first look"."""

from __future__ import annotations

from ..models import Net
from ..shapes import conv_output_length
from . import check_count


def check_conv1_length(answer, length: int = 2048) -> None:
    """``answer``: the output length of ``Net.conv1`` for an input of ``length`` samples."""
    conv1 = Net().conv1
    k, s, p = conv1.kernel_size[0], conv1.stride[0], conv1.padding[0]
    check_count(
        "length after conv1",
        answer,
        conv_output_length(length, k, s, p),
        hint=f"L_out = floor((L + 2p - k) / s) + 1 with k={k}, s={s}, p={p}.",
        mistakes=[
            ((length - k) // s + 1, f"you left out the padding: conv1 adds {p} zeros at each end (2p)."),
            ((length + 2 * p - k) / s, "take the floor of the division, then add 1 for the first window."),
            ((length + 2 * p - k) // s, "add 1 for the first window: floor((L + 2p - k) / s) counts the steps."),
        ],
        whole_hint="a length counts positions: take the floor of the division, then add 1.",
    )
