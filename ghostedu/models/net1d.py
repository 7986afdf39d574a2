"""The seed's multi-scale 1D CNN for 4-class vibration signals (``class Net``).

Explained in the chapter "The multi-scale 1D CNN". The layers and their attribute names are the
seed's, verbatim; the seed leaves out ``forward``, which is written here:

conv1 -> pool1 -> BN -> ReLU; three branches (kernels 3, 5, 7), each conv -> ReLU -> pool three
times; the shared ``pool2`` on each branch; flatten and concatenate; ``fc``; softmax over dim 1.
"""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..layers import FlattenConcat
from ..layers._checks import check_input

BRANCH_KERNELS = (3, 5, 7)


class Net(nn.Module):
    """Multi-scale 1D CNN: signals ``(N, 1, L)`` -> class probabilities ``(N, 4)``.

    ``forward`` returns probabilities (softmax over dim 1), as the seed's model does;
    ``logits`` returns the scores before the softmax, which is what ``nn.CrossEntropyLoss``
    needs for training. With ``L = 1024`` every branch ends as ``(N, 256, 1)``, so the ``fc``
    input is ``256*3 = 768``; lengths 1024..1151 all give 768. 682,500 parameters.
    """

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(in_channels=1, out_channels=64, kernel_size=32, stride=8, padding=12)
        self.pool1 = nn.MaxPool1d(kernel_size=2, stride=2)
        self.BN = nn.BatchNorm1d(num_features=64)
        for k in BRANCH_KERNELS:
            p = k // 2  # "same" padding for an odd kernel at stride 1
            setattr(self, f"conv{k}_1", nn.Conv1d(in_channels=64, out_channels=64, kernel_size=k, stride=1, padding=p))
            setattr(self, f"pool{k}_1", nn.MaxPool1d(kernel_size=2, stride=2))
            setattr(self, f"conv{k}_2", nn.Conv1d(in_channels=64, out_channels=128, kernel_size=k, stride=1, padding=p))
            setattr(self, f"pool{k}_2", nn.MaxPool1d(kernel_size=2, stride=2))
            setattr(self, f"conv{k}_3", nn.Conv1d(in_channels=128, out_channels=256, kernel_size=k, stride=1, padding=p))
            setattr(self, f"pool{k}_3", nn.MaxPool1d(kernel_size=2, stride=2))
        self.pool2 = nn.MaxPool1d(kernel_size=8, stride=1)
        self.concat = FlattenConcat()
        self.fc = nn.Linear(in_features=256 * 3, out_features=4)
        self.softmax = nn.Softmax(dim=1)  # the seed writes nn.Softmax() without dim, which warns

    def branch(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """One branch, ``(N, 64, L1) -> (N, 256, L1 // 8)``: three conv (kernel ``k``) -> ReLU -> pool."""
        for i in (1, 2, 3):
            x = getattr(self, f"pool{k}_{i}")(F.relu(getattr(self, f"conv{k}_{i}")(x)))
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 1, L) -> (N, 3 * 256 * L_final)``: everything before ``fc``."""
        check_input("Net", x, 3, 1)
        x = F.relu(self.BN(self.pool1(self.conv1(x))))
        return self.concat(*(self.pool2(self.branch(x, k)) for k in BRANCH_KERNELS))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores before the softmax, ``(N, 1, L) -> (N, 4)``."""
        length = x.shape[-1] if isinstance(x, torch.Tensor) else None
        z = self.features(x)
        # Skipped while tracing (torch.fx, torch.jit): the width is symbolic there, known only when run.
        if isinstance(z, torch.Tensor) and not torch.jit.is_tracing() and z.shape[1] != self.fc.in_features:
            from ..shapes import accepted_input_lengths  # only needed to explain the error

            ok = accepted_input_lengths(self)
            raise ValueError(
                f"Net: fc expects {self.fc.in_features} features (256*3), but an input of length L={length} "
                f"yields {z.shape[1]:,}; Net accepts lengths {ok.start}..{ok.stop - 1} "
                f"(crop or resample the signal, or see the chapter's length-agnostic variant)"
            )
        return self.fc(z)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.softmax(self.logits(x))
