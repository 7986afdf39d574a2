"""Checks of the chapter "What kernel_size means in a 1D convolution": pass on the solutions, fail helpfully."""

import os
import subprocess
import sys

import pytest

from ghostedu.exercises import ExerciseError
from ghostedu.exercises import kernel1d as ex


def test_solutions_pass(capsys):
    ex.check_keras_kernel_shape((5, 3, 16))
    ex.check_causal_padding(4 * (7 - 1))
    ex.check_kernel_span_ms(1000 * 32 / 12000)
    ex.check_conv1_macs(64 * 1 * 32 * ((4096 + 2 * 12 - 32) // 8 + 1))
    assert capsys.readouterr().out.count("Correct") == 4


@pytest.mark.parametrize(
    "check", [ex.check_keras_kernel_shape, ex.check_causal_padding, ex.check_kernel_span_ms, ex.check_conv1_macs]
)
def test_none_is_not_answered(check):
    with pytest.raises(ExerciseError, match="not answered yet"):
        check(None)


@pytest.mark.parametrize(
    "check,wrong,message",
    [
        (ex.check_keras_kernel_shape, (16, 3, 5), "PyTorch's layout"),
        (ex.check_keras_kernel_shape, (5, 16), "input channels are part of the kernel"),
        (ex.check_causal_padding, 6, "taps are 4 samples apart"),
        (ex.check_causal_padding, 12, "'same' padding per side"),
        (ex.check_causal_padding, 25, "includes the current sample"),
        (ex.check_kernel_span_ms, 32 / 12000, "in seconds"),
        (ex.check_kernel_span_ms, 3.0, r"expected about 2.667 ms"),
        (ex.check_conv1_macs, 64 * 32 * 4096, "stride of 8"),
    ],
)
def test_wrong_answers_get_a_hint(check, wrong, message):
    with pytest.raises(ExerciseError, match=message):
        check(wrong)


@pytest.mark.parametrize("backend", [None, "torch"])
def test_keras_check_runs_on_the_session_backend(backend):
    # A fresh process: Keras fixes its backend at its first import. Without KERAS_BACKEND the check
    # picks TensorFlow (the chapter's backend) and TensorFlow prints nothing on stderr; with
    # another backend already chosen, the check uses that one.
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
    assert run.stdout.splitlines() == ["Correct: Keras kernel shape ((5, 3, 16))", backend or "tensorflow"]
    assert run.stderr == ""
