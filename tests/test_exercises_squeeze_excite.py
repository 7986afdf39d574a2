"""The checks of the squeeze-and-excitation chapter pass on the solutions and explain wrong or missing answers."""

import pytest

from ghostedu.exercises import ExerciseError
from ghostedu.exercises import squeeze_excite as ex


def test_reduced_width_solution_and_mistakes(capsys):
    ex.check_reduced_width(52)
    assert capsys.readouterr().out.startswith("Correct: reduced width of SqueezeExcite(200")
    with pytest.raises(ExerciseError, match="not answered yet"):
        ex.check_reduced_width(None)
    with pytest.raises(ExerciseError, match="unrounded width"):
        ex.check_reduced_width(50)
    with pytest.raises(ExerciseError, match="that rounds down"):
        ex.check_reduced_width(48)
    with pytest.raises(ExerciseError, match="reduction ratio of 16"):
        ex.check_reduced_width(12)
    with pytest.raises(ExerciseError, match="whole number"):
        ex.check_reduced_width(50.5)
    with pytest.raises(ExerciseError, match=r"expected 52, got 7\.\nHint: make_divisible"):
        ex.check_reduced_width(7)


def test_reduced_width_is_read_from_the_layer():
    assert ex.reduced_width(72) == 20  # the chapter's example
    assert ex.reduced_width(120) == 32
    assert ex.reduced_width(200) == 52


def test_se_params_solution_and_mistakes(capsys):
    ex.check_se_params(480 * 120 + 120 + 120 * 480 + 480)
    assert "Correct: parameters of SqueezeExcite(480) (115800)" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match="not answered yet"):
        ex.check_se_params(None)
    with pytest.raises(ExerciseError, match="but not their biases"):
        ex.check_se_params(2 * 480 * 120)
    with pytest.raises(ExerciseError, match="conv_reduce alone"):
        ex.check_se_params(480 * 120 + 120)
    with pytest.raises(ExerciseError, match="C\\*reduced \\+ reduced"):
        ex.check_se_params(3)


def test_se_params_unrounded_width_hint():
    reduced = 20  # SqueezeExcite(72): 72 * 0.25 = 18 rounds to 20
    with pytest.raises(ExerciseError, match="rounded reduced width 20, not 18"):
        ex.check_se_params(2 * 72 * 18 + 18 + 72, in_chs=72)
    ex.check_se_params(72 * reduced + reduced + reduced * 72 + 72, in_chs=72)
