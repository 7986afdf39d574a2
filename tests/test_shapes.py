"""ghostedu.shapes: formulas against real layers, receptive fields, trace, accepted lengths."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from torch import nn

from ghostedu.shapes import (
    accepted_input_lengths,
    conv_output_length,
    conv_transpose_output_length,
    effective_kernel_size,
    lengths_giving,
    output_length_formula,
    pool_output_length,
    receptive_field,
    trace,
)

# ---------------------------------------------------------------------------
# The network from the Q&A page (`class Net`), rebuilt here so that these tests do not depend on
# ghostedu.models
# ---------------------------------------------------------------------------


class FlattenConcat(nn.Module):
    """Several (N, ...) tensors -> each flattened from dim 1, concatenated along dim 1."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat([x.flatten(1) for x in xs], dim=1)


class QANet(nn.Module):
    """The Q&A page's multi-scale 1D CNN (`class Net`): (N, 1, 1024) -> (N, 4)."""

    KERNELS = (3, 5, 7)

    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv1d(1, 64, kernel_size=32, stride=8, padding=12)
        self.pool1 = nn.MaxPool1d(2, 2)
        self.BN = nn.BatchNorm1d(64)
        for k in self.KERNELS:
            for i, (c_in, c_out) in enumerate([(64, 64), (64, 128), (128, 256)], start=1):
                setattr(self, f"conv{k}_{i}", nn.Conv1d(c_in, c_out, k, padding=k // 2))
                setattr(self, f"pool{k}_{i}", nn.MaxPool1d(2, 2))
        self.pool2 = nn.MaxPool1d(kernel_size=8, stride=1)
        self.concat = FlattenConcat()
        self.fc = nn.Linear(768, 4)
        self.softmax = nn.Softmax(dim=1)

    def branch(self, x: torch.Tensor, k: int) -> torch.Tensor:
        for i in (1, 2, 3):
            x = getattr(self, f"pool{k}_{i}")(F.relu(getattr(self, f"conv{k}_{i}")(x)))
        return self.pool2(x)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.BN(self.pool1(self.conv1(x)))
        branches = [self.branch(x, k) for k in self.KERNELS]
        return self.softmax(self.fc(self.concat(*branches)))


class InterleavedQANet(QANet):
    """Same layers, but the branches advance in lockstep: execution order mixes them."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.BN(self.pool1(self.conv1(x)))
        xs = [x, x, x]
        for i in (1, 2, 3):
            xs = [
                getattr(self, f"pool{k}_{i}")(F.relu(getattr(self, f"conv{k}_{i}")(b)))
                for k, b in zip(self.KERNELS, xs)
            ]
        return self.softmax(self.fc(torch.cat([self.pool2(b).flatten(1) for b in xs], dim=1)))


@pytest.fixture(scope="module")
def qa_net() -> QANet:
    torch.manual_seed(0)
    return QANet()


@pytest.fixture(scope="module")
def qa_trace(qa_net):
    return trace(qa_net, (1, 1, 1024))


def conv_params(c_in: int, c_out: int, *kernel: int, groups: int = 1) -> int:
    k = 1
    for n in kernel:
        k *= n
    return c_out * (c_in // groups) * k + c_out


# ---------------------------------------------------------------------------
# 1. Formulas against real layers
# ---------------------------------------------------------------------------

lengths = st.integers(1, 40)
kernels = st.integers(1, 7)
strides = st.integers(1, 4)
paddings = st.integers(0, 4)
dilations = st.integers(1, 3)


def torch_length(layer: nn.Module, length: int, channels: int = 1) -> int | None:
    """The layer's output length, or None if PyTorch refuses the input."""
    try:
        with torch.no_grad():
            return layer(torch.zeros(1, channels, length)).shape[-1]
    except RuntimeError:
        return None


def ours(fn, *args, **kwargs) -> int | None:
    try:
        return fn(*args, **kwargs)
    except ValueError:
        return None


@settings(max_examples=100, deadline=None)
@given(length=lengths, k=kernels, s=strides, p=paddings, d=dilations)
def test_conv_output_length_matches_conv1d(length, k, s, p, d):
    layer = nn.Conv1d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
    assert ours(conv_output_length, length, k, s, p, d) == torch_length(layer, length)


@settings(max_examples=60, deadline=None)
@given(
    h=lengths,
    w=lengths,
    k=st.tuples(kernels, kernels),
    s=st.tuples(strides, strides),
    p=st.tuples(paddings, paddings),
    d=st.tuples(dilations, dilations),
)
def test_conv_output_length_matches_conv2d_per_axis(h, w, k, s, p, d):
    expected_h = ours(conv_output_length, h, k[0], s[0], p[0], d[0])
    expected_w = ours(conv_output_length, w, k[1], s[1], p[1], d[1])
    assume(expected_h is not None and expected_w is not None)
    layer = nn.Conv2d(1, 1, k, stride=s, padding=p, dilation=d, bias=False)
    with torch.no_grad():
        assert layer(torch.zeros(1, 1, h, w)).shape[-2:] == (expected_h, expected_w)


@settings(max_examples=100, deadline=None)
@given(length=lengths, k=kernels, s=st.one_of(st.none(), strides), p=paddings, d=dilations, ceil=st.booleans())
def test_pool_output_length_matches_maxpool1d(length, k, s, p, d, ceil):
    assume(p <= k // 2)  # PyTorch's own rule; tested separately below
    layer = nn.MaxPool1d(k, stride=s, padding=p, dilation=d, ceil_mode=ceil)
    assert ours(pool_output_length, length, k, s, p, d, ceil) == torch_length(layer, length)


@settings(max_examples=100, deadline=None)
@given(length=lengths, k=kernels, s=st.one_of(st.none(), strides), p=paddings, ceil=st.booleans())
def test_pool_output_length_matches_avgpool1d(length, k, s, p, ceil):
    assume(p <= k // 2)
    layer = nn.AvgPool1d(k, stride=s, padding=p, ceil_mode=ceil)
    assert ours(pool_output_length, length, k, s, p, 1, ceil) == torch_length(layer, length)


@settings(max_examples=100, deadline=None)
@given(length=lengths, k=kernels, s=strides, p=paddings, op=st.integers(0, 3), d=dilations)
def test_conv_transpose_output_length_matches_convtranspose1d(length, k, s, p, op, d):
    assume(op < s or op < d)
    expected = ours(conv_transpose_output_length, length, k, s, p, op, d)
    layer = nn.ConvTranspose1d(1, 1, k, stride=s, padding=p, output_padding=op, dilation=d, bias=False)
    assert expected == torch_length(layer, length)


def test_known_values():
    assert conv_output_length(1024, 32, stride=8, padding=12) == 128
    assert pool_output_length(128, 2) == 64  # stride defaults to the kernel size
    assert pool_output_length(8, 8, stride=1) == 1
    assert pool_output_length(5, 2, ceil_mode=True) == 3
    # ceil_mode: ceil((5 + 2*1 - 2)/2) + 1 = 4, but that window would start in the right padding.
    assert pool_output_length(5, 2, stride=2, padding=1, ceil_mode=True) == 3
    assert conv_transpose_output_length(8, 4, stride=2, padding=1) == 16
    assert effective_kernel_size(3, 1) == 3
    assert effective_kernel_size(3, 2) == 5
    assert effective_kernel_size(3, 4) == 9


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: conv_output_length(4, 3, dilation=3),
            r"conv_output_length: expected the window \(kernel_size=3, dilation=3, spanning 7\) to fit in the padded "
            r"length 4 \+ 2\*0 = 4, got output length floor\(\(4 \+ 2\*0 - 3\*\(3 - 1\) - 1\)/1\) \+ 1 = -2",
        ),
        (lambda: conv_output_length(0, 3), r"conv_output_length: expected length to be an integer >= 1, got 0"),
        (
            lambda: conv_output_length(10, 3, stride=1.5),
            r"conv_output_length: expected stride to be an integer >= 1, got 1.5",
        ),
        (
            lambda: conv_output_length(10, 3, padding=-1),
            r"conv_output_length: expected padding to be an integer >= 0, got -1",
        ),
        (
            lambda: pool_output_length(10, 2, padding=2),
            r"pool_output_length: expected padding <= kernel_size // 2 = 1 .*got padding=2",
        ),
        (lambda: pool_output_length(1, 2), r"pool_output_length: expected the window .* got output length floor"),
        (
            lambda: conv_transpose_output_length(4, 3, stride=2, output_padding=2),
            r"conv_transpose_output_length: expected output_padding smaller than stride or dilation",
        ),
        (
            lambda: conv_transpose_output_length(1, 1, padding=1),
            r"conv_transpose_output_length: expected a positive output length, got \(1 - 1\)\*1 - 2\*1 \+ 1\*\(1 - 1\) "
            r"\+ 0 \+ 1 = -1",
        ),
        (
            lambda: effective_kernel_size(0, 1),
            r"effective_kernel_size: expected kernel_size to be an integer >= 1, got 0",
        ),
        (
            lambda: effective_kernel_size(3, True),
            r"effective_kernel_size: expected dilation to be an integer >= 1, got True",
        ),
    ],
)
def test_formula_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---------------------------------------------------------------------------
# 2. Receptive field
# ---------------------------------------------------------------------------


def test_receptive_field_known_values():
    assert receptive_field([(3, 1)] * 3).receptive_field == 7
    dilated = receptive_field([(3, 1, 1), (3, 1, 2), (3, 1, 4)])
    assert [step.receptive_field for step in dilated.layers] == [3, 7, 15]
    strided = receptive_field([(3, 2), (3, 1), (2, 2), (3, 1)])
    assert [(step.receptive_field, step.jump) for step in strided.layers] == [(3, 2), (7, 2), (9, 4), (17, 4)]
    assert (strided.receptive_field, strided.jump) == (17, 4)
    assert receptive_field([]).receptive_field == 1


def test_receptive_field_from_modules():
    stack = nn.Sequential(
        nn.Conv2d(3, 8, 3, padding=1),
        nn.BatchNorm2d(8),
        nn.ReLU(),
        nn.Sequential(nn.Conv2d(8, 8, 3, stride=2), nn.ReLU()),
        nn.MaxPool2d(2),
        nn.Conv2d(8, 8, 3, dilation=2),
        nn.Dropout(),
    )
    result = receptive_field(stack)
    assert [step.name for step in result.layers] == ["0", "3.0", "4", "5"]
    assert [step.receptive_field for step in result.layers] == [3, 5, 7, 7 + 4 * 4]
    assert result.jump == 4
    assert receptive_field(nn.Conv1d(1, 1, 5)).receptive_field == 5
    assert receptive_field([nn.Conv1d(1, 1, 3), (3, 1)]).receptive_field == 5
    text = str(result)
    assert text.splitlines()[0].split() == ["layer", "k", "s", "d", "receptive", "field", "jump"]


@settings(max_examples=30, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 3)), min_size=1, max_size=4))
def test_receptive_field_is_what_one_output_sees(layers):
    # With all-ones weights and average pooling, output position 0 depends on exactly
    # the input samples of its receptive field: count them through the gradient.
    result = receptive_field(layers)
    modules = []
    for k, s, d in layers:
        conv = nn.Conv1d(1, 1, k, stride=s, dilation=d, bias=False)
        nn.init.ones_(conv.weight)
        modules.append(conv)
    x = torch.zeros(1, 1, result.receptive_field + 3, requires_grad=True)
    nn.Sequential(*modules)(x)[0, 0, 0].backward()
    touched = torch.nonzero(x.grad[0, 0]).flatten()
    assert touched.max().item() - touched.min().item() + 1 == result.receptive_field


