"""Checks for the exercises of the chapter "Dilated (atrous) convolution".

Expected values are computed with ``ghostedu.shapes`` and, for gridding, with the dependency sets of
``ghostedu.shapes.stack_dependencies`` -- never typed in.
"""

from __future__ import annotations

import math

from ..shapes import conv_output_length, receptive_field, stack_dependencies
from . import _fail, _ok, as_shape, check_count


def check_valid_size(answer, size: int = 64, kernel_size: int = 3, rate: int = 4) -> None:
    """``answer``: the output height of ``atrous_conv2d`` with padding VALID on a ``size x size`` input."""
    check_count(
        "VALID output size",
        answer,
        conv_output_length(size, kernel_size, dilation=rate),
        hint="VALID keeps the positions where the whole dilated kernel fits: in - rate*(k - 1).",
        mistakes=[
            (size - kernel_size + 1, f"with rate {rate} the kernel spans rate*(k - 1) + 1 pixels, not k."),
            (size - rate * kernel_size, "the span of k taps, rate apart, is rate*(k - 1) + 1, not rate*k."),
        ],
    )


def check_same_padding(answer, kernel_size: int = 5, rate: int = 3) -> None:
    """``answer``: the ``padding`` of ``nn.Conv2d(..., kernel_size, dilation=rate)`` that keeps the size (SAME)."""
    n = 32
    matches = [p for p in range(0, rate * kernel_size + 1) if conv_output_length(n, kernel_size, 1, p, rate) == n]
    if not matches:  # even kernels: no symmetric padding keeps the size
        raise ValueError(f"check_same_padding: no symmetric padding keeps the size for kernel_size={kernel_size}")
    check_count(
        "SAME padding",
        answer,
        matches[0],
        hint="pad half the span on each side: rate*(k - 1)//2.",
        mistakes=[
            ((kernel_size - 1) // 2, f"that is the padding without dilation; the taps are {rate} apart."),
            (rate * (kernel_size - 1), "padding is added on each side: half of rate*(k - 1) per side."),
        ],
    )


def check_receptive_field(answer, rates=(2, 4, 8), kernel_size: int = 5) -> None:
    """``answer``: the receptive field of a stack of ``kernel_size`` convs (stride 1) with these dilation ``rates``."""
    k = kernel_size
    check_count(
        "receptive field",
        answer,
        receptive_field([(k, 1, r) for r in rates]).receptive_field,
        hint="each layer adds rate*(k - 1) to the receptive field.",
        mistakes=[
            (
                rates[-1] * (k - 1) + 1,
                "that is the last layer alone; the layers below widen what each of its taps sees.",
            ),
            (1 + len(rates) * (k - 1), "that is the stack without dilation; multiply each layer's k - 1 by its rate."),
            (sum(rates) * (k - 1), "add 1: a single layer with k = 1 already sees one input."),
        ],
    )


def check_no_gridding(rates, kernel_size: int = 3, n_layers: int = 3, min_receptive_field: int = 21) -> None:
    """``rates``: ``n_layers`` dilation rates whose stack sees at least ``min_receptive_field`` inputs, all of them."""
    name = "hybrid rates"
    rates = as_shape(name, rates, f"write {n_layers} whole numbers, e.g. (1, 2, 3).")
    if len(rates) != n_layers or min(rates) < 1:
        _fail(name, f"expected {n_layers} rates of at least 1, got {rates}.")
    layers = [(kernel_size, 1, r) for r in rates]
    rf = receptive_field(layers).receptive_field
    if rf < min_receptive_field:
        _fail(
            name,
            f"rates {rates} give a receptive field of {rf}, not at least {min_receptive_field}.",
            "each layer adds rate*(k - 1): raise the rates.",
        )
    used = stack_dependencies(layers, rf + 2 * sum(rates))[0]
    if len(used) != rf:
        common = math.gcd(*rates)
        if common > 1:
            hint = (
                f"rates with a common factor ({common}) only reach inputs a multiple of {common} apart; "
                "start with rate 1 (Wang et al.'s hybrid dilated convolution)."
            )
        else:
            hint = _jump_hint(rates, kernel_size)
        _fail(
            name,
            f"rates {rates} grid: one output depends on only {len(used)} of the {rf} inputs its field spans.",
            hint,
        )
    _ok(name)


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
