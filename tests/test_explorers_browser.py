"""The four interactive explorers of the rendered book, driven in headless Chromium like a reader.

Each test opens the chapter page of the built book (``make test`` builds it first), finds the
explorer's controls by their labels, types random valid settings into them (``fill``, then Tab or
Enter; the slider by its keys), reads back the value each control took and what the page shows,
and compares it with real ``torch`` layers and ``ghostedu.counting`` / ``ghostedu.shapes`` /
``ghostedu.models.Net`` for the same settings -- never with the page's script called directly.
All settings of one explorer run in one page; the torch side is computed afterwards, in Python.
No console error and no request leaving 127.0.0.1 is allowed. A screenshot of each explorer at its
opening setting goes to ``_build/screenshots/explorer-<name>.png``.
"""

from __future__ import annotations

import concurrent.futures
import functools
import math
import random
import re

import pytest
import torch
import torch.nn.functional as F

# Chromium, the served book and the page log are those of the book's browser test (which skips
# the module when Chromium is missing).
from test_browser import HTML, SCREENSHOTS, PageLog, browser, built, site  # noqa: F401
from torch import nn

from ghostedu.counting import count_params, macs_by_module
from ghostedu.layers import GhostModule, conv_bn_act, conv_dw
from ghostedu.models import Net
from ghostedu.shapes import accepted_input_lengths, receptive_field, trace
from ghostedu.viz import explorer as ex

pytestmark = pytest.mark.slow  # drives headless Chromium over the built book

N_RANDOM = 500  # random settings per explorer entered in one call in the page
N_TYPED = 12  # settings typed as a reader types them, one or two changes at a time, besides edges
VIEWPORT = {"width": 1280, "height": 800}  # a laptop


def open_explorer(browser, site, page_path: str, kind: str, lang: str | None = None):  # noqa: F811
    page = browser.new_page(viewport=VIEWPORT)
    log = PageLog(page, site)
    if lang:  # the same page as a translated edition would declare it

        def swap_lang(route):
            body = route.fetch().text().replace('<html lang="en"', f'<html lang="{lang}"', 1)
            route.fulfill(body=body, content_type="text/html")

        page.route(f"{site}/{page_path}", swap_lang)
    page.goto(f"{site}/{page_path}", wait_until="load")
    root = page.locator(f'.ghostedu-explorer[data-explorer="{kind}"]')
    root.locator(".gx-widget").wait_for()
    return page, log, root


READ = """(root) => {
  const out = {values: {}, results: {}};
  root.querySelectorAll('label').forEach(label => {
    const control = document.getElementById(label.htmlFor);
    if (control && !control.closest('[hidden]')) out.values[label.textContent] = control.value;
  });
  root.querySelectorAll('.gx-results [data-role]').forEach(el => {
    out.results[el.dataset.role] = el.textContent;
  });
  // Each marked cell as "key=value&key=value" (its data attributes): compact to send back.
  const rects = sel => [...root.querySelectorAll(sel)].map(r =>
    Object.entries(r.dataset).map(e => e.join("=")).join("&"));
  out.taps = rects('rect.gx-tap');
  out.unread = rects('rect.gx-unread');
  // The dilation grid: used rows (drawn) crossed with used columns (their clip).
  out.usedRows = [...root.querySelectorAll('rect[data-dy]')].map(r => Number(r.dataset.dy));
  out.usedCols = [...root.querySelectorAll('clipPath rect[data-dx]')]
    .map(r => Number(r.dataset.dx));
  out.selected = rects('rect.gx-selected');
  out.stages = Object.fromEntries([...root.querySelectorAll('td[data-stage]')]
    .map(td => [td.dataset.stage, td.textContent]));
  out.blocks = Object.fromEntries([...root.querySelectorAll('tr[data-block]')].map(tr =>
    [tr.dataset.block, Object.fromEntries([...tr.querySelectorAll('td[data-role]')]
      .map(td => [td.dataset.role, td.textContent]))]));
  const band = root.querySelector('rect.gx-band');
  if (band) out.band = [Number(band.dataset.from), Number(band.dataset.to)];
  const marker = root.querySelector('line.gx-marker');
  if (marker) out.marker = Number(marker.dataset.length);
  return out;
}"""


DRIVE = """async ([root, settings]) => {
  const read = READ;
  const byLabel = text => {
    const label = [...root.querySelectorAll('label')].find(l => l.textContent === text);
    if (!label) throw new Error('no control labelled ' + text);
    return document.getElementById(label.htmlFor);
  };
  const states = [];
  for (const setting of settings) {
    for (const [label, value] of setting) {
      const control = byLabel(label);
      control.value = String(value);
      control.dispatchEvent(new Event('input', {bubbles: true}));
      control.dispatchEvent(new Event('change', {bubbles: true}));
    }
    await null;  // the widget redraws once, right after the events,
    await null;  // and the boxes show the values they took
    states.push(read(root));
  }
  return states;
}""".replace("READ", READ, 1)


def _cells(state: dict) -> dict:
    for key in ("taps", "unread", "selected"):
        state[key] = [dict(p.split("=") for p in cell.split("&") if p) for cell in state[key]]
    return state


