"""ghostedu.shapes.windows and ghostedu.viz.animation: the pictures are drawn from the same arithmetic that
computes the shapes."""

import re

import matplotlib

matplotlib.use("Agg")

import pytest
import torch
import torch.nn.functional as F
from IPython.display import HTML
from matplotlib import animation
from torch import nn

from ghostedu.shapes import conv_output_length, conv_windows_1d, dependency_mask, receptive_field, stack_dependencies
from ghostedu.viz import (
    animate_conv1d,
    animate_conv2d,
    animate_grouped_conv1d,
    offline_jshtml,
    plot_dependency_masks,
    plot_receptive_field_1d,
)


@pytest.mark.parametrize(
    "length,k,s,p,d",
    [(7, 3, 1, 0, 1), (7, 3, 2, 1, 1), (10, 3, 4, 0, 1), (9, 3, 1, 2, 2), (12, 4, 3, 1, 2), (5, 1, 1, 0, 1)],
)
def test_windows_are_the_convolution(length, k, s, p, d):
    windows = conv_windows_1d(length, k, s, p, d)
    assert len(windows) == conv_output_length(length, k, s, p, d)
    x = torch.randn(1, 1, length, dtype=torch.float64)
    w = torch.randn(1, 1, k, dtype=torch.float64)
    expected = F.conv1d(x, w, stride=s, padding=p, dilation=d)[0, 0]
    padded = F.pad(x, (p, p))[0, 0]
    by_windows = torch.stack([sum(w[0, 0, j] * padded[i + p] for j, i in enumerate(win)) for win in windows])
    torch.testing.assert_close(by_windows, expected)


def _frames(html) -> int:
    return len(re.findall(r"data:image/png;base64", html.data))


def test_animations_have_one_frame_per_output():
    assert _frames(animate_conv1d(7, 3, stride=2, padding=1)) == conv_output_length(7, 3, 2, 1)
    assert _frames(animate_conv2d(5, 3, stride=2, padding=1)) == conv_output_length(5, 3, 2, 1) ** 2
    html = animate_grouped_conv1d(in_channels=3, out_channels=3, groups=3, length=5, padding=1)
    assert _frames(html) == 3 * 5
    anim = animate_conv1d(5, 3, html=False)
    assert isinstance(anim, animation.FuncAnimation)
    html = offline_jshtml(anim)  # works offline: no stylesheet or icon font from a CDN
    assert "https://" not in html and "fa-play" not in html and _frames(HTML(html)) == 3


def test_animation_errors_name_the_function_and_value():
    with pytest.raises(ValueError, match=r"animate_conv2d: this setting has 25 output positions.*max_frames=20"):
        animate_conv2d(7, 3)
    with pytest.raises(
        ValueError,
        match=r"animate_grouped_conv1d: expected in_channels and out_channels "
        r"divisible by groups=2, got in_channels=3",
    ):
        animate_grouped_conv1d(in_channels=3, out_channels=4, groups=2)
    with pytest.raises(ValueError, match=r"animate_conv1d: expected stride to be an integer >= 1, got 0"):
        animate_conv1d(7, 3, stride=0)


@pytest.mark.parametrize(
    "layers", [[(3, 1)] * 3, [(3, 1, 1), (3, 1, 2), (3, 1, 4)], [(7, 2), (3, 2), (3, 1)], [(3, 1, 2)] * 3]
)
def test_dependency_span_is_the_receptive_field(layers):
    levels = stack_dependencies(layers, 64)
    assert len(levels[-1]) == 1 and len(levels) == len(layers) + 1
    assert levels[0][-1] - levels[0][0] + 1 == receptive_field(layers).receptive_field


def test_equal_rates_leave_holes_and_hybrid_rates_do_not():
    grid = stack_dependencies([(3, 1, 2)] * 3, 40)[0]
    hybrid = stack_dependencies([(3, 1, 1), (3, 1, 2), (3, 1, 3)], 40)[0]
    assert len(grid) == 7 and grid[-1] - grid[0] + 1 == 13  # every other input: gridding
    assert len(hybrid) == 13 == hybrid[-1] - hybrid[0] + 1


def test_dependency_mask_matches_the_index_sets():
    rates = (2, 2, 2)
    net = nn.Sequential(*[nn.Conv2d(1, 1, 3, dilation=r, padding=r, bias=False) for r in rates])
    for conv in net:
        nn.init.ones_(conv.weight)
    mask = dependency_mask(net, (1, 1, 31, 31))
    one_axis = torch.zeros(31, dtype=torch.bool)
    one_axis[stack_dependencies(list(net), 31)[0]] = True
    assert torch.equal(mask, one_axis[:, None] & one_axis[None, :])
    counts = dependency_mask(net, (1, 1, 31, 31), counts=True)
    assert counts.sum().item() == 9**3  # all-ones weights: the gradient counts the paths


def test_figures_have_titles_and_labels():
    fig = plot_receptive_field_1d([(3, 1, 1), (3, 1, 2), (3, 1, 4)], 32)
    ax = fig.axes[0]
    assert "depends on 15 of the 15" in ax.get_title() and ax.get_xlabel()
    fig = plot_dependency_masks([torch.ones(5, 5)], ["ones"], suptitle="t")
    assert fig.axes[0].get_xlabel() and "25 input pixels" in fig.axes[0].get_title()


def test_the_same_animation_gives_the_same_html():
    """The player's ids come from the content, not from a random uuid: a re-run changes nothing."""
    first = animate_conv1d(7, 3, stride=2, padding=1).data
    again = animate_conv1d(7, 3, stride=2, padding=1).data
    other = animate_conv1d(7, 3, stride=1, padding=1).data
    assert first == again
    assert re.search(r"_anim_img[0-9a-f]{32}", first)
    assert first != other
    ids = {re.search(r"_anim_img([0-9a-f]{32})", html).group(1) for html in (first, other)}
    assert len(ids) == 2
