"""Bad input to the training loop (``fit``, ``evaluate``, ``predict``), drawn by hypothesis. Each bad
value ends in a ValueError or TypeError that names the function before a single step, and leaves
the model's weights as they were; each valid boundary value trains."""

import numpy as np
import pytest
import torch
from bad_input import (
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
from torch import nn

from ghostedu import train

AREA = "train"
X = torch.randn(6, 4, generator=torch.Generator().manual_seed(0))
Y = torch.tensor([0, 1, 2, 0, 1, 2])


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Linear(4, 3)


BAD_DATA = st.one_of(
    st.none(),
    st.just((X.numpy(), Y.numpy())),
    st.just((X,)),
    st.just((X, Y, Y)),
    st.just((X[:5], Y)),  # one label too many
    st.just((X, Y[:0])),
    st.just((X[:0], Y[:0])),  # no samples
    st.just((X, torch.full_like(Y, 3))),  # labels beyond the 3 scores
    st.just((X, Y - 1)),  # a label -1
    st.just((torch.tensor(1.0), Y)),
)
FIT = {
    "model": st.one_of(st.none(), st.just(lambda t: t), st.just("Linear")),
    "train": BAD_DATA,
    "test": BAD_DATA.filter(lambda v: v is not None),
    "epochs": bad_int(),
    "lr": bad_positive(),
    "batch_size": bad_int(),
    "weight_decay": bad_nonnegative(),
    "forward": st.one_of(st.integers(), st.text(max_size=2)),
    "loss_fn": st.one_of(st.integers(), st.text(max_size=2)),
    "seed": st.one_of(bad_int(0), st.just(2**32)),
    "dev": st.one_of(st.just("gpu"), st.just("cuda:x"), st.integers(min_value=-5, max_value=-1), st.just([1])),
    "progress": bad_bool(),
}


@SETTINGS
@given(data=st.data())
def test_fit(data):
    argument, value = draw_bad_argument(data, FIT)
    model = _model()
    before = [p.detach().clone() for p in model.parameters()]
    kwargs = {"model": model, "train": (X, Y), "epochs": 1, "dev": "cpu", "progress": False, argument: value}
    expect_error(AREA, "fit", lambda: train.fit(**kwargs))
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters()))  # no step was taken


@SETTINGS
@given(data=st.data())
def test_evaluate_and_predict(data):
    func = data.draw(st.sampled_from(["evaluate", "predict"]))
    argument = data.draw(
        st.sampled_from(["model", "x", "batch_size", "forward", "dev"] + (["y"] if func == "evaluate" else []))
    )
    kwargs = {"model": _model(), "x": X, "dev": "cpu"}
    if func == "evaluate":
        kwargs["y"] = Y
    value = {
        "model": st.one_of(st.none(), st.just("Linear")),
        "x": st.one_of(
            st.none(), st.just(X.numpy()), st.just(X[:0]), st.just(torch.tensor(1.0)), st.just(X[:, :2])
        ),  # the last: a feature count the model cannot take
        "y": st.one_of(st.none(), st.just(Y[:2]), st.just(Y.numpy()), st.just(torch.full_like(Y, 7))),
        "batch_size": bad_int(),
        "forward": st.one_of(st.integers(), st.text(max_size=2)),
        "dev": st.one_of(st.just("gpu"), st.just("tpu:0")),
    }[argument]
    kwargs[argument] = data.draw(value, label=argument)
    expect_error(AREA, func, lambda: getattr(train, func)(**kwargs))


@SETTINGS
@given(classes=st.integers(2, 6), batch=st.integers(1, 6))
def test_fit_refuses_probabilities_however_many_classes(classes, batch):
    model = nn.Sequential(nn.Linear(4, classes), nn.Softmax(dim=1))
    y = torch.arange(6) % classes
    expect_error(AREA, "fit", lambda: train.fit(model, (X, y), batch_size=batch, dev="cpu", progress=False))


BOUNDARY = {
    "fit": [
        lambda: train.fit(_model(), (X[:1], Y[:1]), epochs=1, batch_size=1, dev="cpu", progress=False),
        lambda: train.fit(
            _model(), (X, Y), (X, Y), epochs=1, batch_size=10**6, lr=1e-12, seed=2**32 - 1, progress=False
        ),
        lambda: train.fit(
            _model(), [X, Y], epochs=np.int64(1), weight_decay=0, dev=torch.device("cpu"), progress=np.bool_(False)
        ),
        lambda: train.fit(  # probabilities, with a loss made for them
            nn.Sequential(nn.Linear(4, 3), nn.Softmax(dim=1)),
            (X, Y),
            loss_fn=lambda p, t: nn.functional.nll_loss(torch.log(p), t),
            dev="cpu",
            progress=False,
        ),
    ],
    "evaluate": [lambda: train.evaluate(_model(), X[:1], Y[:1], batch_size=1, dev="cpu")],
    "predict": [lambda: train.predict(_model(), X, batch_size=10**9, dev="cpu")],
}


@pytest.mark.parametrize("name", BOUNDARY)
def test_valid_boundary_values_still_work(name):
    for call in BOUNDARY[name]:
        expect_handled(AREA, name, call)