@pytest.mark.parametrize(
    "layers, message",
    [
        (
            nn.Sequential(nn.Conv1d(1, 1, 3), nn.Flatten(), nn.Linear(3, 2)),
            r"receptive_field: expected convolution and pooling layers, got 1 \(Flatten\), which mixes all positions",
        ),
        ([nn.ConvTranspose1d(1, 1, 3)], r"receptive_field: .*got 0 \(ConvTranspose1d\): transposed"),
        (
            [nn.Conv2d(1, 1, (3, 5))],
            r"receptive_field: expected the same kernel_size on every axis, got kernel_size=\(3, 5\) in 0 \(Conv2d\)",
        ),
        (
            [(3,)],
            r"receptive_field: expected \(kernel_size, stride\[, dilation\]\) tuples or modules, got \(3,\) at "
            r"position 0",
        ),
        ([(3, 0)], r"receptive_field: expected stride of layer 0 to be an integer >= 1, got 0"),
        (
            nn.Sequential(nn.Sequential(nn.Conv1d(1, 1, 3)), nn.TransformerEncoderLayer(4, 1)),
            r"receptive_field: expected an nn.Sequential or a list of layers, got 1 \(TransformerEncoderLayer\)",
        ),
        (3, r"receptive_field: expected a sequence of layers or an nn.Sequential, got 3"),
    ],
)
def test_receptive_field_errors(layers, message):
    with pytest.raises(ValueError, match=message):
        receptive_field(layers)


