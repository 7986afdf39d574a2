"""Checks for the exercises of the chapter "Dilated (atrous) convolution".

Expected values are computed with ``ghostedu.shapes`` and, for gridding, with the dependency sets of
``ghostedu.shapes.stack_dependencies`` -- never typed in.
"""

from __future__ import annotations

import math

from ..shapes import conv_output_length, effective_kernel_size, receptive_field, stack_dependencies
from . import ExerciseError, check_true, check_value, not_answered


def check_valid_size(answer, size: int = 64, kernel_size: int = 3, rate: int = 4) -> None:
    """``answer``: the output height of ``atrous_conv2d`` with padding VALID on a ``size x size`` input."""
    expected = conv_output_length(size, kernel_size, dilation=rate)
    hint = "VALID keeps the positions where the whole dilated kernel fits: in - rate*(k - 1)."
    if isinstance(answer, int) and answer != expected:
        if answer == size - kernel_size + 1:
            hint = f"with rate {rate} the kernel spans rate*(k - 1) + 1 = {effective_kernel_size(kernel_size, rate)}."
        elif answer == size - rate * kernel_size:
            hint = "the span of k taps, rate apart, is rate*(k - 1) + 1, not rate*k."
    check_value("VALID output size", answer, expected, hint)


def check_same_padding(answer, kernel_size: int = 5, rate: int = 3) -> None:
    """``answer``: the ``padding`` of ``nn.Conv2d(..., kernel_size, dilation=rate)`` that keeps the size (SAME)."""
    n = 32
    matches = [
        p for p in range(0, rate * kernel_size + 1) if conv_output_length(n, kernel_size, padding=p, dilation=rate) == n
    ]
    if not matches:  # even kernels: no symmetric padding keeps the size
        raise ExerciseError(f"same padding: no symmetric padding keeps the size for kernel_size={kernel_size}")
    expected = matches[0]
    hint = "pad half the span on each side: rate*(k - 1)//2."
    if isinstance(answer, int) and answer != expected:
        if answer == (kernel_size - 1) // 2:
            hint = f"that is the padding without dilation; the taps are {rate} apart."
        elif answer == 2 * expected:
            hint = "padding is added on each side: half of rate*(k - 1) per side."
    check_value("SAME padding", answer, expected, hint)


def check_receptive_field(answer, rates=(2, 4, 8), kernel_size: int = 5) -> None:
    """``answer``: the receptive field of a stack of ``kernel_size`` convs (stride 1) with these dilation ``rates``."""
    expected = receptive_field([(kernel_size, 1, r) for r in rates]).receptive_field
    hint = "each layer adds rate*(k - 1) to the receptive field."
    if isinstance(answer, int) and answer != expected:
        if answer == effective_kernel_size(kernel_size, rates[-1]):
            hint = "that is the last layer alone; the layers below widen what each of its taps sees."
        elif answer == 1 + len(rates) * (kernel_size - 1):
            hint = "that is the stack without dilation; multiply each layer's k - 1 by its rate."
    check_value("receptive field", answer, expected, hint)


def check_no_gridding(rates, kernel_size: int = 3, n_layers: int = 3, min_receptive_field: int = 21) -> None:
    """``rates``: ``n_layers`` dilation rates whose stack sees at least ``min_receptive_field`` inputs, all of them."""
    name = "hybrid rates"
    if rates is None:
        raise not_answered(name)
    rates = tuple(rates) if isinstance(rates, (tuple, list)) else (rates,)
    if len(rates) != n_layers or not all(isinstance(r, int) and r >= 1 for r in rates):
        check_true(name, False, f"expected {n_layers} integer rates >= 1, got {rates!r}.")
    layers = [(kernel_size, 1, r) for r in rates]
    rf = receptive_field(layers).receptive_field
    if rf < min_receptive_field:
        check_true(
            name,
            False,
            f"rates {rates} give a receptive field of {rf}, expected at least {min_receptive_field}.",
            "each layer adds rate*(k - 1): raise the rates.",
        )
    used = stack_dependencies(layers, rf + 2 * sum(r for r in rates))[0]
    if math.gcd(*rates) > 1:
        hint = (
            f"rates with a common factor ({math.gcd(*rates)}) only reach inputs a multiple of "
            f"{math.gcd(*rates)} apart; start with rate 1 (Wang et al.'s hybrid dilated convolution)."
        )
    else:
        hint = _jump_hint(rates, kernel_size)
    check_true(
        name,
        len(used) == rf,
        f"rates {rates} grid: one output depends on only {len(used)} of the {rf} inputs its field spans.",
        hint,
        detail=f"receptive field {rf}, every input used",
    )


def _jump_hint(rates, kernel_size: int) -> str:
    """Name the first rate that breaks the no-hole rule of the chapter's section on gridding.

    Sorted from small to large, stride-1 rates leave no hole exactly when the first is 1 and each
    is at most the receptive field of the layers with smaller rates (the order of the layers does
    not change the set of inputs used).
    """
    ordered = sorted(rates)
    if ordered[0] > 1:
        return (
            f"the smallest rate must be 1: with every rate {ordered[0]} or more, no tap of any layer "
            f"reaches the input next to the first one of the field."
        )
    for i, r in enumerate(ordered[1:], start=1):
        below = receptive_field([(kernel_size, 1, q) for q in ordered[:i]]).receptive_field
        if r > below:
            return (
                f"a rate larger than the field of the smaller-rate layers jumps over inputs they do not "
                f"cover; here rate {r} exceeds the field {below} of the layers with smaller rates."
            )
    return "every rate is within the field of the layers below it."
