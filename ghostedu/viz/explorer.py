"""Interactive explorers for the rendered book: change a size, see every shape and count follow.

Each function here returns an :class:`Explorer`, a notebook cell output. Its HTML is one
``<div class="ghostedu-explorer" data-explorer="KIND" data-config="{...}">`` holding

* a short note -- the explorer runs in the rendered book, with a link to the chapter's page -- and
* a small static table of the opening setting, computed here by the package,

and its text is the same table. The book loads one plain-JavaScript file and one style sheet on
every page (``_static/explorers.js`` and ``_static/explorers.css``, added by the book's Sphinx
extension ``_ext/ghostedu_book.py``): on load, the script finds every ``.ghostedu-explorer``,
builds the widget from its ``data-config`` and puts it in place of the note. No framework, no CDN,
nothing fetched: the book works opened from disk. Where the script does not run (a notebook in
JupyterLab, which does not load the book's ``_static``; a browser without JavaScript) the reader
sees the note and the table instead of a broken widget.

The config carries everything the page needs that comes from the package -- the opening setting
(the chapter's own example), the ranges of the controls, and for ``Net`` every stage's kernel,
stride and padding read from the modules of :class:`ghostedu.models.Net` and the accepted band from
:func:`ghostedu.shapes.accepted_input_lengths` -- so nothing of the package is typed into the
script. The script computes the shapes and counts with the formulas of ``ghostedu.shapes`` and
``ghostedu.counting``; the browser test drives every explorer and compares what the page shows
with real ``torch`` layers and ``ghostedu.counting``. The HTML is the same on every run (sorted
JSON keys, no random ids): strict nbval compares it.

* :func:`conv_arithmetic_explorer` -- output size, formula and windows of a 1D, 2D or transposed
  1D convolution (chapter "Convolution arithmetic").
* :func:`dilation_explorer` -- receptive field and the input pixels one output of a stack of
  dilated 3x3 layers depends on (chapter "Dilated (atrous) convolution").
* :func:`net_length_explorer` -- every stage's length in ``Net`` for an input length ``L``, and
  whether ``Net`` accepts it (chapter "The multi-scale 1D CNN").
* :func:`block_cost_explorer` -- parameters and multiply-adds of a standard convolution, a
  depthwise separable one and a Ghost module (chapter "The Ghost module and GhostBottleneck").
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from ..counting import count_macs, count_params
from ..layers import GhostModule, conv_bn_act, conv_dw
from ..models import Net
from ..models.net1d import BRANCH_KERNELS
from ..shapes import (
    accepted_input_lengths,
    conv_output_length,
    conv_transpose_output_length,
    conv_windows_1d,
    receptive_field,
    stack_dependencies,
    trace,
)

__all__ = [
    "Explorer",
    "block_cost_explorer",
    "conv_arithmetic_explorer",
    "dilation_explorer",
    "net_length_explorer",
    "separable_conv_block",
    "standard_conv_block",
]

# The range of each control, (min, max): the script clamps what a reader types to it.
CONV_LIMITS = {
    "length": (1, 32),
    "kernel_size": (1, 9),
    "stride": (1, 6),
    "padding": (0, 8),
    "dilation": (1, 6),
    "output_padding": (0, 5),
}
CONV_MODES = ("conv1d", "conv2d", "conv_transpose1d")
DILATION_LIMITS = {"layers": (1, 4), "rate": (1, 8)}
NET_LIMITS = {"length": (1, 4096)}
COST_LIMITS = {
    "in_channels": (1, 2048),
    "out_channels": (1, 2048),
    "kernel_size": (1, 7),
    "height": (1, 512),
    "width": (1, 512),
    "ratio": (2, 8),
    "dw_size": (1, 7),
}


@dataclass(frozen=True)
class Explorer:
    """A cell output: an interactive explorer in the rendered book, a note and a table elsewhere.

    ``kind`` names the widget the book's script builds (``data-explorer``), ``page`` the book page
    it belongs to (``chapters/01_conv_arithmetic``), ``config`` the JSON the script reads, and
    ``summary`` the ``(label, value)`` rows of the opening setting shown without the script.
    """

    kind: str
    title: str
    page: str
    config: dict
    summary: tuple[tuple[str, str], ...]

    def config_json(self) -> str:
        """The config as JSON with sorted keys: the same text on every run."""
        return json.dumps(self.config, sort_keys=True, separators=(",", ":"))

    def _repr_html_(self) -> str:
        esc = html.escape
        # Relative to the notebook in chapters/: the page `make book` writes. The book's Sphinx
        # extension points the link at the page itself in the built book.
        href = f"../_build/html/{self.page}.html"
        rows = "".join(f'<tr><th scope="row">{esc(k)}</th><td>{esc(v)}</td></tr>' for k, v in self.summary)
        return (
            f'<div class="ghostedu-explorer" data-explorer="{esc(self.kind)}" '
            f'data-config="{esc(self.config_json())}">'
            '<div class="ghostedu-explorer-fallback">'
            f'<p class="ghostedu-explorer-note"><strong>{esc(self.title)}</strong> (interactive). '
            "This explorer runs in the rendered book: "
            f'<a class="ghostedu-explorer-link" href="{esc(href)}">{esc(self.page)}.html</a> '
            "(<code>make book</code> builds it; it needs JavaScript). The opening setting:</p>"
            f'<table class="ghostedu-explorer-static"><tbody>{rows}</tbody></table>'
            "</div></div>"
        )

    def __repr__(self) -> str:
        width = max(len(k) for k, _ in self.summary)
        lines = [f"{self.title} (interactive in the rendered book: {self.page}.html)"]
        lines += [f"  {k.ljust(width)}  {v}" for k, v in self.summary]
        return "\n".join(lines)


def _check(func: str, limits: dict[str, tuple[int, int]], **values: int) -> None:
    for name, value in values.items():
        lo, hi = limits[name]
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise ValueError(
                f"{func}: expected {name} to be an integer in {lo}..{hi} (the explorer's range), got {value!r}"
            )


def _limits(limits: dict[str, tuple[int, int]]) -> dict[str, list[int]]:
    return {name: list(bounds) for name, bounds in limits.items()}


# --------------------------------------------------------------------------
# 1. Convolution arithmetic (chapter "Convolution arithmetic")
# --------------------------------------------------------------------------


def _conv_formula(axes: str, length: int, k: int, s: int, p: int, d: int, out: int) -> str:
    """``L_out = floor((7 + 2*1 - 3)/2) + 1 = 4``, as ``ghostedu.shapes.trace`` writes it."""
    terms = str(length) + (f" + 2*{p}" if p else "")
    terms += f" - {k}" if d == 1 else f" - {d}*({k} - 1) - 1"
    return f"{axes} = floor(({terms})/{s}) + 1 = {out}"


def _transpose_formula(length: int, k: int, s: int, p: int, op: int, d: int, out: int) -> str:
    return f"L_out = ({length} - 1)*{s} - 2*{p} + {d}*({k} - 1) + {op} + 1 = {out}"


def conv_arithmetic_explorer(
    mode: str = "conv1d",
    length: int = 7,
    kernel_size: int = 3,
    stride: int = 2,
    padding: int = 1,
    dilation: int = 1,
    output_padding: int = 0,
) -> Explorer:
    """Output size, formula and windows of one convolution, for any setting a reader picks.

    ``mode``: ``"conv1d"`` (input ``(N, C, L)``), ``"conv2d"`` (a square ``(N, C, L, L)`` input,
    the same setting on both axes) or ``"conv_transpose1d"``. It opens at the chapter's first
    example: seven inputs, ``k = 3``, ``s = 2``, ``p = 1``. The page draws which inputs each output
    reads, marks the inputs no window reads and the padding, and says why PyTorch refuses a setting
    (a window larger than the padded input). Chapter "Convolution arithmetic".
    """
    f = "conv_arithmetic_explorer"
    if mode not in CONV_MODES:
        raise ValueError(f"{f}: expected mode to be one of {CONV_MODES}, got {mode!r}")
    _check(
        f,
        CONV_LIMITS,
        length=length,
        kernel_size=kernel_size,
        stride=stride,
        padding=padding,
        dilation=dilation,
        output_padding=output_padding,
    )
    setting = {
        "mode": mode,
        "length": length,
        "kernel_size": kernel_size,
        "stride": stride,
        "padding": padding,
        "dilation": dilation,
        "output_padding": output_padding,
    }
    summary = [
        ("mode", mode),
        ("input size", f"{length}" if mode != "conv2d" else f"{length} x {length}"),
        ("kernel size, stride, padding, dilation", f"{kernel_size}, {stride}, {padding}, {dilation}"),
    ]
    try:
        if mode == "conv_transpose1d":
            out = conv_transpose_output_length(length, kernel_size, stride, padding, output_padding, dilation)
        else:
            out = conv_output_length(length, kernel_size, stride, padding, dilation)
    except ValueError as err:
        raise ValueError(f"{f}: PyTorch refuses the opening setting: {err}") from None
    if mode == "conv_transpose1d":
        summary += [
            ("output padding", str(output_padding)),
            ("output length", str(out)),
            ("formula", _transpose_formula(length, kernel_size, stride, padding, output_padding, dilation, out)),
        ]
    else:
        read = {i for window in conv_windows_1d(length, kernel_size, stride, padding, dilation) for i in window}
        unread = [i for i in range(length) if i not in read]
        axes = "L_out" if mode == "conv1d" else "H_out = W_out"
        summary += [
            ("output size", str(out) if mode == "conv1d" else f"{out} x {out}"),
            ("formula", _conv_formula(axes, length, kernel_size, stride, padding, dilation, out)),
            (
                "inputs no window reads" + (" (per axis)" if mode == "conv2d" else ""),
                ", ".join(map(str, unread)) or "none",
            ),
        ]
    config = {
        "initial": setting,
        "limits": _limits(CONV_LIMITS),
        "modes": list(CONV_MODES),
        "page": "chapters/01_conv_arithmetic",
    }
    return Explorer("conv-arithmetic", "Convolution arithmetic explorer", config["page"], config, tuple(summary))


# --------------------------------------------------------------------------
# 2. Dilation rates (chapter "Dilated (atrous) convolution")
# --------------------------------------------------------------------------


def dilation_explorer(rates: Sequence[int] = (2, 2, 2), kernel_size: int = 3) -> Explorer:
    """A stack of one to four ``kernel_size`` x ``kernel_size`` layers (stride 1), one rate each.

    The page shows the receptive field (``ghostedu.shapes.receptive_field``) and the grid of input
    pixels the centre output depends on, with the count used out of the field: equal rates leave
    holes (gridding). It opens at the chapter's example, rates ``(2, 2, 2)``.
    Chapter "Dilated (atrous) convolution".
    """
    f = "dilation_explorer"
    rates = tuple(rates)
    _check(f, DILATION_LIMITS, layers=len(rates))
    for rate in rates:
        _check(f, DILATION_LIMITS, rate=rate)
    if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or kernel_size < 1:
        raise ValueError(f"{f}: expected kernel_size to be an integer >= 1, got {kernel_size!r}")
    field = receptive_field([(kernel_size, 1, r) for r in rates]).receptive_field
    used_1d = stack_dependencies([(kernel_size, 1, r) for r in rates], 2 * field + 1)[0]
    used = len(used_1d) ** 2  # square kernels: the 2D set is the product of the 1D sets
    summary = (
        ("layers", f"{len(rates)} x {kernel_size}x{kernel_size}, stride 1"),
        ("rates", ", ".join(map(str, rates))),
        ("receptive field", f"{field} x {field} pixels"),
        ("pixels the centre output depends on", f"{used} of {field * field}"),
    )
    config = {
        "initial": {"rates": list(rates)},
        "kernel_size": kernel_size,
        "limits": _limits(DILATION_LIMITS),
        "page": "chapters/03_dilated",
    }
    return Explorer("dilation", "Dilation rates explorer", config["page"], config, summary)


# --------------------------------------------------------------------------
# 3. Net's input length (chapter "The multi-scale 1D CNN")
# --------------------------------------------------------------------------


def _window(name: str, module: nn.Module) -> dict[str, Any]:
    """Kernel, stride, padding and dilation of one Conv1d/MaxPool1d of ``Net``, read from it."""

    def first(value):
        return value[0] if isinstance(value, (tuple, list)) else value

    kind = "conv" if isinstance(module, nn.Conv1d) else "pool"
    window = {
        "name": name,
        "kind": kind,
        "kernel_size": first(module.kernel_size),
        "stride": first(module.stride),
        "padding": first(module.padding),
        "dilation": first(module.dilation),
    }
    if kind == "conv":
        window["out_channels"] = module.out_channels
    elif module.ceil_mode:
        raise ValueError(f"net_length_explorer: expected floor-mode pools in Net, got {name} with ceil_mode=True")
    return window


def _net_structure(net: Net) -> dict[str, Any]:
    """``Net``'s length path: trunk, three branches, ``pool2`` and ``fc``, read from its modules."""
    return {
        "trunk": [_window(n, getattr(net, n)) for n in ("conv1", "pool1")],
        "branches": [
            {
                "name": f"k={k}",
                "stages": [
                    _window(f"{kind}{k}_{i}", getattr(net, f"{kind}{k}_{i}"))
                    for i in (1, 2, 3)
                    for kind in ("conv", "pool")
                ],
            }
            for k in BRANCH_KERNELS
        ],
        "head": _window("pool2", net.pool2),
        "fc_in_features": net.fc.in_features,
    }