# ---------------------------------------------------------------------------
# 3. trace
# ---------------------------------------------------------------------------


def expected_qa_names() -> list[str]:
    names = ["conv1", "pool1", "BN"]
    for k in QANet.KERNELS:
        names += [f"{kind}{k}_{i}" for i in (1, 2, 3) for kind in ("conv", "pool")] + ["pool2"]
    return names + ["concat", "fc", "softmax"]


def test_trace_rows_of_the_qa_net(qa_trace):
    assert [row.name for row in qa_trace.rows] == expected_qa_names()
    assert qa_trace.output_shape == (1, 4)
    assert qa_trace.input_shape == (1, 1, 1024)

    conv1 = qa_trace["conv1"]
    assert (conv1.type, conv1.input_shape, conv1.output_shape) == ("Conv1d", (1, 1, 1024), (1, 64, 128))
    assert conv1.formula == "L = floor((1024 + 2*12 - 32)/8) + 1 = 128"
    assert conv1.num_params == conv_params(1, 64, 32) == 2_112

    assert qa_trace["pool1"].formula == "L = floor((128 - 2)/2) + 1 = 64"
    assert qa_trace["pool1"].num_params == 0
    assert qa_trace["BN"].num_params == 2 * 64
    assert qa_trace["BN"].formula == ""
    for k in QANet.KERNELS:
        p = k // 2
        assert qa_trace[f"conv{k}_1"].formula == f"L = floor((64 + 2*{p} - {k})/1) + 1 = 64"
        assert qa_trace[f"conv{k}_2"].num_params == conv_params(64, 128, k)
        assert qa_trace[f"conv{k}_3"].output_shape == (1, 256, 16)
        assert qa_trace[f"pool{k}_3"].formula == "L = floor((16 - 2)/2) + 1 = 8"

    pool2 = qa_trace.calls("pool2")
    assert [row.call for row in pool2] == [1, 2, 3]
    assert [row.label for row in pool2] == ["pool2 (call 1)", "pool2 (call 2)", "pool2 (call 3)"]
    assert qa_trace["pool2 (call 3)"] is pool2[2]
    assert all(row.formula == "L = floor((8 - 8)/1) + 1 = 1" for row in pool2)
    assert all(row.output_shape == (1, 256, 1) for row in pool2)

    concat = qa_trace["concat"]
    assert concat.input_shapes == ((1, 256, 1),) * 3
    assert concat.output_shape == (1, 768)
    assert concat.formula == "3 x 256 x 1 = 768"
    assert qa_trace["fc"].formula == "768 -> 4"
    assert qa_trace["fc"].num_params == 768 * 4 + 4
    assert qa_trace.total_params == sum(p.numel() for p in QANet().parameters())


