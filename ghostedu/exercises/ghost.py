"""Checks for the exercises of the chapters "The Ghost module and GhostBottleneck" and "GhostNet".

Every expected value is computed here with the library (``ghostedu.layers``, ``ghostedu.models``,
torchinfo and ``torch.utils.flop_counter`` through ``ghostedu.counting``), never typed in.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

from ..counting import count_macs, count_params
from ..layers import GhostBottleneck, GhostModule
from ..models import GHOSTNET_CONFIG, ghostnet
from . import _fail, _ok, as_number, check_close, check_value, not_answered

# (in_chs, out_chs, stride) of the shortcut exercise: bottlenecks that occur in GhostNet.
SHORTCUT_CASES = ((16, 16, 1), (16, 24, 2), (24, 24, 1), (24, 40, 2), (80, 112, 1), (112, 112, 1), (160, 160, 2))


# ----------------------------------------------------------------------------------------------
# Chapter "The Ghost module and GhostBottleneck"
# ----------------------------------------------------------------------------------------------


def ghost_channels(oup: int, ratio: int) -> tuple[int, int]:
    """``(intrinsic, discarded)`` of ``GhostModule(., oup, ratio=ratio)``: the primary convolution's
    output channels, and how many of the computed maps the final slice drops (read from the layer)."""
    module = GhostModule(4, oup, ratio=ratio).eval()
    with torch.no_grad():
        intrinsic, ghost = module.intrinsic_and_ghost(torch.zeros(1, 4, 3, 3))
    return intrinsic.shape[1], intrinsic.shape[1] + ghost.shape[1] - module(torch.zeros(1, 4, 3, 3)).shape[1]


def check_intrinsic(n_intrinsic, n_discarded, oup: int = 100, ratio: int = 3) -> None:
    """``n_intrinsic``: maps made by the primary convolution of ``GhostModule(inp, oup, ratio=ratio)``;
    ``n_discarded``: maps computed but cut off by the slice ``[:, :oup]``."""
    intrinsic, discarded = ghost_channels(oup, ratio)
    name = f"intrinsic maps of GhostModule(inp, {oup}, ratio={ratio})"
    if n_intrinsic is None:
        raise not_answered("n_intrinsic")
    hints = {
        oup // ratio: f"{oup} / {ratio} rounded DOWN gives too few maps: {oup // ratio} * {ratio} < {oup}. "
        "GhostModule uses math.ceil(oup / ratio).",
        oup - oup // ratio: "that is the number of ghost maps, not of intrinsic ones.",
        oup // 2: "ratio is the factor between all maps and intrinsic maps, not always 2.",
    }
    if isinstance(n_intrinsic, float) and not n_intrinsic.is_integer():
        _fail(name, f"expected a whole number of channels, got {n_intrinsic!r}.", "round oup / ratio up.")
    check_value(name, n_intrinsic, intrinsic, hints.get(n_intrinsic, "init_channels = math.ceil(oup / ratio)."))
    if n_discarded is None:
        raise not_answered("n_discarded")
    computed = intrinsic * ratio
    check_value(
        f"maps discarded by the slice in GhostModule(inp, {oup}, ratio={ratio})",
        n_discarded,
        discarded,
        f"the module computes {intrinsic} intrinsic + {intrinsic} * ({ratio} - 1) ghost maps = {computed}, "
        f"and keeps the first {oup}.",
    )


def identity_shortcuts(cases: Sequence[tuple[int, int, int]] = SHORTCUT_CASES) -> list[bool]:
    """For each ``(in_chs, out_chs, stride)``, whether ``GhostBottleneck`` builds an identity
    shortcut (an empty ``nn.Sequential``), read from the layer."""
    return [len(GhostBottleneck(c_in, 2 * c_in, c_out, stride=s).shortcut) == 0 for c_in, c_out, s in cases]


def check_identity_shortcuts(answer, cases: Sequence[tuple[int, int, int]] = SHORTCUT_CASES) -> None:
    """``answer``: one bool per case of ``cases``, True where the shortcut is the identity."""
    name = "identity shortcuts"
    if answer is None:
        raise not_answered(name)
    expected = identity_shortcuts(cases)
    if not isinstance(answer, (list, tuple)) or len(answer) != len(expected):
        _fail(
            name,
            f"expected a list of {len(expected)} True/False values, one per case, got {answer!r}.",
            "write e.g. [True, False, ...] in the order of the cases.",
        )
    for (c_in, c_out, s), got, want in zip(cases, answer, expected):
        if not isinstance(got, bool):
            _fail(name, f"expected True or False for case {(c_in, c_out, s)}, got {got!r}.", None)
        if got != want:
            reasons = []
            if got and c_in != c_out:
                reasons.append(
                    f"the main branch outputs {c_out} channels but the input has {c_in}: they cannot be added."
                )
            if got and s > 1:
                reasons.append(
                    f"stride {s} shrinks the main branch's height and width, so the input must be "
                    "downsampled too before it can be added."
                )
            why = " ".join(reasons) or "same channels and stride 1: the input can be added as it is."
            _fail(
                name,
                f"case (in_chs={c_in}, out_chs={c_out}, stride={s}) should be {want}, got {got}.",
                why + " The rule is `in_chs == out_chs and stride == 1`.",
            )
    _ok(name, f"{sum(expected)} of {len(expected)} cases add the input unchanged")


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
    name = f"parameters of GhostBottleneck({in_chs}, {mid_chs}, {out_chs}, {dw_kernel_size}, {stride}, SE)"
    if answer is None:
        raise not_answered(name)
    parts = {"ghost1": block.ghost1, "ghost2": block.ghost2, "shortcut": block.shortcut}
    if stride > 1:
        parts["conv_dw + bn_dw"] = torch.nn.ModuleList([block.conv_dw, block.bn_dw])
    if block.se is not None:
        parts["se"] = block.se
    counts = {k: count_params(m) for k, m in parts.items()}
    hints = {expected - n: f"you left out {k} ({n:,} parameters)." for k, n in counts.items()}
    n_bn = sum(count_params(m) for m in block.modules() if isinstance(m, torch.nn.BatchNorm2d))
    hints[expected - n_bn] = f"the BatchNorm layers are missing: {n_bn:,} parameters (a scale and a shift per channel)."
    hint = hints.get(
        answer,
        "add up ghost1, conv_dw + bn_dw (stride 2 only), se, ghost2 and the shortcut; "
        f"the parts have {', '.join(f'{k} {n:,}' for k, n in counts.items())} parameters "
        "if you want to compare part by part.",
    )
    check_value(name, answer, expected, hint)


# ----------------------------------------------------------------------------------------------
# Chapter "GhostNet"
# ----------------------------------------------------------------------------------------------


def check_macs_at_resolution(answer, size: int = 160, rel: float = 0.01) -> None:
    """``answer``: multiply-adds (flop_counter) of ``ghostnet()`` on one ``size`` x ``size`` image,
    within ``rel``."""
    name = f"multiply-adds of GhostNet 1.0x at {size}x{size}"
    as_number(name, answer)
    model = ghostnet()
    expected = count_macs(model, (1, 3, size, size))
    at_224 = count_macs(model, (1, 3, 224, 224))
    naive = at_224 * (size / 224) ** 2
    check_close(
        name,
        answer,
        expected,
        rel,
        hint="split the cost into the part that scales with H*W and the part that acts after global pooling.",
        mistakes=[
            (
                naive,
                "scaling everything by (size/224)^2 assumes every layer's cost grows with the map "
                "area; the head (conv_head, classifier) and the SE blocks' 1x1 convolutions work "
                "on 1x1 maps, so their cost does not shrink.",
            )
        ],
        fmt=lambda v: f"{v / 1e6:.1f}M",
        detail=f"{expected / 1e6:.1f}M, {expected / at_224:.3f} of the 224x224 cost",
    )


def unused_kernel_rows(config=GHOSTNET_CONFIG) -> list[int]:
    """Indices (into the flattened configuration) of the rows whose ``dw_kernel_size`` changes
    nothing in the model: rebuilding that block with another kernel size leaves its parameters,
    and so its layers, the same."""
    rows = [row for stage in config for row in stage]
    in_chs = ghostnet().conv_stem.out_channels
    unused = []
    for i, (k, exp, out, se, s) in enumerate(rows):
        a = GhostBottleneck(in_chs, exp, out, k, s, se_ratio=se)
        b = GhostBottleneck(in_chs, exp, out, k + 2, s, se_ratio=se)
        if count_params(a) == count_params(b):
            unused.append(i)
        in_chs = out
    return unused


def check_unused_kernel_rows(answer) -> None:
    """``answer``: the row indices (0-15, in the flattened ``GHOSTNET_CONFIG``) whose kernel size ``k``
    has no effect on the model."""
    name = "rows whose dw_kernel_size is unused"
    if answer is None:
        raise not_answered(name)
    expected = unused_kernel_rows()
    try:
        got = sorted(int(i) for i in answer)
    except (TypeError, ValueError):
        _fail(name, f"expected a list of row indices, got {answer!r}.", None)
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    if missing or extra:
        parts = []
        if extra:
            parts.append(f"rows {extra} do use k")
        if missing:
            parts.append(f"rows {missing} also ignore it")
        _fail(
            name,
            "; ".join(parts) + ".",
            "k is used only by conv_dw (stride > 1) and by the depthwise convolution of a non-identity shortcut. "
            "Remember that a row's input channels are the previous row's output (16 after the stem).",
        )
    _ok(name, f"{len(expected)} of {sum(len(s) for s in GHOSTNET_CONFIG)} rows")
