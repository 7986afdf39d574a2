"""ghostedu.counting.layer_table: MobileNets' Table 1 regenerated from the model."""

import torch
from torch import nn

from ghostedu.counting import count_macs, count_params, layer_kind, layer_table
from ghostedu.layers import conv_dw
from ghostedu.models import mobilenet_v1


def test_mobilenet_v1_table_matches_paper_layout_and_totals():
    model = mobilenet_v1()
    table = layer_table(model, (1, 3, 224, 224))
    kinds = [r.kind for r in table]
    assert kinds == ["conv"] + ["conv dw", "conv pw"] * 13 + ["avg pool", "fc"]
    assert table.total_macs == count_macs(model, (1, 3, 224, 224)) == 568_740_352
    bn_params = sum(p.numel() for m in model.modules() if isinstance(m, nn.BatchNorm2d) for p in m.parameters())
    assert table.total_params + bn_params == count_params(model) == 4_231_976
    first, last = table[0], table[-1]
    assert (first.filter_shape, first.stride, first.input_shape, first.output_shape) == (
        "3x3x3x32",
        2,
        (1, 3, 224, 224),
        (1, 32, 112, 112),
    )
    assert last.filter_shape == "1024x1000" and last.params == 1024 * 1000 + 1000
    assert table[-2].filter_shape == "pool 7x7" and table[-2].stride == "global"
    by_kind = table.totals_by_kind()
    assert by_kind["conv pw"]["layers"] == 13 and by_kind["conv dw"]["macs"] == 17_385_984


def test_layer_kind_names():
    assert layer_kind(nn.Conv2d(8, 8, 3, groups=8)) == "conv dw"
    assert layer_kind(nn.Conv2d(8, 16, 1)) == "conv pw"
    assert layer_kind(nn.Conv2d(8, 16, 3, groups=2)) == "conv grouped"
    assert layer_kind(nn.Conv1d(1, 4, 5)) == "conv"
    assert layer_kind(nn.MaxPool1d(2)) == "max pool"
    assert layer_kind(nn.Linear(3, 4)) == "fc"


def test_row_intensity_and_rendering():
    table = layer_table(conv_dw(32, 64, stride=2), (1, 32, 112, 112))
    dw, pw = table
    assert dw.macs == 9 * 32 * 56 * 56 and pw.macs == 32 * 64 * 56 * 56
    assert dw.min_bytes == 4 * (32 * 112 * 112 + 32 * 56 * 56 + 9 * 32)
    assert pw.intensity > dw.intensity
    text = str(table)
    assert "conv dw" in text and "3x3x32 dw" in text and "32x112x112" in text
    assert table._repr_html_().startswith("<table>")
    header = text.splitlines()[0].split()
    assert header[-2:] == ["params", "multiply-adds"]  # the book's name for flop_counter's count
    assert "multiply-adds/byte" in str(table.with_columns("type", "multiply-adds/byte"))


def test_root_layer_gets_its_macs():
    table = layer_table(nn.Conv2d(3, 8, 3), (1, 3, 10, 10))
    assert len(table) == 1 and table[0].macs == 3 * 8 * 9 * 8 * 8
    assert torch.is_grad_enabled()
