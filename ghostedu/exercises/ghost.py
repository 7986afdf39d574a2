"""Checks for the exercises of the chapters "The Ghost module and GhostBottleneck" and "GhostNet".

Every expected value is computed here with the library (``ghostedu.layers``, ``ghostedu.models``,
torchinfo and ``torch.utils.flop_counter`` through ``ghostedu.counting``), never typed in.
"""

from __future__ import annotations

import functools

import torch

from ..counting import count_macs, count_params
from ..layers import GhostBottleneck, GhostModule
from ..models import GHOSTNET_CONFIG, ghostnet
from . import _fail, _ok, as_bools, as_number, as_shape, check_close, check_count, not_answered

# (in_chs, out_chs, stride) of the shortcut exercise: bottlenecks that occur in GhostNet.
SHORTCUT_CASES = ((16, 16, 1), (16, 24, 2), (24, 24, 1), (24, 40, 2), (80, 112, 1), (112, 112, 1), (160, 160, 2))

# The relative tolerance of the multiply-adds at 160x160, as the exercise's text states it.
MACS_TOLERANCE = 0.01


# ----------------------------------------------------------------------------------------------
# Chapter "The Ghost module and GhostBottleneck"
# ----------------------------------------------------------------------------------------------


def check_intrinsic(n_intrinsic, n_discarded, oup: int = 100, ratio: int = 3) -> None:
    """``n_intrinsic``: maps made by the primary convolution of ``GhostModule(inp, oup, ratio=ratio)``;
    ``n_discarded``: maps computed but cut off by the slice ``[:, :oup]``."""
    module = GhostModule(4, oup, ratio=ratio).eval()
    with torch.no_grad():
        intrinsic, ghost = (t.shape[1] for t in module.intrinsic_and_ghost(torch.zeros(1, 4, 3, 3)))
    check_count(
        "n_intrinsic",
        n_intrinsic,
        intrinsic,
        hint="init_channels = math.ceil(oup / ratio).",
        mistakes=[
            (oup // ratio, f"{oup} / {ratio} rounded DOWN gives too few maps: times {ratio} it is less than "
             f"{oup}. GhostModule uses math.ceil(oup / ratio)."),
            (oup / ratio, "a layer has a whole number of channels: GhostModule rounds oup / ratio up."),
            (oup - oup // ratio, "that is the number of ghost maps, not of intrinsic ones."),
            (oup // 2, "ratio is the factor between all maps and intrinsic maps, not always 2."),
        ],
        whole_hint="round oup / ratio up.",
    )  # fmt: skip
    check_count(
        "n_discarded",
        n_discarded,
        intrinsic + ghost - oup,
        hint="the module computes n_intrinsic intrinsic maps and (ratio - 1) ghost maps from each, then keeps "
        "the first oup of them: the rest are discarded.",
        mistakes=[(0, "the intrinsic maps times ratio are more than oup when oup is not a multiple of ratio.")],
    )


def check_identity_shortcuts(answer, cases=SHORTCUT_CASES) -> None:
    """``answer``: one bool per case of ``cases``, True where ``GhostBottleneck`` adds its input unchanged."""
    name = "identity shortcuts"
    got = as_bools(name, answer, len(cases), "write e.g. [True, False, ...], one per case, in the order of the cases.")
    for (c_in, c_out, s), identity in zip(cases, got):
        built = len(GhostBottleneck(c_in, 2 * c_in, c_out, stride=s).shortcut) == 0
        if identity == built:
            continue
        if identity:
            reasons = []
            if c_in != c_out:
                reasons.append(
                    f"the main branch outputs {c_out} channels but the input has {c_in}: they cannot be added."
                )
            if s > 1:
                reasons.append(
                    f"stride {s} shrinks the main branch's height and width, so the input must be downsampled too "
                    "before it can be added."
                )
            why = " ".join(reasons)
        else:
            why = "same channels and stride 1: the input can be added as it is."
        _fail(
            name,
            f"case (in_chs={c_in}, out_chs={c_out}, stride={s}) is wrong.",
            why + " The rule is `in_chs == out_chs and stride == 1`.",
        )
    _ok(name)


def check_bottleneck_params(
    answer,
    in_chs: int = 24,
    mid_chs: int = 72,
    out_chs: int = 40,
    dw_kernel_size: int = 5,
    stride: int = 2,
    se_ratio: float = 0.25,
) -> None:
    """``answer``: the number of parameters of ``GhostBottleneck(in_chs, mid_chs, out_chs,
    dw_kernel_size, stride, se_ratio=se_ratio)``, BatchNorm included."""
    block = GhostBottleneck(in_chs, mid_chs, out_chs, dw_kernel_size, stride, se_ratio=se_ratio)
    expected = count_params(block)
    parts = {"ghost1": block.ghost1, "ghost2": block.ghost2, "the shortcut": block.shortcut}
    if stride > 1:  # the official layout has no conv_dw at stride 1
        parts["conv_dw + bn_dw"] = torch.nn.ModuleList([block.conv_dw, block.bn_dw])
    if block.se is not None:
        parts["se"] = block.se
    mistakes = [(expected - count_params(m), f"you left out {k}.") for k, m in parts.items()]
    n_bn = sum(count_params(m) for m in block.modules() if isinstance(m, torch.nn.BatchNorm2d))
    mistakes.append((expected - n_bn, "the BatchNorm layers are missing: each has a scale and a shift per channel."))
    check_count(
        f"parameters of GhostBottleneck({in_chs}, {mid_chs}, {out_chs}, {dw_kernel_size}, {stride}, SE)",
        answer,
        expected,
        hint="add up ghost1, conv_dw + bn_dw (stride 2 only), se, ghost2 and the shortcut; compare each part with "
        "count_params of that part of the block to find the one that differs.",
        mistakes=mistakes,
    )


# ----------------------------------------------------------------------------------------------
# Chapter "GhostNet"
# ----------------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=4)
def _ghostnet_macs(size: int) -> int:
    # Counting GhostNet takes seconds; a reader tries several answers in a row.
    return count_macs(ghostnet(), (1, 3, size, size))


def check_macs_at_resolution(answer, size: int = 160) -> None:
    """``answer``: multiply-adds (flop_counter) of ``ghostnet()`` on one ``size`` x ``size`` image, within
    ``MACS_TOLERANCE`` (1 %)."""
    name = f"multiply-adds of GhostNet 1.0x at {size}x{size}"
    as_number(name, answer)  # a missing or non-numeric answer is told before the seconds of counting
    at_224 = _ghostnet_macs(224)
    check_close(
        name,
        answer,
        _ghostnet_macs(size),
        MACS_TOLERANCE,
        hint="split the cost into the part that scales with H*W and the part that acts after global pooling.",
        mistakes=[
            (
                at_224 * (size / 224) ** 2,
                "scaling everything by (size/224)^2 assumes every layer's cost grows with the map area; the head "
                "(conv_head, classifier) and the SE blocks' 1x1 convolutions work on 1x1 maps, so their cost does "
                "not shrink.",
            ),
            (at_224, f"that is the cost at 224x224; the question is about {size}x{size}."),
        ],
        fmt=lambda v: f"{v / 1e6:.1f}M",
    )


def check_unused_kernel_rows(answer) -> None:
    """``answer``: the row indices (0-15, in the flattened ``GHOSTNET_CONFIG``) whose kernel size ``k`` has no
    effect on the model: rebuilding that block with another kernel size leaves its parameters the same."""
    name = "rows whose dw_kernel_size is unused"
    if answer is None:
        raise not_answered(name)
    if isinstance(answer, (set, frozenset)):
        answer = sorted(answer)
    got = sorted(set(as_shape(name, answer, "a list of row indices, e.g. [0, 2].")))
    rows = [row for stage in GHOSTNET_CONFIG for row in stage]
    if any(not 0 <= i < len(rows) for i in got):
        _fail(name, f"the rows are numbered 0 to {len(rows) - 1}, got {got}.")
    unused, in_chs = [], ghostnet().conv_stem.out_channels
    for i, (k, exp, out, se, s) in enumerate(rows):
        a = GhostBottleneck(in_chs, exp, out, k, s, se_ratio=se)
        b = GhostBottleneck(in_chs, exp, out, k + 2, s, se_ratio=se)
        if count_params(a) == count_params(b):
            unused.append(i)
        in_chs = out
    extra = [i for i in got if i not in unused]
    missing = len(set(unused) - set(got))
    if extra or missing:
        parts = []
        if extra:
            parts.append(f"rows {extra} of your list do use k")
        if missing:
            parts.append(f"{missing} more row{'s' if missing > 1 else ''} ignore{'' if missing > 1 else 's'} it")
        _fail(
            name,
            "; ".join(parts) + ".",
            "k is used only by conv_dw (stride > 1) and by the depthwise convolution of a non-identity shortcut. "
            "Remember that a row's input channels are the previous row's output (16 after the stem).",
        )
    _ok(name)
