"""Bad input to the shape arithmetic, the windows, ``trace`` and the reference convolutions, drawn by
hypothesis. Each bad value ends in a ValueError or TypeError that names the function; each valid
boundary value works."""

import numpy as np
import pytest
import torch
from bad_input import SETTINGS, bad_bool, bad_int, bad_size, draw_bad_argument, expect_error, expect_handled
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from ghostedu import reference
from ghostedu.shapes import (
    accepted_input_lengths,
    conv_output_length,
    conv_transpose_output_length,
    conv_windows_1d,
    dependency_mask,
    effective_kernel_size,
    lengths_giving,
    output_length_formula,
    pool_output_length,
    receptive_field,
    stack_dependencies,
    stack_windows,
    trace,
)

AREA = "shapes"
WINDOW = {"kernel_size": bad_int(), "stride": bad_int(), "padding": bad_int(0), "dilation": bad_int()}

# name: (function, valid arguments, bad values per argument)
ARITHMETIC = {
    "effective_kernel_size": (
        effective_kernel_size,
        {"kernel_size": 3},
        {"kernel_size": bad_int(), "dilation": bad_int()},
    ),
    "conv_output_length": (
        conv_output_length,
        {"length": 10, "kernel_size": 3},
        # stride=None is valid for pooling: it means stride = kernel_size, as in nn.MaxPool1d
        {"length": bad_int(), **WINDOW, "stride": bad_int().filter(lambda v: v is not None), "ceil_mode": bad_bool()},
    ),
    "pool_output_length": (
        pool_output_length,
        {"length": 10, "kernel_size": 3},
        # stride=None is valid for pooling: it means stride = kernel_size, as in nn.MaxPool1d
        {"length": bad_int(), **WINDOW, "stride": bad_int().filter(lambda v: v is not None), "ceil_mode": bad_bool()},
    ),
    "conv_transpose_output_length": (
        conv_transpose_output_length,
        {"length": 10, "kernel_size": 3},
        {"length": bad_int(), **WINDOW, "output_padding": bad_int(0)},
    ),
    "output_length_formula": (
        output_length_formula,
        {"length": 10, "kernel_size": 3},
        # stride=None is valid for pooling: it means stride = kernel_size, as in nn.MaxPool1d
        {"length": bad_int(), **WINDOW, "stride": bad_int().filter(lambda v: v is not None), "ceil_mode": bad_bool()},
    ),
    "conv_windows_1d": (conv_windows_1d, {"length": 10, "kernel_size": 3}, {"length": bad_int(), **WINDOW}),
}


@pytest.mark.parametrize("func", ARITHMETIC)
@SETTINGS
@given(data=st.data())
def test_bad_settings_are_refused_by_name(func, data):
    call, valid, bad = ARITHMETIC[func]
    argument, value = draw_bad_argument(data, bad)
    expect_error(AREA, func, lambda: call(**{**valid, argument: value}))


@SETTINGS
@given(
    length=st.integers(1, 20),
    kernel_size=st.integers(1, 30),
    stride=st.integers(1, 5),
    padding=st.integers(0, 3),
    dilation=st.integers(1, 4),
)
def test_a_window_that_does_not_fit_is_named_as_such(length, kernel_size, stride, padding, dilation):
    span = dilation * (kernel_size - 1) + 1
    if span <= length + 2 * padding:  # fits: a valid boundary of the same formula
        expect_handled(
            AREA, "conv_output_length", lambda: conv_output_length(length, kernel_size, stride, padding, dilation)
        )
    else:
        expect_error(
            AREA, "conv_output_length", lambda: conv_output_length(length, kernel_size, stride, padding, dilation)
        )


BAD_LAYER = st.one_of(
    st.none(),
    st.integers(),
    st.text(max_size=3),
    st.tuples(bad_int(), st.integers(1, 3)),
    st.tuples(st.integers(1, 3), bad_int()),
    st.tuples(st.integers(1, 3), st.integers(1, 3), bad_int()),
    st.just((1, 2, 3, 4)),
    st.just({"stride": 2}),
    st.just({"kernel_size": 3, "strides": 2}),
    st.just(nn.Conv1d(1, 1, 3, padding="same")),
)


