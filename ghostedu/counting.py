"""Parameter and multiply-add counts, taken from torchinfo and ``torch.utils.flop_counter``.

Used by every chapter. Two different multiply-add counts exist and the book always says which:

* ``count_macs`` -- ``torch.utils.flop_counter`` FLOPs / 2: convolutions, linear layers and matrix
  products only (the count papers quote).
* torchinfo's "mult-adds" (shown by ``summary``) -- also counts the bias additions and BatchNorm (one
  per BatchNorm parameter), and counts modules only: a convolution or matrix product called as a
  function is missed. Neither count includes elementwise work such as the squeeze-and-excitation
  multiply.

``layer_table(model, input_size)`` lists one row per convolution, linear or pooling layer (type,
filter shape, stride, shapes, parameters, multiply-adds): a paper's architecture table,
regenerated from the model (MobileNets' Table 1 in the chapter "Depthwise separable convolution").
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence

import torchinfo
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from .checks import check_bool, check_int, check_module, check_size
from .tables import Table, Tabular
from .utils import evaluating, zeros_input

# Layers that hold a matrix of weights but multiply nothing: a lookup.
_LOOKUPS = (nn.Embedding, nn.EmbeddingBag)


def count_params(model: nn.Module) -> int:
    """Total number of parameters of ``model``, as torchinfo counts them."""
    check_module("count_params", model)
    return torchinfo.summary(model, verbose=0).total_params


def _sizes(func: str, input_size) -> list[tuple[int, ...]]:
    """``input_size`` -- one size such as ``(1, 3, 224, 224)``, or a list of them for a model with
    several inputs -- as a list of checked sizes."""
    several = isinstance(input_size, (tuple, list)) and len(input_size) > 0 and isinstance(input_size[0], (tuple, list))
    sizes = input_size if several else [input_size]
    return [check_size(func, "input_size", size) for size in sizes]


def _forward_flops(func: str, model: nn.Module, input_size, strict: bool | None = None) -> FlopCounterMode:
    """One forward pass in eval mode on zeros of ``input_size`` (or several inputs, for a list of
    sizes), under ``torch.utils.flop_counter``.

    With ``strict`` True (False), a ValueError (a warning) names every module that ran and holds a
    weight matrix or kernel (a parameter of two or more dimensions) but got no multiply-adds:
    flop_counter has no formula for it (``nn.LSTM``, which runs as one fused operation), and a total would leave it
    out without a word. ``None`` skips the check.
    """
    check_module(func, model)
    sizes = _sizes(func, input_size)
    weighted = [m for m in model.modules() if any(p.dim() >= 2 for p in m.parameters(recurse=False))]
    ran: set[nn.Module] = set()
    handles = [m.register_forward_hook(lambda module, args, out: ran.add(module)) for m in weighted]
    try:
        with evaluating(model), FlopCounterMode(display=False) as counter:
            model(*(zeros_input(model, size) for size in sizes))
    except RuntimeError as error:
        shown = sizes[0] if len(sizes) == 1 else sizes
        raise ValueError(f"{func}: expected a model that runs on input_size {shown}, got: {error}") from error
    finally:
        for handle in handles:
            handle.remove()
    if strict is not None:
        macs = _macs_by_name(counter)
        missed = [
            f"{name or '(model)'} ({type(m).__name__})"
            for name, m in model.named_modules()
            if m in ran and not isinstance(m, _LOOKUPS) and macs.get(name, 0) == 0
        ]
        if missed:
            message = (
                f"{func}: could not count the multiply-adds of {', '.join(missed)}: torch.utils.flop_counter "
                "has no formula for this layer type, so a total would leave it out"
            )
            if strict:
                raise ValueError(message + "; pass strict=False for the count of the rest, with a warning")
            warnings.warn(message, UserWarning, stacklevel=3)
    return counter


def _macs_by_name(counter: FlopCounterMode) -> dict[str, int]:
    """flop_counter's counts per module, as multiply-adds per module name (the model is ``""``)."""
    out = {}
    for name, by_op in counter.get_flop_counts().items():
        key = "" if name == "Global" else name.split(".", 1)[1] if "." in name else ""
        out[key] = sum(by_op.values()) // 2
    return out


