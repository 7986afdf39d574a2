"""GhostNet (Han et al., 2020, "GhostNet: More Features from Cheap Operations", arXiv:1911.11907).

Explained in the chapter "GhostNet". The configuration table below is the picture of the network;
module names and order follow the official GhostNet code, so the official ImageNet weights load
with ``load_state_dict(..., strict=True)``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_input, check_int, check_model_memory, check_number, check_odd, check_size
from ..layers import GhostBottleneck, make_divisible
from ..tables import Table, Tabular
from ..utils import evaluating, zeros_input

# One row per Ghost bottleneck, grouped by stage:
#   k: depthwise kernel size, exp: expansion (mid) channels, out: output channels,
#   se: squeeze-and-excitation ratio (0 = none), s: stride of the bottleneck.
# fmt: off  (the table is the picture of the network: one row per bottleneck, as written)
GHOSTNET_CONFIG: list[list[tuple[int, int, int, float, int]]] = [
    # k, exp, out,  se,   s
    [(3, 16, 16, 0.0, 1)],
    [(3, 48, 24, 0.0, 2)],
    [(3, 72, 24, 0.0, 1)],
    [(5, 72, 40, 0.25, 2)],
    [(5, 120, 40, 0.25, 1)],
    [(3, 240, 80, 0.0, 2)],
    [(3, 200, 80, 0.0, 1), (3, 184, 80, 0.0, 1), (3, 184, 80, 0.0, 1), (3, 480, 112, 0.25, 1), (3, 672, 112, 0.25, 1)],
    [(5, 672, 160, 0.25, 2)],
    [(5, 960, 160, 0.0, 1), (5, 960, 160, 0.25, 1), (5, 960, 160, 0.0, 1), (5, 960, 160, 0.25, 1)],
]
# fmt: on


class ConvBnAct(nn.Module):
    """Convolution + BatchNorm + activation, ``(N, in_chs, H, W) -> (N, out_chs, H', W')``,
    ``H' = floor((H - 1) / stride) + 1`` (an odd ``kernel_size``, padded by ``kernel_size // 2``)."""

    def __init__(
        self, in_chs: int, out_chs: int, kernel_size: int, stride: int = 1, act_layer: type[nn.Module] = nn.ReLU
    ):
        super().__init__()
        for name, value in (("in_chs", in_chs), ("out_chs", out_chs), ("stride", stride)):
            check_int("ConvBnAct", name, value)
        check_odd("ConvBnAct", "kernel_size", kernel_size)
        self.conv = nn.Conv2d(in_chs, out_chs, kernel_size, stride, kernel_size // 2, bias=False)
        self.bn1 = nn.BatchNorm2d(out_chs)
        self.act1 = act_layer(inplace=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input("ConvBnAct", x, 4, self.conv.in_channels, self.conv.weight.dtype)
        return self.act1(self.bn1(self.conv(x)))


class GhostNet(nn.Module):
    """GhostNet classifier: images ``(N, 3, H, W)`` -> class scores ``(N, num_classes)``.

    Stem (3x3 conv, stride 2) -> the stages of ``config`` -> 1x1 ConvBnAct to the last expansion
    width -> global average pool -> 1x1 ``conv_head`` to 1280 -> dropout -> ``classifier``.
    Channel counts are scaled by ``width`` and rounded with ``make_divisible(., 4)``.
    A width whose parameters would exceed ``ghostedu.checks.MEMORY_LIMIT_BYTES`` (4 GiB: about
    width 14) is refused with the estimate before anything is allocated.
    """

    def __init__(self, config=GHOSTNET_CONFIG, num_classes: int = 1000, width: float = 1.0, dropout: float = 0.2):
        super().__init__()
        f = "GhostNet"
        check_number(f, "width", width, positive=True)
        check_int(f, "num_classes", num_classes)
        check_number(f, "dropout", dropout, at_least=0, below=1)
        check_model_memory(f, f"width={width!r}", lambda: GhostNet(config, num_classes, width, dropout))
        self.config = config
        self.dropout = dropout
        stem_chs = make_divisible(16 * width, 4)
        self.conv_stem = nn.Conv2d(3, stem_chs, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem_chs)
        self.act1 = nn.ReLU(inplace=True)
        in_chs = stem_chs
        stages = []
        for stage in config:
            blocks = []
            for k, exp, out, se, s in stage:
                out_chs = make_divisible(out * width, 4)
                mid_chs = make_divisible(exp * width, 4)
                blocks.append(GhostBottleneck(in_chs, mid_chs, out_chs, k, s, se_ratio=se))
                in_chs = out_chs
            stages.append(nn.Sequential(*blocks))
        last_chs = make_divisible(exp * width, 4)
        stages.append(nn.Sequential(ConvBnAct(in_chs, last_chs, 1)))
        self.blocks = nn.Sequential(*stages)
        self.global_pool = nn.AdaptiveAvgPool2d((1, 1))
        self.conv_head = nn.Conv2d(last_chs, 1280, 1, 1, 0, bias=True)
        self.act2 = nn.ReLU(inplace=True)
        self.classifier = nn.Linear(1280, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        check_input("GhostNet", x, 4, 3, self.conv_stem.weight.dtype)
        x = self.act1(self.bn1(self.conv_stem(x)))
        x = self.blocks(x)
        x = self.act2(self.conv_head(self.global_pool(x)))
        x = x.flatten(1)
        if self.dropout > 0.0:
            x = F.dropout(x, p=self.dropout, training=self.training)
        return self.classifier(x)


def ghostnet(width: float = 1.0, num_classes: int = 1000, dropout: float = 0.2) -> GhostNet:
    """GhostNet from the paper's table (arXiv:1911.11907). Width 1.0: 5,182,508 parameters and
    about 141M multiply-adds at 224x224; widths 0.5 and 1.3 are the paper's smaller and larger models."""
    return GhostNet(GHOSTNET_CONFIG, num_classes=num_classes, width=width, dropout=dropout)


# ----------------------------------------------------------------------------------------------
# The paper's architecture table (its Table 1), regenerated from a model
# ----------------------------------------------------------------------------------------------

ARCHITECTURE_COLUMNS = ("stage", "input", "operator", "#exp", "#out", "SE", "stride")


class ArchitectureTable(Tabular):
    """Rows of :func:`ghostnet_table`: prints as text, renders as an HTML table in a notebook.

    Each row is a dict with the keys of ``ARCHITECTURE_COLUMNS``; ``"#exp"`` is ``None`` where the
    operator has no expansion, ``"SE"`` is ``True``/``False``, ``"stride"`` ``None`` for pooling
    and the classifier (shown as ``-``, as in the paper).
    """

    columns = ARCHITECTURE_COLUMNS

    def __init__(self, rows: list[dict]):
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, index: int) -> dict:
        return self.rows[index]

    @staticmethod
    def _cell(key: str, value) -> str:
        if key == "SE":
            return "1" if value else "-"
        return "-" if value is None else str(value)

    def table(self) -> Table:
        cells = ([self._cell(c, row[c]) for c in self.columns] for row in self.rows)
        return Table(self.columns, cells, css_class="ghostedu-architecture")


def _size_text(shape: tuple[int, ...]) -> str:
    """``(1, 16, 112, 112)`` -> ``"112²×16"`` (the paper's notation); non-square maps as ``H×W×C``."""
    c, h, w = shape[1], shape[2], shape[3]
    return f"{h}²×{c}" if h == w else f"{h}×{w}×{c}"


def ghostnet_table(model: GhostNet, input_size=(1, 3, 224, 224)) -> ArchitectureTable:
    """The architecture table of the GhostNet paper (its Table 1), regenerated from ``model``.

    One row per operator in execution order: the stem convolution, every ``GhostBottleneck``
    (``G-bneck``, with its expansion width ``#exp = ghost1.oup``, output width, SE or not, and
    stride), the 1x1 ``ConvBnAct``, the global average pool, ``conv_head`` and the classifier.
    ``stage`` is ``"stem"``, the index ``i`` of ``model.blocks[i]``, or ``"head"``. Input shapes
    are recorded by forward pre-hooks during one pass on a zero input of ``input_size`` (eval
    mode, no autograd; the training mode is restored after). Explained in the chapter "GhostNet".
    """
    if not isinstance(model, GhostNet):
        raise TypeError(f"ghostnet_table: expected a GhostNet, got {type(model).__name__}")
    input_size = check_size("ghostnet_table", "input_size", input_size)
    records: list[tuple[str, nn.Module, tuple[int, ...]]] = []
    watched: list[tuple[str, nn.Module]] = [("stem", model.conv_stem)]
    for i, stage in enumerate(model.blocks):
        watched += [(str(i), block) for block in stage]
    watched += [("head", model.global_pool), ("head", model.conv_head), ("head", model.classifier)]

    def hook_for(stage: str):
        def hook(module, args):
            records.append((stage, module, tuple(args[0].shape)))

        return hook

    handles = [m.register_forward_pre_hook(hook_for(stage)) for stage, m in watched]
    try:
        with evaluating(model):
            model(zeros_input(model, input_size))
    finally:
        for h in handles:
            h.remove()

    rows = []
    for stage, m, shape in records:
        size = _size_text(shape) if len(shape) == 4 else f"1²×{shape[1]}"
        if isinstance(m, GhostBottleneck):
            row = ("G-bneck", m.ghost1.oup, m.ghost2.oup, m.se is not None, m.stride)
        elif isinstance(m, ConvBnAct):
            k = m.conv.kernel_size[0]
            row = (f"Conv2d {k}×{k}", None, m.conv.out_channels, False, m.conv.stride[0])
        elif isinstance(m, nn.Conv2d):
            k = m.kernel_size[0]
            row = (f"Conv2d {k}×{k}", None, m.out_channels, False, m.stride[0])
        elif isinstance(m, nn.AdaptiveAvgPool2d):
            row = (f"AvgPool {shape[2]}×{shape[3]}", None, None, False, None)
        else:  # the classifier
            row = ("FC", None, m.out_features, False, None)
        rows.append(dict(zip(ARCHITECTURE_COLUMNS, (stage, size, *row))))
    return ArchitectureTable(rows)
