"""Every exercise of every chapter, checked as the student meets it, without a notebook kernel.

For each exercise (found in the chapters by :mod:`booktools.exercise_cells`), its own cells are run:
the chapter's solution cell gives the right answers, :func:`booktools.student.stub_cell_source`
gives the student's stub, the chapter's check cell and hidden-test cell are run on both, and on
each known wrong answer of :data:`WRONG`. The visible check must pass on the solution (printing
"Correct" and nothing that gives the answer away), fail on the stub with "not answered yet", and
fail on each known wrong answer with its specific hint -- never printing the expected value. The
hidden test must pass on the solution and on the same answer in other types (NumPy and torch
scalars, whole floats, lists for tuples), and fail on the stub and on every wrong answer.
"""

from __future__ import annotations

import ast
import contextlib
import io
import math
import os
import re
from pathlib import Path

import nbformat
import numpy as np
import pytest
import torch
from torch import nn

from booktools.exercise_cells import find_exercises
from booktools.student import stub_cell_source
from ghostedu.exercises import ExerciseError

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = ROOT / "chapters"

# What the solution cells use from the chapters above them.
PRELUDE = """
import math
import os

# Keras on the chapters' backend (TensorFlow), without its start-up notices
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
import numpy as np
import torch
from torch import nn

from ghostedu.counting import macs_by_module
from ghostedu.data import FS
from ghostedu.layers import conv_dw, make_divisible
from ghostedu.models import GHOSTNET_CONFIG, Net, ghostnet
"""


# ---------------------------------------------------------------------------------------------------
# Known wrong answers (and wrong code) and the hint each must get