def net_length_explorer(length: int = 1024, max_length: int = NET_LIMITS["length"][1]) -> Explorer:
    """One box and one slider for the input length ``L`` of :class:`ghostedu.models.Net`.

    The page shows every stage's length, the features entering ``fc``, and whether ``Net`` accepts
    ``L``, with the accepted band marked. The layer sizes are read from a ``Net()``'s modules and
    the band from :func:`ghostedu.shapes.accepted_input_lengths`. It opens at ``L = 1024``.
    Chapter "The multi-scale 1D CNN".
    """
    f = "net_length_explorer"
    limits = {"length": (1, max_length)}
    _check(f, {"length": (1, 1 << 20)}, length=max_length)
    _check(f, limits, length=length)
    net = Net().eval()
    band = accepted_input_lengths(net, max_length)
    summary = [("input length L", str(length))]
    try:
        t = trace(net, (1, 1, length))
    except (ValueError, RuntimeError):  # Net refuses L: the static table gives the band only
        summary.append(("accepted by Net", "no"))
    else:
        for name in ("conv1", "pool1", *(f"pool{k}_{i}" for k in BRANCH_KERNELS[:1] for i in (1, 2, 3))):
            summary.append((f"length after {name}", str(t[name].output_shape[-1])))
        summary += [
            ("length after pool2 (each branch)", str(t["pool2 (call 1)"].output_shape[-1])),
            ("features entering fc", str(t["concat"].output_shape[-1])),
            ("accepted by Net", "yes"),
        ]
    summary.append(("accepted lengths", f"{band.start}..{band.stop - 1}"))
    config = {
        "initial": {"length": length},
        "limits": _limits(limits),
        "net": _net_structure(net),
        "accepted": [band.start, band.stop - 1],
        "page": "chapters/08_multiscale_1d",
    }
    return Explorer("net-length", "Input length explorer for Net", config["page"], config, tuple(summary))


