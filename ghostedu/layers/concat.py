"""Flatten several branch outputs and join them: the step where the 1D ``Net`` makes ``256*3``.

Explained in the chapter "The multi-scale 1D CNN".
"""

from __future__ import annotations

import torch
from torch import nn


class FlattenConcat(nn.Module):
    """Flatten each input from dim 1 and concatenate along dim 1.

    Inputs: tensors ``(N, C_i, L_i)`` (any trailing shape); output ``(N, sum_i C_i * L_i)``.
    For ``Net`` three ``(N, 256, 1)`` branch outputs give ``(N, 768)``.
    A module rather than a bare ``torch.cat`` so that ``ghostedu.shapes.trace`` shows it as a row.
    """

    concat_dim = 1

    def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
        return torch.cat([t.flatten(1) for t in tensors], dim=self.concat_dim)
