"""Which input lengths a 1D model accepts: a search over the length, counting what reaches its ``nn.Linear``.

Explained in the chapter "The multi-scale 1D CNN".
"""

from __future__ import annotations

import torch
from torch import nn

from ..checks import check_int, check_module, check_size
from ..utils import evaluating, zeros_input
from .arithmetic import lengths_giving


def accepted_input_lengths(model: nn.Module, max_length: int = 8192, *, in_channels: int | None = None) -> range:
    """Input lengths ``L`` in ``1..max_length`` for which an input ``(1, C, L)`` brings the first
    ``nn.Linear`` of ``model`` exactly its ``in_features``.

    The model runs on zeros of length ``L`` (in eval mode, without autograd, its modes restored
    after) while a forward pre-hook on that Linear counts the features it receives. A length at
    which the model fails before reaching the Linear -- some window has no room -- gives no count:
    it is too short. Output lengths never decrease as the input grows, so neither does the count,
    and the accepted lengths form a range: a binary search finds its ends in about
    ``2 log2(max_length)`` forward passes (26 for 8192). ``in_channels`` defaults to the first
    ``Conv1d``'s. ValueError when no length is accepted, or when the Linear receives a tensor
    that is not flattened to ``(N, features)``. Chapter "The multi-scale 1D CNN".
    """
    f = "accepted_input_lengths"
    check_module(f, model)
    max_length = check_int(f, "max_length", max_length, 1)
    name, linear = next(((n, m) for n, m in model.named_modules() if isinstance(m, nn.Linear)), ("", None))
    if linear is None:
        raise ValueError(f"{f}: expected a model containing an nn.Linear, got {type(model).__name__} without one")
    if linear.in_features == 0:  # an nn.LazyLinear that has not seen an input yet
        raise ValueError(
            f"{f}: expected {name} to know its in_features, got an nn.LazyLinear not yet "
            "initialized; run the model once first"
        )
    if in_channels is None:
        first_conv = next((m for m in model.modules() if isinstance(m, (nn.Conv1d, nn.ConvTranspose1d))), None)
        if first_conv is None:
            raise ValueError(
                f"{f}: expected a model with an nn.Conv1d to take in_channels from, got none; pass in_channels"
            )
        in_channels = first_conv.in_channels
    in_channels = check_int(f, "in_channels", in_channels, 1)
    check_size(f, "the longest input", (1, in_channels, max_length))  # every search step fits in memory

    received: list[torch.Size] = []
    failures: list[str] = []  # why the model stopped before the Linear, length by length
    counted: list[int] = []
    unflattened: list[str] = []

    def features(length: int) -> int | None:
        received.clear()
        try:
            model(zeros_input(model, (1, in_channels, length)))
        except Exception as error:  # a window with no room, or the model's own complaint
            failures.append(f"at L={length}: {type(error).__name__}: {error}")
        if not received:
            return None
        if len(received[0]) != 2:
            unflattened.append(f"got shape {tuple(received[0])} at L={length}")
            return None
        counted.append(length)
        return received[0][1]

    handle = linear.register_forward_pre_hook(lambda module, args: received.append(args[0].shape))
    try:
        with evaluating(model):
            return lengths_giving(f, features, linear.in_features, max_length, what=f"features to {name} (Linear)")
    except ValueError as error:
        if unflattened:
            raise ValueError(
                f"{f}: expected {name} (Linear) to receive flattened (N, features) input, {unflattened[0]}"
            ) from None
        if not counted:  # say why the model never got there
            why = failures[-1] if failures else "without an error: it never calls it"
            raise ValueError(f"{error}; the model stopped before {name} {why}") from None
        raise
    finally:
        handle.remove()
