"""Parameter and multiply-add counts, taken from torchinfo and ``torch.utils.flop_counter``.

Used by every chapter. Two different multiply-add counts exist and the book always says which:

* ``count_macs`` -- ``torch.utils.flop_counter`` FLOPs / 2: convolutions, linear layers and matrix
  products only (the count papers quote).
* torchinfo's "mult-adds" (shown by ``summary``) -- also counts BatchNorm, and skips functional ops
  such as the squeeze-and-excitation multiply.
"""
from __future__ import annotations

from collections.abc import Sequence

import torch
import torchinfo
from torch import nn
from torch.utils.flop_counter import FlopCounterMode


def count_params(model: nn.Module) -> int:
    """Total number of parameters of ``model``, as torchinfo counts them."""
    return torchinfo.summary(model, verbose=0).total_params


def _forward_flops(model: nn.Module, inputs: Sequence[torch.Tensor]) -> FlopCounterMode:
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(*inputs)
    finally:
        model.train(was_training)
    return counter


def _as_inputs(model: nn.Module, input_size) -> list[torch.Tensor]:
    """A zero tensor of ``input_size`` (or several, for a list of sizes) on the model's device."""
    try:
        dev = next(model.parameters()).device
    except StopIteration:
        dev = torch.device("cpu")
    sizes = input_size if isinstance(input_size[0], (tuple, list)) else [input_size]
    return [torch.zeros(*s, device=dev) for s in sizes]


def count_macs(model: nn.Module, input_size: Sequence[int]) -> int:
    """Multiply-adds of one forward pass on a zero input of ``input_size`` (batch included),
    as ``torch.utils.flop_counter`` FLOPs / 2 (convolutions, linear layers, matmuls)."""
    return _forward_flops(model, _as_inputs(model, input_size)).get_total_flops() // 2


def macs_by_module(model: nn.Module, input_size: Sequence[int]) -> dict[str, int]:
    """Multiply-adds (flop_counter FLOPs / 2) per module name, e.g. ``{"features.1.3": 25690112, ...}``.

    Every module in the hierarchy appears (parents include their children); the whole model is ``""``.
    """
    counts = _forward_flops(model, _as_inputs(model, input_size)).get_flop_counts()
    out = {}
    for name, by_op in counts.items():
        key = "" if name == "Global" else name.split(".", 1)[1] if "." in name else ""
        out[key] = sum(by_op.values()) // 2
    return out


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
    kwargs.setdefault("col_names", ("input_size", "output_size", "num_params", "mult_adds"))
    stats = torchinfo.summary(model, input_size=input_size, depth=depth, verbose=0, **kwargs)
    return Summary(stats)