def _linear(bias=False, norms=(32, 64), relu=False, groups=True):
    def conv_dw_linear(filter_in, filter_out, stride=1):
        layers = [
            nn.Conv2d(filter_in, filter_in, 3, stride, 1, groups=filter_in if groups else 1, bias=bias),
            nn.BatchNorm2d(norms[0] * filter_in // 32),
            nn.Conv2d(filter_in, filter_out, 1, 1, 0, bias=bias),
            nn.BatchNorm2d(norms[1] * filter_out // 64),
        ]
        if relu:
            layers.insert(2, nn.ReLU6())
        return nn.Sequential(*layers)

    return conv_dw_linear


def _wrong_signature(filter_in, filter_out):
    return _linear()(filter_in, filter_out)


def _any_length_classes():
    from ghostedu.models import Net

    class NoSuper(Net):
        def __init__(self):
            self.pool2 = nn.AdaptiveMaxPool1d(1)

    class AvgPool(Net):
        def __init__(self):
            super().__init__()
            self.pool2 = nn.AdaptiveAvgPool1d(1)

    class NewFc(Net):
        def __init__(self):
            super().__init__()
            self.pool2 = nn.AdaptiveMaxPool1d(1)
            self.fc = nn.Linear(768, 4, bias=False)

    class Right(Net):
        def __init__(self):
            super().__init__()
            self.pool2 = nn.AdaptiveMaxPool1d(1)

    return {"forgot super": NoSuper, "mean": AvgPool, "new fc": NewFc, "instance": Right()}


def _fold(mistake: str):
    """A ``fold_bn(conv, bn)`` with one known mistake (the chapter "From multiply-adds to milliseconds")."""

    def fold_bn(conv, bn):
        var = bn.running_var + (0 if mistake == "no eps" else bn.eps)
        std = var if mistake == "no sqrt" else var.sqrt()
        s = (1 if mistake == "no gamma" else bn.weight) / std
        b = conv.bias if conv.bias is not None and mistake != "no conv bias" else torch.zeros_like(s)
        mean = 0 if mistake == "no mean" else bn.running_mean
        beta = 0 if mistake == "no beta" else bn.bias
        bias = b - mean + beta if mistake == "bias unscaled" else (b - mean) * s + beta
        weight = conv.weight * s[:, None, None, None]
        if mistake == "flat":
            weight = weight.flatten(1)
        if mistake == "one output":
            return weight.detach()
        return weight.detach(), bias.detach()

    return fold_bn


def _fold_raises(conv, bn):
    return conv.weight @ bn.weight  # a shape error inside the reader's code


CLASSES = _any_length_classes()

# label -> [(answers that replace the solution's, a fragment of the hint the check must give)]
WRONG: dict[str, list[tuple[dict, str]]] = {
    "ex-first-look-conv1": [
        ({"conv1_len_2048": (2048 - 32) // 8 + 1}, "left out the padding"),
        ({"conv1_len_2048": (2048 + 24 - 32) // 8}, "add 1 for the first window"),
        ({"conv1_len_2048": 255.5}, "whole number"),
    ],
    "ex-conv-arithmetic-length": [
        ({"out_len": (50 - 5) // 3 + 1}, "left out the padding"),
        ({"out_len": (50 + 4 - 5) / 3}, "take the floor"),
        ({"out_len": 18}, "round down"),
    ],
    "ex-conv-arithmetic-grouped": [
        ({"n_params": 128 * 64 * 9 + 128}, "count without groups"),
        ({"n_params": 128 * 16 * 9}, "add the bias"),
        ({"n_params": 32 * 16 * 9 + 128}, "do not divide C_out"),
    ],
    "ex-conv-arithmetic-rf": [({"rf": 1 + 31 + 1 + 2}, "as if every stride were 1")],
    "ex-conv-arithmetic-unread": [({"n_unread": 3}, "also skip inputs between them")],
    "ex-kernel-size-layout": [
        ({"kernel_shape": (16, 3, 5)}, "PyTorch's layout"),
        ({"kernel_shape": (5, 16)}, "input channels are part of the kernel"),
        ({"kernel_shape": "5, 3, 16"}, "sequence of whole numbers"),
    ],
    "ex-kernel-size-causal": [
        ({"left": 6}, "taps are 4 samples apart"),
        ({"left": 12}, "'same' padding per side"),
        ({"left": 25}, "includes the current sample"),
    ],
    "ex-kernel-size-span": [
        ({"span_ms": 32 / 12000}, "that is in seconds"),
        ({"span_ms": 32e6 / 12000}, "microseconds"),
        ({"span_ms": 2.5}, "k / fs seconds"),
        ({"span_ms": "2.7"}, "without quotes"),
    ],
    "ex-kernel-size-macs": [
        ({"conv1_macs": 64 * 32 * 4096}, "stride of 8"),
        ({"conv1_macs": 32 * 512}, "multiply by C_out"),
    ],
    "ex-dilated-valid": [({"out_size": 62}, "kernel spans rate*(k - 1) + 1"), ({"out_size": 52}, "not rate*k")],
    "ex-dilated-same": [({"padding": 2}, "padding without dilation"), ({"padding": 12}, "on each side")],
    "ex-dilated-rf": [({"rf": 33}, "last layer alone"), ({"rf": 13}, "stack without dilation"), ({"rf": 56}, "add 1")],
    "ex-dilated-hybrid": [
        ({"rates": (2, 4, 8)}, "common factor"),
        ({"rates": (1, 2, 9)}, "rate 9 exceeds the field 7"),
        ({"rates": (5, 3, 4)}, "smallest rate must be 1"),
        ({"rates": (2, 3, 5)}, "smallest rate must be 1"),
        ({"rates": (1, 4, 7)}, "rate 4 exceeds the field 3"),
        ({"rates": (1, 2, 3)}, "raise the rates"),
        ({"rates": (1, 2)}, "expected 3 rates"),
    ],
    "ex-depthwise-params": [
        ({"n_params": 9 * 64 + 64 * 128}, "but not the BatchNorm"),
        ({"n_params": 9 * 64 * 64 + 64 * 128 + 2 * 64 + 2 * 128}, "groups=filter_in"),
        ({"n_params": 9 * 64 * 128 + 2 * 128}, "standard 3x3 convolution"),
        ({"n_params": 9 * 64 + 64 * 128 + 64 + 128}, "two learned parameters per channel"),
        ({"n_params": 9 * 64 + 64 * 128 + 4 * 64 + 4 * 128}, "buffers"),
    ],
    "ex-depthwise-eight": [
        ({"n_out": 71}, "saves only 7.98"),
        ({"n_out": 100}, "a smaller C_out already saves 8x"),
        ({"n_out": 71.5}, "round the C_out"),
    ],
    "ex-depthwise-linear": [
        ({"conv_dw_linear": _linear(bias=True)}, "bias=False"),
        ({"conv_dw_linear": _linear(norms=(64, 32))}, "channel count of the convolution before it"),
        ({"conv_dw_linear": _linear(relu=True)}, "leave out both nn.ReLU6"),
        ({"conv_dw_linear": _linear(groups=False)}, "keep both convolutions"),
        ({"conv_dw_linear": _wrong_signature}, "signature differs"),
        ({"conv_dw_linear": _linear()(32, 64)}, "is a module, not a function"),
        ({"params_change": -2}, "no learned parameters"),
        ({"params_change": 96}, "count what it learns"),
    ],
    "ex-se-reduced": [
        ({"reduced_200": 50}, "NEAREST multiple of 4"),
        ({"reduced_200": 48}, "that rounds down"),
        ({"reduced_200": 12}, "reduction ratio of 16"),
        ({"reduced_200": 50.5}, "fraction of a channel"),
    ],
    "ex-se-params": [
        ({"se_params_480": 2 * 480 * 120}, "but not their biases"),
        ({"se_params_480": 480 * 120 + 120}, "conv_reduce alone"),
        ({"se_params_480": 2 * 480 * 120 + 240}, "C biases"),
        ({"se_params_480": 2 * 480 * 120 + 960}, "one bias per reduced channel"),
        ({"se_params_480": 3}, "C*reduced + reduced"),
    ],
    "ex-ghost-intrinsic": [
        ({"n_intrinsic": 33}, "rounded DOWN"),
        ({"n_intrinsic": 67}, "number of ghost maps"),
        ({"n_intrinsic": 100 / 3}, "whole number of channels"),
        ({"n_discarded": 0}, "not a multiple of ratio"),
        ({"n_discarded": 3}, "keeps the first oup"),
    ],
    "ex-ghost-shortcut": [
        (
            {
                "identity": [
                    c_in == c_out
                    for c_in, c_out, s in (
                        (16, 16, 1),
                        (16, 24, 2),
                        (24, 24, 1),
                        (24, 40, 2),
                        (80, 112, 1),
                        (112, 112, 1),
                        (160, 160, 2),
                    )
                ]
            },
            "downsampled too",
        ),  # fmt: skip
        ({"identity": [True] * 7}, "cannot be added"),
        ({"identity": [False] * 7}, "can be added as it is"),
        ({"identity": [1] * 7}, "True or False"),
        ({"identity": [True]}, "list of 7"),
    ],
    "ex-ghost-params": [
        ({"bneck_params": 9636 - 2 * 72 - 2 * 36}, "parameters")  # a generic wrong count
    ],
    "ex-ghostnet-resolution": [({"macs_160": 0}, "too small")],
    "ex-ghostnet-kernel": [
        ({"unused_k": [0, 2, 4, 6, 7, 8, 9, 10, 12, 13, 14, 15]}, "of your list do use k"),
        ({"unused_k": [2, 4]}, "more rows ignore it"),
        ({"unused_k": [99]}, "numbered 0 to 15"),
    ],
    "ex-multiscale-lengths": [
        ({"conv1_len": (2000 - 32) // 8 + 1}, "left out the padding"),
        ({"branch_len": 125 / 8}, "round down at each"),
        ({"pool2_len": 7}, "add 1 for the first window"),
        ({"n_features_2000": 2048}, "three branches"),
        ({"n_features_2000": 768}, "times the length after pool2"),
    ],
    "ex-multiscale-range": [
        ({"shortest": 2049}, "shorter inputs do too"),
        ({"longest": 2304}, "just before conv1's output reaches 144"),
        ({"longest": 2300}, "longer inputs do too"),
        ({"shortest": 2000}, "too short"),
    ],
    "ex-multiscale-anylength": [
        ({"AnyLengthNet": CLASSES["forgot super"]}, "call super().__init__() first"),
        ({"AnyLengthNet": CLASSES["mean"]}, "not their mean"),
        ({"AnyLengthNet": CLASSES["new fc"]}, "keep every layer that has parameters"),
        ({"AnyLengthNet": CLASSES["instance"]}, "not `AnyLengthNet()`"),
        ({"AnyLengthNet": nn.Module}, "inherit from Net"),
    ],
    "ex-vibration-bpfo": [
        ({"bpfo_hz": 107.36 * 60}, "revolutions per minute"),
        ({"bpfo_hz": 162.19}, "inner race"),
        ({"bpfo_hz": 2 * 107.36}, "n_balls/2, not n_balls"),
    ],
    "ex-vibration-impacts": [
        ({"spacing_samples": 1 / 111.77}, "reciprocal"),
        ({"impacts_per_segment": 1 / 9.16}, "reciprocal"),
    ],
    "ex-deploy-fold": [
        ({"fold_bn": _fold("no eps")}, "not sqrt(running_var)"),
        ({"fold_bn": _fold("no sqrt")}, "not by the variance"),
        ({"fold_bn": _fold("no gamma")}, "weight (gamma) scales"),
        ({"fold_bn": _fold("no conv bias")}, "has a bias of its own"),
        ({"fold_bn": _fold("bias unscaled")}, "the same per-channel scale"),
        ({"fold_bn": _fold("no mean")}, "subtracts running_mean"),
        ({"fold_bn": _fold("no beta")}, "adds its bias (beta)"),
        ({"fold_bn": _fold("flat")}, "OUTPUT channels"),
        ({"fold_bn": _fold("one output")}, "return a pair"),
        ({"fold_bn": _fold_raises}, "raised RuntimeError"),
        ({"fold_bn": 3}, "expected a function"),
    ],
    "ex-deploy-intensity": [
        ({"intensity": 672 * 14 * 14 * 25 / (4 * (2 * 672 * 14 * 14 + 672 * 25))}, "stride 2 halves"),
        ({"intensity": 672 * 7 * 7 * 25 / (672 * 14 * 14 + 672 * 7 * 7 + 672 * 25)}, "per BYTE"),
        ({"intensity": 672 * 7 * 7 * 25 / (4 * (672 * 14 * 14 + 672 * 7 * 7))}, "weights are read too"),
        ({"intensity": 672 * 7 * 7 * 9 / (4 * (672 * 14 * 14 + 672 * 7 * 7 + 672 * 9))}, "kernel is 5x5"),
        ({"intensity": 672 * 672 * 49 * 25 / (4 * (672 * 196 + 672 * 49 + 672 * 672 * 25))}, "on its own"),
        ({"intensity": "1.1"}, "without quotes"),
    ],
    "ex-deploy-zero-point": [
        ({"scale": 6 / 256}, "255 steps"),
        ({"scale": 9 / 255}, "asymmetrically"),
        ({"scale": 4.5 / 255}, "rmax - rmin, not the largest"),
        ({"zero_point": -64}, "the sign"),
        ({"zero_point": 63}, "NEAREST"),
        ({"zero_point": 63.75}, "must be an integer"),
        ({"zero_point": 128}, "round(qmin - rmin / scale)"),
    ],
}


# ---------------------------------------------------------------------------------------------------
# The exercises of the chapters


def _geometry(nb) -> str:
    """The chapter's bearing-geometry line, which one solution uses (or nothing)."""
    for cell in nb.cells:
        match = re.search(r"^n_balls, d_ball, d_pitch, phi = .*$", cell.source, re.MULTILINE)
        if cell.cell_type == "code" and match:
            return match.group(0)
    return ""


def _collect():
    cases = []
    for path in sorted(CHAPTERS.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        module = re.search(r"from ghostedu\.exercises import (\w+) as ex", "\n".join(c.source for c in nb.cells))
        solved: dict = {}
        exec(PRELUDE + _geometry(nb), solved)
        for ex in find_exercises(nb, path.name):
            names: list[str] = []
            for index in ex.solutions:
                source = nb.cells[index].source
                exec(source, solved)
                for node in ast.parse(source).body:
                    if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
                        names.append(node.name)
                    elif isinstance(node, ast.Assign):
                        names += [n.id for t in node.targets for n in ast.walk(t) if isinstance(n, ast.Name)]
            cases.append(
                {
                    "id": ex.label,
                    "module": module.group(1),
                    "right": {name: solved[name] for name in names},
                    "stub": [stub_cell_source(nb.cells[i].source) for i in ex.solutions],
                    "check": nb.cells[ex.check].source,
                    "test": nb.cells[ex.test].source,
                }
            )
    return cases


CASES = _collect()


def _secrets(right: dict) -> list[str]:
    """Texts of the right answers that a message must never contain (numbers of two digits or more)."""
    texts = []
    for value in right.values():
        if isinstance(value, bool) or not isinstance(value, (int, float, tuple)):
            continue
        if isinstance(value, tuple):
            texts += [str(value), str(list(value))]
        elif isinstance(value, int) or float(value).is_integer():
            if abs(value) >= 10:
                texts += [str(int(value)), f"{int(value):,}"]
        else:
            texts += [f"{value:.2f}", f"{value:.3g}", f"{value / 1e6:.1f}M"]
    return [t for t in texts if t not in ("0.00",)]


def _without_answers(message: str, answers: dict) -> str:
    """``message`` less the texts of the student's own (wrong) numbers, which it may quote."""
    for value in answers.values():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            for text in sorted({repr(value), f"{value:g}", f"{value:,}", f"{value:.2f}", f"{value:.4g}"}, key=len)[
                ::-1
            ]:
                message = message.replace(text, "<answer>")
    return message


def _run_check(case, answers: dict) -> tuple[str, BaseException | None]:
    import importlib

    namespace = {}
    exec(PRELUDE, namespace)
    namespace["ex"] = importlib.import_module(f"ghostedu.exercises.{case['module']}")
    namespace.update(answers)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            exec(case["check"], namespace)
        except Exception as error:  # the check's verdict
            return out.getvalue(), error
    return out.getvalue(), None


def _run_test(case, answers: dict) -> BaseException | None:
    namespace = dict(answers)
    try:
        exec(case["test"], namespace)
    except Exception as error:  # the hidden test's verdict
        return error
    return None


def _stub_answers(case) -> dict:
    namespace = {}
    exec(PRELUDE, namespace)
    before = set(namespace)
    for source in case["stub"]:
        exec(source, namespace)
    return {k: v for k, v in namespace.items() if k not in before}


def _variants(right: dict) -> list[dict]:
    """The right answers in other types a student may use: NumPy, torch, whole floats, lists."""
    kinds = []
    for convert in (
        lambda v: np.int64(v) if isinstance(v, int) else np.float64(v),
        lambda v: torch.tensor(v),
        lambda v: float(v) if isinstance(v, int) else v,
    ):
        changed = {k: convert(v) for k, v in right.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        if changed:
            kinds.append({**right, **changed})
    shapes = {k: list(v) for k, v in right.items() if isinstance(v, tuple)}
    if shapes:
        kinds.append({**right, **shapes})
        kinds.append({**right, **{k: torch.Size(v) for k, v in shapes.items()}})
        kinds.append({**right, **{k: np.array(v) for k, v in shapes.items()}})
    bools = {k: np.array(v) for k, v in right.items() if isinstance(v, list) and v and isinstance(v[0], bool)}
    if bools:
        kinds.append({**right, **{k: list(v) for k, v in bools.items()}})  # np.bool_ items
    return kinds


def test_every_exercise_is_covered():
    labels = [case["id"] for case in CASES]
    assert len(labels) >= 28, labels
    assert sorted(WRONG) == sorted(labels), "every exercise needs its known wrong answers in WRONG"


# Exercises whose checks build or run whole networks many times here (seconds each): left to `make test`.
SLOW = {
    "ex-ghostnet-resolution",
    "ex-ghostnet-kernel",
    "ex-multiscale-lengths",
    "ex-multiscale-range",
    "ex-multiscale-anylength",
    "ex-depthwise-linear",
    "ex-deploy-intensity",
}


@pytest.mark.parametrize(
    "case",
    [pytest.param(case, id=case["id"], marks=[pytest.mark.slow] if case["id"] in SLOW else []) for case in CASES],
)
def test_solution_stub_and_wrong_answers(case):
    secrets = _secrets(case["right"])
    # the solution: the check prints Correct (and no answer); the hidden test passes
    out, error = _run_check(case, case["right"])
    assert error is None, f"the check fails on the solution: {error}"
    assert "Correct" in out
    for secret in secrets:
        assert not re.search(rf"(?<![\d.]){re.escape(secret)}(?![\d])", out), (secret, out)
    assert _run_test(case, case["right"]) is None
    # the same answer in other types
    for n, answers in enumerate(_variants(case["right"])):
        out, error = _run_check(case, answers)
        assert error is None and "Correct" in out, (answers, error)
        if n < 2:  # NumPy and torch (some hidden tests take seconds)
            assert _run_test(case, answers) is None, answers
    # the stub: "not answered yet", and the hidden test fails
    stub = _stub_answers(case)
    out, error = _run_check(case, stub)
    assert isinstance(error, ExerciseError), error
    assert re.search(r"not answered yet", str(error)), str(error)
    assert _run_test(case, stub) is not None
    # every known wrong answer: its hint, never the expected value; the hidden test fails
    for wrong, hint in WRONG[case["id"]]:
        answers = {**case["right"], **wrong}
        out, error = _run_check(case, answers)
        assert isinstance(error, ExerciseError), (wrong, error)
        message = _without_answers(f"{out}\n{error}", wrong)
        assert hint in str(error), (wrong, str(error))
        assert "Traceback" not in message
        for secret in secrets:
            assert not re.search(rf"(?<![\d.]){re.escape(secret)}(?![\d])", message), (secret, message)
        assert _run_test(case, answers) is not None, wrong


def test_numbers_are_accepted_as_numbers():
    from ghostedu.exercises import as_int, as_number, as_shape, check_close, check_count

    for value in (72, 72.0, np.int64(72), np.float32(72), torch.tensor(72), torch.tensor([72.0])):
        assert as_int("n", value) == 72
    assert as_number("x", torch.tensor(2.5)) == 2.5
    for value in ((5, 3, 16), [5, 3, 16], torch.Size([5, 3, 16]), np.array([5, 3, 16])):
        assert as_shape("s", value) == (5, 3, 16)
    for bad, message in (
        (True, "expected a number"),
        (math.nan, "finite"),
        ("72", "without quotes"),
        (torch.ones(2), "one number"),
        (72.5, "whole number"),
    ):
        with pytest.raises(ExerciseError, match=message):
            as_int("n", bad)
    with pytest.raises(ExerciseError, match=r"^n: 73 is too large\.\nHint: h$"):
        check_count("n", 73, 72, "h")
    with pytest.raises(ExerciseError, match=r"2\.7 ms is too large: more than 1 % off"):
        check_close("x", 2.7, 2.6667, 0.01, unit=" ms")
    check_close("x", 2.67, 2.6667, 0.01)


def test_errors_in_the_students_code_are_one_line():
    from ghostedu.exercises import student_code

    with pytest.raises(ExerciseError) as error:
        with student_code("Net", "Net()"):
            raise AttributeError("cannot assign module before Module.__init__() call")
    assert str(error.value) == (
        "Net: Net() raised AttributeError: cannot assign module before Module.__init__() call\n"
        "Hint: call super().__init__() first in __init__, before assigning any layer."
    )
    assert error.value._render_traceback_() == [f"ExerciseError: {error.value}"]
    with pytest.raises(ExerciseError, match="f: not answered yet -- f: YOUR CODE HERE"):
        with student_code("f", "f()"):
            raise NotImplementedError("f: YOUR CODE HERE")


def test_se_params_unrounded_width_hint(capsys):
    from ghostedu.exercises import squeeze_excite

    reduced = 20  # SqueezeExcite(72): 72 * 0.25 = 18 rounds to 20
    with pytest.raises(ExerciseError, match=r"rounded reduced width, not 72 \* 0\.25 = 18") as error:
        squeeze_excite.check_se_params(2 * 72 * 18 + 18 + 72, in_chs=72)
    assert "20" not in str(error.value)
    squeeze_excite.check_se_params(72 * reduced + reduced + reduced * 72 + 72, in_chs=72)
    assert capsys.readouterr().out == "Correct: parameters of SqueezeExcite(72)\n"


@pytest.mark.parametrize("backend", [None, "torch"])
def test_keras_check_runs_on_the_session_backend(backend):
    # A fresh process: Keras fixes its backend at its first import. Without KERAS_BACKEND the check
    # picks TensorFlow (the chapter's backend) and TensorFlow prints nothing on stderr; with
    # another backend already chosen, the check uses that one.
    import subprocess
    import sys

    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("KERAS_BACKEND", "TF_CPP_MIN_LOG_LEVEL", "TF_ENABLE_ONEDNN_OPTS")
    }
    if backend:
        env["KERAS_BACKEND"] = backend
    code = (
        "from ghostedu.exercises import kernel1d as ex; ex.check_keras_kernel_shape((5, 3, 16)); "
        "import keras; print(keras.backend.backend())"
    )
    run = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert run.stdout.splitlines() == ["Correct: Keras kernel shape", backend or "tensorflow"]
    assert run.stderr == ""


def test_no_solver_is_importable():
    """The installed package checks answers; it does not hand them out: a chapter module's public
    functions are its checks (a constant such as the cases of an exercise may stand beside them)."""
    import importlib
    import inspect
    import pkgutil

    import ghostedu.exercises as package

    for info in pkgutil.iter_modules(package.__path__):
        module = importlib.import_module(f"ghostedu.exercises.{info.name}")
        public = [
            name
            for name, value in vars(module).items()
            if not name.startswith("_") and inspect.isfunction(value) and value.__module__ == module.__name__
        ]
        assert public and all(name.startswith("check_") for name in public), (info.name, public)


def test_the_chapters_nbgrader_metadata_is_current():
    """`python -m booktools exercises chapters` would change nothing: every exercise's cells carry the
    metadata their label and their hidden test's points give."""
    from booktools.exercise_cells import apply_to_folder

    assert apply_to_folder(CHAPTERS, check_only=True) == []


def test_deployment_checks_compute_their_values_with_the_tools():
    """The intensity exercise's layer is the one its text describes, and the quantization values are
    ONNX Runtime's, which are the formulas of the chapter."""
    from ghostedu.exercises import deployment

    row = deployment._intensity_row()
    assert (row.kind, row.stride, row.input_shape, row.output_shape) == ("conv dw", 2, (1, 672, 14, 14), (1, 672, 7, 7))
    assert deployment._uint8_scale_zero_point(-1.5, 4.5) == pytest.approx((6 / 255, round(1.5 / (6 / 255))))