def test_trace_text_and_html_are_deterministic(qa_net, qa_trace):
    again = trace(qa_net, (1, 1, 1024))
    assert str(again) == str(qa_trace)
    assert again._repr_html_() == qa_trace._repr_html_()

    lines = str(qa_trace).splitlines()
    assert lines[0].split() == ["Layer", "Type", "Input", "shape", "Output", "shape", "Params", "Output", "size"]
    concat_line = next(line for line in lines if line.startswith("concat"))
    assert "3 x (1, 256, 1)" in concat_line and concat_line.endswith("3 x 256 x 1 = 768")
    conv1_line = next(line for line in lines if line.startswith("conv1 "))
    assert "2,112" in conv1_line
    assert "682,500 parameters" in lines[-1]
    assert lines[0].index("Output shape") == lines[2].index("(1, 64, 128)")  # columns line up

    page = qa_trace._repr_html_()
    assert page.startswith('<table class="ghostedu-trace">') and page.endswith("</table>")
    assert page.count("<tr>") == len(qa_trace.rows) + 2  # header and footer
    assert "<code>L = floor((1024 + 2*12 - 32)/8) + 1 = 128</code>" in page


def test_trace_escapes_html():
    model = nn.Sequential()
    model.add_module("a<b>&c", nn.Linear(2, 2))
    page = trace(model, (1, 2))._repr_html_()
    assert "a&lt;b&gt;&amp;c" in page and "a<b>" not in page


