"""Layers of ghostedu.layers: shapes, parameter counts (torchinfo, and by formula), bad input."""

import math

import pytest
import torch
from torch import nn

from ghostedu.counting import count_params
from ghostedu.layers import (
    FlattenConcat,
    GhostBottleneck,
    GhostModule,
    SqueezeExcite,
    conv_dw,
    hard_sigmoid,
    make_divisible,
)


def test_conv_dw_structure_and_count():
    block = conv_dw(32, 64)
    kinds = [type(m) for m in block]
    assert kinds == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU6, nn.Conv2d, nn.BatchNorm2d, nn.ReLU6]
    dw, pw = block[0], block[3]
    assert dw.groups == 32 and dw.kernel_size == (3, 3) and dw.padding == (1, 1) and dw.bias is None
    assert pw.kernel_size == (1, 1) and pw.bias is None
    by_formula = 9 * 32 + 32 * 64 + 2 * (32 + 64)
    assert count_params(block) == by_formula == 2528


@pytest.mark.parametrize(
    "cin,cout,stride,size,expected", [(32, 64, 1, 112, 112), (32, 64, 2, 112, 56), (8, 4, 2, 7, 4)]
)
def test_conv_dw_shapes(cin, cout, stride, size, expected):
    out = conv_dw(cin, cout, stride)(torch.randn(2, cin, size, size))
    assert out.shape == (2, cout, expected, expected)


@pytest.mark.parametrize(
    "args,word",
    [
        ((0, 64), "filter_in"),
        ((32, -1), "filter_out"),
        ((32, 64, 0), "stride"),
        ((32.0, 64), "filter_in"),
        ((32, 64, True), "stride"),
    ],
)
def test_conv_dw_rejects_bad_arguments(args, word):
    with pytest.raises(ValueError, match=rf"conv_dw: expected {word} to be an integer >= 1, got"):
        conv_dw(*args)


def test_make_divisible_and_se_width():
    assert make_divisible(72 * 0.25, 4) == 20
    assert make_divisible(16 * 0.25, 4) == 4
    assert make_divisible(10, 8) == 16  # 8 would lose more than 10%
    assert SqueezeExcite(72).conv_reduce.out_channels == 20


def test_hard_sigmoid_values():
    x = torch.tensor([-4.0, -3.0, 0.0, 1.5, 3.0, 5.0])
    assert torch.allclose(hard_sigmoid(x), torch.tensor([0.0, 0.0, 0.5, 0.75, 1.0, 1.0]))
    y = x.clone()
    hard_sigmoid(y, inplace=True)
    assert torch.equal(y, hard_sigmoid(x))


def test_squeeze_excite_gate_and_count():
    se = SqueezeExcite(72)
    x = torch.randn(2, 72, 5, 5)
    gate = se.gate(x)
    assert gate.shape == (2, 72, 1, 1) and gate.min() >= 0 and gate.max() <= 1
    assert torch.allclose(se(x), x * gate)
    assert count_params(se) == 72 * 20 + 20 + 20 * 72 + 72


def test_squeeze_excite_rejects_wrong_channels():
    with pytest.raises(ValueError, match=r"SqueezeExcite: expected 72 input channels .* got 16"):
        SqueezeExcite(72)(torch.randn(1, 16, 4, 4))


@pytest.mark.parametrize("inp,oup,ratio,dw", [(16, 32, 2, 3), (16, 33, 3, 3), (24, 40, 4, 5), (8, 7, 5, 1)])
def test_ghost_module_shapes_and_count(inp, oup, ratio, dw):
    gm = GhostModule(inp, oup, ratio=ratio, dw_size=dw)
    assert gm(torch.randn(2, inp, 9, 9)).shape == (2, oup, 9, 9)
    init = math.ceil(oup / ratio)
    new = init * (ratio - 1)
    assert gm.primary_conv[0].out_channels == init and gm.cheap_operation[0].groups == init
    assert count_params(gm) == inp * init + 2 * init + new * dw * dw + 2 * new