class Reader:
    """A reader at one explorer: finds each control by its label (Playwright's getByLabel), types
    into it and reads what the page shows."""

    def __init__(self, page, root):
        self.page, self.root = page, root
        self.handle = root.element_handle()
        self.controls: dict[str, object] = {}
        self.held: dict[str, object] = {}  # what the reader last typed into each control

    def control(self, label: str):
        if label not in self.controls:
            self.controls[label] = self.root.get_by_label(label, exact=True).element_handle()
        return self.controls[label]

    def read(self) -> dict:
        return _cells(self.page.evaluate(READ, self.handle))

    def type(self, values: dict[str, object]) -> tuple[dict, set[str]]:
        """Type the values that differ from what is in the boxes (fill, or choose in a list), then
        Tab out of the last box, which commits it; read the page. Returns the state and the labels
        typed."""
        typed = {k: v for k, v in values.items() if k not in self.held or self.held[k] != v}
        last = None
        for label, value in typed.items():
            control = self.control(label)
            if isinstance(value, str):  # a choice: the layer's kind
                control.select_option(value)
            else:
                control.fill(str(value))
                last = control
        if last is not None:
            last.press("Tab")
        self.held.update(typed)
        return self.read(), set(typed)

    def enter(self, settings: list[dict[str, object]]) -> list[dict]:
        """Enter many settings in one call inside the page and read the page after each: every
        control is found through its <label>, as getByLabel finds it, and given the value and the
        input and change events that typing and leaving the box fire. Hundreds of settings take
        seconds this way, not minutes."""
        states = []
        for i in range(0, len(settings), 100):
            chunk = [[[label, value] for label, value in s.items()] for s in settings[i : i + 100]]
            states += [_cells(state) for state in self.page.evaluate(DRIVE, [self.handle, chunk])]
        self.held = {}  # the boxes hold the last setting entered
        return states


def reader_walk(rng: random.Random, start: dict, draw: dict, steps: int) -> list[dict]:
    """Settings a reader makes one change at a time: each step changes one or two controls."""
    settings, current = [], dict(start)
    for _ in range(steps):
        for key in rng.sample(list(draw), rng.choice([1, 1, 2])):
            current[key] = draw[key]()
        settings.append(dict(current))
    return settings


def taken(state: dict, label: str) -> int:
    """The value a control actually took, as the page shows it."""
    return int(state["values"][label])


def check_log(log, name):
    assert not log.errors, f"{name}: JavaScript console errors:\n" + "\n".join(log.errors)
    assert not log.outside, f"{name}: requests that leave 127.0.0.1: {log.outside}"


