"""Shape arithmetic: output sizes, receptive fields and a layer-by-layer trace.

Chapter "Convolution arithmetic" derives the formulas used here, after Dumoulin &
Visin, *A guide to convolution arithmetic for deep learning* (2016), written the
way PyTorch computes them. Chapter "The multi-scale 1D CNN" uses
:func:`accepted_input_lengths` to explain why the seed network takes only some
signal lengths.

Shapes keep the batch dimension, as torchinfo prints them: ``(1, 64, 128)`` is one
sample with 64 channels of length 128.

This module knows no particular model: it works from ``torch.nn`` layer types,
plus one duck-typed layer, ``FlattenConcat`` (several tensors in, each flattened
from dim 1 and concatenated along dim 1).
"""
from __future__ import annotations

import contextlib
import html
import math
import numbers
import threading
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Iterator, Sequence, Union

import torch
import torchinfo
from torch import nn
from torch.overrides import TorchFunctionMode

__all__ = [
    "effective_kernel_size",
    "conv_output_length",
    "pool_output_length",
    "conv_transpose_output_length",
    "ReceptiveFieldStep",
    "ReceptiveField",
    "receptive_field",
    "TraceRow",
    "Trace",
    "trace",
    "accepted_input_lengths",
]

Shape = tuple[int, ...]

_ADAPTIVE_POOLS = (
    nn.AdaptiveAvgPool1d, nn.AdaptiveAvgPool2d, nn.AdaptiveAvgPool3d,
    nn.AdaptiveMaxPool1d, nn.AdaptiveMaxPool2d, nn.AdaptiveMaxPool3d,
)
_CONV_TRANSPOSES = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


def _as_int(func: str, name: str, value: object, minimum: int) -> int:
    """``value`` as a Python int, or a ValueError naming ``func``."""
    # type() first: accepted_input_lengths calls this a few hundred thousand times.
    if type(value) is not int and (isinstance(value, bool) or not isinstance(value, numbers.Integral)):
        raise ValueError(f"{func}: expected {name} to be an integer >= {minimum}, got {value!r}")
    if value < minimum:
        raise ValueError(f"{func}: expected {name} >= {minimum}, got {value}")
    return int(value)


def _is_flatten_concat(module: nn.Module) -> bool:
    """Whether ``module`` is a FlattenConcat (matched by name or its ``concat_dim``).

    Matching by duck typing keeps this module free of ``ghostedu.layers``.
    """
    return type(module).__name__ == "FlattenConcat" or hasattr(module, "concat_dim")


# --------------------------------------------------------------------------
# 1. Output sizes of one layer, along one axis
# --------------------------------------------------------------------------

def effective_kernel_size(kernel_size: int, dilation: int = 1) -> int:
    """Span of a dilated kernel: ``k + (k - 1)(d - 1)``, which equals ``d(k - 1) + 1``.

    Three taps with dilation 2 touch positions 0, 2 and 4: they span 5.
    Chapter "Convolution arithmetic".
    """
    k = _as_int("effective_kernel_size", "kernel_size", kernel_size, 1)
    d = _as_int("effective_kernel_size", "dilation", dilation, 1)
    return k + (k - 1) * (d - 1)


