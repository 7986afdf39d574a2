"""Bad input to the counts (``count_params``, ``count_macs``, ``macs_by_module``, ``summary``,
``layer_table``, ``layer_kind``), drawn by hypothesis, and the layers flop_counter cannot count:
each ends in a ValueError or TypeError that names the function -- never a silent undercount."""

import pytest
from bad_input import SETTINGS, bad_bool, bad_int, bad_size, expect_error, expect_handled
from hypothesis import given
from hypothesis import strategies as st
from torch import nn

from ghostedu import counting

AREA = "counting"
CONV = nn.Conv2d(3, 4, 3)
NOT_A_MODEL = st.sampled_from([None, "conv", 3, [CONV], nn.Conv2d, lambda x: x])


class Recurrent(nn.Module):
    """A recurrent layer (which flop_counter has no formula for) before a linear one."""

    def __init__(self, kind: type[nn.Module], hidden: int = 16):
        super().__init__()
        self.rnn = kind(8, hidden, batch_first=True)
        self.fc = nn.Linear(hidden, 4)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.fc(out[:, -1])


@SETTINGS
@given(data=st.data())
def test_every_count_names_its_bad_arguments(data):
    func = data.draw(
        st.sampled_from(["count_params", "count_macs", "macs_by_module", "summary", "layer_table", "layer_kind"])
    )
    argument = data.draw(st.sampled_from(["model", "input_size", "other"]))
    call = getattr(counting, func)
    if func in ("count_params", "layer_kind"):
        model = data.draw(NOT_A_MODEL, label="model")
        expect_error(AREA, func, lambda: call(model))
        return
    if argument == "model":
        model = data.draw(NOT_A_MODEL, label="model")
        expect_error(AREA, func, lambda: call(model, (1, 3, 8, 8)))
    elif argument == "input_size":
        size = data.draw(st.one_of(bad_size(), st.just((1, 5, 8, 8)), st.just((1, 3, 2, 2))), label="input_size")
        expect_error(AREA, func, lambda: call(CONV, size))
    else:
        extra = {
            "count_macs": {"strict": bad_bool()},
            "macs_by_module": {"strict": bad_bool()},
            "summary": {"depth": bad_int(0)},
            "layer_table": {
                "columns": st.one_of(st.just(("type", "colour")), st.just("type"), st.just(3)),
                "layer_types": st.one_of(st.just(()), st.just(nn.Conv2d), st.just(("conv",)), st.none()),
            },
        }[func]
        name = data.draw(st.sampled_from(sorted(extra)), label="argument")
        value = data.draw(extra[name], label=name)
        expect_error(AREA, func, lambda: call(CONV, (1, 3, 8, 8), **{name: value}))


@SETTINGS
@given(hidden=st.integers(1, 8), steps=st.integers(1, 4), func=st.sampled_from(["count_macs", "macs_by_module"]))
def test_layers_flop_counter_cannot_count_are_named(hidden, steps, func):
    # nn.LSTM runs as one fused operation flop_counter has no formula for: named, not left out.
    def model():
        return Recurrent(nn.LSTM, hidden)

    error = expect_error(AREA, func, lambda: getattr(counting, func)(model(), (1, steps, 8)))
    assert "rnn (LSTM)" in str(error)
    with pytest.warns(UserWarning, match=r"rnn \(LSTM\)"):
        expect_handled(AREA, func, lambda: getattr(counting, func)(model(), (1, steps, 8), strict=False))


@SETTINGS
@given(kind=st.sampled_from([nn.GRU, nn.RNN]), hidden=st.integers(1, 8), steps=st.integers(1, 4))
def test_recurrent_layers_it_can_count_are_counted_in_full(kind, hidden, steps):
    # nn.GRU and nn.RNN run as matrix products that flop_counter counts: every gate, every step.
    gates = 3 if kind is nn.GRU else 1
    expected = steps * gates * (8 * hidden + hidden * hidden) + hidden * 4
    macs = expect_handled(AREA, "count_macs", lambda: counting.count_macs(Recurrent(kind, hidden), (1, steps, 8)))
    assert macs == expected


BOUNDARY = {
    "count_macs": [
        lambda: counting.count_macs(nn.Conv1d(1, 1, 1), (1, 1, 1)),
        lambda: counting.count_macs(nn.ReLU(), (1, 1)),  # no weights, nothing to count
        lambda: counting.count_macs(nn.BatchNorm1d(2), (2, 2, 3)),  # BatchNorm is left out by design
    ],
    "macs_by_module": [lambda: counting.macs_by_module(CONV, (1, 3, 3, 3))],
    "count_params": [lambda: counting.count_params(nn.ReLU())],
    "summary": [lambda: counting.summary(CONV, (1, 3, 3, 3), depth=0)],
    "layer_table": [lambda: counting.layer_table(CONV, (1, 3, 3, 3), columns=("multiply-adds",))],
    "layer_kind": [lambda: counting.layer_kind(nn.Identity())],
}


@pytest.mark.parametrize("name", BOUNDARY)
def test_valid_boundary_values_still_work(name):
    for call in BOUNDARY[name]:
        expect_handled(AREA, name, call)


def test_a_model_that_cannot_run_on_zeros_is_named():
    # The counts run the model on a float zero input: an embedding needs indices, and says so.
    expect_error(AREA, "count_macs", lambda: counting.count_macs(nn.Embedding(10, 4), (1, 2)))
