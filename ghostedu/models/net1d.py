"""The Q&A page's multi-scale 1D CNN (``class Net``): one-channel 1D signals in, 4 class probabilities out.

The Q&A page does not say what the network is for; its answer says only that the input is
one-channel 1D data and the output a probability distribution over four classes. Explained in the
chapter "The multi-scale 1D CNN"; the chapter "Training the multi-scale CNN on bearing vibrations"
trains it on generated bearing vibration signals. The layers and their attribute names are the
Q&A page's, verbatim; the page leaves out ``forward``, which is written here:

conv1 -> pool1 -> BN -> ReLU; three branches (kernels 3, 5, 7), each conv -> ReLU -> pool three
times; the shared ``pool2`` on each branch; flatten and concatenate; ``fc``; softmax over dim 1.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from ..checks import check_input, check_int
from ..layers import FlattenConcat
from ..shapes.arithmetic import conv_output_length, effective_kernel_size, lengths_giving, pool_output_length

BRANCH_KERNELS = (3, 5, 7)


class Net(nn.Module):
    """Multi-scale 1D CNN: signals ``(N, 1, L)`` -> class probabilities ``(N, 4)``.

    ``forward`` returns probabilities (softmax over dim 1), the output the Q&A page describes;
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
            setattr(
                self, f"conv{k}_3", nn.Conv1d(in_channels=128, out_channels=256, kernel_size=k, stride=1, padding=p)
            )
            setattr(self, f"pool{k}_3", nn.MaxPool1d(kernel_size=2, stride=2))
        self.pool2 = nn.MaxPool1d(kernel_size=8, stride=1)
        self.concat = FlattenConcat()
        self.fc = nn.Linear(in_features=256 * 3, out_features=4)
        self.softmax = nn.Softmax(dim=1)  # the Q&A page writes nn.Softmax() without dim, which warns

    def branch(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """One branch, ``(N, 64, L1) -> (N, 256, L1 // 8)``: three conv (kernel ``k``) -> ReLU -> pool."""
        for i in (1, 2, 3):
            x = getattr(self, f"pool{k}_{i}")(F.relu(getattr(self, f"conv{k}_{i}")(x)))
        return x

    def features(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, 1, L) -> (N, 3 * 256 * L_final)``: everything before ``fc``."""
        check_input("Net", x, 3, 1, self.conv1.weight.dtype)
        x = F.relu(self.BN(self.pool1(self.conv1(x))))
        return self.concat(*(self.pool2(self.branch(x, k)) for k in BRANCH_KERNELS))

    def fc_features(self, length: int) -> int:
        """Features entering ``fc`` for an input of ``length`` samples, by the output-size formulas of
        :mod:`ghostedu.shapes` applied to this network's layers (nothing is run); ValueError naming
        the first layer whose window no longer fits. ``fc_features(1024) == 768``."""
        check_int("Net.fc_features", "length", length)
        n = _length_after(self.conv1, "conv1", length)
        n = _length_after(self.pool1, "pool1", n)
        total = 0
        for k in BRANCH_KERNELS:
            m = n
            for i in (1, 2, 3):
                m = _length_after(getattr(self, f"conv{k}_{i}"), f"conv{k}_{i}", m)
                m = _length_after(getattr(self, f"pool{k}_{i}"), f"pool{k}_{i}", m)
            total += getattr(self, f"conv{k}_3").out_channels * _length_after(self.pool2, "pool2", m)
        return total

    def input_lengths(self, max_length: int = 8192) -> range:
        """The input lengths for which ``fc`` gets its ``in_features``, from :meth:`fc_features`:
        ``range(1024, 1152)``."""

        def count(length: int) -> int | None:
            try:
                return self.fc_features(length)
            except ValueError:  # too short: some window has no room
                return None

        return lengths_giving("Net.input_lengths", count, self.fc.in_features, max_length)

    def _length_error(self, length: int) -> ValueError | None:
        """The error for an input length outside :meth:`input_lengths`, worded from the formulas
        (``None`` for an accepted length, or for layers the formulas here do not cover)."""
        try:
            accepted = self.input_lengths()
        except (TypeError, ValueError):
            return None
        if length in accepted:
            return None
        ok = f"Net accepts lengths {accepted.start}..{accepted.stop - 1}"
        try:
            n = self.fc_features(length)
        except ValueError as error:
            return ValueError(
                f"Net: an input of length L={length} is too short: {error}; {ok} "
                "(pad or resample the signal, or see the chapter's length-agnostic variant)"
            )
        return ValueError(
            f"Net: fc expects {self.fc.in_features} features (256*3), but an input of length "
            f"L={length} yields {n:,}; {ok} (crop or resample the signal, or see the chapter's "
            "length-agnostic variant)"
        )

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores before the softmax, ``(N, 1, L) -> (N, 4)``, for ``L`` in :meth:`input_lengths`."""
        check_input("Net", x, 3, 1, self.conv1.weight.dtype)
        try:
            return self.fc(self.features(x))
        except (RuntimeError, ValueError):
            # A pool with no room, or fc given the wrong number of features: say why, from the formulas.
            error = self._length_error(x.shape[-1])
            if error is None:
                raise
            raise error from None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.softmax(self.logits(x))


def _length_after(layer: nn.Module, name: str, length: int) -> int:
    """The output length of one ``Conv1d`` or 1D pool of ``Net``, by the formulas of ``ghostedu.shapes``."""
    if isinstance(layer, (nn.AdaptiveMaxPool1d, nn.AdaptiveAvgPool1d)):
        return layer.output_size if isinstance(layer.output_size, int) else layer.output_size[0]
    if not isinstance(layer, (nn.Conv1d, nn.MaxPool1d, nn.AvgPool1d)):
        raise TypeError(f"Net.fc_features: expected {name} to be a Conv1d or a 1D pool, got {type(layer).__name__}")
    k, s, p, d = (
        v[0] if isinstance(v, tuple) else v
        for v in (layer.kernel_size, layer.stride, layer.padding, getattr(layer, "dilation", 1))
    )
    try:
        if isinstance(layer, nn.Conv1d):
            return conv_output_length(length, k, s, p, d)
        return pool_output_length(length, k, s, p, d, bool(layer.ceil_mode))
    except ValueError:
        padded = f" ({length + 2 * p} with its padding)" if p else ""
        raise ValueError(
            f"{name} gets {length} position{'' if length == 1 else 's'}{padded}, fewer than "
            f"its window of {effective_kernel_size(k, d)}"
        ) from None
