"""Checks for the exercises of the chapter "What kernel_size means in a 1D convolution".

Expected values come from the libraries: Keras 3 itself for Keras layouts (on whatever backend
the session already runs; TensorFlow, the chapter's backend, when Keras is not yet imported),
torchinfo and ``torch.utils.flop_counter`` (through ``ghostedu.counting``) for counts,
``ghostedu.shapes`` for lengths.
"""

from __future__ import annotations

import os
import sys

from torch import nn

from ..counting import count_macs
from ..data import FS
from ..models import Net
from ..shapes import conv_output_length
from . import check_close, check_value


def _keras():
    """Keras 3, on the backend the session already runs.

    Keras fixes its backend when it is first imported (``KERAS_BACKEND``). If it is already
    imported, any backend will do: the kernel layout ``(kernel_size, in_channels, filters)`` is
    the same on all of them. If not, this chooses TensorFlow, the chapter's backend, and silences
    TensorFlow's C++ start-up notices on stderr (``TF_CPP_MIN_LOG_LEVEL=2``; oneDNN's notice ignores
    that level, hence ``TF_ENABLE_ONEDNN_OPTS=0``). Variables the user has set are kept.
    """
    if "keras" not in sys.modules:
        os.environ.setdefault("KERAS_BACKEND", "tensorflow")
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
    import keras

    return keras


def check_keras_kernel_shape(answer, filters: int = 16, kernel_size: int = 5, in_channels: int = 3) -> None:
    """``answer``: the shape (a tuple) of ``Conv1D(filters, kernel_size).kernel`` on ``in_channels`` channels."""
    keras = _keras()
    layer = keras.layers.Conv1D(filters, kernel_size)
    layer.build((None, 1024, in_channels))
    expected = tuple(int(n) for n in layer.kernel.shape)
    hint = "Keras keeps the kernel as (kernel_size, input channels, filters)."
    if isinstance(answer, (tuple, list)):
        answer = tuple(answer)
        if answer == (filters, in_channels, kernel_size):
            hint = "that is PyTorch's layout (out, in, k); Keras stores (k, in, out)."
        elif answer == (kernel_size, filters):
            hint = "the input channels are part of the kernel too, even when there is only one."
    check_value("Keras kernel shape", answer, expected, hint)


def check_causal_padding(answer, kernel_size: int = 7, dilation: int = 4) -> None:
    """``answer``: how many zeros to put on the LEFT so that a ``Conv1d(k, dilation)`` is causal and keeps length."""
    length = 100
    expected = next(
        p
        for p in range(0, dilation * kernel_size + 1)
        if conv_output_length(length + p, kernel_size, dilation=dilation) == length
    )
    hint = "the window spans d*(k - 1) + 1 samples and must end at the current sample."
    if isinstance(answer, int) and answer != expected:
        if answer == kernel_size - 1:
            hint = f"with dilation {dilation} the taps are {dilation} samples apart: the span is d*(k - 1) + 1."
        elif answer == expected // 2:
            hint = "that is 'same' padding per side; causal puts all the padding on the left."
        elif answer == expected + 1:
            hint = "the window includes the current sample: only d*(k - 1) past samples are needed."
    check_value("causal left padding", answer, expected, hint)


def check_kernel_span_ms(answer) -> None:
    """``answer``: how many milliseconds of signal ``Net.conv1``'s kernel covers at ``ghostedu.data.FS``."""
    k = Net().conv1.kernel_size[0]
    expected = 1e3 * k / FS
    hint = f"k samples at fs = {FS} Hz last k / fs seconds."
    if isinstance(answer, (int, float)) and abs(answer - k / FS) < 1e-9:
        hint = "that is in seconds: multiply by 1000 for milliseconds."
    check_close("kernel span", answer, expected, rel=1e-3, hint=hint, unit=" ms")


def check_conv1_macs(answer, length: int = 4096) -> None:
    """``answer``: multiply-adds (flop_counter) of ``Net.conv1`` on one signal of ``length`` samples."""
    conv1 = Net().conv1
    expected = count_macs(nn.Sequential(conv1), (1, 1, length))
    k, c_out = conv1.kernel_size[0], conv1.out_channels
    l_out = conv_output_length(length, k, conv1.stride[0], conv1.padding[0])
    hint = f"each of the C_out * L_out outputs costs C_in * k multiply-adds; L_out = {l_out} here."
    if isinstance(answer, int) and answer != expected:
        if answer == c_out * k * length:
            hint = f"the stride of {conv1.stride[0]} means only L_out = {l_out} positions are computed, not {length}."
    check_value("conv1 multiply-adds", answer, expected, hint)
