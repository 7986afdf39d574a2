"""Bad input to the generated data sets, drawn by hypothesis: every argument, SNRs outside the
documented range, and sizes beyond the memory limit. Each ends in a ValueError or TypeError that
names the function; each valid boundary value works."""

import numpy as np
import pytest
import torch
from bad_input import (
    NON_FINITE,
    NOT_NUMBERS,
    SETTINGS,
    bad_bool,
    bad_int,
    bad_nonnegative,
    bad_positive,
    draw_bad_argument,
    expect_error,
    expect_handled,
)
from hypothesis import given
from hypothesis import strategies as st

from ghostedu.data import (
    SNR_DB_RANGE,
    bearing_dataset,
    bearing_signals,
    envelope_spectrum,
    fault_frequencies,
    image_dataset,
    sample_photo,
    shapes_images,
)

AREA = "data"
LOW, HIGH = SNR_DB_RANGE
BAD_SNR = st.one_of(
    st.floats(max_value=LOW, exclude_max=True),
    st.floats(min_value=HIGH, exclude_min=True),
    st.tuples(st.floats(-100, 0), st.floats(HIGH, 1e6, exclude_min=True)),
    st.tuples(st.floats(1, 50), st.floats(-50, 0)),  # low > high
    NON_FINITE,
    st.booleans(),
    NOT_NUMBERS.filter(lambda v: v != (1, 2)),  # (1, 2) is a valid range of SNRs
)
BAD_PAIR = st.one_of(
    bad_positive().filter(lambda v: v != (1, 2)),  # (1, 2) is a valid pair
    st.tuples(bad_positive(), st.floats(1, 2000)),
    st.tuples(st.floats(1000, 2000), st.floats(1, 999)),
    st.just((1e9, 1e9)),  # impacts too fast: memory
    st.just([1, 2, 3]),
)
BAD_CLASSES = st.one_of(
    st.just(()),
    st.just("normal"),
    st.just(("normal", "normal")),
    st.lists(st.text(max_size=4), min_size=1, max_size=3),
    st.none(),
    st.integers(),
)

BEARING = {
    "n_per_class": st.one_of(bad_int(), st.just(10**8)),
    "length": st.one_of(bad_int(16), st.integers(1, 15), st.just(10**10)),
    "snr_db": BAD_SNR,
    "seed": bad_int(0),
    "fs": st.one_of(bad_positive(), st.floats(1, 8000), st.just(1e12)),
    "rpm_range": BAD_PAIR,
    "classes": BAD_CLASSES,
    "shuffle": bad_bool(),
    "return_clean": bad_bool(),
    "return_meta": bad_bool(),
}
IMAGES = {
    "n_per_class": st.one_of(bad_int(), st.just(10**7)),
    "size": st.one_of(bad_int(8), st.integers(1, 7), st.just(10**5)),
    "seed": bad_int(0),
    "noise": bad_nonnegative(),
    "shuffle": bad_bool(),
}


@SETTINGS
@given(data=st.data())
def test_bearing_signals(data):
    argument, value = draw_bad_argument(data, BEARING)
    kwargs = {"n_per_class": 1, "length": 64, argument: value}
    n = kwargs.pop("n_per_class")
    expect_error(AREA, "bearing_signals", lambda: bearing_signals(n, **kwargs))


@SETTINGS
@given(data=st.data())
def test_shapes_images(data):
    argument, value = draw_bad_argument(data, IMAGES)
    kwargs = {"n_per_class": 1, "size": 8, argument: value}
    func = data.draw(st.sampled_from([shapes_images, image_dataset]))
    expect_error(AREA, "shapes_images", lambda: func(**kwargs))


@SETTINGS
@given(data=st.data())
def test_the_other_data_functions(data):
    func = data.draw(st.sampled_from(["fault_frequencies", "envelope_spectrum", "sample_photo", "bearing_dataset"]))
    if func == "fault_frequencies":
        rpm = data.draw(bad_positive(), label="rpm")
        expect_error(AREA, func, lambda: fault_frequencies(rpm))
    elif func == "envelope_spectrum":
        if data.draw(st.booleans()):
            x = data.draw(
                st.one_of(
                    st.just(np.zeros(1)),
                    st.just(1.0),
                    st.just("signal"),
                    st.just([[1.0], [2.0]]),
                    st.just([1.0, None]),
                    st.just(np.array([0.0, np.nan, 1.0])),
                    st.just(torch.tensor([0.0, float("inf")])),
                ),
                label="x",
            )
            expect_error(AREA, func, lambda: envelope_spectrum(x))
        else:
            fs = data.draw(bad_positive(), label="fs")
            expect_error(AREA, func, lambda: envelope_spectrum(np.zeros(8), fs))
    elif func == "sample_photo":
        if data.draw(st.booleans()):
            size = data.draw(st.one_of(bad_int(8).filter(lambda v: v is not None), st.just(10**6)), label="size")
            expect_error(AREA, func, lambda: sample_photo(size))
        else:
            gray = data.draw(bad_bool(), label="gray")
            expect_error(AREA, func, lambda: sample_photo(8, gray))
    else:
        key = data.draw(st.sampled_from(["return_clean", "return_meta"]))
        expect_error(AREA, func, lambda: bearing_dataset(1, **{key: False}))


BOUNDARY = {
    "bearing_signals": [
        lambda: bearing_signals(1, length=16, snr_db=LOW),
        lambda: bearing_signals(1, length=16, snr_db=(LOW, HIGH), seed=2**63),
        lambda: bearing_signals(1, length=16, fs=8000.001, rpm_range=(1e-3, 1e-3), classes=("cage",)),
        lambda: bearing_signals(np.int64(1), length=16, shuffle=np.bool_(False), return_clean=True, return_meta=True),
    ],
    "bearing_dataset": [lambda: bearing_dataset(1, length=16)],
    "fault_frequencies": [lambda: fault_frequencies(1e-300), lambda: fault_frequencies(np.float32(1750))],
    "envelope_spectrum": [lambda: envelope_spectrum([0.0, 1.0]), lambda: envelope_spectrum(torch.zeros(2, 3))],
    "shapes_images": [lambda: shapes_images(1, size=8, noise=0, seed=0)],
    "image_dataset": [lambda: image_dataset(1, size=8, shuffle=False)],
    "sample_photo": [lambda: sample_photo(8), lambda: sample_photo(None, gray=True)],
}


@pytest.mark.parametrize("name", BOUNDARY)
def test_valid_boundary_values_still_work(name):
    for call in BOUNDARY[name]:
        expect_handled(AREA, name, call)
