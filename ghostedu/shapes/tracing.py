"""``trace``: every layer's shapes, parameter count and output-size formula.

Used by every chapter; introduced in "A first look".
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

import torch
import torchinfo
from torch import nn

from ..checks import check_int, check_module, check_size
from ..tables import Table, Tabular
from ..utils import evaluating, zeros_input
from .arithmetic import (
    Shape,
    _is_flatten_concat,
    conv_output_length,
    conv_transpose_output_length,
    output_length_formula,
    pool_output_length,
)


def _shape_text(shape: Shape) -> str:
    return "(" + ", ".join(str(n) for n in shape) + ")"


def _shapes_text(shapes: tuple[Shape, ...]) -> str:
    """``(1, 64, 128)``; several equal inputs as ``3 x (1, 256, 1)``."""
    if len(shapes) > 1 and len(set(shapes)) == 1:
        return f"{len(shapes)} x {_shape_text(shapes[0])}"
    return ", ".join(_shape_text(s) for s in shapes)


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
    return _axes_line(
        [
            (output_length_formula(n, k, s, p, d), str(conv_output_length(n, k, s, p, d)))
            for n, k, s, p, d in zip(spatial, m.kernel_size, m.stride, pads, m.dilation)
        ]
    )


def _conv_transpose_formula(m: nn.Module, ins: tuple[Shape, ...], outs: tuple[Shape, ...]) -> str:
    dims = len(m.kernel_size)
    parts = []
    for n, got, k, s, p, op, d in zip(
        ins[0][-dims:], outs[0][-dims:], m.kernel_size, m.stride, m.padding, m.output_padding, m.dilation
    ):
        expr = f"({n} - 1)*{s}" + (f" - 2*{p}" if p else "")
        expr += f" + {k}" if d == 1 else f" + {d}*({k} - 1) + 1"
        expr += f" + {op}" if op else ""
        value = conv_transpose_output_length(n, k, s, p, op, d)
        # forward(x, output_size=...) picks another output_padding than the module's.
        parts.append((expr, str(value) if value == got else f"{value} -> {got} (output_size given)"))
    return _axes_line(parts)


def _pool_formula(m: nn.Module, ins: tuple[Shape, ...], outs: tuple[Shape, ...], dims: int) -> str:
    parts = []
    for n, k, s, p, d in zip(
        ins[0][-dims:],
        _per_axis(m.kernel_size, dims),
        _per_axis(m.stride, dims),
        _per_axis(m.padding, dims),
        _per_axis(getattr(m, "dilation", 1), dims),
    ):
        value = pool_output_length(n, k, s, p, d, bool(m.ceil_mode))
        text = str(value)
        if m.ceil_mode and value != (n + 2 * p - d * (k - 1) - 1 + s - 1) // s + 1:
            text += " (one less: a window may not start in the right padding)"
        parts.append((output_length_formula(n, k, s, p, d, bool(m.ceil_mode)), text))
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
    dims = ins[0][start : end + 1]
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
    nn.Linear: _linear_formula,
    nn.Flatten: _flatten_formula,
    **{getattr(nn, f"Conv{d}d"): _conv_formula for d in (1, 2, 3)},
    **{getattr(nn, f"ConvTranspose{d}d"): _conv_transpose_formula for d in (1, 2, 3)},
    **{getattr(nn, f"{k}Pool{d}d"): partial(_pool_formula, dims=d) for d in (1, 2, 3) for k in ("Max", "Avg")},
    **{
        getattr(nn, f"Adaptive{k}Pool{d}d"): partial(_adaptive_formula, dims=d)
        for d in (1, 2, 3)
        for k in ("Max", "Avg")
    },
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


class Trace(Tabular):
    """What :func:`trace` saw: one :class:`TraceRow` per module call, in execution order.

    ``str(trace)`` is a fixed-width table, ``trace._repr_html_()`` the same as HTML
    for notebooks, ``trace["conv1"]`` the first call of a module (``trace["pool2
    (call 2)"]`` a later one).
    """

    def __init__(
        self, model_name: str, rows: list[TraceRow], input_shape: Shape, output_shape: Shape, total_params: int
    ) -> None:
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

    def table(self) -> Table:
        """The rows as a :class:`~ghostedu.tables.Table`, the model's input, output and parameters below."""

        def params(row: TraceRow) -> str:
            if row.num_params == 0:
                return "--"
            return "(recursive)" if row.call > 1 else f"{row.num_params:,}"  # as torchinfo shows it

        cells = [
            (
                row.label,
                row.type,
                _shapes_text(row.input_shapes),
                _shapes_text(row.output_shapes),
                params(row),
                row.formula,
            )
            for row in self.rows
        ]
        footer = (
            f"{self.model_name}: input {_shape_text(self.input_shape)} -> output "
            f"{_shape_text(self.output_shape)}, {self.total_params:,} parameters (torchinfo); "
            "shapes include the batch dimension"
        )
        return Table(_COLUMNS, cells, right=(4,), code=(5,), footer=footer, css_class="ghostedu-trace")


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


def _failure(
    model: nn.Module,
    names: dict[int, str],
    size: Shape,
    running: list[tuple[nn.Module, tuple[Shape, ...]]],
    finished: list[nn.Module],
    error: Exception,
) -> Exception:
    """The error of :func:`trace` when ``model`` fails: it names the innermost module still running
    (or, when the model fails in its own ``forward`` between layers, the last layer that returned)."""

    def label(module: nn.Module) -> str:
        return f"{names.get(id(module)) or '(model)'} ({type(module).__name__})"

    where = "before its first layer"
    if running and running[-1][0] is not model:
        module, shapes = running[-1]
        where = f"layer {label(module)}, whose input is {_shapes_text(shapes)}"
    elif running or finished:
        after = f", after {label(finished[0])}" if finished and finished[0] is not model else ""
        where = f"the forward of {type(model).__name__}{after}"
    message = f"trace: the model fails in {where}, on an input of size {_shape_text(size)}: {error}"
    return (TypeError if isinstance(error, TypeError) else ValueError)(message)


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
    check_module(f, model)
    size = check_size(f, "input_size", input_size)
    if depth is not None:
        depth = check_int(f, "depth", depth, 0)

    names = {id(m): name for name, m in model.named_modules()}
    calls: list[_Call] = []
    open_calls: list[_Call | None] = []  # None: a call hidden inside a shown one
    model_output: list[tuple[Shape, ...]] = []
    running: list[tuple[nn.Module, tuple[Shape, ...]]] = []  # the modules entered and not yet left
    finished: list[nn.Module] = []  # the last module that returned

    def shown(module: nn.Module, module_depth: int) -> bool:
        is_leaf = not any(True for _ in module.children())
        if depth is None:
            return is_leaf
        return module_depth == depth or (is_leaf and module_depth < depth)

    def before(module: nn.Module, args: tuple) -> None:
        name = names[id(module)]
        module_depth = 0 if name == "" else name.count(".") + 1
        running.append((module, _shapes(args)))
        if shown(module, module_depth) and not any(c is not None for c in open_calls):
            calls.append(_Call(module, name, module_depth, _shapes(args)))
            open_calls.append(calls[-1])
        else:
            open_calls.append(None)

    def after(module: nn.Module, args: tuple, output: Any) -> None:
        while running and running.pop()[0] is not module:  # a call that raised and was caught inside
            open_calls.pop()
        finished[:] = [module]
        call = open_calls.pop()
        if call is not None:
            call.output_shapes = _shapes(output)
        if module is model:
            model_output.append(_shapes(output))

    handles = []
    for module in model.modules():
        handles.append(module.register_forward_pre_hook(before))
        handles.append(module.register_forward_hook(after))
    try:
        with evaluating(model):
            stats = torchinfo.summary(
                model, input_data=zeros_input(model, size), depth=depth if depth is not None else 100, verbose=0
            )
    except Exception as error:  # torchinfo wraps the model's own error in a RuntimeError
        cause = error.__cause__ if isinstance(error.__cause__, Exception) else error
        raise _failure(model, names, size, running, finished, cause) from cause
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
        rows.append(
            TraceRow(
                name=call.name,
                type=type(call.module).__name__,
                depth=call.depth,
                input_shapes=call.input_shapes,
                output_shapes=call.output_shapes,
                num_params=params.get(key, 0),
                formula=_formula(call.module, call.input_shapes, call.output_shapes),
                call=seen[key],
                calls=totals[key],
            )
        )
    out_shapes = model_output[0] if model_output else ()
    return Trace(type(model).__name__, rows, size, out_shapes[0] if out_shapes else (), stats.total_params)
