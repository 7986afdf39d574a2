"""Checks of the chapter "Convolution arithmetic": pass on the solutions, fail helpfully otherwise."""

import pytest

from ghostedu.exercises import ExerciseError
from ghostedu.exercises import arithmetic as ex


def test_solutions_pass(capsys):
    ex.check_output_length((50 + 2 * 2 - 5) // 3 + 1)
    ex.check_grouped_params(128 * (64 // 4) * 3 * 3 + 128)
    ex.check_receptive_field(32 + (2 - 1) * 8 + (3 - 1) * 16)
    ex.check_unread_inputs(4)
    out = capsys.readouterr().out
    assert out.count("Correct") == 4


@pytest.mark.parametrize(
    "check", [ex.check_output_length, ex.check_grouped_params, ex.check_receptive_field, ex.check_unread_inputs]
)
def test_none_is_not_answered(check):
    with pytest.raises(ExerciseError, match="not answered yet"):
        check(None)


@pytest.mark.parametrize(
    "check,wrong,message",
    [
        (ex.check_output_length, (50 - 5) // 3 + 1, "you left out the padding"),
        (ex.check_output_length, (50 + 4 - 5) / 3, "take the floor"),
        (ex.check_output_length, 18, "round down"),
        (ex.check_grouped_params, 128 * 64 * 9 + 128, "count without groups"),
        (ex.check_grouped_params, 128 * 16 * 9, "add the bias"),
        (ex.check_grouped_params, 32 * 16 * 9 + 128, "do not divide C_out"),
        (ex.check_receptive_field, 1 + 31 + 1 + 2, "as if every stride were 1"),
        (ex.check_unread_inputs, 3, "also skip inputs between them"),
    ],
)
def test_wrong_answers_get_a_hint(check, wrong, message):
    with pytest.raises(ExerciseError, match=message):
        check(wrong)
