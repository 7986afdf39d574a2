"""Argument checks shared by the layers: each error names the layer, what it expected and what it got."""
from __future__ import annotations

import torch


def check_positive_int(layer: str, name: str, value) -> None:
    """Raise ``ValueError`` unless ``value`` is an int >= 1 (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{layer}: expected {name} to be a positive integer, got {value!r}")


def check_input(layer: str, x: torch.Tensor, dims: int, channels: int | None = None) -> None:
    """Raise ``ValueError`` unless ``x`` is a tensor of ``dims`` dimensions with ``channels`` in dim 1.

    ``dims`` counts the batch dimension: 4 for ``(N, C, H, W)``, 3 for ``(N, C, L)``.
    Under ``torch.fx.symbolic_trace`` and ``torch.jit.trace`` it checks nothing (the shapes are
    not known there); ``torch.export`` and ``torch.compile`` run it on real shapes.
    """
    # A tracer records the forward pass with stand-ins whose shapes are symbolic (torch.fx's Proxy)
    # or recorded as graph values (torch.jit.trace, the legacy ONNX exporter): nothing to check.
    if isinstance(x, torch.fx.Proxy) or torch.jit.is_tracing():
        return
    layout = {3: "(N, C, L)", 4: "(N, C, H, W)"}.get(dims, f"{dims}-D")
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{layer}: expected a torch.Tensor shaped {layout}, got {type(x).__name__}")
    if x.dim() != dims:
        raise ValueError(
            f"{layer}: expected a {dims}-D input shaped {layout}, got a {x.dim()}-D tensor of shape {tuple(x.shape)}"
        )
    if channels is not None and x.shape[1] != channels:
        raise ValueError(
            f"{layer}: expected {channels} input channels (dim 1 of {layout}), got {x.shape[1]} in shape {tuple(x.shape)}"
        )