def count_macs(model: nn.Module, input_size: Sequence[int], strict: bool = True) -> int:
    """Multiply-adds of one forward pass on a zero input of ``input_size`` (batch included),
    as ``torch.utils.flop_counter`` FLOPs / 2 (convolutions, linear layers, matmuls).

    A layer with weights that flop_counter cannot count (``nn.LSTM``, one fused operation) is named in
    a ValueError rather than left out of the total; ``strict=False`` returns the count of the rest
    and names them in a warning.
    """
    check_bool("count_macs", "strict", strict)
    return _forward_flops("count_macs", model, input_size, strict).get_total_flops() // 2


def macs_by_module(model: nn.Module, input_size: Sequence[int], strict: bool = True) -> dict[str, int]:
    """Multiply-adds (flop_counter FLOPs / 2) per module name, e.g. ``{"features.1.3": 25690112, ...}``.

    Every module in the hierarchy appears (parents include their children); the whole model is ``""``.
    Layers flop_counter cannot count are named as by :func:`count_macs`.
    """
    check_bool("macs_by_module", "strict", strict)
    return _macs_by_name(_forward_flops("macs_by_module", model, input_size, strict))


class Summary:
    """A torchinfo summary whose multiply-add line is labeled correctly.

    torchinfo 1.8.0 prints ``Total mult-adds (Units.MEGABYTES)``; this prints the same number as
    ``Total mult-adds (torchinfo: conv, linear, BatchNorm): 29.30 M``. ``.stats`` is torchinfo's object.
    """

    def __init__(self, stats: torchinfo.model_statistics.ModelStatistics):
        self.stats = stats
        self.total_params = stats.total_params
        self.total_mult_adds = stats.total_mult_adds

    def __str__(self) -> str:
        lines = []
        for line in str(self.stats).splitlines():
            if line.startswith("Total mult-adds"):
                line = f"Total mult-adds (torchinfo: conv, linear, BatchNorm): {self.total_mult_adds / 1e6:,.2f} M"
            lines.append(line)
        return "\n".join(lines)

    __repr__ = __str__


def summary(model: nn.Module, input_size: Sequence[int], depth: int = 3, **kwargs) -> Summary:
    """torchinfo's table (input/output shape, parameters, mult-adds per layer) for ``input_size``."""
    f = "summary"
    check_module(f, model)
    sizes = _sizes(f, input_size)
    depth = check_int(f, "depth", depth, 0)
    kwargs.setdefault("col_names", ("input_size", "output_size", "num_params", "mult_adds"))
    try:
        stats = torchinfo.summary(
            model, input_size=sizes[0] if len(sizes) == 1 else sizes, depth=depth, verbose=0, **kwargs
        )
    except RuntimeError as error:  # torchinfo's "Failed to run torchinfo", the model's error as cause
        cause = error.__cause__ or error
        raise ValueError(f"{f}: expected a model that runs on input_size {input_size}, got: {cause}") from error
    return Summary(stats)


# ----------------------------------------------------------------------------------------------
# Per-layer tables: the "Table 1" of a paper, regenerated from the model
# ----------------------------------------------------------------------------------------------

_POOLS = (
    nn.modules.pooling._AvgPoolNd,
    nn.modules.pooling._MaxPoolNd,
    nn.modules.pooling._AdaptiveAvgPoolNd,
    nn.modules.pooling._AdaptiveMaxPoolNd,
)
_TABLE_LAYERS = (nn.modules.conv._ConvNd, nn.Linear, *_POOLS)
BYTES_PER_VALUE = 4  # float32


def _dims(values) -> str:
    values = tuple(values) if isinstance(values, (tuple, list)) else (values,)
    return "x".join(str(v) for v in values)


def layer_kind(module: nn.Module) -> str:
    """A paper-style name for a layer: ``"conv"``, ``"conv dw"`` (depthwise: one group per input
    channel), ``"conv pw"`` (pointwise 1x1), ``"conv grouped"``, ``"fc"``, ``"avg pool"``,
    ``"max pool"``, or the class name for anything else."""
    check_module("layer_kind", module)
    if isinstance(module, nn.modules.conv._ConvNd):
        if module.groups > 1 and module.groups == module.in_channels:
            return "conv dw"
        if module.groups > 1:
            return "conv grouped"
        if all(k == 1 for k in module.kernel_size):
            return "conv pw"
        return "conv"
    if isinstance(module, nn.Linear):
        return "fc"
    if isinstance(module, (nn.modules.pooling._AvgPoolNd, nn.modules.pooling._AdaptiveAvgPoolNd)):
        return "avg pool"
    if isinstance(module, (nn.modules.pooling._MaxPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd)):
        return "max pool"
    return type(module).__name__