# --------------------------------------------------------------------------
# 4. Cost of a block (chapter "The Ghost module and GhostBottleneck")
# --------------------------------------------------------------------------


def standard_conv_block(in_channels: int, out_channels: int, kernel_size: int) -> nn.Sequential:
    """``ghostedu.layers.conv_bn_act`` with ReLU at stride 1: conv (``padding = kernel_size // 2``,
    no bias) + BN + ReLU, ``(N, C_in, H, W) -> (N, C_out, H', W')``.

    The ordinary layer a Ghost module replaces (chapter "The Ghost module and GhostBottleneck").
    """
    return conv_bn_act(in_channels, out_channels, kernel_size, 1, act=nn.ReLU)


def separable_conv_block(in_channels: int, out_channels: int, kernel_size: int) -> nn.Sequential:
    """``ghostedu.layers.conv_dw`` at stride 1 with a ``kernel_size`` depthwise kernel.

    Depthwise conv (``padding = kernel_size // 2``) + BN + ReLU6, pointwise 1x1 conv + BN + ReLU6:
    ``(N, C_in, H, W) -> (N, C_out, H', W')``. Chapter "Depthwise separable convolution".
    """
    return conv_dw(in_channels, out_channels, 1, kernel_size=kernel_size)


def block_cost_explorer(
    in_channels: int = 80,
    out_channels: int = 480,
    kernel_size: int = 1,
    height: int = 14,
    width: int = 14,
    ratio: int = 2,
    dw_size: int = 3,
) -> Explorer:
    """Parameters and multiply-adds of three blocks with the same input and output shapes.

    The standard convolution (:func:`~ghostedu.viz.explorer.standard_conv_block`), the depthwise
    separable one (:func:`~ghostedu.viz.explorer.separable_conv_block`) and
    ``GhostModule(in_channels, out_channels, kernel_size, ratio, dw_size)``, each with its batch
    norms. Parameters as torchinfo counts them (BN's scale and shift included); multiply-adds as
    ``torch.utils.flop_counter`` counts them (convolutions only), as :mod:`ghostedu.counting` does.
    It opens at the chapter's example: the first Ghost module of GhostNet's bottleneck
    ``(3, 480, 112, SE)``, 80 -> 480 channels on 14x14 with a 1x1 primary convolution. Chapter
    "The Ghost module and GhostBottleneck" (linked from "Depthwise separable convolution").
    """
    f = "block_cost_explorer"
    setting = {
        "in_channels": in_channels,
        "out_channels": out_channels,
        "kernel_size": kernel_size,
        "height": height,
        "width": width,
        "ratio": ratio,
        "dw_size": dw_size,
    }
    _check(f, COST_LIMITS, **setting)
    if kernel_size % 2 == 0:
        raise ValueError(
            f"{f}: expected an odd kernel_size (padding kernel_size // 2 keeps the size only for an "
            f"odd kernel, and GhostModule refuses an even one), got {kernel_size}"
        )
    if dw_size % 2 == 0:
        raise ValueError(
            f"{f}: expected an odd dw_size (an even one makes ghost maps one pixel larger than "
            f"the intrinsic maps), got {dw_size}"
        )
    size = (1, in_channels, height, width)
    with torch.device("meta"):  # shapes only: the counts need no weights and no arithmetic
        blocks = {
            "standard convolution": standard_conv_block(in_channels, out_channels, kernel_size),
            "depthwise separable": separable_conv_block(in_channels, out_channels, kernel_size),
            "Ghost module": GhostModule(in_channels, out_channels, kernel_size, ratio, dw_size),
        }
    counts = {name: (count_params(block), count_macs(block, size)) for name, block in blocks.items()}
    std_params, std_macs = counts["standard convolution"]
    shape = f"{in_channels} x {height} x {width}, {out_channels} output channels, k = {kernel_size}"
    summary = [("input", shape), ("Ghost module", f"ratio = {ratio}, dw_size = {dw_size}")]
    for name, (params, macs) in counts.items():
        summary.append(
            (
                name,
                f"{params:,} parameters, {macs:,} multiply-adds"
                + (
                    ""
                    if name == "standard convolution"
                    else f" (standard / this: {std_params / params:.2f}x, {std_macs / macs:.2f}x)"
                ),
            )
        )
    summary.append(
        (
            "counted as",
            ("parameters: torchinfo (BN included); multiply-adds: torch.utils.flop_counter (convolutions only)"),
        )
    )
    config = {"initial": setting, "limits": _limits(COST_LIMITS), "page": "chapters/06_ghost_module"}
    return Explorer("block-cost", "Cost of a block explorer", config["page"], config, tuple(summary))