def _window_count(func: str, length: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    """How many windows fit along one axis; the arithmetic shared by convs and pools."""
    # How far the window's first tap can travel inside the padded input.
    room = length + 2 * p - d * (k - 1) - 1
    if ceil_mode:
        out = (room + s - 1) // s + 1  # ceil(room / s) + 1, as PyTorch writes it
        # PyTorch drops a last window that would start in the right padding:
        # it would see padding only.
        if (out - 1) * s >= length + p:
            out -= 1
    else:
        out = room // s + 1
    if out < 1:
        rounding = "ceil" if ceil_mode else "floor"
        raise ValueError(
            f"{func}: expected the window (kernel_size={k}, dilation={d}, spanning "
            f"{d * (k - 1) + 1}) to fit in the padded length {length} + 2*{p} = {length + 2 * p}, "
            f"got output length {rounding}(({length} + 2*{p} - {d}*({k} - 1) - 1)/{s}) + 1 = {out}"
        )
    return out


def conv_output_length(
    length: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output length of a convolution (or pooling) along one axis.

    ``L_out = floor((L + 2p - d(k - 1) - 1) / s) + 1``: the padded input is
    ``L + 2p`` long, the window spans ``d(k - 1) + 1`` of it, and it moves ``s``
    positions at a time. With ``ceil_mode`` (pooling only) the division rounds up,
    but, as in PyTorch, the last window must start inside the input or the left
    padding. For an input ``(N, C, L)`` the output is ``(N, C_out, L_out)``.

    Raises ValueError when the output would be shorter than 1.
    Chapter "Convolution arithmetic".
    """
    f = "conv_output_length"
    return _window_count(
        f,
        _as_int(f, "length", length, 1),
        _as_int(f, "kernel_size", kernel_size, 1),
        _as_int(f, "stride", stride, 1),
        _as_int(f, "padding", padding, 0),
        _as_int(f, "dilation", dilation, 1),
        bool(ceil_mode),
    )


def pool_output_length(
    length: int,
    kernel_size: int,
    stride: int | None = None,
    padding: int = 0,
    dilation: int = 1,
    ceil_mode: bool = False,
) -> int:
    """Output length of ``nn.MaxPool1d``/``nn.AvgPool1d`` along one axis.

    The same formula as :func:`conv_output_length`; ``stride`` defaults to
    ``kernel_size`` as in ``nn.MaxPool1d``, and, as PyTorch requires, padding may be
    at most half the kernel. ``(N, C, L)`` -> ``(N, C, L_out)``.
    Chapter "Convolution arithmetic".
    """
    f = "pool_output_length"
    k = _as_int(f, "kernel_size", kernel_size, 1)
    s = k if stride is None else _as_int(f, "stride", stride, 1)
    p = _as_int(f, "padding", padding, 0)
    if p > k // 2:
        raise ValueError(
            f"{f}: expected padding <= kernel_size // 2 = {k // 2} (PyTorch's rule for pooling), "
            f"got padding={p}"
        )
    return _window_count(
        f, _as_int(f, "length", length, 1), k, s, p, _as_int(f, "dilation", dilation, 1), bool(ceil_mode)
    )


def conv_transpose_output_length(
    length: int,
    kernel_size: int,
    stride: int = 1,
    padding: int = 0,
    output_padding: int = 0,
    dilation: int = 1,
) -> int:
    """Output length of a transposed convolution along one axis.

    ``L_out = (L - 1)s - 2p + d(k - 1) + output_padding + 1``: the forward formula
    solved for the input, with ``output_padding`` picking one of the ``s`` input
    lengths that a strided convolution maps to the same output.
    ``(N, C_in, L)`` -> ``(N, C_out, L_out)``. Chapter "Convolution arithmetic".
    """
    f = "conv_transpose_output_length"
    L = _as_int(f, "length", length, 1)
    k = _as_int(f, "kernel_size", kernel_size, 1)
    s = _as_int(f, "stride", stride, 1)
    p = _as_int(f, "padding", padding, 0)
    op = _as_int(f, "output_padding", output_padding, 0)
    d = _as_int(f, "dilation", dilation, 1)
    if op >= s and op >= d:
        raise ValueError(
            f"{f}: expected output_padding smaller than stride or dilation (PyTorch's rule), "
            f"got output_padding={op}, stride={s}, dilation={d}"
        )
    out = (L - 1) * s - 2 * p + d * (k - 1) + op + 1
    if out < 1:
        raise ValueError(
            f"{f}: expected a positive output length, got "
            f"({L} - 1)*{s} - 2*{p} + {d}*({k} - 1) + {op} + 1 = {out}"
        )
    return out


# --------------------------------------------------------------------------
# 2. Receptive field of a stack
# --------------------------------------------------------------------------

LayerSpec = Union[tuple[int, int], tuple[int, int, int], nn.Module]


@dataclass(frozen=True)
class ReceptiveFieldStep:
    """One layer of a stack: its window, and what one output position sees after it.

    ``receptive_field`` counts input samples; ``jump`` is the distance, in input
    samples, between neighbouring output positions (the product of the strides).
    """

    name: str
    kernel_size: int
    stride: int
    dilation: int
    receptive_field: int
    jump: int


@dataclass(frozen=True)
class ReceptiveField:
    """Result of :func:`receptive_field`: one step per layer and the final values."""

    layers: tuple[ReceptiveFieldStep, ...]
    receptive_field: int
    jump: int

    def __str__(self) -> str:
        header = ("layer", "k", "s", "d", "receptive field", "jump")
        cells = [header] + [
            (st.name, str(st.kernel_size), str(st.stride), str(st.dilation),
             str(st.receptive_field), str(st.jump))
            for st in self.layers
        ]
        return _text_table(cells, right_aligned=range(1, 6))


def receptive_field(layers: Sequence[LayerSpec] | nn.Module) -> ReceptiveField:
    """Receptive field and jump after each layer of a stack of windows.

    ``layers`` is a sequence of ``(kernel_size, stride)`` or ``(kernel_size, stride,
    dilation)`` tuples and/or conv/pool modules, or an ``nn.Sequential`` (nested
    ones are walked in order). Layers without a window (activations,
    normalization, dropout) see one position and are skipped. Starting from one
    input sample (``r_0 = 1``, ``j_0 = 1``)::

        r_l = r_{l-1} + (k_eff - 1) * j_{l-1}      j_l = j_{l-1} * s_l

    with ``k_eff = d(k - 1) + 1``. Padding moves the field but does not change its
    size. 2D layers must use the same window on every axis; otherwise pass tuples
    for one axis. Chapter "Convolution arithmetic".
    """
    r, j = 1, 1  # one input sample sees itself; neighbours are one sample apart
    steps = []
    for name, k, s, d in _windows_of(layers, prefix=""):
        r = r + (effective_kernel_size(k, d) - 1) * j
        j = j * s
        steps.append(ReceptiveFieldStep(name, k, s, d, r, j))
    return ReceptiveField(tuple(steps), r, j)


def _windows_of(layers: Any, prefix: str) -> Iterator[tuple[str, int, int, int]]:
    """``(name, kernel_size, stride, dilation)`` for every windowed layer, in order."""
    f = "receptive_field"
    if isinstance(layers, nn.Sequential):
        items = list(layers.named_children())
    elif isinstance(layers, nn.Module):
        items = [(type(layers).__name__, layers)]
    elif isinstance(layers, Sequence) and not isinstance(layers, str):
        items = [(str(i), item) for i, item in enumerate(layers)]
    else:
        raise ValueError(f"{f}: expected a sequence of layers or an nn.Sequential, got {layers!r}")
    for name, item in items:
        name = prefix + name
        if isinstance(item, nn.Sequential):
            yield from _windows_of(item, prefix=name + ".")
        elif isinstance(item, nn.Module):
            window = _module_window(name, item)
            if window is not None:
                yield (name, *window)
        elif isinstance(item, tuple) and len(item) in (2, 3):
            k, s, d = (*item, 1)[:3]
            yield (name, _as_int(f, f"kernel_size of layer {name}", k, 1),
                   _as_int(f, f"stride of layer {name}", s, 1),
                   _as_int(f, f"dilation of layer {name}", d, 1))
        else:
            raise ValueError(
                f"{f}: expected (kernel_size, stride[, dilation]) tuples or modules, "
                f"got {item!r} at position {name}"
            )


def _module_window(name: str, module: nn.Module) -> tuple[int, int, int] | None:
    """``(k, s, d)`` of a conv/pool module, None for window-less layers."""
    f = "receptive_field"
    kind = type(module).__name__
    if isinstance(module, _CONV_TRANSPOSES):
        raise ValueError(
            f"{f}: expected convolution and pooling layers, got {name} ({kind}): transposed "
            "convolutions upsample, and the recurrence here is for downsampling stacks"
        )
    if isinstance(module, (*_ADAPTIVE_POOLS, nn.Linear, nn.Flatten)) or _is_flatten_concat(module):
        raise ValueError(
            f"{f}: expected convolution and pooling layers, got {name} ({kind}), which mixes "
            "all positions: from there on the receptive field is the whole input"
        )
    if any(True for _ in module.children()):
        raise ValueError(
            f"{f}: expected an nn.Sequential or a list of layers, got {name} ({kind}), a container "
            "whose registration order need not be its execution order"
        )
    if not hasattr(module, "kernel_size"):
        return None

    def one_axis(attr: str) -> int:
        value = getattr(module, attr, 1)
        values = tuple(value) if isinstance(value, (tuple, list)) else (value,)
        if len(set(values)) != 1:
            raise ValueError(
                f"{f}: expected the same {attr} on every axis, got {attr}={value} in {name} "
                f"({kind}); pass (kernel_size, stride, dilation) tuples for one axis instead"
            )
        return _as_int(f, f"{attr} of {name}", values[0], 1)

    return one_axis("kernel_size"), one_axis("stride"), one_axis("dilation")


# --------------------------------------------------------------------------
# 3. trace: every layer's shapes, parameter count and output-size formula
# --------------------------------------------------------------------------

def _shape_text(shape: Shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"


def _shapes_text(shapes: tuple[Shape, ...]) -> str:
    """``(1, 64, 128)``; several equal inputs as ``3 x (1, 256, 1)``."""
    if len(shapes) > 1 and len(set(shapes)) == 1:
        return f"{len(shapes)} x {_shape_text(shapes[0])}"
    return ", ".join(_shape_text(s) for s in shapes)


def _window_expr(length: int, k: int, s: int, p: int, d: int, ceil_mode: bool = False) -> str:
    """The output-size formula with numbers in; terms that are zero are left out."""
    terms = str(length)
    if p:
        terms += f" + 2*{p}"
    # d(k - 1) + 1 is just k without dilation: keep the common case short.
    terms += f" - {k}" if d == 1 else f" - {d}*({k} - 1) - 1"
    return f"{'ceil' if ceil_mode else 'floor'}(({terms})/{s}) + 1"


def _axes_line(parts: list[tuple[str, str]]) -> str:
    """Join ``(expression, value)`` per spatial axis: ``L = ...``, ``H = W = ...``."""
    names = {1: ("L",), 2: ("H", "W"), 3: ("D", "H", "W")}.get(len(parts))
    if names is None:
        names = tuple(f"dim{i}" for i in range(len(parts)))
    if len(parts) > 1 and len(set(parts)) == 1:
        expr, value = parts[0]
        return " = ".join(names) + (f" = {expr}" if expr else "") + f" = {value}"
    return ", ".join(
        f"{name}" + (f" = {expr}" if expr else "") + f" = {value}" for name, (expr, value) in zip(names, parts)
    )


def _per_axis(value: Any, dims: int) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * dims


def _conv_formula(m: nn.Module, ins: tuple[Shape, ...], outs: tuple[Shape, ...]) -> str:
    dims = len(m.kernel_size)
    spatial = ins[0][-dims:]
    if m.padding == "same":
        return _axes_line([("", f"{n} (padding='same')") for n in spatial])
    pads = (0,) * dims if m.padding == "valid" else m.padding
    return _axes_line([
        (_window_expr(n, k, s, p, d), str(conv_output_length(n, k, s, p, d)))
        for n, k, s, p, d in zip(spatial, m.kernel_size, m.stride, pads, m.dilation)
    ])


def _conv_transpose_formula(m: nn.Module, ins: tuple[Shape, ...], outs: tuple[Shape, ...]) -> str:
    dims = len(m.kernel_size)
    parts = []
    for n, got, k, s, p, op, d in zip(ins[0][-dims:], outs[0][-dims:], m.kernel_size, m.stride,
                                      m.padding, m.output_padding, m.dilation):
        expr = f"({n} - 1)*{s}" + (f" - 2*{p}" if p else "")
        expr += f" + {k}" if d == 1 else f" + {d}*({k} - 1) + 1"
        expr += f" + {op}" if op else ""
        value = conv_transpose_output_length(n, k, s, p, op, d)
        # forward(x, output_size=...) picks another output_padding than the module's.
        parts.append((expr, str(value) if value == got else f"{value} -> {got} (output_size given)"))
    return _axes_line(parts)


def _pool_formula(m: nn.Module, ins: tuple[Shape, ...], outs: tuple[Shape, ...], dims: int) -> str:
    parts = []
    for n, k, s, p, d in zip(ins[0][-dims:], _per_axis(m.kernel_size, dims), _per_axis(m.stride, dims),
                             _per_axis(m.padding, dims), _per_axis(getattr(m, "dilation", 1), dims)):
        value = pool_output_length(n, k, s, p, d, m.ceil_mode)
        text = str(value)
        if m.ceil_mode and value != (n + 2 * p - d * (k - 1) - 1 + s - 1) // s + 1:
            text += " (one less: a window may not start in the right padding)"
        parts.append((_window_expr(n, k, s, p, d, m.ceil_mode), text))
    return _axes_line(parts)


def _adaptive_formula(m: nn.Module, ins: tuple[Shape, ...], outs: tuple[Shape, ...], dims: int) -> str:
    before = " x ".join(str(n) for n in ins[0][-dims:])
    return _axes_line([("", str(n)) for n in outs[0][-dims:]]) + f" (adaptive, from {before})"


def _linear_formula(m: nn.Module, ins: tuple[Shape, ...], outs: tuple[Shape, ...]) -> str:
    return f"{m.in_features} -> {m.out_features}"


def _product_text(dims: Sequence[int]) -> str:
    return " x ".join(str(n) for n in dims)


def _flatten_formula(m: nn.Module, ins: tuple[Shape, ...], outs: tuple[Shape, ...]) -> str:
    rank = len(ins[0])
    start, end = m.start_dim % rank, m.end_dim % rank
    dims = ins[0][start:end + 1]
    return f"{_product_text(dims)} = {math.prod(dims)}" if len(dims) > 1 else ""


def _flatten_concat_formula(m: nn.Module, ins: tuple[Shape, ...], outs: tuple[Shape, ...]) -> str:
    per_sample = [shape[1:] for shape in ins]  # each input is flattened from dim 1
    total = sum(math.prod(dims) for dims in per_sample)
    if len(per_sample) > 1 and len(set(per_sample)) == 1:
        return f"{len(per_sample)} x {_product_text(per_sample[0])} = {total}"
    return " + ".join(_product_text(dims) for dims in per_sample) + f" = {total}"


_FormulaFn = Callable[[nn.Module, tuple[Shape, ...], tuple[Shape, ...]], str]

# Which formula explains each layer type; looked up along the class's MRO, so
# subclasses inherit their parent's entry. Layers that keep the shape have none.
_FORMULAS: dict[type, _FormulaFn] = {
    nn.Conv1d: _conv_formula, nn.Conv2d: _conv_formula, nn.Conv3d: _conv_formula,
    nn.ConvTranspose1d: _conv_transpose_formula,
    nn.ConvTranspose2d: _conv_transpose_formula,
    nn.ConvTranspose3d: _conv_transpose_formula,
    nn.MaxPool1d: partial(_pool_formula, dims=1), nn.AvgPool1d: partial(_pool_formula, dims=1),
    nn.MaxPool2d: partial(_pool_formula, dims=2), nn.AvgPool2d: partial(_pool_formula, dims=2),
    nn.MaxPool3d: partial(_pool_formula, dims=3), nn.AvgPool3d: partial(_pool_formula, dims=3),
    nn.AdaptiveAvgPool1d: partial(_adaptive_formula, dims=1),
    nn.AdaptiveMaxPool1d: partial(_adaptive_formula, dims=1),
    nn.AdaptiveAvgPool2d: partial(_adaptive_formula, dims=2),
    nn.AdaptiveMaxPool2d: partial(_adaptive_formula, dims=2),
    nn.AdaptiveAvgPool3d: partial(_adaptive_formula, dims=3),
    nn.AdaptiveMaxPool3d: partial(_adaptive_formula, dims=3),
    nn.Linear: _linear_formula,
    nn.Flatten: _flatten_formula,
}


def _formula(module: nn.Module, ins: tuple[Shape, ...], outs: tuple[Shape, ...]) -> str:
    if not ins or not outs:
        return ""
    if _is_flatten_concat(module):
        return _flatten_concat_formula(module, ins, outs)
    for cls in type(module).__mro__:
        if cls in _FORMULAS:
            return _FORMULAS[cls](module, ins, outs)
    return ""


@dataclass(frozen=True)
class TraceRow:
    """One call of one module in a :class:`Trace`.

    ``name`` is the dotted module path (``""`` for the model itself); shapes keep
    the batch dimension; ``num_params`` comes from torchinfo and counts the
    module's parameters again on every call of a shared module (``call > 1``).
    """

    name: str
    type: str
    depth: int
    input_shapes: tuple[Shape, ...]
    output_shapes: tuple[Shape, ...]
    num_params: int
    formula: str
    call: int
    calls: int

    @property
    def label(self) -> str:
        """``name``, with ``(call k)`` for modules called more than once."""
        base = self.name or "(model)"
        return f"{base} (call {self.call})" if self.calls > 1 else base

    @property
    def input_shape(self) -> Shape:
        """The input's shape; the first one for modules taking several tensors."""
        return self.input_shapes[0] if self.input_shapes else ()

    @property
    def output_shape(self) -> Shape:
        """The output's shape; the first one for modules returning several tensors."""
        return self.output_shapes[0] if self.output_shapes else ()


_COLUMNS = ("Layer", "Type", "Input shape", "Output shape", "Params", "Output size")
_PARAMS_COLUMN = 4


def _text_table(cells: list[tuple[str, ...]], right_aligned: Sequence[int] = ()) -> str:
    """Fixed-width columns, a rule under the header."""
    widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]

    def line(row: tuple[str, ...]) -> str:
        return "  ".join(
            cell.rjust(w) if i in right_aligned else cell.ljust(w) for i, (cell, w) in enumerate(zip(row, widths))
        ).rstrip()

    return "\n".join([line(cells[0]), "  ".join("-" * w for w in widths), *map(line, cells[1:])])


class Trace:
    """What :func:`trace` saw: one :class:`TraceRow` per module call, in execution order.

    ``str(trace)`` is a fixed-width table, ``trace._repr_html_()`` the same as HTML
    for notebooks, ``trace["conv1"]`` the first call of a module (``trace["pool2
    (call 2)"]`` a later one).
    """

    def __init__(self, model_name: str, rows: list[TraceRow], input_shape: Shape,
                 output_shape: Shape, total_params: int) -> None:
        self.model_name = model_name
        self.rows = rows
        self.input_shape = input_shape
        self.output_shape = output_shape
        self.total_params = total_params

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self) -> Iterator[TraceRow]:
        return iter(self.rows)

    def __getitem__(self, name: str) -> TraceRow:
        for row in self.rows:
            if name in (row.name, row.label):
                return row
        raise KeyError(
            f"Trace.__getitem__: expected a module name among {[row.label for row in self.rows]}, got {name!r}"
        )

    def calls(self, name: str) -> list[TraceRow]:
        """Every row of module ``name``, one per call."""
        return [row for row in self.rows if row.name == name]

    def _cells(self) -> list[tuple[str, ...]]:
        def params(row: TraceRow) -> str:
            if row.num_params == 0:
                return "--"
            return "(recursive)" if row.call > 1 else f"{row.num_params:,}"  # as torchinfo shows it

        return [
            (row.label, row.type, _shapes_text(row.input_shapes), _shapes_text(row.output_shapes),
             params(row), row.formula)
            for row in self.rows
        ]

    def _footer(self) -> str:
        return (f"{self.model_name}: input {_shape_text(self.input_shape)} -> output "
                f"{_shape_text(self.output_shape)}, {self.total_params:,} parameters (torchinfo); "
                "shapes include the batch dimension")

    def __str__(self) -> str:
        return _text_table([_COLUMNS, *self._cells()], right_aligned=(_PARAMS_COLUMN,)) + "\n" + self._footer()

    __repr__ = __str__

    def _repr_html_(self) -> str:
        def cell(tag: str, text: str, i: int) -> str:
            style = ' style="text-align:right"' if i == _PARAMS_COLUMN else ""
            body = html.escape(text)
            if i == len(_COLUMNS) - 1 and text and tag == "td":
                body = f"<code>{body}</code>"
            return f"<{tag}{style}>{body}</{tag}>"

        head = "".join(cell("th", name, i) for i, name in enumerate(_COLUMNS))
        body = "\n".join(
            "<tr>" + "".join(cell("td", text, i) for i, text in enumerate(row)) + "</tr>" for row in self._cells()
        )
        return (
            '<table class="ghostedu-trace">\n'
            f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody>\n"
            f'<tfoot><tr><td colspan="{len(_COLUMNS)}">{html.escape(self._footer())}</td></tr></tfoot>\n'
            "</table>"
        )


