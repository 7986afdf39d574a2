"""ghostedu.reference against torch.nn.functional."""

from __future__ import annotations

import itertools

import pytest
import torch
import torch.nn.functional as F
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ghostedu.reference import conv1d, conv1d_loops, conv2d

ATOL = 1e-5


def _inputs_1d(n, c_in, length, c_out, groups, k, seed=0):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(n, c_in, length, generator=g)
    w = torch.randn(c_out, c_in // groups, k, generator=g)
    b = torch.randn(c_out, generator=g)
    return x, w, b


@pytest.mark.parametrize(
    "stride, padding, dilation, groups, with_bias",
    list(itertools.product((1, 2, 3), (0, 1, 3), (1, 2), (1, 2, 4), (True, False))),
)
def test_conv1d_matches_torch_on_a_grid(stride, padding, dilation, groups, with_bias):
    x, w, b = _inputs_1d(2, 4, 19, 8, groups, k=3)
    b = b if with_bias else None
    expected = F.conv1d(x, w, b, stride, padding, dilation, groups)
    torch.testing.assert_close(conv1d(x, w, b, stride, padding, dilation, groups), expected, atol=ATOL, rtol=1e-5)


@pytest.mark.parametrize(
    "stride, padding, dilation, groups",
    [
        (1, 0, 1, 1),
        (2, 1, 1, 1),
        ((2, 1), (1, 0), (1, 2), 1),
        (1, 1, 1, 4),  # 4 = depthwise
        (2, (0, 2), (3, 1), 2),
        ((3, 2), 2, 2, 4),
    ],
)
def test_conv2d_matches_torch_on_a_grid(stride, padding, dilation, groups):
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 4, 12, 15, generator=g)
    w = torch.randn(8, 4 // groups, 3, 2, generator=g)
    b = torch.randn(8, generator=g)
    expected = F.conv2d(x, w, b, stride, padding, dilation, groups)
    torch.testing.assert_close(conv2d(x, w, b, stride, padding, dilation, groups), expected, atol=ATOL, rtol=1e-5)


@settings(max_examples=80, deadline=None)
@given(
    n=st.integers(1, 2),
    groups=st.integers(1, 3),
    in_per_group=st.integers(1, 3),
    out_per_group=st.integers(1, 3),
    length=st.integers(1, 24),
    k=st.integers(1, 5),
    stride=st.integers(1, 4),
    padding=st.integers(0, 3),
    dilation=st.integers(1, 3),
    with_bias=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_conv1d_property(n, groups, in_per_group, out_per_group, length, k, stride, padding, dilation, with_bias, seed):
    assume(length + 2 * padding >= dilation * (k - 1) + 1)
    x, w, b = _inputs_1d(n, groups * in_per_group, length, groups * out_per_group, groups, k, seed)
    b = b if with_bias else None
    expected = F.conv1d(x, w, b, stride, padding, dilation, groups)
    torch.testing.assert_close(conv1d(x, w, b, stride, padding, dilation, groups), expected, atol=ATOL, rtol=1e-5)


@settings(max_examples=60, deadline=None)
@given(
    groups=st.integers(1, 3),
    in_per_group=st.integers(1, 2),
    out_per_group=st.integers(1, 2),
    h=st.integers(1, 12),
    w=st.integers(1, 12),
    kh=st.integers(1, 4),
    kw=st.integers(1, 4),
    stride=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    padding=st.tuples(st.integers(0, 2), st.integers(0, 2)),
    dilation=st.tuples(st.integers(1, 3), st.integers(1, 3)),
    seed=st.integers(0, 2**16),
)
def test_conv2d_property(groups, in_per_group, out_per_group, h, w, kh, kw, stride, padding, dilation, seed):
    assume(h + 2 * padding[0] >= dilation[0] * (kh - 1) + 1)
    assume(w + 2 * padding[1] >= dilation[1] * (kw - 1) + 1)
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(2, groups * in_per_group, h, w, generator=g)
    weight = torch.randn(groups * out_per_group, in_per_group, kh, kw, generator=g)
    bias = torch.randn(groups * out_per_group, generator=g)
    expected = F.conv2d(x, weight, bias, stride, padding, dilation, groups)
    torch.testing.assert_close(
        conv2d(x, weight, bias, stride, padding, dilation, groups), expected, atol=ATOL, rtol=1e-5
    )


def test_conv1d_loops_is_the_same_convolution():
    x, w, b = _inputs_1d(2, 3, 11, 4, groups=1, k=3)
    for stride, padding, dilation in [(1, 0, 1), (2, 1, 1), (1, 2, 2), (3, 0, 2)]:
        expected = F.conv1d(x, w, b, stride, padding, dilation)
        torch.testing.assert_close(conv1d_loops(x, w, b, stride, padding, dilation), expected, atol=ATOL, rtol=1e-5)
    torch.testing.assert_close(conv1d_loops(x, w), F.conv1d(x, w), atol=ATOL, rtol=1e-5)


def test_gradients_match_torch():
    x, w, b = _inputs_1d(2, 4, 16, 4, groups=2, k=3)
    ours = [t.clone().requires_grad_() for t in (x, w, b)]
    theirs = [t.clone().requires_grad_() for t in (x, w, b)]
    conv1d(*ours, stride=2, padding=1, dilation=2, groups=2).square().sum().backward()
    F.conv1d(*theirs, stride=2, padding=1, dilation=2, groups=2).square().sum().backward()
    for a, e in zip(ours, theirs):
        torch.testing.assert_close(a.grad, e.grad, atol=1e-4, rtol=1e-5)


def test_float64_and_depthwise_2d():
    x = torch.randn(1, 3, 7, 7, dtype=torch.float64)
    w = torch.randn(3, 1, 3, 3, dtype=torch.float64)
    torch.testing.assert_close(conv2d(x, w, padding=1, groups=3), F.conv2d(x, w, padding=1, groups=3))


@pytest.mark.parametrize(
    "call, message",
    [
        (
            lambda: conv1d(torch.zeros(4, 8), torch.zeros(2, 4, 3)),
            r"conv1d: expected a 3-D input shaped \(N, C, L\), got a 2-D tensor of shape \(4, 8\)",
        ),
        (
            lambda: conv1d(torch.zeros(1, 4, 8), torch.zeros(2, 3, 3)),
            r"conv1d: expected weight.shape\[1\] == C_in/groups = 4/1 = 4, got weight of shape \(2, 3, 3\)",
        ),
        (
            lambda: conv1d(torch.zeros(1, 6, 8), torch.zeros(4, 2, 3), groups=4),
            r"conv1d: expected C_in and C_out divisible by groups=4, got C_in=6, C_out=4",
        ),
        (
            lambda: conv1d(torch.zeros(1, 4, 8), torch.zeros(3, 2, 3), groups=2),
            r"divisible by groups=2, got C_in=4, C_out=3",
        ),
        (
            lambda: conv1d(torch.zeros(1, 4, 8), torch.zeros(2, 4, 3), torch.zeros(3)),
            r"conv1d: expected bias of shape \(2,\), got shape \(3,\)",
        ),
        (
            lambda: conv1d(torch.zeros(1, 4, 8), torch.zeros(2, 4, 3), stride=0),
            r"conv1d: expected stride to be an integer >= 1, got 0",
        ),
        (
            lambda: conv1d(torch.zeros(1, 4, 8), torch.zeros(2, 4, 3), padding=-1),
            r"conv1d: expected padding to be an integer >= 0, got -1",
        ),
        (
            lambda: conv1d(torch.zeros(1, 4, 4), torch.zeros(2, 4, 3), dilation=2),
            r"conv1d: expected the kernel \(size 3, dilation 2, spanning 5\) to fit",
        ),
        (
            lambda: conv1d(torch.zeros(1, 4, 8), torch.zeros(2, 4, 3), groups=0),
            r"conv1d: expected groups to be an integer >= 1, got 0",
        ),
        (
            lambda: conv1d(torch.zeros(1, 4, 8), torch.zeros(2, 4, 3, dtype=torch.float64)),
            r"conv1d: expected weight with the dtype of x",
        ),
        (
            lambda: conv2d(torch.zeros(1, 4, 8, 8), torch.zeros(2, 4, 3)),
            r"conv2d: expected weight of shape \(C_out, C_in/groups, kH, kW\), got shape \(2, 4, 3\)",
        ),
        (
            lambda: conv2d(torch.zeros(1, 4, 8, 8), torch.zeros(2, 4, 3, 3), stride=(1, 2, 3)),
            r"conv2d: expected stride to be an integer or 2 integers >= 1, got \(1, 2, 3\)",
        ),
        (
            lambda: conv2d(torch.zeros(1, 4, 8, 2), torch.zeros(2, 4, 3, 3)),
            r"conv2d: expected the kernel .* on spatial axis 1",
        ),
        (
            lambda: conv1d_loops(torch.zeros(1, 4, 2), torch.zeros(2, 4, 3)),
            r"conv1d_loops: expected the kernel \(spanning 3\) to fit in the padded length 2",
        ),
    ],
)
def test_errors_name_the_function_and_the_mismatch(call, message):
    with pytest.raises(ValueError, match=message):
        call()
