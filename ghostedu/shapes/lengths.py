"""Which input lengths a 1D model accepts, found from the formulas.

Explained in the chapter "The multi-scale 1D CNN".
"""
from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Union

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from .arithmetic import (
    _as_int,
    _is_flatten_concat,
    conv_output_length,
    conv_transpose_output_length,
    pool_output_length,
)
from .tracing import _tensors, _device_and_dtype, _evaluating


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
