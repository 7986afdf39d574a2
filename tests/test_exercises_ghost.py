"""The checks of the Ghost module and GhostNet chapters pass on the solutions and explain wrong or missing answers."""

import math

import pytest

from ghostedu.counting import count_macs
from ghostedu.exercises import ExerciseError
from ghostedu.exercises import ghost as ex
from ghostedu.models import ghostnet


def test_intrinsic_solution_and_mistakes(capsys):
    ex.check_intrinsic(math.ceil(100 / 3), 34 * 3 - 100)
    out = capsys.readouterr().out
    assert "Correct: intrinsic maps of GhostModule(inp, 100, ratio=3) (34)" in out
    assert "Correct: maps discarded by the slice" in out
    with pytest.raises(ExerciseError, match="n_intrinsic: not answered yet"):
        ex.check_intrinsic(None, None)
    with pytest.raises(ExerciseError, match="rounded DOWN"):
        ex.check_intrinsic(33, 0)
    with pytest.raises(ExerciseError, match="number of ghost maps"):
        ex.check_intrinsic(67, 0)
    with pytest.raises(ExerciseError, match="whole number"):
        ex.check_intrinsic(100 / 3, 0)
    with pytest.raises(ExerciseError, match="n_discarded: not answered yet"):
        ex.check_intrinsic(34, None)
    with pytest.raises(ExerciseError, match=r"expected 2, got 0\.\nHint: the module computes 34 intrinsic .* = 102"):
        ex.check_intrinsic(34, 0)


def test_identity_shortcuts_solution_and_mistakes(capsys):
    solution = [c_in == c_out and s == 1 for c_in, c_out, s in ex.SHORTCUT_CASES]
    ex.check_identity_shortcuts(solution)
    assert "Correct: identity shortcuts (3 of 7 cases" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match="not answered yet"):
        ex.check_identity_shortcuts(None)
    with pytest.raises(ExerciseError, match="list of 7"):
        ex.check_identity_shortcuts([True])
    same_channels = [c_in == c_out for c_in, c_out, s in ex.SHORTCUT_CASES]
    with pytest.raises(ExerciseError, match=r"(?s)\(in_chs=160, out_chs=160, stride=2\) should be False.*downsampled"):
        ex.check_identity_shortcuts(same_channels)
    with pytest.raises(ExerciseError, match=r"outputs 24 channels but the input has 16"):
        ex.check_identity_shortcuts([True] * 7)
    with pytest.raises(ExerciseError, match="added as it is"):
        ex.check_identity_shortcuts([False] * 7)
    with pytest.raises(ExerciseError, match="True or False"):
        ex.check_identity_shortcuts([1] * 7)


def test_bottleneck_params_solution_and_mistakes(capsys):
    ghost1 = (24 * 36 + 2 * 36) + (36 * 9 + 2 * 36)
    conv_dw = 72 * 25 + 2 * 72
    se = (72 * 20 + 20) + (20 * 72 + 72)
    ghost2 = (72 * 20 + 2 * 20) + (20 * 9 + 2 * 20)
    shortcut = (24 * 25 + 2 * 24) + (24 * 40 + 2 * 40)
    total = ghost1 + conv_dw + se + ghost2 + shortcut
    ex.check_bottleneck_params(total)
    assert "Correct: parameters of GhostBottleneck(24, 72, 40, 5, 2, SE) (9636)" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match="not answered yet"):
        ex.check_bottleneck_params(None)
    with pytest.raises(ExerciseError, match=r"you left out se \(2,972"):
        ex.check_bottleneck_params(total - se)
    with pytest.raises(ExerciseError, match=r"you left out shortcut"):
        ex.check_bottleneck_params(total - shortcut)
    with pytest.raises(ExerciseError, match=r"you left out conv_dw \+ bn_dw"):
        ex.check_bottleneck_params(total - conv_dw)
    with pytest.raises(ExerciseError, match="BatchNorm layers are missing"):
        ex.check_bottleneck_params(total - 2 * (36 + 36 + 72 + 20 + 20 + 24 + 40))
    with pytest.raises(ExerciseError, match="part by part"):
        ex.check_bottleneck_params(1)


def test_macs_at_resolution_solution_and_mistakes(capsys):
    model = ghostnet()
    expected = count_macs(model, (1, 3, 160, 160))
    ex.check_macs_at_resolution(expected)
    assert "Correct: multiply-adds of GhostNet 1.0x at 160x160" in capsys.readouterr().out
    ex.check_macs_at_resolution(expected * 1.005)
    with pytest.raises(ExerciseError, match="not answered yet"):
        ex.check_macs_at_resolution(None)
    naive = count_macs(model, (1, 3, 224, 224)) * (160 / 224) ** 2
    with pytest.raises(ExerciseError, match="do not shrink|does not shrink"):
        ex.check_macs_at_resolution(naive)
    with pytest.raises(ExerciseError, match="global pooling"):
        ex.check_macs_at_resolution(1e6)
    with pytest.raises(ExerciseError, match="expected a number"):
        ex.check_macs_at_resolution("many")


def test_unused_kernel_rows_solution_and_mistakes(capsys):
    ex.check_unused_kernel_rows([0, 2, 4, 6, 7, 8, 10, 12, 13, 14, 15])
    assert "Correct: rows whose dw_kernel_size is unused (11 of 16 rows)" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match="not answered yet"):
        ex.check_unused_kernel_rows(None)
    with pytest.raises(ExerciseError, match=r"rows \[9\] do use k"):
        ex.check_unused_kernel_rows([0, 2, 4, 6, 7, 8, 9, 10, 12, 13, 14, 15])
    with pytest.raises(ExerciseError, match=r"rows \[0\] also ignore it"):
        ex.check_unused_kernel_rows([2, 4, 6, 7, 8, 10, 12, 13, 14, 15])
    with pytest.raises(ExerciseError, match="list of row indices"):
        ex.check_unused_kernel_rows(["a"])
