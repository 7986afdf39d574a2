"""Checks of the chapter "Dilated (atrous) convolution": pass on the solutions, fail helpfully otherwise."""

import pytest

from ghostedu.exercises import ExerciseError
from ghostedu.exercises import dilated as ex


def test_solutions_pass(capsys):
    ex.check_valid_size(64 - 4 * (3 - 1))
    ex.check_same_padding(3 * (5 - 1) // 2)
    ex.check_receptive_field(1 + 4 * (2 + 4 + 8))
    for rates in [(1, 2, 7), (1, 3, 6), (1, 3, 9), (9, 1, 3)]:
        ex.check_no_gridding(rates)
    assert capsys.readouterr().out.count("Correct") == 7


@pytest.mark.parametrize(
    "check", [ex.check_valid_size, ex.check_same_padding, ex.check_receptive_field, ex.check_no_gridding]
)
def test_none_is_not_answered(check):
    with pytest.raises(ExerciseError, match="not answered yet"):
        check(None)


@pytest.mark.parametrize(
    "check,wrong,message",
    [
        (ex.check_valid_size, 62, "spans rate"),
        (ex.check_valid_size, 52, r"not rate\*k"),
        (ex.check_same_padding, 2, "without dilation"),
        (ex.check_same_padding, 12, "on each side"),
        (ex.check_receptive_field, 33, "last layer alone"),
        (ex.check_receptive_field, 13, "without dilation"),
        (ex.check_no_gridding, (2, 4, 6), r"(?s)grid: one output depends on only 13 of the 25.*common factor \(2\)"),
        (ex.check_no_gridding, (1, 2, 9), r"rate 9 exceeds the field 7"),
        (ex.check_no_gridding, (5, 3, 4), r"(?s)only 21 of the 25.*smallest rate must be 1"),
        (ex.check_no_gridding, (2, 3, 5), r"smallest rate must be 1"),
        (ex.check_no_gridding, (1, 4, 7), r"rate 4 exceeds the field 3"),
        (ex.check_no_gridding, (1, 3, 5), "receptive field of 19, expected at least 21"),
        (ex.check_no_gridding, (1, 2), "expected 3 integer rates"),
    ],
)
def test_wrong_answers_get_a_hint(check, wrong, message):
    with pytest.raises(ExerciseError, match=message):
        check(wrong)
