"""The checks of the multi-scale 1D CNN chapters: pass on the solutions, explain wrong and missing answers."""

import pytest
from torch import nn

from ghostedu.exercises import ExerciseError
from ghostedu.exercises import net1d as ex
from ghostedu.models import Net


def test_stage_lengths_match_the_formulas():
    assert ex.net_stage_lengths(1024) == dict(conv1_len=128, pool1_len=64, branch_len=8, pool2_len=1, n_features=768)
    conv1 = (2000 + 2 * 12 - 32) // 8 + 1
    branch = conv1 // 2 // 2 // 2 // 2
    assert ex.net_stage_lengths(2000) == dict(
        conv1_len=conv1,
        pool1_len=conv1 // 2,
        branch_len=branch,
        pool2_len=branch - 7,
        n_features=3 * 256 * (branch - 7),
    )


def test_lengths(capsys):
    ex.check_lengths(250, 125, 15, 8, 6144, length=2000)
    assert capsys.readouterr().out.startswith("Correct")
    with pytest.raises(ExerciseError, match=r"conv1_len .* 251 is too large.*\nHint: L_out = floor"):
        ex.check_lengths(251, 125, 15, 8, 6144, length=2000)
    with pytest.raises(ExerciseError, match=r"branch_len .* 16 is too large"):
        ex.check_lengths(250, 125, 16, 9, 6912, length=2000)
    with pytest.raises(ExerciseError, match=r"pool1_len .* whole number"):
        ex.check_lengths(250, 125.5, 15, 8, 6144, length=2000)
    with pytest.raises(ExerciseError, match=r"pool2_len .* not answered yet"):
        ex.check_lengths(250, 125, 15, None, None, length=2000)


def test_accepted_range(capsys):
    ex.check_accepted_range(2048, 2303)
    assert "2048..2303" in capsys.readouterr().out
    with pytest.raises(ExerciseError, match=r"longest .* 2304 is one too many.*\nHint: work backwards"):
        ex.check_accepted_range(2048, 2304)
    with pytest.raises(ExerciseError, match=r"shortest .* 2047 is too small"):
        ex.check_accepted_range(2047, 2303)
    with pytest.raises(ExerciseError, match="not answered yet"):
        ex.check_accepted_range(None, None)


class AnyLengthNet(Net):
    def __init__(self):
        super().__init__()
        self.pool2 = nn.AdaptiveMaxPool1d(1)


class AveragingNet(Net):
    def __init__(self):
        super().__init__()
        self.pool2 = nn.AdaptiveAvgPool1d(1)


class StubNet(Net):
    def __init__(self):
        raise NotImplementedError("StubNet.__init__: YOUR CODE HERE")


def test_any_length(capsys):
    ex.check_any_length(AnyLengthNet)
    assert capsys.readouterr().out.startswith("Correct: AnyLengthNet")
    with pytest.raises(
        ExerciseError,
        match=(
            r"length 128 fails: ValueError: Net: an input of length L=128 is too short: pool2 gets 1 position.*\nHint: "
            r"after the branches"
        ),
    ):
        ex.check_any_length(Net)
    with pytest.raises(ExerciseError, match=r"outputs differ from Net's.*\nHint: .*AdaptiveMaxPool1d"):
        ex.check_any_length(AveragingNet)
    with pytest.raises(ExerciseError, match="not answered yet"):
        ex.check_any_length(StubNet)
    with pytest.raises(ExerciseError, match="not answered yet"):
        ex.check_any_length(None)
    with pytest.raises(ExerciseError, match="expected a class"):
        ex.check_any_length(AnyLengthNet())


def test_bpfo(capsys):
    n_balls, d_ball, d_pitch = 9, 0.3126, 1.537  # SKF 6205-2RS, inches
    bpfo = n_balls / 2 * (1 - d_ball / d_pitch) * 1797 / 60
    ex.check_bpfo(bpfo)
    assert capsys.readouterr().out.startswith("Correct")
    with pytest.raises(ExerciseError, match="revolutions per minute"):
        ex.check_bpfo(bpfo * 60)
    with pytest.raises(ExerciseError, match=r"inner race"):
        ex.check_bpfo(n_balls / 2 * (1 + d_ball / d_pitch) * 1797 / 60)
    with pytest.raises(ExerciseError, match="not answered yet"):
        ex.check_bpfo(None)


def test_impact_spacing(capsys):
    bpfo = 9 / 2 * (1 - 0.3126 / 1.537) * 1797 / 60
    ex.check_impact_spacing(12000 / bpfo, 1024 / (12000 / bpfo))
    assert capsys.readouterr().out.startswith("Correct")
    with pytest.raises(ExerciseError, match="reciprocal"):
        ex.check_impact_spacing(bpfo / 12000, 1024 * bpfo / 12000)
    with pytest.raises(ExerciseError, match=r"impacts in one 1024-sample segment .* too large"):
        ex.check_impact_spacing(12000 / bpfo, 20)
    with pytest.raises(ExerciseError, match="not answered yet"):
        ex.check_impact_spacing(12000 / bpfo, None)
