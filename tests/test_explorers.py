"""ghostedu.viz.explorer: the configs carry the package's numbers; the HTML is the same every run.

The widgets themselves are driven in a browser by tests/test_explorers_browser.py.
"""

from __future__ import annotations

import html
import json
import re

import pytest
import torch
from torch import nn

from ghostedu.counting import count_macs, count_params
from ghostedu.layers import GhostModule, conv_dw
from ghostedu.models import Net
from ghostedu.shapes import accepted_input_lengths, conv_output_length, dependency_mask, receptive_field
from ghostedu.viz import block_cost_explorer, conv_arithmetic_explorer, dilation_explorer, net_length_explorer
from ghostedu.viz import explorer as ex

EXPLORERS = {
    "conv-arithmetic": conv_arithmetic_explorer,
    "dilation": dilation_explorer,
    "net-length": net_length_explorer,
    "block-cost": block_cost_explorer,
}


def config_of(output_html: str) -> dict:
    found = re.search(r'data-config="([^"]*)"', output_html)
    assert found, output_html[:200]
    return json.loads(html.unescape(found.group(1)))


@pytest.mark.parametrize("kind", EXPLORERS)
def test_html_is_deterministic_and_carries_its_config(kind):
    first, second = EXPLORERS[kind](), EXPLORERS[kind]()
    assert first._repr_html_() == second._repr_html_() and repr(first) == repr(second)
    text = first._repr_html_()
    assert text.startswith(f'<div class="ghostedu-explorer" data-explorer="{kind}" data-config="')
    assert config_of(text) == first.config
    assert first.config_json() == json.dumps(first.config, sort_keys=True, separators=(",", ":"))
    # The note for a notebook in JupyterLab (no _static there) and the table of the opening setting.
    assert "This explorer runs in the rendered book" in text
    assert f'href="../_build/html/{first.page}.html"' in text
    for label, value in first.summary:
        assert f'<th scope="row">{html.escape(label)}</th><td>{html.escape(value)}</td>' in text
        assert value in repr(first)
    assert not re.search(r"[0-9a-f]{32}|\bid=", text)  # no random or page-unique ids


def test_conv_arithmetic_opens_at_the_chapter_example_and_agrees_with_torch():
    e = conv_arithmetic_explorer()
    assert e.config["initial"] == {
        "mode": "conv1d",
        "length": 7,
        "kernel_size": 3,
        "stride": 2,
        "padding": 1,
        "dilation": 1,
        "output_padding": 0,
    }
    summary = dict(e.summary)
    out = nn.Conv1d(1, 1, 3, 2, 1)(torch.zeros(1, 1, 7)).shape[-1]
    assert summary["output size"] == str(out) == str(conv_output_length(7, 3, 2, 1))
    assert summary["formula"] == f"L_out = floor((7 + 2*1 - 3)/2) + 1 = {out}"
    assert summary["inputs no window reads"] == "none"
    floor = dict(conv_arithmetic_explorer(length=8, kernel_size=3, stride=3, padding=0).summary)
    assert floor["inputs no window reads"] == "6, 7"  # chapter 01: the floor leaves inputs 6 and 7
    two_d = dict(conv_arithmetic_explorer("conv2d", 5, 3, 2, 1).summary)
    shape = nn.Conv2d(1, 1, 3, 2, 1)(torch.zeros(1, 1, 5, 5)).shape[-2:]
    assert two_d["output size"] == f"{shape[0]} x {shape[1]}"
    up = dict(conv_arithmetic_explorer("conv_transpose1d", 3, 3, 2, 0, 1, 1).summary)
    assert up["output length"] == str(nn.ConvTranspose1d(1, 1, 3, 2, 0, 1)(torch.zeros(1, 1, 3)).shape[-1])


def test_dilation_summary_agrees_with_autograd_and_receptive_field():
    for rates in [(2, 2, 2), (1, 2, 3), (3, 3, 3), (1, 3, 5), (8,)]:
        summary = dict(dilation_explorer(rates).summary)
        field = receptive_field([(3, 1, r) for r in rates]).receptive_field
        stack = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=r, dilation=r, bias=False) for r in rates])
        used = int(dependency_mask(stack, (1, 1, field + 4, field + 4)).sum())
        assert summary["receptive field"] == f"{field} x {field} pixels"
        assert summary["pixels the centre output depends on"] == f"{used} of {field * field}"
    assert dilation_explorer().config["initial"] == {"rates": [2, 2, 2]}


