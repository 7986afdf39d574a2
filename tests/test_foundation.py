"""The shared pieces: device and seeding, counting, timing, the training loop, plots, exercise checks."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402
from torch import nn  # noqa: E402

import ghostedu  # noqa: E402
from ghostedu import bench, counting, exercises, train, viz  # noqa: E402
from ghostedu.layers import conv_dw  # noqa: E402


def test_device_and_env_override(monkeypatch):
    expected = "cuda" if torch.cuda.is_available() else "cpu"
    monkeypatch.delenv("GHOSTEDU_DEVICE", raising=False)
    assert ghostedu.device().type == expected
    monkeypatch.setenv("GHOSTEDU_DEVICE", "cpu")
    assert ghostedu.device() == torch.device("cpu")


def test_seed_everything_reproduces():
    ghostedu.seed_everything(3)
    a = torch.randn(5)
    ghostedu.seed_everything(3)
    assert torch.equal(a, torch.randn(5))


def test_counts_match_formulas():
    conv = nn.Conv2d(16, 32, 3, padding=1)
    assert counting.count_params(conv) == 32 * 16 * 9 + 32
    # multiply-adds of a conv: output positions x C_out x (C_in/groups) x k x k
    assert counting.count_macs(conv, (1, 16, 8, 8)) == 8 * 8 * 32 * 16 * 9
    block = conv_dw(32, 64)
    by_module = counting.macs_by_module(block, (1, 32, 10, 10))
    assert by_module["0"] == 100 * 32 * 9 and by_module["3"] == 100 * 32 * 64
    assert by_module[""] == by_module["0"] + by_module["3"]


def test_summary_relabels_torchinfo_mult_adds():
    text = str(counting.summary(conv_dw(32, 64), (1, 32, 112, 112)))
    assert "Units.MEGABYTES" not in text
    assert "Total mult-adds (torchinfo: conv, linear, BatchNorm): 29.30 M" in text
    assert "Total params: 2,528" in text


def test_time_forward_and_label():
    timing = bench.time_forward(nn.Conv2d(4, 4, 3), (1, 4, 16, 16), dev="cpu", min_run_time=0.01)
    assert timing.median_s > 0 and timing.runs >= 1 and timing.median_ms == pytest.approx(timing.median_s * 1e3)
    label = bench.machine_label("cpu")
    assert label.startswith("CPU: ") and f"{torch.get_num_threads()} thread" in label and "device: cpu" in label


def _toy_problem(n=256):
    g = torch.Generator().manual_seed(0)
    x = torch.randn(n, 2, generator=g)
    y = (x[:, 0] + x[:, 1] > 0).long()
    return x, y


def test_fit_learns_and_is_reproducible():
    x, y = _toy_problem()
    histories = []
    for _ in range(2):
        ghostedu.seed_everything(0)
        model = nn.Linear(2, 2)
        histories.append(
            train.fit(model, (x, y), test=(x, y), epochs=15, lr=0.05, batch_size=32, seed=1, dev="cpu", progress=False)
        )
    h = histories[0]
    assert len(h.train_loss) == len(h.test_acc) == 15
    assert h.train_loss[-1] < h.train_loss[0] and h.test_acc[-1] > 0.95
    assert h.train_loss == histories[1].train_loss


def test_fit_uses_the_given_forward():
    x, y = _toy_problem(64)
    model = nn.Sequential(nn.Linear(2, 2), nn.Softmax(dim=1))
    calls = []

    def logits(inp):
        calls.append(1)
        return model[0](inp)

    train.fit(model, (x, y), epochs=1, batch_size=64, forward=logits, dev="cpu", progress=False)
    assert len(calls) == 2  # the first batch, to check the scores before any step, then one step
    loss, acc = train.evaluate(model, x, y, forward=logits, dev="cpu")
    assert 0 <= acc <= 1 and loss > 0
    assert train.predict(model, x, dev="cpu").shape == (64, 2)


def test_plots_have_titles_and_labels():
    h = train.History(train_loss=[1.0, 0.5], train_acc=[0.5, 0.9], test_loss=[1.1, 0.6], test_acc=[0.4, 0.8])
    fig = viz.plot_history(h)
    assert [ax.get_ylabel() for ax in fig.axes] == ["cross-entropy loss", "accuracy (%)"]
    fig = viz.plot_confusion([0, 1, 1], [0, 1, 0], ["a", "b"])
    texts = sorted(t.get_text() for t in fig.axes[0].texts)
    assert texts == ["0", "1", "1", "1"]
    fig = viz.plot_frequency_response(torch.ones(2, 4), fs=1000.0, labels=["x", "y"])
    assert fig.axes[0].get_xlabel() == "frequency (kHz)"
    fig = viz.feature_maps(torch.randn(5, 8, 8), ncols=4, title="maps")
    assert sum(ax.has_data() for ax in fig.axes) == 5
    fig = viz.feature_maps(torch.randn(3, 50), fs=100.0)
    assert fig.axes[0].lines and fig.axes[0].get_xlabel() == "time (ms)"
    with pytest.raises(ValueError, match=r"feature_maps: expected maps shaped"):
        viz.feature_maps(torch.randn(4))
    fig = viz.image_grid([torch.rand(3, 8, 8), torch.rand(8, 8)], titles=["rgb", "gray"])
    assert [ax.get_title() for ax in fig.axes[:2]] == ["rgb", "gray"]
    plt.close("all")


def test_exercise_checks_say_what_is_wrong(capsys):
    exercises.check_value("n", 3, 3)
    assert capsys.readouterr().out == "Correct: n\n"  # never the expected value
    with pytest.raises(exercises.ExerciseError, match=r"^n: 4 is not right.\nHint: add one$"):
        exercises.check_value("n", 4, 3, hint="add one")
    with pytest.raises(exercises.ExerciseError, match="not answered yet"):
        exercises.check_value("n", None, 3)
    exercises.check_close("x", 1.0005, 1.0, 1e-3)
    with pytest.raises(exercises.ExerciseError, match=r"^x: 2 ms is too large: more than 0.1 % off.$"):
        exercises.check_close("x", 2.0, 1.0, 1e-3, unit=" ms")
    with pytest.raises(exercises.ExerciseError, match=r"0.5 is too small.*\nHint: you halved it"):
        exercises.check_close("x", 0.5, 1.0, 1e-3, hint="generic", mistakes=[(0.5, "you halved it")])
    with pytest.raises(exercises.ExerciseError, match=r"\nHint: generic"):
        exercises.check_close("x", 0.7, 1.0, 1e-3, hint="generic", mistakes=[(0.5, "you halved it")])
    with pytest.raises(exercises.ExerciseError, match="expected a number"):
        exercises.check_close("x", [1.0], 1.0, 1e-3)
    with pytest.raises(exercises.ExerciseError, match="wrong shape"):
        exercises.check_true("s", False, "wrong shape")


def test_first_look_check():
    from ghostedu.exercises import first_look

    first_look.check_conv1_length((2048 + 24 - 32) // 8 + 1)
    with pytest.raises(exercises.ExerciseError, match="left out the padding"):
        first_look.check_conv1_length((2048 - 32) // 8 + 1)
    with pytest.raises(exercises.ExerciseError, match="not answered"):
        first_look.check_conv1_length(None)