def _filter_shape(module: nn.Module, in_shape: tuple[int, ...]) -> str:
    """The paper's "filter shape" column: ``3x3x32 dw``, ``1x1x32x64``, ``1024x1000``, ``pool 7x7``."""
    if isinstance(module, nn.modules.conv._ConvNd):
        k = _dims(module.kernel_size)
        if module.groups > 1 and module.groups == module.in_channels:
            multiplier = module.out_channels // module.in_channels
            return f"{k}x{module.in_channels} dw" + (f" (x{multiplier})" if multiplier > 1 else "")
        return f"{k}x{module.in_channels // module.groups}x{module.out_channels}" + (
            f" /{module.groups} groups" if module.groups > 1 else ""
        )
    if isinstance(module, nn.Linear):
        return f"{module.in_features}x{module.out_features}"
    if isinstance(module, (nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd)):
        return "pool " + _dims(in_shape[2:])  # global pooling: the window is the whole map
    if isinstance(module, _POOLS):
        return "pool " + _dims(module.kernel_size)
    return ""


def _stride(module: nn.Module, in_shape, out_shape) -> int | str:
    stride = getattr(module, "stride", None)
    if isinstance(module, (nn.modules.pooling._AdaptiveAvgPoolNd, nn.modules.pooling._AdaptiveMaxPoolNd)):
        return 1 if tuple(out_shape[2:]) == tuple(in_shape[2:]) else "global"
    if stride is None:
        return 1 if isinstance(module, nn.Linear) else ""
    stride = tuple(stride) if isinstance(stride, (tuple, list)) else (stride,)
    return stride[0] if len(set(stride)) == 1 else _dims(stride)


LAYER_COLUMNS = (
    "name",
    "type",
    "filter shape",
    "stride",
    "input",
    "output",
    "params",
    "multiply-adds",
    "multiply-adds/byte",
)
"""The columns a :class:`LayerTable` can show: the keys of ``LayerRow.as_dict()``."""


def _check_columns(func: str, columns) -> tuple[str, ...]:
    if isinstance(columns, str) or not isinstance(columns, Sequence) or not all(c in LAYER_COLUMNS for c in columns):
        raise ValueError(f"{func}: expected columns, a sequence of names from {LAYER_COLUMNS}, got {columns!r}")
    return tuple(columns)


class LayerRow:
    """One layer of a :class:`LayerTable` (one call of the module, in execution order)."""

    def __init__(
        self,
        name: str,
        kind: str,
        filter_shape: str,
        stride,
        input_shape: tuple[int, ...],
        output_shape: tuple[int, ...],
        params: int,
        macs: int,
    ):
        self.name = name
        self.kind = kind
        self.filter_shape = filter_shape
        self.stride = stride
        self.input_shape = input_shape
        self.output_shape = output_shape
        self.params = params
        self.macs = macs

    @property
    def min_bytes(self) -> int:
        """The least memory traffic of the layer in bytes (float32) -- read its input and its weights
        once, write its output once. Real kernels move at least this much."""
        values = math.prod(self.input_shape) + math.prod(self.output_shape) + self.params
        return BYTES_PER_VALUE * values

    @property
    def intensity(self) -> float:
        """The arithmetic intensity, multiply-adds per byte of :attr:`min_bytes` (roofline model)."""
        return self.macs / self.min_bytes

    def as_dict(self) -> dict:
        """The row by column name (:data:`LAYER_COLUMNS`)."""
        return {
            "name": self.name,
            "type": self.kind,
            "filter shape": self.filter_shape,
            "stride": self.stride,
            "input": _dims(self.input_shape[1:]),
            "output": _dims(self.output_shape[1:]),
            "params": self.params,
            "multiply-adds": self.macs,
            "multiply-adds/byte": self.intensity,
        }

    def __repr__(self) -> str:
        return (
            f"LayerRow({self.name!r}, {self.kind!r}, stride={self.stride!r}, "
            f"{self.input_shape} -> {self.output_shape}, params={self.params}, macs={self.macs})"
        )


