"""Checks for the exercises of the chapter "Squeeze-and-excitation".

Every expected value is computed here with the library (``ghostedu.layers.SqueezeExcite``,
``make_divisible``, torchinfo through ``ghostedu.counting``), never typed in.
"""

from __future__ import annotations

from ..counting import count_params
from ..layers import SqueezeExcite, make_divisible
from . import check_count


def check_reduced_width(answer, in_chs: int = 200, se_ratio: float = 0.25) -> None:
    """``answer``: the number of channels ``SqueezeExcite(in_chs, se_ratio)`` squeezes to."""
    raw = in_chs * se_ratio
    check_count(
        f"reduced width of SqueezeExcite({in_chs}, se_ratio={se_ratio})",
        answer,
        SqueezeExcite(in_chs, se_ratio=se_ratio).conv_reduce.out_channels,
        hint=f"make_divisible({in_chs} * {se_ratio}, 4): the nearest multiple of 4, ties up, and never more than "
        "10% below the unrounded value.",
        mistakes=[
            (raw, f"{in_chs} * {se_ratio} is the unrounded width; make_divisible(., 4) then rounds it to the "
             "NEAREST multiple of 4."),
            (int(raw) // 4 * 4, "that rounds down; make_divisible computes int(v + 4/2) // 4 * 4, so a value "
             "halfway between two multiples of 4 goes up."),
            (make_divisible(in_chs / 16, 4), f"se_ratio {se_ratio} means a fraction {se_ratio} of the channels "
             "(the SE paper's reduction ratio of 16 is not what GhostNet uses)."),
        ],
        whole_hint="a layer cannot have a fraction of a channel: make_divisible rounds to a multiple of 4.",
    )  # fmt: skip


def check_se_params(answer, in_chs: int = 480, se_ratio: float = 0.25) -> None:
    """``answer``: the number of parameters of ``SqueezeExcite(in_chs, se_ratio)``."""
    se = SqueezeExcite(in_chs, se_ratio=se_ratio)
    c, reduced = in_chs, se.conv_reduce.out_channels
    raw = in_chs * se_ratio
    check_count(
        f"parameters of SqueezeExcite({in_chs})",
        answer,
        count_params(se),
        hint="C*reduced + reduced (conv_reduce, with bias) + reduced*C + C (conv_expand, with bias), where "
        "reduced is the rounded reduced width; the pooling, the ReLU and the gate have no parameters.",
        mistakes=[
            (2 * c * reduced, "you counted the two 1x1 convolutions' weights but not their biases (both "
             "convolutions have bias=True: one per reduced channel and one per channel C)."),
            (c * reduced + reduced, "that is conv_reduce alone; conv_expand maps the reduced channels back to C."),
            (2 * c * raw + raw + c, f"use the rounded reduced width, not {in_chs} * {se_ratio} = {raw:g}: "
             "make_divisible rounds it to a multiple of 4."),
            (2 * c * reduced + 2 * reduced, "conv_expand has C biases (one per output channel), not one per "
             "reduced channel."),
            (2 * c * reduced + 2 * c, "conv_reduce has one bias per reduced channel (one per output channel), "
             "not C."),
        ],
    )  # fmt: skip
