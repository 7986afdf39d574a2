"""Checks for the exercises of the chapter "Squeeze-and-excitation".

Every expected value is computed here with the library (``ghostedu.layers.SqueezeExcite``,
``make_divisible``, torchinfo through ``ghostedu.counting``), never typed in.
"""

from __future__ import annotations

from ..counting import count_params
from ..layers import SqueezeExcite, make_divisible
from . import _fail, check_value, not_answered


def reduced_width(in_chs: int, se_ratio: float = 0.25) -> int:
    """The width of the 1x1 bottleneck inside ``SqueezeExcite(in_chs, se_ratio)``, read from the layer."""
    return SqueezeExcite(in_chs, se_ratio=se_ratio).conv_reduce.out_channels


def check_reduced_width(answer, in_chs: int = 200, se_ratio: float = 0.25) -> None:
    """``answer``: the number of channels ``SqueezeExcite(in_chs, se_ratio)`` squeezes to."""
    name = f"reduced width of SqueezeExcite({in_chs}, se_ratio={se_ratio})"
    if answer is None:
        raise not_answered(name)
    expected = reduced_width(in_chs, se_ratio)
    raw = in_chs * se_ratio
    if isinstance(answer, float) and not answer.is_integer():
        _fail(
            name,
            f"expected a whole number of channels, got {answer!r}.",
            "a layer cannot have a fraction of a channel: make_divisible rounds to a multiple of 4.",
        )
    hints = {
        raw: f"{in_chs} * {se_ratio} = {raw:g} is the unrounded width; make_divisible(., 4) then rounds it "
        "to the NEAREST multiple of 4.",
        int(raw) // 4 * 4: "that rounds down; make_divisible computes int(v + 4/2) // 4 * 4, so a value halfway "
        "between two multiples of 4 goes up.",
        make_divisible(in_chs / 16, 4): "se_ratio 0.25 means a quarter of the channels (the SE paper's "
        "reduction ratio of 16 is not what GhostNet uses).",
    }
    hint = hints.get(
        answer,
        f"make_divisible({in_chs} * {se_ratio}, 4): the nearest multiple of 4, ties up, "
        "and never more than 10% below the unrounded value.",
    )
    check_value(name, answer, expected, hint)


def check_se_params(answer, in_chs: int = 480, se_ratio: float = 0.25) -> None:
    """``answer``: the number of parameters of ``SqueezeExcite(in_chs, se_ratio)``."""
    name = f"parameters of SqueezeExcite({in_chs})"
    if answer is None:
        raise not_answered(name)
    se = SqueezeExcite(in_chs, se_ratio=se_ratio)
    expected = count_params(se)
    reduced = se.conv_reduce.out_channels
    raw = in_chs * se_ratio
    hints = {
        2 * in_chs * reduced: "you counted the two 1x1 convolutions' weights but not their biases "
        "(both convolutions have bias=True: one per reduced channel and one per channel C).",
        in_chs * reduced + reduced: "that is conv_reduce alone; conv_expand maps the reduced channels back to C.",
        int(2 * in_chs * raw + raw + in_chs): f"use the rounded reduced width {reduced}, not {raw:g}.",
    }
    hint = hints.get(
        answer,
        "C*reduced + reduced (conv_reduce, with bias) + reduced*C + C (conv_expand, with "
        "bias), where reduced is the rounded reduced width; the pooling, the ReLU and the "
        "gate have no parameters.",
    )
    check_value(name, answer, expected, hint)
