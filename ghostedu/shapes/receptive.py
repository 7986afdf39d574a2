"""Receptive field of a stack of layers.

Explained in the chapters "Convolution arithmetic" and "Dilated (atrous) convolution".
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Union

from torch import nn

from ..checks import check_int
from ..tables import Table, Tabular
from .arithmetic import _ADAPTIVE_POOLS, _CONV_TRANSPOSES, _is_flatten_concat, effective_kernel_size

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


@dataclass(frozen=True, repr=False)
class ReceptiveField(Tabular):
    """Result of :func:`receptive_field`: one step per layer and the final values; prints as a
    table (text, or HTML in a notebook)."""

    layers: tuple[ReceptiveFieldStep, ...]
    receptive_field: int
    jump: int

    def table(self) -> Table:
        """One row per layer: its window and the receptive field and jump after it."""
        rows = [(st.name, st.kernel_size, st.stride, st.dilation, st.receptive_field, st.jump) for st in self.layers]
        return Table(("layer", "k", "s", "d", "receptive field", "jump"), rows, right=range(1, 6))


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
            yield (
                name,
                check_int(f, f"kernel_size of layer {name}", k, 1),
                check_int(f, f"stride of layer {name}", s, 1),
                check_int(f, f"dilation of layer {name}", d, 1),
            )
        else:
            raise ValueError(
                f"{f}: expected (kernel_size, stride[, dilation]) tuples or modules, got {item!r} at position {name}"
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
        return check_int(f, f"{attr} of {name}", values[0], 1)

    return one_axis("kernel_size"), one_axis("stride"), one_axis("dilation")