def test_trace_formulas_of_2d_and_other_layers():
    model = nn.Sequential(
        nn.Conv2d(3, 8, 3, stride=2, padding=1),
        nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
        nn.Conv2d(8, 8, (3, 1), dilation=(2, 1)),
        nn.ConvTranspose2d(8, 4, 4, stride=2, padding=1),
        nn.AdaptiveAvgPool2d((2, 1)),
        nn.Flatten(),
        nn.Linear(8, 3),
    )
    t = trace(model, (1, 3, 112, 112))
    assert t["0"].formula == "H = W = floor((112 + 2*1 - 3)/2) + 1 = 56"
    assert t["0"].num_params == conv_params(3, 8, 3, 3)
    assert t["1"].formula == "H = W = ceil((56 + 2*1 - 3)/2) + 1 = 29"
    assert t["2"].formula == ("H = floor((29 - 2*(3 - 1) - 1)/1) + 1 = 25, W = floor((29 - 1)/1) + 1 = 29")
    assert t["3"].formula == "H = (25 - 1)*2 - 2*1 + 4 = 50, W = (29 - 1)*2 - 2*1 + 4 = 58"
    assert t["4"].formula == "H = 2, W = 1 (adaptive, from 50 x 58)"
    assert t["5"].formula == "4 x 2 x 1 = 8"
    assert t["6"].formula == "8 -> 3"
    assert t.output_shape == (1, 3)

    one_d = trace(
        nn.Sequential(nn.Conv1d(1, 2, 3, dilation=2), nn.AvgPool1d(2), nn.Conv1d(2, 2, 3, padding="same")), (2, 1, 10)
    )
    assert one_d["0"].formula == "L = floor((10 - 2*(3 - 1) - 1)/1) + 1 = 6"
    assert one_d["1"].formula == "L = floor((6 - 2)/2) + 1 = 3"
    assert one_d["2"].formula == "L = 3 (padding='same')"
    assert one_d["0"].input_shape == (2, 1, 10)  # the batch dimension is kept


def test_trace_depth_collapses_modules():
    model = nn.Sequential(
        nn.Sequential(nn.Conv1d(1, 4, 3), nn.ReLU(), nn.Sequential(nn.Conv1d(4, 4, 3), nn.ReLU())),
        nn.Flatten(),
        nn.Linear(24, 2),
    )
    assert [row.name for row in trace(model, (1, 1, 10))] == ["0.0", "0.1", "0.2.0", "0.2.1", "1", "2"]
    collapsed = trace(model, (1, 1, 10), depth=1)
    assert [(row.name, row.type) for row in collapsed] == [("0", "Sequential"), ("1", "Flatten"), ("2", "Linear")]
    assert collapsed["0"].num_params == conv_params(1, 4, 3) + conv_params(4, 4, 3)
    assert collapsed["0"].output_shape == (1, 4, 6)
    assert collapsed["0"].formula == ""
    middle = trace(model, (1, 1, 10), depth=2)
    assert [row.name for row in middle] == ["0.0", "0.1", "0.2", "1", "2"]
    whole = trace(model, (1, 1, 10), depth=0)
    assert [(row.label, row.input_shape, row.output_shape) for row in whole] == [("(model)", (1, 1, 10), (1, 2))]


def test_trace_restores_training_mode_and_buffers():
    model = nn.Sequential(nn.Conv1d(1, 2, 3), nn.BatchNorm1d(2), nn.Dropout())
    model.train()
    before = model[1].running_mean.clone()
    trace(model, (4, 1, 8))
    assert model.training and all(m.training for m in model.modules())
    assert torch.equal(model[1].running_mean, before)  # ran in eval mode
    model.eval()
    trace(model, (4, 1, 8))
    assert not model.training
    model.train()
    model[1].eval()  # a frozen BatchNorm inside a training model stays frozen
    trace(model, (4, 1, 8))
    assert accepted_input_lengths(nn.Sequential(model, nn.Flatten(), nn.Linear(12, 1)), max_length=16) == range(8, 9)
    assert [m.training for m in model] == [True, False, True]