def screenshot(root, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    root.scroll_into_view_if_needed()
    root.screenshot(path=str(SCREENSHOTS / f"explorer-{name}.png"))


def numbers(text: str) -> list[int]:
    return [int(n.replace(",", "")) for n in re.findall(r"-?\d[\d,]*", text)]


# --------------------------------------------------------------------------
# 1. Convolution arithmetic
# --------------------------------------------------------------------------

CONV = {
    "length": "Input size",
    "kernel_size": "Kernel size k",
    "stride": "Stride s",
    "padding": "Padding p",
    "dilation": "Dilation d",
    "output_padding": "Output padding",
}


def torch_conv1d(n, k, s, p, d):
    """Output length and, per output, the padded positions it reads (F.conv1d on one-hot inputs)."""
    try:
        out = nn.Conv1d(1, 1, k, s, p, d)(torch.zeros(1, 1, n)).shape[-1]
    except RuntimeError:
        return None
    width = n + 2 * p
    reads = F.conv1d(torch.eye(width)[:, None, :], torch.ones(1, 1, k), stride=s, dilation=d)[:, 0, :]  # (pos, o)
    assert reads.shape[-1] == out
    return out, {(o, pos - p) for pos, o in (reads > 0).nonzero().tolist()}


def torch_conv2d(n, k, s, p, d, row, col):
    """Output size; the output pixel shown (row, col, clamped to the output as the page does);
    the pixels it reads and the pixels no output reads -- from F.conv2d on one-hot inputs."""
    try:
        out = nn.Conv2d(1, 1, k, s, p, d)(torch.zeros(1, 1, n, n)).shape[-2:]
    except RuntimeError:
        return None
    assert out[0] == out[1]
    out = out[0]
    row, col = min(max(row, 0), out - 1), min(max(col, 0), out - 1)
    w = n + 2 * p
    onehot = torch.eye(w * w).view(w * w, 1, w, w)
    reads = F.conv2d(onehot, torch.ones(1, 1, k, k), stride=s, dilation=d)[:, 0]  # (pixel, oh, ow)
    window = {(i // w - p, i % w - p) for i in (reads[:, row, col] > 0).nonzero().flatten().tolist()}
    read_any = reads.flatten(1).amax(1).view(w, w)[p : p + n, p : p + n] > 0
    unread = {(r, c) for r, c in (~read_any).nonzero().tolist()}
    return out, row, col, window, unread


def conv_truth(setting: dict):
    """What torch gives for one setting of the conv explorer; None where PyTorch refuses it."""
    mode = setting["mode"]
    n, k, s, p, d = (setting[key] for key in ("length", "kernel_size", "stride", "padding", "dilation"))
    if mode == "conv1d":
        result = torch_conv1d(n, k, s, p, d)
        if result is None:
            return None
        formula = trace(nn.Conv1d(1, 1, k, s, p, d), (1, 1, n)).rows[0].formula
        return (*result, "L_out = " + formula.split(" = ", 1)[1])
    if mode == "conv2d":
        result = torch_conv2d(n, k, s, p, d, setting["row"], setting["col"])
        if result is None:
            return None
        formula = trace(nn.Conv2d(1, 1, k, s, p, d), (1, 1, n, n)).rows[0].formula
        return (*result, "H_out = W_out = " + formula.split(" = ", 2)[2])
    return torch_transpose1d(n, k, s, p, setting["output_padding"], d)


def torch_transpose1d(n, k, s, p, op, d):
    """Output length and which outputs each input writes to (F.conv_transpose1d on one-hots)."""
    try:
        out = nn.ConvTranspose1d(1, 1, k, s, p, op, dilation=d)(torch.zeros(1, 1, n)).shape[-1]
    except RuntimeError:
        return None
    writes = F.conv_transpose1d(
        torch.eye(n)[:, None, :], torch.ones(1, 1, k), stride=s, padding=p, output_padding=op, dilation=d
    )[:, 0, :]  # (i, o)
    assert writes.shape[-1] == out
    return out, {(i, o) for i, o in (writes > 0).nonzero().tolist()}


CONV_EDGE = [
    {
        "mode": "conv1d",
        "length": 3,
        "kernel_size": 5,
        "stride": 1,
        "padding": 0,
        "dilation": 1,
    },  # kernel > padded input
    {"mode": "conv1d", "length": 3, "kernel_size": 5, "stride": 1, "padding": 1, "dilation": 1},  # exactly fits
    {"mode": "conv1d", "length": 4, "kernel_size": 3, "stride": 1, "padding": 0, "dilation": 2},  # dilated, too wide
    {
        "mode": "conv1d",
        "length": 20,
        "kernel_size": 3,
        "stride": 3,
        "padding": 1,
        "dilation": 2,
    },  # stride with dilation
    {"mode": "conv1d", "length": 8, "kernel_size": 3, "stride": 3, "padding": 0, "dilation": 1},  # the floor: 2 unread
    {"mode": "conv1d", "length": 1, "kernel_size": 1, "stride": 1, "padding": 0, "dilation": 1},
    {"mode": "conv1d", "length": 32, "kernel_size": 9, "stride": 6, "padding": 8, "dilation": 6},
    {
        "mode": "conv1d",
        "length": 99,
        "kernel_size": 0,
        "stride": -2,
        "padding": 12,
        "dilation": 7,
    },  # clamped to the range
    {"mode": "conv2d", "length": 5, "kernel_size": 3, "stride": 2, "padding": 1, "dilation": 1, "row": 2, "col": 1},
    {"mode": "conv2d", "length": 7, "kernel_size": 3, "stride": 1, "padding": 0, "dilation": 2, "row": 2, "col": 2},
    {"mode": "conv2d", "length": 2, "kernel_size": 4, "stride": 1, "padding": 0, "dilation": 1, "row": 0, "col": 0},
    {"mode": "conv2d", "length": 10, "kernel_size": 3, "stride": 4, "padding": 0, "dilation": 1, "row": 9, "col": -1},
    {
        "mode": "conv_transpose1d",
        "length": 3,
        "kernel_size": 3,
        "stride": 2,
        "padding": 0,
        "dilation": 1,
        "output_padding": 1,
    },
    {
        "mode": "conv_transpose1d",
        "length": 3,
        "kernel_size": 3,
        "stride": 2,
        "padding": 0,
        "dilation": 1,
        "output_padding": 2,
    },
    {
        "mode": "conv_transpose1d",
        "length": 3,
        "kernel_size": 3,
        "stride": 1,
        "padding": 0,
        "dilation": 2,
        "output_padding": 1,
    },
    {
        "mode": "conv_transpose1d",
        "length": 1,
        "kernel_size": 1,
        "stride": 1,
        "padding": 3,
        "dilation": 1,
        "output_padding": 0,
    },
    {
        "mode": "conv_transpose1d",
        "length": 4,
        "kernel_size": 1,
        "stride": 3,
        "padding": 0,
        "dilation": 1,
        "output_padding": 2,
    },
]
CONV_ORDER = ["mode", *CONV, "row", "col"]


def conv_relevant(setting: dict) -> set[str]:
    """The controls a reader sees for the setting's kind of layer."""
    keys = set(CONV) - {"output_padding"} | {"mode"}
    keys |= {"output_padding"} if setting["mode"] == "conv_transpose1d" else set()
    return keys | ({"row", "col"} if setting["mode"] == "conv2d" else set())


def conv_labels(setting: dict, keys=None) -> dict:
    """The setting as {label: value}, the layer's kind first; only ``keys`` if given."""
    keys = set(setting if keys is None else keys) & conv_relevant(setting)
    names = {"mode": "Kind of layer", "row": "Output row shown", "col": "Output column shown", **CONV}
    return {names[k]: setting[k] for k in CONV_ORDER if k in keys}


def random_conv(rng: random.Random, mode: str | None = None) -> dict:
    lim = ex.CONV_LIMITS
    setting = {key: rng.randint(*lim[key]) for key in CONV}
    setting.update(
        mode=mode or rng.choice(["conv1d", "conv1d", "conv2d", "conv_transpose1d"]),
        row=rng.randint(0, 15),
        col=rng.randint(0, 15),
    )
    if setting["mode"] == "conv2d":
        setting["length"] = rng.randint(1, 16)  # keeps the one-hot check in Python small
    return setting


def test_conv_arithmetic_explorer(browser, site):  # noqa: F811
    page, log, root = open_explorer(browser, site, "chapters/01_conv_arithmetic.html", "conv-arithmetic")
    rng = random.Random(1)
    lim = ex.CONV_LIMITS
    draw = {key: functools.partial(rng.randint, *lim[key]) for key in CONV}
    draw.update(
        mode=lambda: rng.choice(ex.CONV_MODES), row=lambda: rng.randint(-1, 16), col=lambda: rng.randint(-1, 16)
    )
    walk = reader_walk(rng, dict(ex.conv_arithmetic_explorer().config["initial"], row=0, col=0), draw, N_TYPED)
    bulk = [random_conv(rng) for _ in range(N_RANDOM)]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        # The bulk's settings are valid, so the controls take them as they are: torch works them out
        # while the browser works.
        bulk_truth = pool.submit(lambda: [conv_truth(s) for s in bulk])
        try:
            screenshot(root, "conv-arithmetic")
            reader = Reader(page, root)
            opening = reader.read()
            reader.type({"Kind of layer": "conv2d", "Input size": 5})
            screenshot(root, "conv-arithmetic-2d")
            states = [(s, *reader.type(conv_labels(s))) for s in CONV_EDGE + walk]
            typed = len(states)
            entered = reader.enter([conv_labels(s) for s in bulk])
            states += [(s, state, None) for s, state in zip(bulk, entered)]
        finally:
            page.close()
        bulk_truth = bulk_truth.result()
    check_log(log, "01_conv_arithmetic")

    # The page opens at the chapter's example, as the static table says.
    summary = dict(ex.conv_arithmetic_explorer().summary)
    assert opening["results"]["output"] == summary["output size"]
    assert opening["results"]["formula"] == summary["formula"]

    lim = ex.CONV_LIMITS
    took = []  # each setting as the controls took it
    for setting, state, _typed_now in states:
        got = {key: taken(state, CONV[key]) for key in CONV if CONV[key] in state["values"]}
        assert set(got) | {"mode"} == conv_relevant(setting) - {"row", "col"}, state["values"]
        for key, value in got.items():  # the typed value, clamped to the control's range
            assert value == min(max(setting[key], lim[key][0]), lim[key][1]), (setting, got)
        got["mode"] = state["values"]["Kind of layer"]
        assert got["mode"] == setting["mode"]
        if got["mode"] == "conv2d":
            got["row"] = taken(state, "Output row shown")
            got["col"] = taken(state, "Output column shown")
        took.append(got)
    truths = [conv_truth(got) for got in took[:typed]] + bulk_truth

    counts = {"accepted": 0, "refused": 0}
    for (setting, state, _typed_now), got, expected in zip(states, took, truths):
        mode, res = got["mode"], state["results"]
        n = got["length"]
        if expected is None:  # PyTorch raises: the page says why instead of drawing
            counts["refused"] += 1
            assert "error" in res and "output" not in res and not state["taps"], (setting, state)
            continue
        counts["accepted"] += 1
        assert "error" not in res, (setting, res)
        out = expected[0]
        if mode == "conv1d":
            _, taps, formula = expected
            assert res["output"] == str(out), (setting, res)
            assert res["formula"] == formula, (res["formula"], formula)
            assert {(int(t["o"]), int(t["pos"])) for t in state["taps"]} == taps, setting
            unread = sorted(set(range(n)) - {pos for _, pos in taps})
            assert [int(c["pos"]) for c in state["unread"]] == unread, setting
            assert res["unread"] == (", ".join(map(str, unread)) or "none")
        elif mode == "conv2d":
            _, row, col, window, unread, formula = expected
            assert res["output"] == f"{out} × {out}", (setting, res)
            assert res["formula"] == formula, (res["formula"], formula)
            # The row and column shown: as typed, clamped to the output (the bulk's planned values;
            # a typed step's boxes as they stand).
            assert (got["row"], got["col"]) == (row, col), (setting, got)
            assert {(int(t["r"]), int(t["c"])) for t in state["taps"]} == window, setting
            # Unread rows and columns are drawn as red stripes across the input.
            rows = {int(c["r"]) for c in state["unread"] if "r" in c}
            cols = {int(c["c"]) for c in state["unread"] if "c" in c}
            shown = {(r, c) for r in range(n) for c in range(n) if r in rows or c in cols}
            assert shown == unread, setting
            assert [(int(c["or"]), int(c["oc"])) for c in state["selected"]] == [(row, col)]
        else:
            k, s, p, d, op = (got[key] for key in ("kernel_size", "stride", "padding", "dilation", "output_padding"))
            assert res["output"] == str(out), (setting, res)
            assert res["formula"] == f"L_out = ({n} - 1)*{s} - 2*{p} + {d}*({k} - 1) + {op} + 1 = {out}"
            shown = {(int(t["i"]), int(t["out"])) for t in state["taps"] if 0 <= int(t["out"]) < out}
            assert shown == expected[1], setting
            unreached = sorted(set(range(out)) - {o for _, o in expected[1]})
            assert res["unreached"] == (", ".join(map(str, unreached)) or "none"), setting
            assert [int(c["out"]) for c in state["unread"]] == unreached
    assert counts["accepted"] >= N_RANDOM // 2 and counts["refused"] >= 10, counts
    print(f"conv arithmetic: {len(states)} settings compared ({counts})")


# --------------------------------------------------------------------------
# 2. Dilation rates
# --------------------------------------------------------------------------


def torch_dependency(rates: list[int]) -> tuple[int, set[tuple[int, int]]]:
    """Receptive field, and the pixels (offsets from the centre) the centre output depends on, by
    autograd."""
    field = receptive_field([(3, 1, r) for r in rates]).receptive_field
    size = field + 4
    stack = nn.Sequential(*[nn.Conv2d(1, 1, 3, padding=r, dilation=r, bias=False) for r in rates])
    for layer in stack:
        nn.init.ones_(layer.weight)
    x = torch.zeros(1, 1, size, size, requires_grad=True)
    y = stack(x)
    c = size // 2
    y[0, 0, c, c].backward()
    used = {(r - c, q - c) for r, q in (x.grad[0, 0] != 0).nonzero().tolist()}
    return field, used


DILATION_EDGE = [[1], [8, 8, 8, 8], [1, 2, 3], [1, 3, 5], [3, 3, 3], [2, 4], [0, 9], [5, 1, 1, 1, 1]]


def dilation_labels(setting: dict, keys=None) -> dict:
    """{"layers": n, 1: rate, 2: rate, ...} as {label: value}; rates of hidden layers left out."""
    shown = min(max(setting["layers"], 1), 4)
    keys = set(setting if keys is None else keys)
    values = {"Number of 3×3 layers": setting["layers"]} if "layers" in keys else {}
    values.update({f"Rate (dilation) of layer {i}": setting[i] for i in range(1, shown + 1) if i in keys})
    return values


def test_dilation_explorer(browser, site):  # noqa: F811
    page, log, root = open_explorer(browser, site, "chapters/03_dilated.html", "dilation")
    lim = ex.DILATION_LIMITS
    rng = random.Random(2)
    edge = [{"layers": len(r), **dict(enumerate(r, 1))} for r in DILATION_EDGE]
    draw = {
        "layers": functools.partial(rng.randint, *lim["layers"]),
        **{i: functools.partial(rng.randint, *lim["rate"]) for i in range(1, 5)},
    }
    walk = reader_walk(rng, {"layers": 3, 1: 2, 2: 2, 3: 2, 4: 2}, draw, N_TYPED)
    bulk = [
        {"layers": rng.randint(*lim["layers"]), **{i: rng.randint(*lim["rate"]) for i in range(1, 5)}}
        for _ in range(N_RANDOM)
    ]
    try:
        screenshot(root, "dilation")
        with concurrent.futures.ThreadPoolExecutor(1) as pool:  # torch works while the browser works
            bulk_truth = pool.submit(
                lambda: [torch_dependency([s[i] for i in range(1, s["layers"] + 1)]) for s in bulk]
            )
            reader = Reader(page, root)
            opening = reader.read()
            states = [(s, reader.type(dilation_labels(s))[0]) for s in edge + walk]
            typed = len(states)
            states += zip(bulk, reader.enter([dilation_labels(s) for s in bulk]))
            bulk_truth = bulk_truth.result()
    finally:
        page.close()
    check_log(log, "03_dilated")

    summary = dict(ex.dilation_explorer().summary)
    assert opening["results"]["field"] == summary["receptive field"].replace(" x ", " × ")
    assert opening["results"]["used"].startswith(summary["pixels the centre output depends on"])

    gridding = 0
    for index, (setting, state) in enumerate(states):
        n_layers = taken(state, "Number of 3×3 layers")
        assert n_layers == min(max(setting["layers"], 1), 4)
        took = [taken(state, f"Rate (dilation) of layer {i}") for i in range(1, n_layers + 1)]
        assert len(state["values"]) == 1 + n_layers  # the rates of the other layers are hidden
        assert took == [min(max(setting[i], 1), 8) for i in range(1, n_layers + 1)], (setting, took)
        field, used = torch_dependency(took) if index < typed else bulk_truth[index - typed]
        res = state["results"]
        assert res["field"] == f"{field} × {field} pixels", (took, res)
        assert numbers(res["used"])[:2] == [len(used), field * field], (took, res)
        shown = {(dy, dx) for dy in state["usedRows"] for dx in state["usedCols"]}
        assert shown == used, took
        gridding += len(used) < field * field
    assert 0 < gridding < len(states)
    print(f"dilation: {len(states)} settings compared ({gridding} with holes)")


# --------------------------------------------------------------------------
# 3. Net's input length
# --------------------------------------------------------------------------


def torch_net(net: Net, length: int) -> dict:
    """A real Net on zeros of length L: every window layer's output length, features, verdict."""
    names = {m: n for n, m in net.named_modules()}
    lengths, calls, running = {}, {}, []

    def before(module, args):
        running.append(names[module])

    def after(module, args, output):
        name = names[module]
        running.pop()
        if name == "pool2":
            name = f"pool2#{calls.get(name, 0)}"
            calls["pool2"] = calls.get("pool2", 0) + 1
        lengths[name] = output.shape[-1]

    handles = [
        h
        for m in net.modules()
        if isinstance(m, (nn.Conv1d, nn.MaxPool1d))
        for h in (m.register_forward_pre_hook(before), m.register_forward_hook(after))
    ]
    x = torch.zeros(1, 1, length)
    result = {"lengths": lengths}
    try:
        with torch.no_grad():
            result["features"] = net.features(x).shape[1]
    except RuntimeError:
        result["failed"] = running[-1]  # the layer PyTorch refused
    finally:
        for h in handles:
            h.remove()
    result["accepted"] = "failed" not in result and result["features"] == net.fc.in_features
    return result


def test_net_length_explorer(browser, site):  # noqa: F811
    page, log, root = open_explorer(browser, site, "chapters/08_multiscale_1d.html", "net-length")
    net = Net().eval()
    hi = ex.NET_LIMITS["length"][1]
    band = accepted_input_lengths(net, hi)
    rng = random.Random(3)
    edge = [band.start - 1, band.start, band.stop - 1, band.stop, 1, 7, 8, 1016, 2048, hi, 0, hi + 5000]

    def draw():
        return rng.randint(1, hi) if rng.random() < 0.7 else rng.randint(band.start - 60, band.stop + 60)

    typed = edge + [draw() for _ in range(N_TYPED)]
    bulk = [draw() for _ in range(N_RANDOM)]
    box, slider = "Input length L (samples)", "Input length L, slider"
    pool = concurrent.futures.ThreadPoolExecutor(1)  # torch works while the browser works
    bulk_truth = pool.submit(lambda: {length: torch_net(net, length) for length in set(bulk)})
    try:
        screenshot(root, "net-length")
        reader = Reader(page, root)
        opening = reader.read()
        states = [(length, reader.type({box: length})[0]) for length in typed]
        states += zip(bulk, reader.enter([{box: length} for length in bulk]))
        # The slider, by its keys and by a value typed into it.
        handle = root.get_by_label(slider, exact=True)
        for keys, expected in ((["End"], hi), (["ArrowLeft"], hi - 1), (["Home"], 1), (["ArrowRight"] * 3, 4)):
            for key in keys:
                handle.press(key)
            states.append((expected, reader.read()))
        handle.fill(str(band.start + 7))
        states.append((band.start + 7, reader.read()))
    finally:
        page.close()
        truth = bulk_truth.result()
        pool.shutdown()
    check_log(log, "08_multiscale_1d")

    summary = dict(ex.net_length_explorer().summary)
    assert opening["results"]["features"].endswith("= " + summary["features entering fc"])
    assert opening["band"] == [band.start, band.stop - 1] and opening["results"]["band"] == summary["accepted lengths"]

    verdicts = {"accepted": 0, "too many features": 0, "too short": 0}
    for typed, state in states:
        length = taken(state, box)
        assert length == min(max(typed, 1), hi), (typed, length)
        assert int(state["values"][slider]) == length and state["marker"] == length
        assert state["band"] == [band.start, band.stop - 1]
        if length not in truth:
            truth[length] = torch_net(net, length)
        real = truth[length]
        res = state["results"]
        for stage, value in real["lengths"].items():
            assert numbers(state["stages"][stage]) == [value], (length, stage, state["stages"][stage], value)
        shown = {k for k, v in state["stages"].items() if v != "—"} - {"input"}
        assert shown == set(real["lengths"]), (length, shown)
        if "failed" in real:
            verdicts["too short"] += 1
            assert res["verdict"].startswith(f"refuses L = {length}: {real['failed']} gets "), (length, res)
            assert res["features"] == "—"
        else:
            assert numbers(res["features"])[-1] == real["features"]
            if real["accepted"]:
                verdicts["accepted"] += 1
                assert res["verdict"] == f"accepts L = {length}"
            else:
                verdicts["too many features"] += 1
                assert res["verdict"].startswith(f"refuses L = {length}: fc expects {net.fc.in_features:,}")
        assert real["accepted"] == (length in band)
    assert all(verdicts.values()), verdicts
    # Net itself runs, or raises, where the page says: at both ends of the band and just outside.
    for length in (band.start - 1, band.start, band.stop - 1, band.stop, 7):
        if length in band:
            assert net(torch.zeros(1, 1, length)).shape == (1, net.fc.out_features)
        else:
            with pytest.raises((ValueError, RuntimeError)):
                net(torch.zeros(1, 1, length))
    print(f"Net length: {len(states)} settings compared ({verdicts})")


# --------------------------------------------------------------------------
# 4. Cost of a block
# --------------------------------------------------------------------------

COST = {
    "in_channels": "Input channels C_in",
    "out_channels": "Output channels C_out",
    "kernel_size": "Kernel size k",
    "height": "Height H",
    "width": "Width W",
    "ratio": "Ghost module ratio",
    "dw_size": "Ghost module dw_size",
}


class _Blocks(nn.Module):
    """Many blocks, each run on a zero input of its own size: one flop_counter pass counts them all.
    Records each block's output shape, or that PyTorch refused to run it."""

    def __init__(self, blocks: dict[str, nn.Module], sizes: dict[str, tuple[int, ...]]):
        super().__init__()
        self.blocks = nn.ModuleDict(blocks)
        self.sizes = sizes
        self.shapes: dict[str, tuple[int, ...] | None] = {}

    def forward(self, x):
        for name, block in self.blocks.items():
            try:
                self.shapes[name] = tuple(block(torch.zeros(self.sizes[name], device="meta")).shape)
            except RuntimeError:
                self.shapes[name] = None
        return x


def _without_bn_and_relu(block: nn.Module) -> nn.Module:
    """The block with its batch norms and activations replaced by identities, in place:
    flop_counter counts neither, and on the meta device they are slow to run."""
    for name, child in block.named_children():
        if isinstance(child, (nn.BatchNorm2d, nn.ReLU, nn.ReLU6)):
            setattr(block, name, nn.Identity())
        else:
            _without_bn_and_relu(child)
    return block


def torch_costs(settings: list[tuple[int, ...]], convolutions_only: bool = False) -> list:
    """For each (C_in, C_out, k, H, W, ratio, dw_size): the output shape (C, H', W') and, per block,
    the parameters (torchinfo) and multiply-adds (flop_counter), as ``ghostedu.counting`` counts
    them, of the real modules built on the meta device (shapes only); None where PyTorch refuses
    the Ghost module. One flop_counter pass (``macs_by_module``) runs every block of every setting;
    with ``convolutions_only`` it runs them without their batch norms and activations (the
    parameters are still counted on the whole block)."""
    blocks, sizes, params, refused = {}, {}, {}, set()
    for i, (c_in, c_out, k, h, w, ratio, dw) in enumerate(settings):
        if k % 2 == 0 or dw % 2 == 0:  # GhostModule refuses an even kernel_size or dw_size
            with pytest.raises(ValueError, match="GhostModule: expected (kernel_size|dw_size) to be an odd"):
                GhostModule(c_in, c_out, k, ratio, dw)
            refused.add(i)
            continue
        with torch.device("meta"):
            # the book's own blocks: the standard one conv_dw replaces, and conv_dw
            standard = conv_bn_act(c_in, c_out, k, 1, act=nn.ReLU)
            separable = conv_dw(c_in, c_out, kernel_size=k)
            ghost = GhostModule(c_in, c_out, k, ratio, dw)
        for key, block in (("std", standard), ("sep", separable), ("ghost", ghost)):
            name = f"s{i}_{key}"
            params[name] = count_params(block)
            blocks[name] = (_without_bn_and_relu(block) if convolutions_only else block).eval()
            sizes[name] = (1, c_in, h, w)
    holder = _Blocks(blocks, sizes)
    macs = macs_by_module(holder, (1,))
    results = []
    for i in range(len(settings)):
        names = {key: f"s{i}_{key}" for key in ("std", "sep", "ghost")}
        if i in refused or holder.shapes[names["ghost"]] is None:  # refused by GhostModule or torch.cat
            results.append(None)
            continue
        shapes = {holder.shapes[n] for n in names.values()}
        assert len(shapes) == 1, (settings[i], shapes)  # the three blocks give the same shape
        counts = {key: (params[n], macs[f"blocks.{n}"]) for key, n in names.items()}
        results.append((shapes.pop()[1:], counts))
    return results


COST_EDGE = [  # (C_in, C_out, k, H, W, ratio, dw_size)
    (80, 480, 1, 14, 14, 2, 3),  # the chapter's example
    (32, 64, 3, 112, 112, 2, 3),  # conv_dw(32, 64) of chapter 04
    (16, 96, 1, 8, 8, 2, 7),  # a Ghost module that costs more than the conv it replaces
    (1, 1, 1, 1, 1, 2, 1),
    (2048, 2048, 7, 512, 512, 8, 7),  # the largest of every control
    (100, 100, 4, 9, 5, 3, 3),  # an even kernel: refused, as GhostModule refuses it
    (64, 64, 3, 10, 10, 2, 2),  # an even dw_size: refused
    (0, 99999, 9, 0, 600, 1, 9),  # out of range: clamped
]


def test_block_cost_explorer(browser, site):  # noqa: F811
    page, log, root = open_explorer(browser, site, "chapters/06_ghost_module.html", "block-cost")
    lim = ex.COST_LIMITS
    rng = random.Random(4)

    def log_uniform(lo, hi):
        return round(math.exp(rng.uniform(math.log(lo), math.log(hi))))

    edge = [dict(zip(COST, values)) for values in COST_EDGE]
    draw = {
        "in_channels": lambda: log_uniform(*lim["in_channels"]),
        "out_channels": lambda: log_uniform(*lim["out_channels"]),
        "kernel_size": functools.partial(rng.randint, *lim["kernel_size"]),
        "height": lambda: log_uniform(*lim["height"]),
        "width": lambda: log_uniform(*lim["width"]),
        "ratio": functools.partial(rng.randint, *lim["ratio"]),
        "dw_size": lambda: rng.choice([1, 3, 3, 5, 5, 7, 2, 4]),
    }
    walk = reader_walk(rng, ex.block_cost_explorer().config["initial"], draw, N_TYPED)
    bulk = [{key: make() for key, make in draw.items()} for _ in range(N_RANDOM)]
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        # The bulk's settings are valid, so the controls take them as they are: count them with
        # torch while the browser works.
        bulk_real = pool.submit(torch_costs, [tuple(s[k] for k in COST) for s in bulk], True)
        try:
            screenshot(root, "block-cost")
            reader = Reader(page, root)
            opening = reader.read()
            states = [(s, reader.type({COST[k]: v for k, v in s.items()})[0]) for s in edge + walk]
            typed = len(states)
            states += zip(bulk, reader.enter([{COST[k]: v for k, v in s.items()} for s in bulk]))
            counted_as = root.locator('[data-role="counted-as"]').inner_text()
        finally:
            page.close()
        took = [{key: taken(state, label) for key, label in COST.items()} for _, state in states]
        # flop_counter's module hooks are global: one count at a time.
        bulk_real = bulk_real.result()
    reals = torch_costs([tuple(got.values()) for got in took[:typed]]) + bulk_real
    # Batch norms and activations change no count of flop_counter's: the edge cases, both ways.
    assert torch_costs(COST_EDGE[:6], True) == reals[:6]
    check_log(log, "06_ghost_module")
    assert "torch.utils.flop_counter" in counted_as and "convolutions only" in counted_as

    summary = dict(ex.block_cost_explorer().summary)
    names = {"std": "standard convolution", "sep": "depthwise separable", "ghost": "Ghost module"}
    for key, name in names.items():
        shown = opening["blocks"][key]
        assert numbers(summary[name])[:2] == numbers(shown["params"]) + numbers(shown["macs"])

    refused = 0
    for (setting, state), got, real in zip(states, took, reals):
        for key, value in got.items():
            assert value == min(max(setting[key], lim[key][0]), lim[key][1]), (setting, got)
        if real is None:  # an even kernel_size or dw_size: GhostModule refuses it
            refused += 1
            why = "kernel size" if got["kernel_size"] % 2 == 0 else "dw_size"
            assert why in state["results"]["error"] and not state["blocks"], got
            continue
        (c, h, w), counts = real
        assert numbers(state["results"]["shape"])[:3] == [c, h, w], (got, state["results"])
        for block, (params, macs) in counts.items():
            row = state["blocks"][block]
            assert numbers(row["params"]) == [params], (got, block, row)
            assert numbers(row["macs"]) == [macs], (got, block, row)
            for ratio_key, ours, standard in (
                ("params-ratio", params, counts["std"][0]),
                ("macs-ratio", macs, counts["std"][1]),
            ):
                shown = float(row[ratio_key].rstrip("×"))
                assert abs(shown - standard / ours) <= 0.005 + 1e-9, (got, block, ratio_key, row)
    assert 0 < refused < len(states)
    print(f"block cost: {len(states)} settings compared ({refused} refused)")


# --------------------------------------------------------------------------
# Labels in the page's language, the note's link, keyboard
# --------------------------------------------------------------------------


def test_explorer_labels_follow_the_page_language(browser, site):  # noqa: F811
    page, log, root = open_explorer(browser, site, "chapters/01_conv_arithmetic.html", "conv-arithmetic", lang="zh-CN")
    try:
        root.get_by_label("卷积核大小 k", exact=True).fill("5")
        root.get_by_label("填充 p", exact=True).press("Tab")
        state = page.evaluate(READ, root.element_handle())
        screenshot(root, "conv-arithmetic-zh")
    finally:
        page.close()
    check_log(log, "01_conv_arithmetic (zh-CN)")
    assert {"输入长度", "卷积核大小 k", "步长 s", "填充 p", "膨胀率 d"} <= set(state["values"])
    assert state["results"]["output"] == str(nn.Conv1d(1, 1, 5, 2, 1)(torch.zeros(1, 1, 7)).shape[-1])


def test_explorer_keyboard_and_live_region(browser, site):  # noqa: F811
    page, log, root = open_explorer(browser, site, "chapters/03_dilated.html", "dilation")
    try:
        rate = root.get_by_label("Rate (dilation) of layer 1", exact=True)
        rate.focus()
        page.keyboard.press("ArrowDown")  # 2 -> 1: rates (1, 2, 2)
        state = page.evaluate(READ, root.element_handle())
        live = root.locator(".gx-results").get_attribute("aria-live")
        unlabelled = page.evaluate(
            """(root) => [...root.querySelectorAll('input, select')]
            .filter(c => !c.labels || c.labels.length === 0).length""",
            root.element_handle(),
        )
    finally:
        page.close()
    check_log(log, "03_dilated")
    assert live == "polite" and unlabelled == 0
    assert taken(state, "Rate (dilation) of layer 1") == 1
    field, used = torch_dependency([1, 2, 2])
    assert state["results"]["field"] == f"{field} × {field} pixels"
    assert numbers(state["results"]["used"])[:2] == [len(used), field * field]


def test_note_links_to_the_page_itself_in_the_built_book(built):  # noqa: F811
    for page, kind in (
        ("01_conv_arithmetic", "conv-arithmetic"),
        ("03_dilated", "dilation"),
        ("06_ghost_module", "block-cost"),
        ("08_multiscale_1d", "net-length"),
    ):
        text = (HTML / "chapters" / f"{page}.html").read_text(encoding="utf-8")
        assert f'data-explorer="{kind}"' in text, page
        links = re.findall(r'class="ghostedu-explorer-link" href="([^"]+)"', text)
        assert links == [f"{page}.html"], (page, links)
    text = (HTML / "chapters" / "04_depthwise.html").read_text(encoding="utf-8")
    assert re.search(r'href="06_ghost_module.html#explorer-block-cost"', text), "04 does not link to the explorer"
    for name in ("explorers.js", "explorers.css"):
        assert (HTML / "_static" / name).is_file()
        assert name in (HTML / "chapters" / "01_conv_arithmetic.html").read_text(encoding="utf-8")


@pytest.fixture(autouse=True)
def _single_thread_torch():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