@SETTINGS
@given(data=st.data())
def test_stacks_of_bad_layers(data):
    good = [(3, 1)]
    func = data.draw(st.sampled_from(["stack_windows", "stack_dependencies", "receptive_field"]))
    layer = data.draw(BAD_LAYER, label="layer")
    if func == "receptive_field":
        if isinstance(layer, (dict, nn.Conv1d)):  # receptive_field takes tuples and window modules
            layer = (0, 1)
        expect_error(AREA, func, lambda: receptive_field([*good, layer]))
    elif func == "stack_windows":
        choice = data.draw(st.sampled_from(["layer", "length", "layers"]))
        if choice == "layer":
            expect_error(AREA, func, lambda: stack_windows([*good, layer], 10))
        elif choice == "length":
            expect_error(AREA, func, lambda: stack_windows(good, data.draw(bad_int(), label="length")))
        else:
            expect_error(AREA, func, lambda: stack_windows(data.draw(st.one_of(st.none(), st.integers())), 10))
    else:
        index = data.draw(
            st.one_of(st.integers(max_value=-1), st.integers(min_value=8), st.floats(), st.text(max_size=2))
        )
        expect_error(AREA, func, lambda: stack_dependencies(good, 10, index))


@SETTINGS
@given(data=st.data())
def test_lengths_giving_checks_its_arguments(data):
    choice = data.draw(st.sampled_from(["count", "result", "target", "max_length"]))
    args = {"func": "f", "count": lambda n: n // 2, "target": 4, "max_length": 20}
    if choice == "count":
        args["count"] = data.draw(st.one_of(st.none(), st.integers(), st.text(max_size=2)))
    elif choice == "result":
        args["count"] = data.draw(st.sampled_from([lambda n: "x", lambda n: 1.5, lambda n: [n]]))
    else:
        args[choice] = data.draw(bad_int(0 if choice == "target" else 1))
    expect_error(AREA, "lengths_giving", lambda: lengths_giving(**args), name="f")


CONV = nn.Conv1d(1, 2, 3)
NET = nn.Sequential(nn.Conv1d(1, 2, 3), nn.Flatten(), nn.Linear(12, 2))


@SETTINGS
@given(data=st.data())
def test_trace_and_the_length_search(data):
    func = data.draw(st.sampled_from(["trace", "accepted_input_lengths", "dependency_mask"]))
    argument = data.draw(st.sampled_from(["model", "size", "other"]))
    not_a_model = data.draw(st.sampled_from([None, "Net", 3, [CONV], nn.Conv1d]))
    if func == "trace":
        if argument == "model":
            call = lambda: trace(not_a_model, (1, 1, 8))  # noqa: E731
        elif argument == "size":
            size = data.draw(st.one_of(bad_size(), st.just((1, 2, 8)), st.just((1, 1, 2))), label="input_size")
            call = lambda: trace(CONV, size)  # noqa: E731
        else:
            depth = data.draw(bad_int(0).filter(lambda v: v is not None), label="depth")
            call = lambda: trace(CONV, (1, 1, 8), depth=depth)  # noqa: E731
    elif func == "accepted_input_lengths":
        if argument == "model":
            call = lambda: accepted_input_lengths(not_a_model)  # noqa: E731
        elif argument == "size":
            max_length = data.draw(st.one_of(bad_int(), st.integers(1, 7), st.just(10**12)), label="max_length")
            call = lambda: accepted_input_lengths(NET, max_length)  # noqa: E731
        else:
            channels = data.draw(bad_int().filter(lambda v: v is not None), label="in_channels")
            call = lambda: accepted_input_lengths(NET, 64, in_channels=channels)  # noqa: E731
    else:
        if argument == "model":
            call = lambda: dependency_mask(not_a_model, (1, 1, 8))  # noqa: E731
        elif argument == "size":
            size = data.draw(st.one_of(bad_size(), st.just((1, 1)), st.just((1, 2, 8))), label="input_size")
            call = lambda: dependency_mask(CONV, size)  # noqa: E731
        else:
            index = data.draw(
                st.one_of(st.just((0, 0, 6)), st.just((0, 5, 0)), st.just((0,)), st.just("a"), st.just((0, 0, 1.0)))
            )
            flag = data.draw(st.one_of(st.none(), bad_bool()))
            if flag is None:
                call = lambda: dependency_mask(CONV, (1, 1, 8), output_index=index)  # noqa: E731
            else:
                call = lambda: dependency_mask(CONV, (1, 1, 8), counts=flag)  # noqa: E731
    expect_error(AREA, func, call)


REFERENCE = {
    "conv1d": (reference.conv1d, 1),
    "conv2d": (reference.conv2d, 2),
    "conv1d_loops": (reference.conv1d_loops, 1),
}


@pytest.mark.parametrize("func", REFERENCE)
@SETTINGS
@given(data=st.data())
def test_reference_convolutions(func, data):
    conv, dims = REFERENCE[func]
    x = torch.zeros(1, 2, *(4,) * dims)
    weight = torch.zeros(3, 2, *(2,) * dims)
    args = {"x": x, "weight": weight}
    argument = data.draw(
        st.sampled_from(
            ["x", "weight", "bias", "stride", "padding", "dilation"] + (["groups"] if func != "conv1d_loops" else [])
        )
    )
    if argument == "x":
        args["x"] = data.draw(
            st.one_of(
                st.none(),
                st.just(x.double()),
                st.just(x[0]),
                st.just(torch.zeros(1, 3, *(4,) * dims)),
                st.just(x.numpy()),
            )
        )
    elif argument == "weight":
        args["weight"] = data.draw(
            st.one_of(
                st.none(),
                st.just(weight[0]),
                st.just(weight.double()),
                st.just(torch.zeros(3, 1, *(2,) * dims)),
                st.just(torch.zeros(3, 2, *(9,) * dims)),
            )
        )
    elif argument == "bias":
        args["bias"] = data.draw(
            st.one_of(st.just(torch.zeros(2)), st.just(np.zeros(3)), st.just(torch.zeros(3, 1)), st.integers())
        )
    elif argument == "groups":
        args["groups"] = data.draw(st.one_of(bad_int(), st.just(2), st.just(3)))
    else:
        # one integer per axis is valid: [1] for a 1D convolution, (1, 2) for a 2D one
        low = 0 if argument == "padding" else 1

        def per_axis(v):
            return isinstance(v, (list, tuple)) and len(v) == dims and all(type(i) is int and i >= low for i in v)

        args[argument] = data.draw(bad_int(low).filter(lambda v: not per_axis(v)), label=argument)
    expect_error(AREA, func, lambda: conv(**args))


BOUNDARY = {
    "conv_output_length": [
        lambda: conv_output_length(1, 1),
        lambda: conv_output_length(3, 3),
        lambda: conv_output_length(1, 3, 1, 1),
    ],
    "pool_output_length": [lambda: pool_output_length(1, 1), lambda: pool_output_length(2, 3, 2, 1, ceil_mode=True)],
    "conv_transpose_output_length": [
        lambda: conv_transpose_output_length(1, 1),
        lambda: conv_transpose_output_length(1, 1, 2, 0, 1),
    ],
    "output_length_formula": [lambda: output_length_formula(1, 1, ceil_mode=np.bool_(True))],
    "effective_kernel_size": [lambda: effective_kernel_size(1, 1), lambda: effective_kernel_size(np.int64(3), 2)],
    "conv_windows_1d": [lambda: conv_windows_1d(1, 1), lambda: conv_windows_1d(1, 3, padding=1)],
    "stack_dependencies": [lambda: stack_dependencies([(3, 1)], 3, 0)],
    "receptive_field": [lambda: receptive_field([]), lambda: receptive_field(nn.Sequential())],
    "lengths_giving": [lambda: lengths_giving("f", lambda n: n, 1, 1)],
    "trace": [
        lambda: trace(CONV, (1, 1, 3)),
        lambda: trace(nn.Identity(), (1,)),
        lambda: trace(CONV, [1, 1, 3], depth=0),
    ],
    "accepted_input_lengths": [lambda: accepted_input_lengths(NET, 8)],
    "dependency_mask": [
        lambda: dependency_mask(CONV, (1, 1, 3)),
        lambda: dependency_mask(CONV, (1, 1, 3), (0, 1, 0), counts=True),
    ],
    "conv1d": [lambda: reference.conv1d(torch.zeros(0, 2, 2), torch.zeros(2, 1, 2), groups=2)],
    "conv2d": [lambda: reference.conv2d(torch.zeros(1, 1, 1, 1), torch.zeros(1, 1, 1, 1), padding=(0, 0))],
    "conv1d_loops": [lambda: reference.conv1d_loops(torch.zeros(1, 1, 1), torch.zeros(1, 1, 3), padding=1)],
}


@pytest.mark.parametrize("name", BOUNDARY)
def test_valid_boundary_values_still_work(name):
    for call in BOUNDARY[name]:
        expect_handled(AREA, name, call)