@pytest.mark.parametrize("ratio", [1, 0, 2.5, "2", True])
def test_ghost_module_rejects_bad_ratio(ratio):
    with pytest.raises(ValueError, match=r"GhostModule: expected ratio to be an integer >= 2, got"):
        GhostModule(16, 32, ratio=ratio)


def test_ghost_module_intrinsic_and_ghost():
    gm = GhostModule(4, 10, ratio=2).eval()
    x = torch.randn(1, 4, 6, 6)
    intrinsic, ghost = gm.intrinsic_and_ghost(x)
    assert intrinsic.shape == ghost.shape == (1, 5, 6, 6)
    assert torch.equal(gm(x), torch.cat([intrinsic, ghost], 1)[:, :10])


def test_ghost_bottleneck_names_and_shortcut():
    same = GhostBottleneck(16, 48, 16)
    names = {n for n, _ in same.named_children()}
    assert {"ghost1", "ghost2", "shortcut"} <= names and "conv_dw" not in names and same.se is None
    assert len(same.shortcut) == 0
    down = GhostBottleneck(16, 48, 24, dw_kernel_size=5, stride=2, se_ratio=0.25)
    assert {"ghost1", "conv_dw", "bn_dw", "se", "ghost2", "shortcut"} <= {n for n, _ in down.named_children()}
    assert [type(m) for m in down.shortcut] == [nn.Conv2d, nn.BatchNorm2d, nn.Conv2d, nn.BatchNorm2d]
    assert down.conv_dw.kernel_size == (5, 5) and down.conv_dw.groups == 48
    assert down(torch.randn(2, 16, 32, 32)).shape == (2, 24, 16, 16)
    assert same(torch.randn(2, 16, 8, 8)).shape == (2, 16, 8, 8)
    se_keys = {k for k in down.state_dict() if k.startswith("se.")}
    assert se_keys == {"se.conv_reduce.weight", "se.conv_reduce.bias", "se.conv_expand.weight", "se.conv_expand.bias"}


def test_ghost_bottleneck_rejects_3d_input():
    with pytest.raises(ValueError, match=r"GhostBottleneck: expected a 4-D input shaped \(N, C, H, W\), got a 3-D"):
        GhostBottleneck(16, 48, 16)(torch.randn(16, 8, 8))


def test_flatten_concat():
    parts = [torch.randn(2, 256, 1) for _ in range(3)]
    out = FlattenConcat()(*parts)
    assert out.shape == (2, 768) and torch.equal(out[:, 256:512], parts[1][:, :, 0])


def test_conv_dw_kernel_size_and_the_standard_block_it_replaces():
    from ghostedu.layers import conv_bn_act

    wide = conv_dw(8, 16, 2, kernel_size=5)
    assert wide[0].kernel_size == (5, 5) and wide[0].padding == (2, 2) and wide[0].groups == 8
    assert wide(torch.randn(1, 8, 9, 9)).shape == (1, 16, 5, 5)
    # kernel_size=3 is the block of the Q&A page's signature, module for module
    assert str(conv_dw(8, 16, kernel_size=3)) == str(conv_dw(8, 16))
    full = conv_bn_act(8, 16, 3, 2)
    assert [type(m) for m in full] == [nn.Conv2d, nn.BatchNorm2d, nn.ReLU6]
    assert full(torch.randn(1, 8, 9, 9)).shape == (1, 16, 5, 5) and full[0].bias is None
    assert isinstance(conv_bn_act(8, 16, 1, act=nn.ReLU)[2], nn.ReLU)
    with pytest.raises(ValueError, match="conv_dw: expected kernel_size"):
        conv_dw(8, 16, kernel_size=4)
    with pytest.raises(ValueError, match="conv_bn_act: expected kernel_size"):
        conv_bn_act(8, 16, 2)
    with pytest.raises(TypeError, match="conv_bn_act: expected act to be an nn.Module class"):
        conv_bn_act(8, 16, 3, act=torch.relu)