def _tensors(value: Any) -> Iterator[torch.Tensor]:
    """Every tensor inside nested tuples, lists and dicts."""
    if isinstance(value, torch.Tensor):
        yield value
    elif isinstance(value, (tuple, list)):
        for item in value:
            yield from _tensors(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _tensors(item)


def _shapes(value: Any) -> tuple[Shape, ...]:
    return tuple(tuple(t.shape) for t in _tensors(value))


def _device_and_dtype(model: nn.Module) -> tuple[torch.device, torch.dtype]:
    """Where and in which float type the model computes (CPU float32 if it cannot tell)."""
    for tensor in (*model.parameters(), *model.buffers()):
        if tensor.is_floating_point():
            return tensor.device, tensor.dtype
    return torch.device("cpu"), torch.get_default_dtype()


@contextlib.contextmanager
def _evaluating(model: nn.Module) -> Iterator[None]:
    """Eval mode and no autograd for one look at the model; its modes restored after."""
    # Per module: a model may train while keeping, say, a frozen BatchNorm in eval mode.
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for module, training in modes:
            module.training = training


@dataclass
class _Call:
    module: nn.Module
    name: str
    depth: int
    input_shapes: tuple[Shape, ...]
    output_shapes: tuple[Shape, ...] = ()


def trace(model: nn.Module, input_size: Sequence[int], depth: int | None = None) -> Trace:
    """Run ``model`` once and tabulate every layer: shapes, parameters, output-size formula.

    ``input_size`` includes the batch dimension, e.g. ``(1, 1, 1024)``; the input is
    zeros (shapes do not depend on values) on the model's device, and the model
    runs in eval mode under ``torch.no_grad()``, its training mode restored after.

    Rows follow execution order, one per call, so a module used three times gets
    three rows. With ``depth=None`` they are the leaf modules; with ``depth=d``
    modules at depth ``d`` stand for everything they call, like torchinfo's
    ``depth`` (the model is depth 0, its children depth 1). Operations written
    as functions in ``forward`` (``F.relu``) are not modules and get no row.

    Parameter counts come from ``torchinfo.summary`` (which runs the forward
    pass); shapes and formulas from forward hooks registered alongside it.
    Chapter "Convolution arithmetic".
    """
    f = "trace"
    if isinstance(input_size, (str, bytes)) or not isinstance(input_size, Sequence) or not input_size:
        raise ValueError(f"{f}: expected input_size as a sequence of ints like (1, 1, 1024), got {input_size!r}")
    size = tuple(_as_int(f, "every entry of input_size", n, 1) for n in input_size)
    if depth is not None:
        depth = _as_int(f, "depth", depth, 0)

    names = {id(m): name for name, m in model.named_modules()}
    calls: list[_Call] = []
    open_calls: list[_Call | None] = []  # None: a call hidden inside a shown one
    model_output: list[tuple[Shape, ...]] = []

    def shown(module: nn.Module, module_depth: int) -> bool:
        is_leaf = not any(True for _ in module.children())
        if depth is None:
            return is_leaf
        return module_depth == depth or (is_leaf and module_depth < depth)

    def before(module: nn.Module, args: tuple) -> None:
        name = names[id(module)]
        module_depth = 0 if name == "" else name.count(".") + 1
        if shown(module, module_depth) and not any(c is not None for c in open_calls):
            calls.append(_Call(module, name, module_depth, _shapes(args)))
            open_calls.append(calls[-1])
        else:
            open_calls.append(None)

    def after(module: nn.Module, args: tuple, output: Any) -> None:
        call = open_calls.pop()
        if call is not None:
            call.output_shapes = _shapes(output)
        if module is model:
            model_output.append(_shapes(output))

    handles = []
    for module in model.modules():
        handles.append(module.register_forward_pre_hook(before))
        handles.append(module.register_forward_hook(after))
    device, dtype = _device_and_dtype(model)
    try:
        with _evaluating(model):
            stats = torchinfo.summary(
                model, input_data=torch.zeros(size, device=device, dtype=dtype),
                depth=depth if depth is not None else 100, verbose=0,
            )
    except RuntimeError as error:
        cause = error.__cause__ or error
        raise ValueError(
            f"{f}: expected a model that runs on an input of size {size}, got an error: {cause}"
        ) from error
    finally:
        for handle in handles:
            handle.remove()

    params: dict[int, int] = {}
    for info in stats.summary_list:
        params.setdefault(info.layer_id, info.num_params)
    totals: dict[int, int] = {}
    for call in calls:
        totals[id(call.module)] = totals.get(id(call.module), 0) + 1
    seen: dict[int, int] = {}
    rows = []
    for call in calls:
        key = id(call.module)
        seen[key] = seen.get(key, 0) + 1
        rows.append(TraceRow(
            name=call.name, type=type(call.module).__name__, depth=call.depth,
            input_shapes=call.input_shapes, output_shapes=call.output_shapes,
            num_params=params.get(key, 0),
            formula=_formula(call.module, call.input_shapes, call.output_shapes),
            call=seen[key], calls=totals[key],
        ))
    out_shapes = model_output[0] if model_output else ()
    return Trace(type(model).__name__, rows, size, out_shapes[0] if out_shapes else (), stats.total_params)


# --------------------------------------------------------------------------
# 4. Which input lengths does a 1D model accept?
# --------------------------------------------------------------------------
#
# One forward pass at a sample length records, for every tensor, which layer
# last changed its length (its "origin"). That gives a small graph: the input,
# then one node per conv/pool call, then concatenations of flattened branches.
# Each node turns an input length into a size with the formulas of part 1, so
# the features reaching the first nn.Linear can be computed for every length
# without running the model again.

class _Unsupported(Exception):
    """The length path holds something the formulas here do not model."""


@dataclass(eq=False)
class _Source:
    """The model input: its length is the length we ask about."""

    observed: int

    def size(self, length: int, memo: dict) -> int:
        return length


@dataclass(eq=False)
class _Window:
    """A conv/pool call: the length after it, from the length before it."""

    parent: Any
    name: str
    length_of: Callable[[int], int]
    observed: int

    def size(self, length: int, memo: dict) -> int:
        if self not in memo:  # branches share the trunk: compute it once per length
            memo[self] = self.length_of(self.parent.size(length, memo))
        return memo[self]


@dataclass(eq=False)
class _Concat:
    """Flattened tensors side by side: ``sum(features per position * length)``."""

    parts: tuple[tuple[Any, int], ...]  # (origin or None for a constant block, multiplier)
    observed: int

    def size(self, length: int, memo: dict) -> int:
        return sum(factor * (1 if node is None else node.size(length, memo)) for node, factor in self.parts)


@dataclass(eq=False)
class _Unmodelled:
    """A length change (or a merge) that none of the formulas here describes."""

    reason: str
    observed: int

    def size(self, length: int, memo: dict) -> int:
        raise _Unsupported(self.reason)


_Node = Union[_Source, _Window, _Concat, _Unmodelled]


def _first(value: Any) -> Any:
    return value[0] if isinstance(value, (tuple, list)) else value


def _conv_length(m: nn.Conv1d) -> Callable[[int], int]:
    if m.padding == "same":
        return lambda length: length
    padding = 0 if m.padding == "valid" else m.padding[0]
    return partial(conv_output_length, kernel_size=m.kernel_size[0], stride=m.stride[0],
                   padding=padding, dilation=m.dilation[0])


def _conv_transpose_length(m: nn.ConvTranspose1d) -> Callable[[int], int]:
    return partial(conv_transpose_output_length, kernel_size=m.kernel_size[0], stride=m.stride[0],
                   padding=m.padding[0], output_padding=m.output_padding[0], dilation=m.dilation[0])


def _pool_length(m: nn.Module) -> Callable[[int], int]:
    return partial(pool_output_length, kernel_size=_first(m.kernel_size), stride=_first(m.stride),
                   padding=_first(m.padding), dilation=_first(getattr(m, "dilation", 1)),
                   ceil_mode=m.ceil_mode)


def _adaptive_length(m: nn.Module) -> Callable[[int], int]:
    size = _first(m.output_size)
    return (lambda length: length) if size is None else (lambda length: size)


# How each 1D layer type changes the length (looked up along the class's MRO).
_LENGTH_RULES: dict[type, Callable[[nn.Module], Callable[[int], int]]] = {
    nn.Conv1d: _conv_length,
    nn.ConvTranspose1d: _conv_transpose_length,
    nn.MaxPool1d: _pool_length,
    nn.AvgPool1d: _pool_length,
    nn.AdaptiveAvgPool1d: _adaptive_length,
    nn.AdaptiveMaxPool1d: _adaptive_length,
}
_CONCATS = (torch.cat, torch.concat, torch.concatenate)


def _length_rule(module: nn.Module) -> Callable[[nn.Module], Callable[[int], int]] | None:
    return next((_LENGTH_RULES[c] for c in type(module).__mro__ if c in _LENGTH_RULES), None)


def _concat_node(pieces: list[tuple[_Node | None, torch.Tensor]]) -> _Node:
    """A concatenation of tensors flattened from dim 1."""
    parts = []
    for node, tensor in pieces:
        features = math.prod(tensor.shape[1:])
        if node is None:
            parts.append((None, features))
        elif isinstance(node, _Unmodelled):
            return node
        elif node.observed == 0 or features % node.observed:
            return _Unmodelled(f"a concatenated tensor of shape {tuple(tensor.shape)} is not a whole number "
                               f"of positions of length {node.observed}", features)
        else:
            parts.append((node, features // node.observed))
    return _Concat(tuple(parts), sum(math.prod(t.shape[1:]) for _, t in pieces))


class _Lineage(TorchFunctionMode):
    """Remembers, for every tensor of one forward pass, the node that set its size.

    Every torch function passes its input's origin on to its outputs, so the
    chain survives functional steps such as ``F.relu`` or ``x.flatten(1)``.
    """

    def __init__(self) -> None:
        super().__init__()
        self._origin: dict[int, _Node] = {}
        self._alive: list[torch.Tensor] = []  # an id() is unique only while its tensor lives

    def tag(self, value: Any, node: _Node) -> None:
        for tensor in _tensors(value):
            self._origin[id(tensor)] = node
            self._alive.append(tensor)

    def origin(self, tensor: torch.Tensor) -> _Node | None:
        return self._origin.get(id(tensor))

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[no-untyped-def]
        kwargs = kwargs or {}
        result = func(*args, **kwargs)
        parents = []
        for tensor in _tensors((args, kwargs)):
            node = self.origin(tensor)
            if node is not None and all(node is not p for p in parents):
                parents.append(node)
        if parents:
            self.tag(result, self._follow(func, args, kwargs, parents, result))
        return result

    def _follow(self, func: Any, args: tuple, kwargs: dict, parents: list[_Node], result: Any) -> _Node:
        what = getattr(func, "__name__", repr(func))
        if func in _CONCATS:
            tensors = list(_tensors(args[0] if args else kwargs.get("tensors", ())))
            dim = args[1] if len(args) > 1 else kwargs.get("dim", 0)
            if all(t.dim() == 2 for t in tensors) and dim in (1, -1):  # flattened branches
                return _concat_node([(self.origin(t), t) for t in tensors])
        if len(parents) > 1:
            return _Unmodelled(f"{what} combines several branches; only a concatenation of flattened "
                               "branches (FlattenConcat) is modelled", 0)
        parent = parents[0]
        # Sizes of concatenations are feature counts, not lengths; an unmodelled
        # node keeps its first explanation.
        if isinstance(parent, (_Source, _Window)):
            for tensor in _tensors(result):
                # A length change inside a known module is replaced by its node
                # when the module returns; anywhere else it is unexplained.
                if tensor.dim() >= 3 and tensor.shape[-1] != parent.observed:
                    return _Unmodelled(f"{what} changed the length {parent.observed} -> {tensor.shape[-1]} "
                                       "outside the layers whose formulas are known", tensor.shape[-1])
        return parent


class _ReachedLinear(Exception):
    """Raised by a hook to stop the forward pass at the first nn.Linear."""


class _Reentered(Exception):
    """accepted_input_lengths was called on a model from inside that model's sample run.

    A model may do this to explain a wrong input length; the exception ends the
    inner call at once and the outer run uses what it has recorded.
    """


_SAMPLING = threading.local()  # ids of the models whose sample run is under way, per thread


def accepted_input_lengths(model: nn.Module, max_length: int = 8192, *, in_channels: int | None = None) -> range:
    """Input lengths ``L`` in ``1..max_length`` for which ``(N, C, L)`` reaches the first nn.Linear with
    exactly its ``in_features``.

    Assumption: along the way from the input to the first ``nn.Linear`` called,
    the length changes only in ``Conv1d``, ``ConvTranspose1d``, ``MaxPool1d``,
    ``AvgPool1d`` and adaptive 1D pools, and branches meet only where flattened
    tensors are concatenated (a ``FlattenConcat`` module or ``torch.cat`` of 2D
    tensors along dim 1). Element-wise steps (``F.relu``, batch norm, ``flatten``)
    may sit anywhere. Anything else on the way raises ValueError.

    The model runs once, on zeros of length ``max_length`` (the longest, so every
    layer has room), up to that Linear; the recorded chain of layers then gives
    ``sum(C_branch * L_branch(L))`` for every ``L`` by integer arithmetic. A model
    may check its feature count itself and fail before calling the Linear: then
    the last FlattenConcat output recorded is taken as the input of the model's
    first registered nn.Linear. Each formula never decreases with ``L``, so the
    accepted lengths form a range; ValueError if none is accepted. ``in_channels``
    defaults to the first ``Conv1d``'s. Chapter "The multi-scale 1D CNN".
    """
    f = "accepted_input_lengths"
    max_length = _as_int(f, "max_length", max_length, 1)
    if not any(isinstance(m, nn.Linear) for m in model.modules()):
        raise ValueError(f"{f}: expected a model containing an nn.Linear, got {type(model).__name__} without one")
    if in_channels is None:
        first_conv = next((m for m in model.modules() if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d))), None)
        if first_conv is None:
            raise ValueError(f"{f}: expected a model with an nn.Conv1d to take in_channels from, got none; "
                             "pass in_channels")
        in_channels = first_conv.in_channels
    in_channels = _as_int(f, "in_channels", in_channels, 1)

    name, linear, features = _features_graph(f, model, in_channels, max_length)
    try:
        features.size(max_length, {})  # the sample length: every node is reached
    except _Unsupported as error:
        raise ValueError(f"{f}: on the way to {name}: {error}") from None

    target = linear.in_features
    accepted, counts = [], {}
    for length in range(1, max_length + 1):
        try:
            counts[length] = features.size(length, {})
        except ValueError:  # some layer has no room at this length
            continue
        if counts[length] == target:
            accepted.append(length)
    if not accepted:
        shortest = min(counts)  # every longer length has room too
        raise ValueError(
            f"{f}: expected some input length in 1..{max_length} to give {name} its in_features={target}, "
            f"got none: lengths {shortest}..{max_length} give {counts[shortest]}..{counts[max_length]} features"
        )
    return _contiguous_range(f, accepted)


def _contiguous_range(func: str, lengths: list[int]) -> range:
    """``lengths`` (sorted, non-empty) as a range, or ValueError if it has gaps."""
    runs: list[list[int]] = []
    for length in lengths:
        if runs and length == runs[-1][1] + 1:
            runs[-1][1] = length
        else:
            runs.append([length, length])
    if len(runs) > 1:
        shown = ", ".join(f"{a}..{b}" for a, b in runs[:5]) + (", ..." if len(runs) > 5 else "")
        raise ValueError(f"{func}: expected the accepted lengths to be contiguous, got {len(runs)} "
                         f"separate runs: {shown}")
    return range(runs[0][0], runs[0][1] + 1)


def _features_graph(func: str, model: nn.Module, in_channels: int,
                    length: int) -> tuple[str, nn.Linear, _Node]:
    """Run ``model`` once on ``(1, in_channels, length)`` up to its first Linear.

    Returns that Linear, named, and the node giving its input size for any length.
    """
    running = _SAMPLING.__dict__.setdefault("ids", set())
    if id(model) in running:
        raise _Reentered
    lineage = _Lineage()
    reached: list[tuple[str, nn.Linear, _Node]] = []
    concats: list[_Node] = []
    names = {id(m): name for name, m in model.named_modules()}

    def after_window(module: nn.Module, args: tuple, output: Any) -> None:
        parent = lineage.origin(args[0]) if args and isinstance(args[0], torch.Tensor) else None
        if parent is None:
            return  # this layer does not depend on the input
        length_of = _length_rule(module)(module)
        seen_in, seen_out = args[0].shape[-1], output.shape[-1]
        try:
            explained = length_of(seen_in) == seen_out
        except ValueError:
            explained = False
        lineage.tag(output, _Window(parent, names[id(module)], length_of, seen_out) if explained else
                    _Unmodelled(f"{names[id(module)]} ({type(module).__name__}) turned length {seen_in} into "
                                f"{seen_out}, which its formula does not give", seen_out))

    def after_concat(module: nn.Module, args: tuple, output: Any) -> None:
        tensors = list(_tensors(args))
        if any(lineage.origin(t) is not None for t in tensors):
            concats.append(_concat_node([(lineage.origin(t), t) for t in tensors]))
            lineage.tag(output, concats[-1])

    def before_linear(module: nn.Linear, args: tuple) -> None:
        x = args[0]
        origin = lineage.origin(x)
        name = f"{names[id(module)]} ({type(module).__name__})"
        if origin is None:
            node: _Node = _Unmodelled(f"the input of {name} does not depend on the model's input", 0)
        elif x.dim() != 2:
            node = _Unmodelled(f"expected {name} to receive flattened (N, features) input, "
                               f"got shape {tuple(x.shape)}", 0)
        else:
            node = origin if isinstance(origin, _Concat) else _concat_node([(origin, x)])
        reached.append((name, module, node))
        raise _ReachedLinear

    handles = []
    for module in model.modules():
        if isinstance(module, nn.Linear):
            handles.append(module.register_forward_pre_hook(before_linear))
        elif _is_flatten_concat(module):
            handles.append(module.register_forward_hook(after_concat))
        elif _length_rule(module) is not None:
            handles.append(module.register_forward_hook(after_window))

    device, dtype = _device_and_dtype(model)
    x = torch.zeros(1, in_channels, length, device=device, dtype=dtype)
    lineage.tag(x, _Source(length))
    running.add(id(model))
    try:
        with _evaluating(model), lineage:
            model(x)
    except _ReachedLinear:
        pass
    except Exception as error:  # the model's own complaint, e.g. about its feature count
        if not concats:
            raise ValueError(f"{func}: expected the model to run on a sample input of shape {tuple(x.shape)} "
                             f"up to its first nn.Linear, got an error: {error}") from error
        # The concatenated features were recorded before the failure: they are
        # what the Linear would have received.
        linear_name, linear = next((n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear))
        reached.append((f"{linear_name} ({type(linear).__name__})", linear, concats[-1]))
    finally:
        running.discard(id(model))
        for handle in handles:
            handle.remove()
    if not reached:
        raise ValueError(f"{func}: expected the forward pass to call an nn.Linear, got none called "
                         f"for an input of shape {tuple(x.shape)}")
    return reached[0]
