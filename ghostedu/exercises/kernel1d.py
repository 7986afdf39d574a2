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
from . import _fail, _ok, as_shape, check_close, check_count

# The relative tolerance of the decimal answer, as the exercise's text states it.
SPAN_TOLERANCE = 0.01


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
    """``answer``: the shape (any sequence of ints) of ``Conv1D(filters, kernel_size).kernel`` on ``in_channels``
    channels."""
    name = "Keras kernel shape"
    hint = "Keras keeps the kernel as (kernel_size, input channels, filters)."
    shape = as_shape(name, answer, hint)
    layer = _keras().layers.Conv1D(filters, kernel_size)
    layer.build((None, 1024, in_channels))
    if shape != tuple(int(n) for n in layer.kernel.shape):
        mistakes = {
            (filters, in_channels, kernel_size): "that is PyTorch's layout (out, in, k); Keras stores (k, in, out).",
            (kernel_size, filters): "the input channels are part of the kernel too, even when there is only one.",
            (in_channels, kernel_size, filters): "the kernel's first axis is the window (time), then channels.",
        }
        _fail(name, f"{shape} is not right.", mistakes.get(shape, hint))
    _ok(name)


def check_causal_padding(answer, kernel_size: int = 7, dilation: int = 4) -> None:
    """``answer``: how many zeros to put on the LEFT so that a ``Conv1d(k, dilation)`` is causal and keeps length."""
    length = 100
    k, d = kernel_size, dilation
    expected = next(p for p in range(0, d * k + 1) if conv_output_length(length + p, k, dilation=d) == length)
    check_count(
        "causal left padding",
        answer,
        expected,
        hint="the window spans d*(k - 1) + 1 samples and must end at the current sample.",
        mistakes=[
            (k - 1, f"with dilation {d} the taps are {d} samples apart: the span is d*(k - 1) + 1."),
            (d * (k - 1) // 2, "that is 'same' padding per side; causal puts all the padding on the left."),
            (d * (k - 1) + 1, "the window includes the current sample: only d*(k - 1) past samples are needed."),
            (d * k, "the window includes the current sample: only d*(k - 1) past samples are needed."),
        ],
    )


def check_kernel_span_ms(answer) -> None:
    """``answer``: how many milliseconds of signal ``Net.conv1``'s kernel covers at ``ghostedu.data.FS``, within
    ``SPAN_TOLERANCE`` (1 %)."""
    k = Net().conv1.kernel_size[0]
    expected = 1e3 * k / FS
    check_close(
        "kernel span",
        answer,
        expected,
        SPAN_TOLERANCE,
        hint="k samples at fs samples per second last k / fs seconds.",
        unit=" ms",
        mistakes=[
            (expected / 1e3, "that is in seconds: multiply by 1000 for milliseconds."),
            (expected * 1e3, "that is in microseconds: a millisecond is 1/1000 s."),
            (FS / k, "that is fs / k: the number of kernel spans per second, not the span's duration."),
        ],
    )


def check_conv1_macs(answer, length: int = 4096) -> None:
    """``answer``: multiply-adds (flop_counter) of ``Net.conv1`` on one signal of ``length`` samples."""
    conv1 = Net().conv1
    k, c_out, s = conv1.kernel_size[0], conv1.out_channels, conv1.stride[0]
    check_count(
        "conv1 multiply-adds",
        answer,
        count_macs(nn.Sequential(conv1), (1, 1, length)),
        hint="each of the C_out * L_out outputs costs C_in * k multiply-adds; L_out comes from the length formula.",
        mistakes=[
            (c_out * k * length, f"the stride of {s} means only L_out positions are computed, not all {length}."),
            (
                k * conv_output_length(length, k, s, conv1.padding[0]),
                "every one of the C_out output channels has its own kernel: multiply by C_out too.",
            ),
        ],
    )