def test_trace_of_a_shared_conv_counts_params_once_in_text():
    class Twice(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.conv = nn.Conv1d(2, 2, 3, padding=1)

        def forward(self, x):
            return self.conv(self.conv(x))

    t = trace(Twice(), (1, 2, 5))
    assert [row.label for row in t] == ["conv (call 1)", "conv (call 2)"]
    assert [row.num_params for row in t] == [conv_params(2, 2, 3)] * 2
    assert "(recursive)" in str(t).splitlines()[3]


@pytest.mark.parametrize(
    "model, size, depth, error, message",
    [
        (
            nn.Conv1d(1, 2, 3),
            (1, 3, 8),
            None,
            ValueError,
            r"trace: the model fails in the forward of Conv1d, on an input of size \(1, 3, 8\): Given groups=1",
        ),
        (
            nn.Conv1d(1, 2, 3),
            (1, 0, 8),
            None,
            ValueError,
            r"trace: expected input_size to be a sequence of integers >= 1 like \(1, 1, 1024\), got \(1, 0, 8\)",
        ),
        (
            nn.Conv1d(1, 2, 3),
            "1x1x8",
            None,
            ValueError,
            r"trace: expected input_size to be a sequence of integers >= 1 .* got '1x1x8'",
        ),
        (nn.Conv1d(1, 2, 3), (1, 1, 8), -1, ValueError, r"trace: expected depth to be an integer >= 0, got -1"),
    ],
)
def test_trace_errors(model, size, depth, error, message):
    with pytest.raises(error, match=message):
        trace(model, size, depth=depth)


def test_trace_unknown_name(qa_trace):
    with pytest.raises(KeyError, match="Trace.__getitem__: expected a module name among"):
        qa_trace["conv2"]


# ---------------------------------------------------------------------------
# 4. accepted_input_lengths
# ---------------------------------------------------------------------------


def test_accepted_input_lengths_of_the_qa_net(qa_net):
    calls = []
    handle = qa_net.register_forward_pre_hook(lambda module, args: calls.append(args[0].shape[-1]))
    try:
        accepted = accepted_input_lengths(qa_net)
    finally:
        handle.remove()
    assert accepted == range(1024, 1152)
    assert 0 < len(calls) <= 2 * 14  # two binary searches over 1..8192, not one pass per length
    for length in (1023, 1024, 1151, 1152):  # the edges, checked by running the model
        x = torch.zeros(1, 1, length)
        if length in accepted:
            assert qa_net(x).shape == (1, 4)
        else:
            with pytest.raises(RuntimeError):
                qa_net(x)


def test_accepted_input_lengths_does_not_depend_on_execution_order():
    torch.manual_seed(0)
    model = InterleavedQANet()
    assert accepted_input_lengths(model, max_length=2048) == range(1024, 1152)


def test_accepted_input_lengths_of_the_book_net():
    from ghostedu.models import Net

    net = Net()
    accepted = accepted_input_lengths(net, max_length=2048)
    assert accepted == range(1024, 1152) == net.input_lengths()  # the search agrees with the formulas
    assert net.training  # its mode restored


def test_accepted_input_lengths_of_a_conv_stack():
    # conv: L - 2; pool: floor((L - 2 - 2)/2) + 1; 4 channels x 10 positions = 40 features
    model = nn.Sequential(nn.Conv1d(1, 4, 3), nn.ReLU(), nn.MaxPool1d(2), nn.Flatten(), nn.Linear(40, 2))
    assert accepted_input_lengths(model, max_length=200) == range(22, 24)
    strided = nn.Sequential(
        nn.Conv1d(2, 3, 4, stride=3, padding=1), nn.AvgPool1d(2, ceil_mode=True), nn.Flatten(), nn.Linear(3 * 5, 1)
    )
    assert accepted_input_lengths(strided, max_length=100) == by_running(strided, 100, in_channels=2)
    assert accepted_input_lengths(
        nn.Sequential(nn.AdaptiveAvgPool1d(3), nn.Flatten(), nn.Linear(6, 1)), max_length=50, in_channels=2
    ) == range(1, 51)


class FunctionalPool(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv1d(1, 2, 3)
        self.fc = nn.Linear(8, 1)

    def forward(self, x):
        return self.fc(F.max_pool1d(self.conv(x), 2).flatten(1))


class Residual(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.a = nn.Conv1d(1, 2, 3, padding=1)
        self.b = nn.Conv1d(1, 2, 5, padding=2)
        self.fc = nn.Linear(20, 1)

    def forward(self, x):
        return self.fc(F.relu(self.a(x) + self.b(x)).flatten(1))


def by_running(model: nn.Module, max_length: int, in_channels: int = 1) -> range:
    """The accepted lengths found the slow way: run the model at every length."""
    accepted = []
    for length in range(1, max_length + 1):
        try:
            with torch.no_grad():
                model(torch.zeros(1, in_channels, length))
        except RuntimeError:
            continue
        accepted.append(length)
    return range(accepted[0], accepted[-1] + 1) if accepted else range(0)


@pytest.mark.parametrize("model", [FunctionalPool(), Residual()], ids=["functional pool", "residual sum"])
def test_accepted_input_lengths_of_any_layers(model):
    # Functional steps and merged branches need no special care: the search only counts features.
    assert accepted_input_lengths(model, max_length=64) == by_running(model, 64)


@settings(max_examples=200, deadline=None)
@given(
    steps=st.lists(st.integers(1, 9), min_size=1, max_size=4),
    short=st.integers(0, 30),
    target=st.integers(0, 60),
    max_length=st.integers(1, 120),
)
def test_lengths_giving_is_the_brute_force_range(steps, short, target, max_length):
    def count(length):  # a staircase: None below `short`, then non-decreasing
        return None if length < short else sum(length // s for s in steps)

    expected = [n for n in range(1, max_length + 1) if count(n) == target]
    if expected:
        assert lengths_giving("f", count, target, max_length) == range(expected[0], expected[-1] + 1)
    else:
        with pytest.raises(ValueError, match=rf"f: expected some input length in 1..{max_length} to give {target}"):
            lengths_giving("f", count, target, max_length)


def test_output_length_formula_text():
    assert output_length_formula(1024, 32, 8, 12) == "floor((1024 + 2*12 - 32)/8) + 1"
    assert output_length_formula(9, 3, 1, 0, 2) == "floor((9 - 2*(3 - 1) - 1)/1) + 1"
    assert output_length_formula(5, 2, 2, 1, ceil_mode=True) == "ceil((5 + 2*1 - 2)/2) + 1"


@pytest.mark.parametrize(
    "model, kwargs, message",
    [
        (
            nn.Sequential(nn.Conv1d(1, 2, 3)),
            {},
            r"accepted_input_lengths: expected a model containing an nn.Linear, got Sequential without one",
        ),
        (
            nn.Sequential(nn.Flatten(), nn.Linear(4, 1)),
            {},
            r"expected a model with an nn.Conv1d to take in_channels from",
        ),
        (
            nn.Sequential(nn.Conv1d(1, 4, 3), nn.Flatten(), nn.Linear(42, 1)),
            {"max_length": 100},
            r"accepted_input_lengths: expected some input length in 1..100 to give 42 features to 2 \(Linear\), got "
            r"none: L=12 gives 40 and L=13 gives 44",
        ),
        (
            nn.Sequential(nn.Conv1d(1, 4, 3), nn.Linear(4, 1)),
            {"max_length": 64},
            r"expected 1 \(Linear\) to receive flattened \(N, features\) input, got shape \(1, 4, \d+\)",
        ),
        (
            nn.Sequential(nn.Conv1d(1, 4, 3), nn.Flatten(), nn.Linear(4, 1)),
            {"max_length": 0},
            r"accepted_input_lengths: expected max_length to be an integer >= 1, got 0",
        ),
        (
            nn.Sequential(nn.Conv1d(1, 4, 300), nn.Flatten(), nn.Linear(4, 1)),
            {"max_length": 64},
            r"accepted_input_lengths: expected some input length in 1..64 to give 4 features to 2 \(Linear\), got "
            r"none: L=64 gives none \(too short\); the model stopped before 2 at L=\d+: RuntimeError",
        ),
        (
            nn.Sequential(nn.Conv1d(1, 4, 3), nn.Flatten(), nn.LazyLinear(1)),
            {},
            r"expected 2 to know its in_features, got an nn.LazyLinear not yet initialized",
        ),
    ],
)
def test_accepted_input_lengths_errors(model, kwargs, message):
    with pytest.raises(ValueError, match=message):
        accepted_input_lengths(model, **kwargs)
