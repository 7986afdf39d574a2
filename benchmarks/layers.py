"""Every layer of ``ghostedu.layers`` against its standard-convolution equivalent.

Run from the repository root::

    python -m benchmarks.layers            # every configuration (under a minute on 2 CPU cores)
    python -m benchmarks.layers --quick    # one configuration per layer, short timings

For each layer and configuration it prints parameters, multiply-adds (``torch.utils.flop_counter``:
convolutions and linear layers) and the median time of one forward pass
(``ghostedu.bench.time_forward``, eval mode, no grad) of the standard equivalent and of the layer,
with the ratios standard / layer, labeled with the machine that measured them. Timings vary from
machine to machine and run to run; the multiply-add ratios do not. Explained in the chapter
"Depthwise separable convolution".

Standard equivalents (the same input and output shapes, built from ordinary convolutions):

* ``conv_dw(cin, cout, s)``      -- 3x3 convolution cin -> cout, stride s, + BN + ReLU6.
* ``GhostModule(cin, cout)``     -- 1x1 convolution cin -> cout + BN + ReLU (the convolution it replaces).
* ``SqueezeExcite(c)``           -- 1x1 convolution c -> c + BN + ReLU: channel mixing at every pixel,
  which squeeze-and-excitation does once per image, on the pooled vector.
* ``GhostBottleneck(...)``       -- the same bottleneck with 1x1 convolutions for the Ghost modules and
  full kxk convolutions for the depthwise ones (SE, when present, kept as it is).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from dataclasses import dataclass

import torch
from torch import nn

import ghostedu
from ghostedu.bench import machine_label, time_forward
from ghostedu.counting import count_macs, count_params
from ghostedu.layers import GhostBottleneck, GhostModule, SqueezeExcite, conv_bn_act, conv_dw

LAYERS = ("conv_dw", "GhostModule", "SqueezeExcite", "GhostBottleneck")


def standard_conv(
    cin: int, cout: int, kernel_size: int = 3, stride: int = 1, act: type[nn.Module] = nn.ReLU6
) -> nn.Sequential:
    """Convolution + BatchNorm + activation, ``(N, cin, H, W) -> (N, cout, H', W')``."""
    return conv_bn_act(cin, cout, kernel_size, stride, act)


class StandardBottleneck(nn.Module):
    """``GhostBottleneck`` with ordinary convolutions: 1x1 expand (+ReLU), a full kxk convolution at
    stride > 1, optional SE, 1x1 project, and a full kxk + 1x1 shortcut when the shape changes."""

    def __init__(
        self, in_chs: int, mid_chs: int, out_chs: int, dw_kernel_size: int = 3, stride: int = 1, se_ratio: float = 0.0
    ):
        super().__init__()
        k, pad = dw_kernel_size, (dw_kernel_size - 1) // 2
        self.expand = standard_conv(in_chs, mid_chs, 1, act=nn.ReLU)
        self.spatial = (
            nn.Sequential(nn.Conv2d(mid_chs, mid_chs, k, stride, pad, bias=False), nn.BatchNorm2d(mid_chs))
            if stride > 1
            else nn.Identity()
        )
        self.se = SqueezeExcite(mid_chs, se_ratio=se_ratio) if se_ratio else nn.Identity()
        self.project = nn.Sequential(nn.Conv2d(mid_chs, out_chs, 1, bias=False), nn.BatchNorm2d(out_chs))
        if in_chs == out_chs and stride == 1:
            self.shortcut = nn.Identity()
        else:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_chs, in_chs, k, stride, pad, bias=False),
                nn.BatchNorm2d(in_chs),
                nn.Conv2d(in_chs, out_chs, 1, bias=False),
                nn.BatchNorm2d(out_chs),
            )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.project(self.se(self.spatial(self.expand(x)))) + self.shortcut(x)


@dataclass
class Case:
    """One comparison: a layer of ``ghostedu.layers`` and its standard equivalent on one input size."""

    layer: str
    config: str
    input_size: tuple[int, int, int, int]
    make_layer: Callable[[], nn.Module]
    make_standard: Callable[[], nn.Module]


def _conv_dw(cin, cout, size, stride=1):
    return Case(
        "conv_dw",
        f"{cin}->{cout}, s{stride}",
        (1, cin, size, size),
        lambda: conv_dw(cin, cout, stride),
        lambda: standard_conv(cin, cout, 3, stride),
    )


def _ghost(cin, cout, size):
    return Case(
        "GhostModule",
        f"{cin}->{cout}, 1x1",
        (1, cin, size, size),
        lambda: GhostModule(cin, cout),
        lambda: standard_conv(cin, cout, 1, act=nn.ReLU),
    )


def _se(c, size):
    return Case(
        "SqueezeExcite",
        f"{c}, ratio 0.25",
        (1, c, size, size),
        lambda: SqueezeExcite(c),
        lambda: standard_conv(c, c, 1, act=nn.ReLU),
    )


def _bottleneck(cin, mid, cout, size, stride=1, se=0.0):
    config = f"{cin}->{mid}->{cout}, s{stride}" + (", SE" if se else "")
    return Case(
        "GhostBottleneck",
        config,
        (1, cin, size, size),
        lambda: GhostBottleneck(cin, mid, cout, 3, stride, se_ratio=se),
        lambda: StandardBottleneck(cin, mid, cout, 3, stride, se_ratio=se),
    )


def cases(quick: bool = False) -> list[Case]:
    """The configurations: MobileNetV1 and GhostNet stages at 224x224 input (or one each, ``quick``)."""
    if quick:
        return [_conv_dw(32, 64, 56), _ghost(32, 64, 28), _se(64, 28), _bottleneck(24, 72, 24, 28)]
    return [
        _conv_dw(32, 64, 112),
        _conv_dw(128, 128, 56),
        _conv_dw(256, 256, 28),
        _conv_dw(512, 512, 14),
        _conv_dw(1024, 1024, 7),
        _conv_dw(64, 128, 112, 2),
        _ghost(16, 48, 112),
        _ghost(72, 72, 56),
        _ghost(240, 240, 14),
        _ghost(960, 960, 7),
        _se(72, 28),
        _se(480, 14),
        _se(960, 7),
        _bottleneck(16, 16, 16, 112),
        _bottleneck(16, 48, 24, 112, 2),
        _bottleneck(40, 120, 40, 28, se=0.25),
        _bottleneck(112, 672, 160, 14, 2, se=0.25),
    ]


@dataclass
class Result:
    case: Case
    params: tuple[int, int]  # (standard, layer)
    macs: tuple[int, int]
    seconds: tuple[float, float]


def run_case(case: Case, dev: torch.device, min_run_time: float, repeats: int = 1) -> Result:
    """Counts and timings of one case; each time is the least of ``repeats`` medians (other programs
    running at the same time can only add time)."""
    ghostedu.seed_everything(0)
    layer, standard = case.make_layer().to(dev), case.make_standard().to(dev)
    out_l = layer.eval()(torch.zeros(case.input_size, device=dev))
    out_s = standard.eval()(torch.zeros(case.input_size, device=dev))
    if out_l.shape != out_s.shape:  # the comparison is only fair between equal shapes
        raise AssertionError(
            f"{case.layer} {case.config}: output {tuple(out_l.shape)} but standard {tuple(out_s.shape)}"
        )
    params = (count_params(standard), count_params(layer))
    macs = (count_macs(standard, case.input_size), count_macs(layer, case.input_size))
    seconds = tuple(
        min(time_forward(m, case.input_size, dev=dev, min_run_time=min_run_time).median_s for _ in range(repeats))
        for m in (standard, layer)
    )
    return Result(case, params, macs, seconds)


def _count(n: int) -> str:
    """``57.80M``, ``2.05K`` or ``512``: readable at any size."""
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e3, "K")):
        if n >= scale:
            return f"{n / scale:,.2f}{unit}"
    return str(n)


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.1f}x" if b else "-"


def format_table(results: list[Result]) -> str:
    """The results as a fixed-width text table, one row per configuration."""
    head = (
        "layer",
        "config",
        "input",
        "params std",
        "params",
        "ratio",
        "MACs std",
        "MACs",
        "ratio",
        "ms std",
        "ms",
        "speedup",
    )
    rows = []
    for r in results:
        (ps, pl), (ms, ml), (ts, tl) = r.params, r.macs, r.seconds
        rows.append(
            (
                r.case.layer,
                r.case.config,
                "x".join(map(str, r.case.input_size[1:])),
                f"{ps:,}",
                f"{pl:,}",
                _ratio(ps, pl),
                _count(ms),
                _count(ml),
                _ratio(ms, ml),
                f"{ts * 1e3:.3f}",
                f"{tl * 1e3:.3f}",
                _ratio(ts, tl),
            )
        )
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]

    def line(cells):
        return "  ".join(c.ljust(w) if i < 3 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(head), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.layers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one configuration per layer, short timings")
    parser.add_argument(
        "--min-run-time",
        type=float,
        default=None,
        help="seconds of timing per module (default 0.2, or 0.05 with --quick)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="time each module this many times and keep the least median (default 3, or 1 with --quick)",
    )
    parser.add_argument("--device", default=None, help="e.g. cpu or cuda (default: ghostedu.device())")
    parser.add_argument("--threads", type=int, default=None, help="torch.set_num_threads before timing")
    parser.add_argument("--layer", action="append", choices=LAYERS, help="only this layer (repeatable)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    dev = torch.device(args.device) if args.device else ghostedu.device()
    min_run_time = args.min_run_time or (0.05 if args.quick else 0.2)
    repeats = args.repeats or (1 if args.quick else 3)
    selected = [c for c in cases(args.quick) if not args.layer or c.layer in args.layer]
    print(f"ghostedu layers vs standard convolutions -- {machine_label(dev)}")
    print(
        "params: torchinfo; MACs: multiply-adds, torch.utils.flop_counter (conv, linear); "
        f"ms: median forward time (least of {repeats}), batch 1, eval, no grad"
    )
    print("ratios are standard / layer: above 1x the layer is smaller, cheaper or faster\n")
    results = []
    for case in selected:
        results.append(run_case(case, dev, min_run_time, repeats))
    print(format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
