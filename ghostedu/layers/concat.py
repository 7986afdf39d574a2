"""Flatten several branch outputs and join them: the step where the 1D ``Net`` makes ``256*3``.

Explained in the chapter "The multi-scale 1D CNN".
"""

from __future__ import annotations

import torch
from torch import nn

from ..checks import tracing


class FlattenConcat(nn.Module):
    """Flatten each input from dim 1 and concatenate along dim 1.

    Inputs: tensors ``(N, C_i, L_i)`` (any trailing shape); output ``(N, sum_i C_i * L_i)``.
    For ``Net`` three ``(N, 256, 1)`` branch outputs give ``(N, 768)``.
    A module rather than a bare ``torch.cat`` so that ``ghostedu.shapes.trace`` shows it as a row.
    Inputs that are not tensors, or whose batch sizes differ, are an error naming ``FlattenConcat``.
    """

    concat_dim = 1

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        if not tracing(*tensors):  # a tracer's stand-ins have no shapes to check
            _check_batch(tensors)
        return torch.cat([t.flatten(1) for t in tensors], dim=self.concat_dim)


def _check_batch(tensors: tuple) -> None:
    """Tensors with a batch dimension, all of one batch size."""
    if not tensors or not all(isinstance(t, torch.Tensor) and t.dim() >= 1 for t in tensors):
        got = ", ".join(type(t).__name__ for t in tensors) or "nothing"
        raise TypeError(f"FlattenConcat: expected torch.Tensors with a batch dimension, got {got}")
    # compared pairwise, not in a set: under torch.export a batch size is a symbol, never hashed
    if any(t.shape[0] != tensors[0].shape[0] for t in tensors[1:]):
        raise ValueError(
            "FlattenConcat: expected tensors with the same batch size (dim 0), got shapes "
            + ", ".join(str(tuple(t.shape)) for t in tensors)
        )
