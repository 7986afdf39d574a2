"""Bad input to the device helpers, seeds, eval mode and timings: ``GHOSTEDU_DEVICE`` set to any text,
``dev`` arguments, models and sizes. Each ends in a ValueError or TypeError that names the function
(or the variable); each valid value works."""

import os
from unittest import mock

import numpy as np
import pytest
import torch
from bad_input import SETTINGS, bad_bool, bad_positive, bad_size, expect_error, expect_handled
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

import ghostedu
from ghostedu import bench

AREA = "device"
TEXT = st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=12)
NOT_A_MODEL = st.sampled_from([None, "model", 3, [nn.ReLU()], nn.ReLU])


def _exists(value: str) -> bool:
    """Whether ``GHOSTEDU_DEVICE=value`` names a device of this machine (or is blank: unset)."""
    value = value.strip().lower()
    if not value:
        return True
    try:
        dev = torch.device(value)
    except (RuntimeError, ValueError):
        return False
    if dev.type == "cuda":
        return torch.cuda.is_available() and (dev.index is None or dev.index < torch.cuda.device_count())
    return dev.type == "cpu"


@SETTINGS
@given(
    value=st.one_of(TEXT, st.sampled_from(["gpu", "cuda:x", "cuda:99", "mps", "meta", "xpu", "cpu:0", "CUDA", " cpu "]))
)
def test_ghostedu_device_is_a_device_of_this_machine_or_named(value):
    with mock.patch.dict(os.environ, {"GHOSTEDU_DEVICE": value}):
        if _exists(value):
            expect_handled(AREA, "GHOSTEDU_DEVICE", ghostedu.device)
        else:
            error = expect_error(AREA, "GHOSTEDU_DEVICE", ghostedu.device)
            assert f"GHOSTEDU_DEVICE={value!r}" in str(error)


@SETTINGS
@given(data=st.data())
def test_helpers_name_their_bad_arguments(data):
    func = data.draw(
        st.sampled_from(
            ["model_device", "zeros_input", "seed_everything", "evaluating", "machine_label", "time_forward"]
        )
    )
    if func == "model_device":
        model = data.draw(NOT_A_MODEL, label="model")
        expect_error(AREA, func, lambda: ghostedu.model_device(model))
    elif func == "zeros_input":
        which = data.draw(st.sampled_from(["model", "size", "requires_grad"]))
        model, size, grad = nn.Linear(2, 2), (1, 2), False
        if which == "model":
            model = data.draw(NOT_A_MODEL, label="model")
        elif which == "size":
            size = data.draw(bad_size(), label="size")
        else:
            grad = data.draw(bad_bool(), label="requires_grad")
        expect_error(AREA, func, lambda: ghostedu.zeros_input(model, size, grad))
    elif func == "seed_everything":
        seed = data.draw(
            st.one_of(st.integers(max_value=-1), st.integers(min_value=2**32), st.floats(), st.booleans(), st.none()),
            label="seed",
        )
        expect_error(AREA, func, lambda: ghostedu.seed_everything(seed))
    elif func == "evaluating":
        if data.draw(st.booleans()):
            model, flag = data.draw(NOT_A_MODEL, label="model"), True
        else:
            model, flag = nn.Linear(2, 2), data.draw(bad_bool(), label="no_grad")

        def enter():
            with ghostedu.evaluating(model, no_grad=flag):
                pass

        expect_error(AREA, func, enter)
    elif func == "machine_label":
        dev = data.draw(st.one_of(st.sampled_from(["gpu", "tpu", "cuda:x", ""]), st.just([0])), label="dev")
        expect_error(AREA, func, lambda: bench.machine_label(dev))
    else:
        which = data.draw(st.sampled_from(["module", "input_size", "dev", "min_run_time"]))
        args = {"module": nn.Conv2d(1, 1, 1), "input_size": (1, 1, 2, 2), "dev": "cpu", "min_run_time": 0.001}
        args[which] = data.draw(
            {
                "module": NOT_A_MODEL,
                "input_size": bad_size(),
                "dev": st.sampled_from(["gpu", "cuda:x"]),
                "min_run_time": bad_positive(),
            }[which],
            label=which,
        )
        expect_error(AREA, func, lambda: bench.time_forward(**args))


BOUNDARY = {
    "seed_everything": [lambda: ghostedu.seed_everything(0), lambda: ghostedu.seed_everything(np.uint32(2**32 - 1))],
    "zeros_input": [lambda: ghostedu.zeros_input(nn.ReLU(), [1], requires_grad=np.bool_(True))],
    "model_device": [lambda: ghostedu.model_device(nn.ReLU())],
    "machine_label": [lambda: bench.machine_label(None), lambda: bench.machine_label(torch.device("cpu"))],
    "time_forward": [lambda: bench.time_forward(nn.Identity(), (1,), dev="cpu", min_run_time=1e-6)],
}


@pytest.mark.parametrize("name", BOUNDARY)
def test_valid_boundary_values_still_work(name):
    for call in BOUNDARY[name]:
        expect_handled(AREA, name, call)
