"""The checks of the chapter "From multiply-adds to milliseconds" pass on the solutions, say what is
missing on the stubs, give the specific hint for each known mistake, and never show the answer."""
import re

import numpy as np
import pytest
import torch

from ghostedu.exercises import ExerciseError
from ghostedu.exercises import deployment as ex


def _fails(check, *args, match):
    with pytest.raises(ExerciseError, match=match) as info:
        check(*args)
    return str(info.value)


def _folded(s_fn=None):
    conv, bn = ex.folding_layers()
    s = bn.weight / torch.sqrt(bn.running_var + bn.eps) if s_fn is None else s_fn(bn)
    return conv, bn, s


def test_folded_solution_and_mistakes(capsys):
    conv, bn, s = _folded()
    w = (conv.weight * s[:, None, None, None]).detach()
    b = ((conv.bias - bn.running_mean) * s + bn.bias).detach()
    ex.check_folded(w, b)
    ex.check_folded(w.numpy(), b.tolist())  # arrays and lists are accepted too
    assert "Correct: folded convolution" in capsys.readouterr().out
    _fails(ex.check_folded, None, None, match="w_folded: not answered yet")
    _fails(ex.check_folded, w, None, match="b_folded: not answered yet")
    no_eps = (conv.weight * (bn.weight / bn.running_var.sqrt())[:, None, None, None]).detach()
    _fails(ex.check_folded, no_eps, b, match=r"sqrt\(running_var \+ eps\), not sqrt\(running_var\)")
    no_sqrt = (conv.weight * (bn.weight / (bn.running_var + bn.eps))[:, None, None, None]).detach()
    _fails(ex.check_folded, no_sqrt, b, match="standard deviation")
    _fails(ex.check_folded, w, (bn.bias - bn.running_mean * s).detach(), match="bias of its own")
    _fails(ex.check_folded, w, (conv.bias - bn.running_mean + bn.bias).detach(), match="same per-channel scale")
    _fails(ex.check_folded, w, (conv.bias * s + bn.bias).detach(), match="subtracts running_mean")
    _fails(ex.check_folded, w, ((conv.bias - bn.running_mean) * s).detach(), match="adds its bias")
    _fails(ex.check_folded, w[:, :2], b, match="OUTPUT channels")
    _fails(ex.check_folded, "weights", b, match="expected a tensor")


def test_intensity_solution_and_mistakes(capsys):
    c, k, h_in, h_out = 672, 5, 14, 7
    right = c * h_out**2 * k * k / (4 * (c * h_in**2 + c * h_out**2 + c * k * k))
    ex.check_intensity(right)
    ex.check_intensity(np.float32(right * 1.005))
    assert "Correct: arithmetic intensity of blocks.7.0.conv_dw (within 1 %)" in capsys.readouterr().out
    _fails(ex.check_intensity, None, match="not answered yet")
    _fails(ex.check_intensity, "fast", match="expected a number")
    _fails(ex.check_intensity, c * h_in**2 * k * k / (4 * (2 * c * h_in**2 + c * k * k)), match="stride 2 halves")
    _fails(ex.check_intensity, right * 4, match="per BYTE")
    _fails(ex.check_intensity, c * h_out**2 * k * k / (4 * (c * h_in**2 + c * h_out**2)), match="weights are read")
    _fails(ex.check_intensity, c * h_out**2 * 9 / (4 * (c * h_in**2 + c * h_out**2 + 9 * c)), match="5x5")
    _fails(ex.check_intensity, 1000.0, match="too large")


def test_scale_zero_point_solution_and_mistakes(capsys):
    ex.check_scale_zero_point(6 / 255, 64)
    ex.check_scale_zero_point(np.float64(6 / 255), np.int64(64))
    ex.check_scale_zero_point(torch.tensor(6 / 255), torch.tensor(64))
    ex.check_scale_zero_point(6 / 255, 64.0)
    assert capsys.readouterr().out.count("Correct: zero point") == 4
    _fails(ex.check_scale_zero_point, None, None, match="not answered yet")
    _fails(ex.check_scale_zero_point, 6 / 255, None, match="not answered yet")
    _fails(ex.check_scale_zero_point, 6 / 256, 64, match="255 steps")
    _fails(ex.check_scale_zero_point, 9 / 255, 64, match="asymmetrically")
    _fails(ex.check_scale_zero_point, 6 / 255, -64, match="the sign")
    _fails(ex.check_scale_zero_point, 6 / 255, 63, match="NEAREST")
    _fails(ex.check_scale_zero_point, 6 / 255, 63.75, match="whole number")
    _fails(ex.check_scale_zero_point, 6 / 255, 128, match="round\\(qmin - rmin / scale\\)")


def test_expected_values_agree_with_onnx_runtime_and_the_layer_table():
    assert ex.uint8_scale_zero_point(-1.5, 4.5) == pytest.approx((6 / 255, 64))
    row = ex._intensity_row()
    assert (row.kind, row.stride, row.input_shape, row.output_shape) == ("conv dw", 2, (1, 672, 14, 14), (1, 672, 7, 7))


def test_no_message_shows_the_expected_value():
    conv, bn, s = _folded()
    expected = {
        "intensity": f"{ex._intensity_row().intensity:.4g}",
        "scale": f"{6 / 255:.6g}",
    }
    messages = [
        _fails(ex.check_intensity, 2.0, match="too large"),
        _fails(ex.check_intensity, 0.5, match="too small"),
        _fails(ex.check_scale_zero_point, 0.5, 64, match="too large"),
        _fails(ex.check_scale_zero_point, 6 / 255, 3, match="zero point"),
        _fails(ex.check_folded, conv.weight.detach(), conv.bias.detach(), match="differ"),
    ]
    for message in messages:
        assert expected["intensity"] not in message and expected["scale"] not in message
        assert not re.search(r"\b64\b", message)
