"""The kernel sliding over its input: animations and receptive-field pictures, drawn from the shape arithmetic.

Explained in chapter "Convolution arithmetic" (and used again in "What kernel_size means in a 1D
convolution" and "Dilated (atrous) convolution").

Every picture here is computed, not drawn by hand: which input positions each output reads comes
from :func:`ghostedu.shapes.conv_windows_1d` (output ``o`` reads input positions ``o*s - p + j*d``
for ``j = 0 .. k-1``; how many outputs there are, from :func:`ghostedu.shapes.conv_output_length`,
the function ``ghostedu.shapes.trace`` explains a model's shapes with), and which inputs one output
of a stack depends on from :func:`ghostedu.shapes.stack_dependencies`. This module only draws.

* :func:`animate_conv1d`, :func:`animate_conv2d` -- one frame per output position, for any kernel
  size, stride, padding and dilation.
* :func:`animate_grouped_conv1d` -- channels drawn as rows: which input channels each output channel
  reads when the channels are split into groups (``groups == in_channels``: depthwise, one kernel
  per channel).
* :func:`plot_receptive_field_1d` -- which inputs one output of a stack of 1D layers depends on,
  layer by layer (with dilations this shows the gaps of "gridding").
* :func:`plot_dependency_masks` -- the dependency maps of :func:`ghostedu.shapes.dependency_mask`.

The animations are ``matplotlib.animation.FuncAnimation`` objects rendered as HTML with
``to_jshtml()`` (frames embedded as PNG: no files; :func:`offline_jshtml` drops the player's icon
font from a CDN, so a page works offline). Keep them small: a
few frames (at most ``max_frames``) at a low ``dpi``.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import torch
from matplotlib import animation
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator

from ..checks import check_int
from ..shapes.arithmetic import output_length_formula
from ..shapes.windows import conv_windows_1d, stack_dependencies, stack_windows

__all__ = [
    "offline_jshtml",
    "animate_conv1d",
    "animate_conv2d",
    "animate_grouped_conv1d",
    "plot_receptive_field_1d",
    "plot_dependency_masks",
]

# Colours shared by every picture, so a reader learns them once.
INPUT = "#cfe2f3"  # an input value
PAD = "#eeeeee"  # a zero added by padding
TAP = "#f6b26b"  # an input value under a kernel tap in this frame
DONE = "#b6d7a8"  # an output computed in an earlier frame
CURRENT = "#e69138"  # the output computed in this frame
TODO = "#ffffff"  # an output not computed yet
SKIPPED = "#ea9999"  # an input no output ever reads (the floor in the output-size formula)
GROUP_COLOURS = ("#6fa8dc", "#93c47d", "#c27ba0", "#ffd966", "#8e7cc3", "#76a5af", "#e06666", "#f6b26b")


def _check(func: str, **values) -> None:
    for name, value in values.items():
        check_int(func, name, value, minimum=0 if name == "padding" else 1)


def _windows(func: str, length: int, kernel_size: int, stride: int, padding: int, dilation: int,
             axis: str = "length") -> list[list[int]]:  # fmt: skip
    """The windows of :func:`ghostedu.shapes.conv_windows_1d`, their settings checked in the name of ``func``."""
    _check(func, **{axis: length}, kernel_size=kernel_size, stride=stride, padding=padding, dilation=dilation)
    return conv_windows_1d(length, kernel_size, stride, padding, dilation)


def _formula(name: str, length: int, k: int, s: int, p: int, d: int, n_out: int) -> str:
    """``L_out = floor((L + 2p - d(k - 1) - 1)/s) + 1 = n`` with the numbers filled in."""
    return f"{name}_out = {output_length_formula(length, k, s, p, d)} = {n_out}"


# matplotlib's player loads an icon font from a CDN; the book works offline (see offline_jshtml).
_CDN_LINK = re.compile(r'<link rel="stylesheet"\s+href="https://[^"]*font-awesome[^"]*">\s*')
_ICONS = {
    "fa fa-minus": "&minus;",
    "fa fa-fast-backward": "&laquo;",
    "fa fa-step-backward": "&#x25C1;",
    "fa fa-play fa-flip-horizontal": "&#x25C0;",
    "fa fa-pause": "&#x275A;&#x275A;",
    "fa fa-play": "&#x25B6;",
    "fa fa-step-forward": "&#x25B7;",
    "fa fa-fast-forward": "&raquo;",
    "fa fa-plus": "+",
}


_FRAME = re.compile(r'"data:image/png;base64,([^"]*)"')
_PLAYER_ID = re.compile(r"_anim_img([0-9a-f]{32})")


def _palette_png(match: re.Match) -> str:
    """One embedded frame re-encoded with a 64-colour palette: the same picture in a third of the bytes."""
    from PIL import Image

    raw = base64.b64decode(match.group(1).replace("\\\n", ""))
    image = Image.open(io.BytesIO(raw)).convert("RGB")
    small = image.quantize(colors=64, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    small.save(buffer, format="PNG", optimize=True)
    return '"data:image/png;base64,' + base64.b64encode(buffer.getvalue()).decode("ascii") + '"'


def offline_jshtml(anim: animation.FuncAnimation) -> str:
    """``anim.to_jshtml()`` (looping), made light and offline.

    matplotlib's player draws its buttons with Font Awesome icons loaded from a CDN: the stylesheet
    link is dropped and each icon becomes a plain character. Each frame is re-encoded as a
    64-colour PNG (the frames are flat-coloured diagrams, so nothing visible is lost). The player's
    element ids, a random uuid in matplotlib, are derived from the content: the same animation gives
    the same HTML.
    """
    text = _CDN_LINK.sub("", anim.to_jshtml(default_mode="loop"))
    for icon, char in _ICONS.items():
        text = text.replace(f'<i class="{icon}"></i>', char)
    if "https://" in text or '<i class="fa' in text:
        raise RuntimeError(
            "offline_jshtml: matplotlib's animation template changed; it still refers to a web resource or an icon font"
        )
    text = _FRAME.sub(_palette_png, text)
    # matplotlib names the player's elements after a random uuid4: name them after the content
    # instead, so that the same animation gives the same page (and a re-run notebook no new diff).
    found = _PLAYER_ID.search(text)
    if found:
        uid = found.group(1)
        text = text.replace(uid, hashlib.sha1(text.replace(uid, "").encode()).hexdigest()[:32])
    return text


def _play(fig, draw, frames: int, interval: int, html: bool):
    """Draw frame 0, then animate ``draw`` over ``frames`` frames: ``IPython.display.HTML`` (offline,
    see :func:`offline_jshtml`) or, with ``html=False``, the ``FuncAnimation`` itself."""
    draw(0)
    anim = animation.FuncAnimation(fig, draw, frames=frames, interval=interval, blit=False)
    if not html:
        return anim
    from IPython.display import HTML

    out = HTML(offline_jshtml(anim))
    plt.close(fig)  # otherwise the inline backend shows the last frame once more
    return out


def _too_many(func: str, n: int, max_frames: int) -> None:
    check_int(func, "max_frames", max_frames)
    if n > max_frames:
        raise ValueError(
            f"{func}: this setting has {n} output positions, one frame each, but max_frames={max_frames}; "
            f"use a smaller input or pass a larger max_frames"
        )


def _light(colour: str, amount: float = 0.6) -> tuple[float, float, float]:
    """``colour`` mixed with white (``amount`` of white)."""
    from matplotlib.colors import to_rgb

    return tuple(c + (1 - c) * amount for c in to_rgb(colour))


def _frame_axes(x0: float, x1: float, y0: float, y1: float, dpi: int, cell: float = 0.3, title_lines: int = 2):
    """A figure sized to its content (``cell`` inches per unit), the axes filling it below the title."""
    title_in = 0.22 * title_lines + 0.12
    w, h = (x1 - x0) * cell, (y1 - y0) * cell
    w_fig = max(w, 5.0)
    fig = plt.figure(figsize=(w_fig, h + title_in), dpi=dpi)
    ax = fig.add_axes((0.5 - w / w_fig / 2, 0.0, w / w_fig, h / (h + title_in)))
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_aspect("equal")
    ax.axis("off")
    return fig, ax


def _title(fig, text: str) -> None:
    fig.text(0.5, 0.99, text, ha="center", va="top", fontsize=10)


def _cell(ax, x: float, y: float, colour: str, dashed: bool = False, size: float = 1.0) -> Rectangle:
    # No anti-aliasing: flat colours compress several times better in the embedded PNG frames.
    r = Rectangle(
        (x, y),
        size,
        size,
        facecolor=colour,
        edgecolor="#666666",
        lw=0.8,
        linestyle="--" if dashed else "-",
        antialiased=False,
    )
    ax.add_patch(r)
    return r


def animate_conv1d(length: int = 7, kernel_size: int = 3, stride: int = 1, padding: int = 0, dilation: int = 1,
                   max_frames: int = 20, dpi: int = 72, interval: int = 700, html: bool = True,
                   title: str | None = None):  # fmt: skip
    """Animate a 1D kernel sliding over an input of ``length`` samples: one frame per output position.

    The input row is drawn on top with its ``padding`` zeros (dashed), the output row below. In each
    frame the ``kernel_size`` taps (``dilation`` apart) of the current window are coloured and joined
    to the output they produce; inputs that no window reads (what the floor in the output-size formula
    throws away) are red. Returns ``IPython.display.HTML`` (or the ``FuncAnimation`` with
    ``html=False``). Chapter "Convolution arithmetic".
    """
    windows = _windows("animate_conv1d", length, kernel_size, stride, padding, dilation)
    n_out = len(windows)
    _too_many("animate_conv1d", n_out, max_frames)
    read = {i for w in windows for i in w}
    width = length + 2 * padding
    in_y, out_y = 2.4, 0.0
    fig, ax = _frame_axes(-0.2, width + 0.2, -0.2, in_y + 1.8, dpi)
    in_cells = {}
    for i in range(-padding, length + padding):
        pad = i < 0 or i >= length
        in_cells[i] = _cell(ax, i + padding, in_y, PAD if pad else INPUT, dashed=pad)
    out_x0 = padding + (length - n_out) / 2  # centre the output row under the input
    out_cells = [_cell(ax, out_x0 + o, out_y, TODO) for o in range(n_out)]
    for i in in_cells:
        if 0 <= i < length:
            ax.text(i + padding + 0.5, in_y + 1.25, str(i), ha="center", va="bottom", fontsize=8, color="#444444")
    lines = []

    def base_colour(i: int) -> str:
        if i < 0 or i >= length:
            return PAD
        return INPUT if i in read else SKIPPED

    def draw(frame: int):
        for ln in lines:
            ln.remove()
        lines.clear()
        for i, r in in_cells.items():
            r.set_facecolor(base_colour(i))
        for o, r in enumerate(out_cells):
            r.set_facecolor(CURRENT if o == frame else DONE if o < frame else TODO)
        for i in windows[frame]:
            in_cells[i].set_facecolor(TAP)
            (ln,) = ax.plot([i + padding + 0.5, out_x0 + frame + 0.5], [in_y, out_y + 1], color=CURRENT, lw=1)
            lines.append(ln)
        return []

    head = title or f"Conv1d: L={length}, k={kernel_size}, s={stride}, p={padding}, d={dilation}"
    _title(fig, head + "\n" + _formula("L", length, kernel_size, stride, padding, dilation, n_out))
    return _play(fig, draw, n_out, interval, html)


def animate_conv2d(size: int | tuple[int, int] = 5, kernel_size: int = 3, stride: int = 1, padding: int = 0,
                   dilation: int = 1, max_frames: int = 20, dpi: int = 72, interval: int = 600, html: bool = True,
                   title: str | None = None):  # fmt: skip
    """Animate a 2D kernel (square, ``kernel_size`` taps per axis) sliding over an ``H x W`` input.

    The input (with its padding ring, dashed) is drawn on the left, the output on the right; one frame
    per output pixel, in row-major order. Rows and columns follow the 1D rule of
    :func:`ghostedu.shapes.conv_windows_1d`, so the output is ``H_out x W_out`` with each side from
    ``ghostedu.shapes.conv_output_length``. Returns ``IPython.display.HTML`` (or the ``FuncAnimation``
    with ``html=False``). Chapters "Convolution arithmetic" and "Dilated (atrous) convolution".
    """
    h, w = (size, size) if isinstance(size, (int, np.integer)) else size
    rows = _windows("animate_conv2d", h, kernel_size, stride, padding, dilation, axis="height")
    cols = _windows("animate_conv2d", w, kernel_size, stride, padding, dilation, axis="width")
    ho, wo = len(rows), len(cols)
    _too_many("animate_conv2d", ho * wo, max_frames)
    read_r = {i for win in rows for i in win}
    read_c = {j for win in cols for j in win}
    hp, wp = h + 2 * padding, w + 2 * padding
    gap = 1.5
    fig, ax = _frame_axes(-0.2, wp + gap + wo + 0.2, -0.2, hp + 1.2, dpi, cell=0.3)
    in_cells = {}
    for i in range(-padding, h + padding):
        for j in range(-padding, w + padding):
            pad = not (0 <= i < h and 0 <= j < w)
            # matplotlib's y grows upwards: draw row i at height hp-1-(i+p)
            in_cells[i, j] = _cell(ax, j + padding, hp - 1 - (i + padding), PAD if pad else INPUT, dashed=pad)
    ox = wp + gap
    oy = (hp - ho) / 2
    out_cells = {}
    for a in range(ho):
        for b in range(wo):
            out_cells[a, b] = _cell(ax, ox + b, oy + ho - 1 - a, TODO)

    def base_colour(i: int, j: int) -> str:
        if not (0 <= i < h and 0 <= j < w):
            return PAD
        return INPUT if (i in read_r and j in read_c) else SKIPPED

    def draw(frame: int):
        a, b = divmod(frame, wo)
        for (i, j), r in in_cells.items():
            r.set_facecolor(base_colour(i, j))
        for (x, y), r in out_cells.items():
            idx = x * wo + y
            r.set_facecolor(CURRENT if idx == frame else DONE if idx < frame else TODO)
        for i in rows[a]:
            for j in cols[b]:
                in_cells[i, j].set_facecolor(TAP)
        return []

    ax.text(wp / 2, hp + 0.2, "input (padding dashed)", ha="center", va="bottom", fontsize=8)
    ax.text(ox + wo / 2, oy + ho + 0.2, "output", ha="center", va="bottom", fontsize=8)
    head = title or f"Conv2d: {h}x{w} input, k={kernel_size}, s={stride}, p={padding}, d={dilation}"
    _title(fig, head + "\n" + _formula("H", h, kernel_size, stride, padding, dilation, ho))
    return _play(fig, draw, ho * wo, interval, html)


def animate_grouped_conv1d(in_channels: int = 4, out_channels: int = 4, groups: int = 2, length: int = 6,
                           kernel_size: int = 3, stride: int = 1, padding: int = 0, dilation: int = 1,
                           max_frames: int = 20, dpi: int = 72, interval: int = 600, html: bool = True,
                           title: str | None = None):  # fmt: skip
    """Animate a grouped 1D convolution with channels drawn as rows: which channels each output reads.

    Input channels are the top rows, output channels the bottom rows, each group in its own colour.
    Output channel ``o`` belongs to group ``g = o // (out_channels/groups)`` and reads only the
    ``in_channels/groups`` input channels of group ``g``, through the same window as an ordinary
    convolution. ``groups == in_channels`` (and ``out_channels == in_channels``) is a depthwise
    convolution: one kernel per channel. One frame per (output channel, output position).
    Returns ``IPython.display.HTML`` (or the ``FuncAnimation`` with ``html=False``).
    Chapter "Convolution arithmetic".
    """
    _check("animate_grouped_conv1d", in_channels=in_channels, out_channels=out_channels, groups=groups)
    if in_channels % groups or out_channels % groups:
        raise ValueError(
            f"animate_grouped_conv1d: expected in_channels and out_channels divisible by groups={groups}, "
            f"got in_channels={in_channels}, out_channels={out_channels}"
        )
    windows = _windows("animate_grouped_conv1d", length, kernel_size, stride, padding, dilation)
    n_out = len(windows)
    _too_many("animate_grouped_conv1d", out_channels * n_out, max_frames)
    cin_g, cout_g = in_channels // groups, out_channels // groups
    width = length + 2 * padding
    gap = 1.6
    top = out_channels + gap  # y of the lowest input row
    fig, ax = _frame_axes(-2.2, width + 0.2, -0.2, top + in_channels + 0.2, dpi, cell=0.3)
    in_cells = {}
    for c in range(in_channels):
        y = top + in_channels - 1 - c
        colour = GROUP_COLOURS[(c // cin_g) % len(GROUP_COLOURS)]
        ax.text(-0.4, y + 0.5, f"in {c}", ha="right", va="center", fontsize=8, color=colour)
        for i in range(-padding, length + padding):
            pad = i < 0 or i >= length
            in_cells[c, i] = _cell(ax, i + padding, y, PAD if pad else INPUT, dashed=pad)
    out_x0 = padding + (length - n_out) / 2
    out_cells = {}
    for o in range(out_channels):
        y = out_channels - 1 - o
        colour = GROUP_COLOURS[(o // cout_g) % len(GROUP_COLOURS)]
        ax.text(-0.4, y + 0.5, f"out {o}", ha="right", va="center", fontsize=8, color=colour)
        for t in range(n_out):
            out_cells[o, t] = _cell(ax, out_x0 + t, y, TODO)
    lines = []

    def draw(frame: int):
        o, t = divmod(frame, n_out)
        g = o // cout_g
        colour = GROUP_COLOURS[g % len(GROUP_COLOURS)]
        for ln in lines:
            ln.remove()
        lines.clear()
        for (c, i), r in in_cells.items():
            r.set_facecolor(PAD if (i < 0 or i >= length) else _light(GROUP_COLOURS[(c // cin_g) % len(GROUP_COLOURS)]))
        for (oc, tt), r in out_cells.items():
            idx = oc * n_out + tt
            light = _light(GROUP_COLOURS[(oc // cout_g) % len(GROUP_COLOURS)])
            r.set_facecolor(colour if idx == frame else light if idx < frame else TODO)
        for c in range(g * cin_g, (g + 1) * cin_g):
            for i in windows[t]:
                in_cells[c, i].set_facecolor(colour)
        for i in windows[t]:  # from the window's columns, below the input block, to the output
            (ln,) = ax.plot([i + padding + 0.5, out_x0 + t + 0.5], [top, out_channels - o], color=colour, lw=1)
            lines.append(ln)
        return []

    kind = "depthwise" if groups == in_channels == out_channels else f"groups={groups}"
    head = title or (
        f"Grouped Conv1d ({kind}): C_in={in_channels}, C_out={out_channels}, k={kernel_size}, s={stride}, p={padding}"
    )
    _title(fig, head + f"\neach output reads C_in/groups = {cin_g} input channel" + ("s" if cin_g > 1 else ""))
    return _play(fig, draw, out_channels * n_out, interval, html)


def plot_receptive_field_1d(
    layers: Sequence,
    length: int,
    output_index: int | None = None,
    labels: Sequence[str] | None = None,
    title: str = "Receptive field",
    unit: str = "position",
    ax=None,
):
    """Draw a stack of 1D layers as rows of cells and shade what one output depends on.

    Level 0 (bottom) is the input, the top row the chosen output; at each level the cells the output
    depends on (from :func:`ghostedu.shapes.stack_dependencies`) are coloured and joined to the cells of the level
    above that read them. Returns the figure. Chapters "Convolution arithmetic" and "Dilated (atrous)
    convolution".
    """
    stack = stack_windows(layers, length)
    args = [window for window, _ in stack]
    windows = [win for _, win in stack]
    lengths = [length] + [len(win) for win in windows]
    levels = stack_dependencies(layers, length, output_index)
    if ax is None:
        fig, ax = plt.subplots(
            figsize=(max(5.0, 0.16 * length + 1.5), 0.55 * len(lengths) + 1.2), constrained_layout=True
        )
    else:
        fig = ax.figure
    row_gap = 1.6
    # Level l is drawn on an affine scale x = a + b*i: each output sits at the centre of its window,
    # so strided levels spread out (b grows by s) and every cell lines up above what it reads.
    a, b = [0.5], [1.0]
    for k, s, p, d in args:
        a.append(a[-1] + b[-1] * (d * (k - 1) / 2 - p))
        b.append(b[-1] * s)
    for lev, n in enumerate(lengths):
        y = lev * row_gap
        deps = set(levels[lev])
        for i in range(n):
            x = a[lev] + b[lev] * i
            ax.add_patch(
                Rectangle(
                    (x - b[lev] / 2 + 0.05, y),
                    b[lev] - 0.1,
                    0.8,
                    facecolor=TAP if i in deps else INPUT,
                    edgecolor="#666666",
                    lw=0.5,
                )
            )
    for lev, win in enumerate(windows):
        for o in levels[lev + 1]:
            xo = a[lev + 1] + b[lev + 1] * o
            for i in win[o]:
                if 0 <= i < lengths[lev]:
                    xi = a[lev] + b[lev] * i
                    ax.plot([xi, xo], [lev * row_gap + 0.8, (lev + 1) * row_gap], color=CURRENT, lw=0.5, alpha=0.7)
    names = (
        list(labels)
        if labels
        else ["input"] + [f"layer {i + 1} (k={k}, s={s}, d={d})" for i, (k, s, p, d) in enumerate(args)]
    )
    ax.set_yticks([lev * row_gap + 0.4 for lev in range(len(lengths))], names, fontsize=8)
    left = min(0.0, min(a[lev] - b[lev] / 2 for lev in range(len(lengths))))
    right = max(float(length), max(a[lev] + b[lev] * (n - 0.5) for lev, n in enumerate(lengths)))
    ax.set_xlim(left, right)
    ax.set_ylim(-0.3, (len(lengths) - 1) * row_gap + 1.1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel(f"input {unit}")
    n_dep = len(levels[0])
    span = levels[0][-1] - levels[0][0] + 1
    ax.set_title(f"{title}\none output depends on {n_dep} of the {span} input positions it spans", fontsize=10)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    return fig


def plot_dependency_masks(
    masks: Sequence, titles: Sequence[str], suptitle: str = "", unit: str = "pixel", crop: int | None = None
):
    """Draw 2D dependency maps (from :func:`ghostedu.shapes.dependency_mask`) side by side; returns the figure.

    ``crop``: show only the central ``crop x crop`` window (the rest is zero). Each panel's title
    gets the number of input pixels the output depends on.
    """
    n = len(masks)
    fig, axes = plt.subplots(1, n, figsize=(3.2 * n, 3.4), constrained_layout=True, squeeze=False)
    for ax, m, t in zip(axes.flat, masks, titles):
        a = m.float().numpy() if isinstance(m, torch.Tensor) else np.asarray(m, dtype=float)
        h, w = a.shape
        r0 = c0 = 0
        if crop is not None and crop < min(h, w):
            r0, c0 = (h - crop) // 2, (w - crop) // 2
            a = a[r0 : r0 + crop, c0 : c0 + crop]
        extent = (c0 - 0.5, c0 + a.shape[1] - 0.5, r0 + a.shape[0] - 0.5, r0 - 0.5)
        ax.imshow(a, cmap="magma", extent=extent, interpolation="nearest")
        ax.set_title(f"{t}\n{int((a != 0).sum())} input {unit}s used", fontsize=9)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel(f"input column ({unit})")
        ax.set_ylabel(f"input row ({unit})")
    if suptitle:
        fig.suptitle(suptitle)
    return fig