class LayerTable(Tabular):
    """A per-layer table (a list of :class:`LayerRow`): prints as text, renders as HTML in a notebook.

    ``columns`` picks what is shown (keys of ``LayerRow.as_dict()``); shapes are shown without
    the batch dimension, channels first (``32x112x112``). ``totals_by_kind()`` sums per layer type.
    """

    DEFAULT_COLUMNS = ("type", "filter shape", "stride", "input", "output", "params", "multiply-adds")

    def __init__(self, rows: list[LayerRow], columns: Sequence[str] = DEFAULT_COLUMNS):
        self.rows = list(rows)
        self.columns = tuple(columns)

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, index):
        return self.rows[index]

    @property
    def total_params(self) -> int:
        """Sum of the rows' own parameters (layers left out of the table, such as BatchNorm, are not in it)."""
        return sum(r.params for r in self.rows)

    @property
    def total_macs(self) -> int:
        return sum(r.macs for r in self.rows)

    def totals_by_kind(self) -> dict[str, dict[str, int]]:
        """``{"conv pw": {"layers": 13, "params": ..., "macs": ...}, ...}`` in order of first appearance."""
        out: dict[str, dict[str, int]] = {}
        for r in self.rows:
            t = out.setdefault(r.kind, {"layers": 0, "params": 0, "macs": 0})
            t["layers"] += 1
            t["params"] += r.params
            t["macs"] += r.macs
        return out

    def with_columns(self, *columns: str) -> LayerTable:
        return LayerTable(self.rows, _check_columns("LayerTable.with_columns", columns))

    @staticmethod
    def _format(value) -> str:
        if isinstance(value, float):
            return f"{value:,.2f}"
        if isinstance(value, int) and not isinstance(value, bool):
            return f"{value:,}"
        return str(value)

    def table(self) -> Table:
        rows = ([self._format(r.as_dict()[c]) for c in self.columns] for r in self.rows)
        numeric = ("params", "multiply-adds", "multiply-adds/byte", "stride")
        right = [i for i, c in enumerate(self.columns) if c in numeric]
        return Table(self.columns, rows, right=right)


def layer_table(
    model: nn.Module,
    input_size: Sequence[int],
    layer_types: tuple[type, ...] = _TABLE_LAYERS,
    columns: Sequence[str] = LayerTable.DEFAULT_COLUMNS,
) -> LayerTable:
    """One row per call of a convolution, linear or pooling layer of ``model`` on a zero input of
    ``input_size`` (batch included), in execution order: type (:func:`layer_kind`), filter shape,
    stride, input and output shape, own parameters, multiply-adds (flop_counter FLOPs / 2).

    This regenerates a paper's architecture table, e.g. Table 1 of MobileNets for
    ``layer_table(mobilenet_v1(), (1, 3, 224, 224))``. ``layer_types`` picks the module classes
    that get a row (BatchNorm and activations are left out by default, so the rows' parameters
    sum to less than :func:`count_params`). Each row also knows its least memory traffic
    (``min_bytes``) and arithmetic intensity (``intensity``, multiply-adds per byte).
    """
    f = "layer_table"
    check_module(f, model)
    if not (isinstance(layer_types, tuple) and layer_types and all(isinstance(t, type) for t in layer_types)):
        raise TypeError(f"{f}: expected layer_types to be a tuple of module classes, got {layer_types!r}")
    columns = _check_columns(f, columns)
    names = {m: n for n, m in model.named_modules()}
    records: list[tuple[nn.Module, tuple[int, ...], tuple[int, ...]]] = []

    def hook(module, inputs, output):
        records.append((module, tuple(inputs[0].shape), tuple(output.shape)))

    handles = [m.register_forward_hook(hook) for m in model.modules() if isinstance(m, layer_types)]
    try:
        macs = _macs_by_name(_forward_flops(f, model, input_size))
    finally:
        for h in handles:
            h.remove()
    calls: dict[nn.Module, int] = {}
    for module, _, _ in records:
        calls[module] = calls.get(module, 0) + 1
    rows = []
    for module, in_shape, out_shape in records:
        name = names.get(module, "")
        rows.append(
            LayerRow(
                name=name,
                kind=layer_kind(module),
                filter_shape=_filter_shape(module, in_shape),
                stride=_stride(module, in_shape, out_shape),
                input_shape=in_shape,
                output_shape=out_shape,
                params=sum(p.numel() for p in module.parameters(recurse=False)),
                macs=macs.get(name, 0) // calls[module],
            )
        )
    return LayerTable(rows, columns)
