"""Bad input to every layer and model, drawn by hypothesis: their settings, and the tensors given to them.

Each bad value ends in a ValueError or TypeError that names the layer; each valid boundary value works.
"""

import numpy as np
import pytest
import torch
from bad_input import (
    SETTINGS,
    bad_bool,
    bad_inputs,
    bad_int,
    bad_nonnegative,
    bad_odd,
    bad_positive,
    bad_size,
    draw_bad_argument,
    expect_error,
    expect_handled,
)
from hypothesis import given, settings
from hypothesis import strategies as st
from torch import nn

from ghostedu.layers import FlattenConcat, GhostBottleneck, GhostModule, SqueezeExcite, conv_dw, hard_sigmoid
from ghostedu.layers import make_divisible as divisible
from ghostedu.models import ConvBnAct, GhostNet, MobileNetV1, Net, ghostnet, ghostnet_table, mobilenet_v1
from ghostedu.models.mobilenet_v1 import conv_bn

AREA = "layers/models"
NOT_CALLABLE = st.one_of(st.none(), st.integers(), st.text(max_size=3))

# name: (build, valid arguments, bad values per argument, the name the error must give)
SETTINGS_OF = {
    "conv_dw": (
        conv_dw,
        {"filter_in": 4, "filter_out": 8, "stride": 1},
        dict.fromkeys(["filter_in", "filter_out", "stride"], bad_int()),
        "conv_dw",
    ),
    "GhostModule": (
        GhostModule,
        {"inp": 4, "oup": 8},
        {
            "inp": bad_int(),
            "oup": bad_int(),
            "stride": bad_int(),
            "ratio": bad_int(2),
            "kernel_size": bad_odd(),
            "dw_size": bad_odd(),
            "relu": bad_bool(),
        },
        "GhostModule",
    ),
    "GhostBottleneck": (
        GhostBottleneck,
        {"in_chs": 4, "mid_chs": 8, "out_chs": 4},
        {
            "in_chs": bad_int(),
            "mid_chs": bad_int(),
            "out_chs": bad_int(),
            "stride": bad_int(),
            "dw_kernel_size": bad_odd(),
            "se_ratio": bad_nonnegative().filter(lambda v: v is not None),
        },
        "GhostBottleneck",
    ),
    "SqueezeExcite": (
        SqueezeExcite,
        {"in_chs": 8},
        {
            "in_chs": bad_int(),
            "se_ratio": bad_positive(),
            "reduced_base_chs": bad_int().filter(lambda v: v is not None),
            "divisor": bad_int(),
            "gate_fn": NOT_CALLABLE,
            "act_layer": NOT_CALLABLE,
        },
        "SqueezeExcite",
    ),
    "make_divisible": (
        divisible,
        {"value": 18.0, "divisor": 4},
        {"value": bad_nonnegative(), "divisor": bad_int(), "min_value": bad_int(0).filter(lambda v: v is not None)},
        "make_divisible",
    ),
    "hard_sigmoid": (
        hard_sigmoid,
        {"x": torch.zeros(2)},
        {"x": st.one_of(st.none(), st.floats(), st.just([0.0]), st.just(np.zeros(2))), "inplace": bad_bool()},
        "hard_sigmoid",
    ),
    "ConvBnAct": (
        ConvBnAct,
        {"in_chs": 3, "out_chs": 8, "kernel_size": 3},
        {"in_chs": bad_int(), "out_chs": bad_int(), "kernel_size": bad_odd(), "stride": bad_int()},
        "ConvBnAct",
    ),
    "conv_bn": (
        conv_bn,
        {"inp": 3, "oup": 8, "stride": 1},
        dict.fromkeys(["inp", "oup", "stride"], bad_int()),
        "conv_bn",
    ),
    "ghostnet": (
        ghostnet,
        {"width": 0.1, "num_classes": 4},
        {
            "width": st.one_of(bad_positive(), st.floats(min_value=30, max_value=1e300)),
            "num_classes": bad_int(),
            "dropout": st.one_of(bad_nonnegative(), st.floats(min_value=1.0)),
        },
        "GhostNet",
    ),
    "mobilenet_v1": (
        mobilenet_v1,
        {"width": 0.25, "num_classes": 4},
        {"width": st.one_of(bad_positive(), st.floats(min_value=30, max_value=1e300)), "num_classes": bad_int()},
        "MobileNetV1",
    ),
}


@pytest.mark.parametrize("func", SETTINGS_OF)
@SETTINGS
@given(data=st.data())
def test_bad_settings_are_refused_by_name(func, data):
    build, valid, bad, name = SETTINGS_OF[func]
    argument, value = draw_bad_argument(data, bad)
    expect_error(AREA, func, lambda: build(**{**valid, argument: value}), name)


# name: (model, input rank, channels, spatial size); eval mode: one sample through BatchNorm is fine
MODELS = {
    "conv_dw": (conv_dw(4, 8).eval(), 4, 4, (3, 3)),
    "GhostModule": (GhostModule(4, 8).eval(), 4, 4, (3, 3)),
    "GhostBottleneck": (GhostBottleneck(4, 8, 4, se_ratio=0.25).eval(), 4, 4, (3, 3)),
    "SqueezeExcite": (SqueezeExcite(4).eval(), 4, 4, (3, 3)),
    "ConvBnAct": (ConvBnAct(4, 8, 3).eval(), 4, 4, (3, 3)),
    "Net": (Net().eval(), 3, 1, (1024,)),
    "GhostNet": (ghostnet(width=0.1, num_classes=4).eval(), 4, 3, (8, 8)),
    "MobileNetV1": (mobilenet_v1(width=0.25, num_classes=4).eval(), 4, 3, (8, 8)),
}


