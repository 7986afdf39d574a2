"""The checks of the depthwise chapter pass on the solutions and explain wrong or missing answers."""

import pytest
from torch import nn

from ghostedu.exercises import ExerciseError
from ghostedu.exercises import depthwise as ex


def test_params_solution_and_mistakes(capsys):
    ex.check_params(9 * 64 + 64 * 128 + 2 * 64 + 2 * 128)
    assert capsys.readouterr().out.startswith("Correct: parameters of conv_dw(64, 128)")
    with pytest.raises(ExerciseError, match="not answered yet"):
        ex.check_params(None)
    with pytest.raises(ExerciseError, match="but not the BatchNorm"):
        ex.check_params(9 * 64 + 64 * 128)
    with pytest.raises(ExerciseError, match="groups=filter_in"):
        ex.check_params(9 * 64 * 64 + 64 * 128 + 2 * 64 + 2 * 128)
    with pytest.raises(ExerciseError, match="standard 3x3 convolution"):
        ex.check_params(9 * 64 * 128 + 2 * 128)
    with pytest.raises(ExerciseError, match=r"expected 9152, got 1\.\nHint: 3\*3\*filter_in"):
        ex.check_params(1)


def test_eightfold_solution_and_mistakes(capsys):
    ex.check_eightfold(72)
    assert "C_out=72: standard / separable = 8" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match="not answered yet"):
        ex.check_eightfold(None)
    with pytest.raises(ExerciseError, match=r"at C_out=71 .* saves only 7\.98\dx, less than 8x"):
        ex.check_eightfold(71)
    with pytest.raises(ExerciseError, match="a smaller C_out already saves 8x"):
        ex.check_eightfold(100)
    with pytest.raises(ExerciseError, match="whole number"):
        ex.check_eightfold(72.0)


def test_smallest_n_matches_the_formula():
    # 1/C_out + 1/k^2 <= 1/f  <=>  C_out >= f*k^2 / (k^2 - f)
    assert ex.smallest_n_for_saving(8, 3) == 72
    assert ex.smallest_n_for_saving(4, 3) == 8  # 36/5 = 7.2 -> 8
    assert ex.smallest_n_for_saving(20, 5) == 100
    with pytest.raises(ValueError, match="factor < k\\*k = 9"):
        ex.smallest_n_for_saving(9, 3)


def linear_solution(filter_in, filter_out, stride=1):
    return nn.Sequential(
        nn.Conv2d(filter_in, filter_in, 3, stride, 1, groups=filter_in, bias=False),
        nn.BatchNorm2d(filter_in),
        nn.Conv2d(filter_in, filter_out, 1, 1, 0, bias=False),
        nn.BatchNorm2d(filter_out),
    )


def test_linear_block_solution_and_mistakes(capsys):
    ex.check_linear_block(linear_solution, 0)
    assert "params change 0, multiply-adds unchanged" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match="not answered yet"):
        ex.check_linear_block(None, None)

    def stub(filter_in, filter_out, stride=1):
        raise NotImplementedError("conv_dw_linear: YOUR CODE HERE")

    with pytest.raises(ExerciseError, match="conv_dw_linear: not answered yet"):
        ex.check_linear_block(stub, None)
    with pytest.raises(ExerciseError, match="params_change: not answered yet"):
        ex.check_linear_block(linear_solution, None)
    with pytest.raises(ExerciseError, match="params_change: expected 0, got -2"):
        ex.check_linear_block(linear_solution, -2)
    from ghostedu.layers import conv_dw

    with pytest.raises(ExerciseError, match="still has activations"):
        ex.check_linear_block(conv_dw, 0)

    def no_groups(filter_in, filter_out, stride=1):
        block = linear_solution(filter_in, filter_out, stride)
        block[0] = nn.Conv2d(filter_in, filter_in, 3, stride, 1, bias=False)
        return block

    with pytest.raises(ExerciseError, match="groups=32"):
        ex.check_linear_block(no_groups, 0)

    def no_norm(filter_in, filter_out, stride=1):
        return nn.Sequential(*list(linear_solution(filter_in, filter_out, stride))[:3])

    with pytest.raises(ExerciseError, match="keep both batch norms"):
        ex.check_linear_block(no_norm, 0)
    with pytest.raises(ExerciseError, match="should return an nn.Module"):
        ex.check_linear_block(lambda *a: "block", 0)