def test_net_config_is_read_from_net_and_accepted_input_lengths():
    e = net_length_explorer()
    cfg, net = e.config, Net()
    stages = cfg["net"]["trunk"] + [s for b in cfg["net"]["branches"] for s in b["stages"]] + [cfg["net"]["head"]]
    modules = dict(net.named_modules())
    assert [s["name"] for s in stages] == [
        n for n, m in net.named_children() if isinstance(m, (nn.Conv1d, nn.MaxPool1d))
    ]

    def one(value):
        return value[0] if isinstance(value, tuple) else value

    for stage in stages:
        m = modules[stage["name"]]
        assert (stage["kernel_size"], stage["stride"], stage["padding"], stage["dilation"]) == (
            one(m.kernel_size),
            one(m.stride),
            one(m.padding),
            one(m.dilation),
        ), stage
        assert stage["kind"] == ("conv" if isinstance(m, nn.Conv1d) else "pool")
        if isinstance(m, nn.Conv1d):
            assert stage["out_channels"] == m.out_channels
    band = accepted_input_lengths(net, cfg["limits"]["length"][1])
    assert cfg["accepted"] == [band.start, band.stop - 1]
    assert cfg["net"]["fc_in_features"] == net.fc.in_features
    summary = dict(e.summary)
    assert summary["features entering fc"] == str(net.features(torch.zeros(1, 1, 1024)).shape[1])
    assert summary["accepted lengths"] == f"{band.start}..{band.stop - 1}"
    assert dict(net_length_explorer(2048).summary)["accepted by Net"] == "no"


def test_block_cost_summary_is_what_ghostedu_counting_counts():
    e = block_cost_explorer()
    assert e.config["initial"] == {
        "in_channels": 80,
        "out_channels": 480,
        "kernel_size": 1,
        "height": 14,
        "width": 14,
        "ratio": 2,
        "dw_size": 3,
    }
    summary = dict(e.summary)
    size = (1, 80, 14, 14)
    blocks = {
        "standard convolution": ex.standard_conv_block(80, 480, 1),
        "depthwise separable": ex.separable_conv_block(80, 480, 1),
        "Ghost module": GhostModule(80, 480, 1, 2, 3),
    }
    for name, block in blocks.items():
        params, macs = count_params(block), count_macs(block, size)
        assert summary[name].startswith(f"{params:,} parameters, {macs:,} multiply-adds"), (name, summary[name])
    # Chapter 06's numbers for this example: 39,360 / 22,320 parameters (torchinfo, BN included).
    assert summary["Ghost module"].startswith("22,320 parameters, 4,186,560 multiply-adds")
    assert "flop_counter" in summary["counted as"]


def test_separable_block_is_conv_dw_for_a_3x3_kernel():
    ours, book = ex.separable_conv_block(32, 64, 3), conv_dw(32, 64)
    assert [type(m) for m in ours] == [type(m) for m in book]
    for a, b in zip(ours, book):
        if isinstance(a, nn.Conv2d):
            keys = ("in_channels", "out_channels", "kernel_size", "stride", "padding", "groups")
            assert [getattr(a, k) for k in keys] == [getattr(b, k) for k in keys] and (a.bias is None) == (
                b.bias is None
            )


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: conv_arithmetic_explorer(mode="conv3d"), "conv_arithmetic_explorer: expected mode"),
        (lambda: conv_arithmetic_explorer(kernel_size=10), "conv_arithmetic_explorer: expected kernel_size"),
        (
            lambda: conv_arithmetic_explorer(length=3, kernel_size=5, padding=0),
            "conv_arithmetic_explorer: PyTorch refuses the opening setting",
        ),
        (lambda: dilation_explorer(rates=()), "dilation_explorer: expected layers"),
        (lambda: dilation_explorer(rates=(1, 2, 3, 4, 5)), "dilation_explorer: expected layers"),
        (lambda: dilation_explorer(rates=(0,)), "dilation_explorer: expected rate"),
        (lambda: net_length_explorer(length=5000), "net_length_explorer: expected length"),
        (lambda: block_cost_explorer(dw_size=4), "block_cost_explorer: expected an odd dw_size"),
        (lambda: block_cost_explorer(ratio=1), "block_cost_explorer: expected ratio"),
    ],
)
def test_wrong_arguments_name_the_function(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


def test_static_files_hold_both_label_tables():
    """The script has an English and a Chinese label for every key, and loads nothing."""
    from pathlib import Path

    script = (Path(__file__).resolve().parents[1] / "_static" / "explorers.js").read_text(encoding="utf-8")
    tables = re.search(r"var LABELS = \{\s*en: \{(.*?)\n    \},\s*zh: \{(.*?)\n    \}\n  \};", script, re.DOTALL)
    assert tables, "LABELS table not found"
    keys = [set(re.findall(r"^\s+(\w+):", t, re.MULTILINE)) for t in tables.groups()]
    assert keys[0] == keys[1] and len(keys[0]) > 50
    for term in (
        "输入长度",
        "卷积核大小",
        "步长",
        "填充",
        "膨胀率",
        "感受野",
        "特征图",
        "参数量",
        "乘加次数",
        "深度可分离卷积",
        "逐点卷积",
        "Ghost 模块",
    ):
        assert term in tables.group(2), term
    # The SVG namespace is a name, not an address.
    assert not re.search(r'fetch\(|XMLHttpRequest|import\(|https?://(?!www\.w3\.org/2000/svg")', script)