@pytest.mark.parametrize("name", MODELS)
@SETTINGS
@given(data=st.data())
def test_bad_inputs_are_refused_by_every_layer_and_model(name, data):
    model, dims, channels, spatial = MODELS[name]
    x = data.draw(bad_inputs(dims, channels, spatial), label="x")
    with torch.no_grad():
        expect_error(AREA, name, lambda: model(x))


@settings(SETTINGS, max_examples=25)
@given(length=st.one_of(st.just(1023), st.just(1152), st.integers(1, 1022), st.integers(1153, 2048)))
def test_net_refuses_every_length_outside_its_range(length):
    with torch.no_grad():
        error = expect_error(AREA, "Net", lambda: MODELS["Net"][0](torch.zeros(1, 1, length)))
    assert "1024..1151" in str(error)


@SETTINGS
@given(data=st.data())
def test_net_length_helpers(data):
    net = MODELS["Net"][0]
    if data.draw(st.booleans()):
        value = data.draw(bad_int(), label="length")
        expect_error(AREA, "Net.fc_features", lambda: net.fc_features(value))
    else:
        value = data.draw(st.one_of(bad_int(), st.integers(1, 1023)), label="max_length")
        expect_error(AREA, "Net.input_lengths", lambda: net.input_lengths(value))


@SETTINGS
@given(
    tensors=st.one_of(
        st.just(()),
        st.lists(st.one_of(st.none(), st.integers(), st.just([1.0])), min_size=1, max_size=3),
        st.lists(st.integers(1, 5), min_size=2, max_size=4, unique=True).map(
            lambda ns: [torch.zeros(n, 2) for n in ns]
        ),
        st.just([torch.zeros(2, 3), torch.tensor(1.0)]),
    )
)
def test_flatten_concat_refuses_what_it_cannot_join(tensors):
    expect_error(AREA, "FlattenConcat", lambda: FlattenConcat()(*tensors))


@SETTINGS
@given(data=st.data())
def test_ghostnet_table_wants_a_ghostnet_and_a_size(data):
    if data.draw(st.booleans()):
        model = data.draw(st.sampled_from([nn.Conv2d(3, 4, 3), MODELS["MobileNetV1"][0], None, "ghostnet"]))
        expect_error(AREA, "ghostnet_table", lambda: ghostnet_table(model))
    else:
        size = data.draw(bad_size(), label="input_size")
        expect_error(AREA, "ghostnet_table", lambda: ghostnet_table(MODELS["GhostNet"][0], size))


BOUNDARY = {
    "conv_dw": [
        lambda: conv_dw(1, 1, 1).eval()(torch.zeros(1, 1, 1, 1)),
        lambda: conv_dw(1, 1, 9).eval()(torch.zeros(0, 1, 3, 3)),
    ],
    "GhostModule": [
        lambda: GhostModule(1, 1, kernel_size=1, ratio=2, dw_size=1).eval()(torch.zeros(1, 1, 1, 1)),
        lambda: GhostModule(1, 1, ratio=9, relu=False).eval()(torch.zeros(1, 1, 2, 2)),
        lambda: GhostModule(2, 3, relu=np.bool_(True)),
    ],
    "GhostBottleneck": [
        lambda: GhostBottleneck(1, 1, 1, se_ratio=0).eval()(torch.zeros(1, 1, 1, 1)),
        lambda: GhostBottleneck(1, 1, 1, se_ratio=None),
        lambda: GhostBottleneck(2, 4, 3, dw_kernel_size=1, stride=2, se_ratio=1e-9).eval()(torch.zeros(1, 2, 1, 1)),
    ],
    "SqueezeExcite": [
        lambda: SqueezeExcite(1, se_ratio=1e-9).eval()(torch.zeros(1, 1, 1, 1)),
        lambda: SqueezeExcite(1, divisor=1),
    ],
    "make_divisible": [lambda: divisible(0, 1), lambda: divisible(1e-9, 8, 0), lambda: divisible(np.float32(7.5), 8)],
    "hard_sigmoid": [lambda: hard_sigmoid(torch.tensor(-3.0)), lambda: hard_sigmoid(torch.zeros(0), inplace=True)],
    "ConvBnAct": [lambda: ConvBnAct(1, 1, 1).eval()(torch.zeros(1, 1, 1, 1))],
    "conv_bn": [lambda: conv_bn(1, 1, 1)],
    "Net": [lambda: MODELS["Net"][0](torch.zeros(1, 1, 1024)), lambda: MODELS["Net"][0](torch.zeros(2, 1, 1151))],
    "ghostnet": [lambda: ghostnet(width=1e-3, num_classes=1, dropout=0.0).eval()(torch.zeros(1, 3, 1, 1))],
    "mobilenet_v1": [lambda: mobilenet_v1(width=1e-3, num_classes=1).eval()(torch.zeros(1, 3, 1, 1))],
    "GhostNet": [lambda: GhostNet(width=0.1, num_classes=2, dropout=0.999)],
    "MobileNetV1": [lambda: MobileNetV1(width=0.1, num_classes=2)],
    "FlattenConcat": [lambda: FlattenConcat()(torch.zeros(0, 2), torch.zeros(0, 3, 1))],
    "ghostnet_table": [lambda: ghostnet_table(MODELS["GhostNet"][0], (1, 3, 32, 32))],
}


@pytest.mark.parametrize("name", BOUNDARY)
def test_valid_boundary_values_still_work(name):
    for call in BOUNDARY[name]:
        with torch.no_grad():
            expect_handled(AREA, name, call)
