"""Shape arithmetic: output sizes, receptive fields, windows and a layer-by-layer trace.

Chapter "Convolution arithmetic" derives the formulas used here, after Dumoulin & Visin, *A guide
to convolution arithmetic for deep learning* (2016), written the way PyTorch computes them.
Chapter "The multi-scale 1D CNN" uses :func:`accepted_input_lengths` to explain why the 1D
network of the Q&A page takes only some signal lengths.

Shapes keep the batch dimension, as torchinfo prints them: ``(1, 64, 128)`` is one sample with
64 channels of length 128.

This package knows no particular model: it works from ``torch.nn`` layer types, plus one
duck-typed layer, ``FlattenConcat`` (several tensors in, each flattened from dim 1 and
concatenated along dim 1). Its modules:

* ``arithmetic`` -- output sizes of one layer along one axis, the formula as text, and the lengths
  that give a size (pure formulas: the models use them).
* ``receptive`` -- receptive field of a stack of layers.
* ``windows`` -- which inputs each output reads, through one layer or a stack, and by autograd.
* ``tracing`` -- ``trace``: every layer's shapes, parameters and formula.
* ``lengths`` -- ``accepted_input_lengths`` of a 1D model, by a search over forward passes.
"""

from .arithmetic import (
    conv_output_length,
    conv_transpose_output_length,
    effective_kernel_size,
    lengths_giving,
    output_length_formula,
    pool_output_length,
)
from .lengths import accepted_input_lengths
from .receptive import ReceptiveField, ReceptiveFieldStep, receptive_field
from .tracing import Trace, TraceRow, trace
from .windows import conv_windows_1d, dependency_mask, stack_dependencies, stack_windows

__all__ = [
    "effective_kernel_size",
    "conv_output_length",
    "pool_output_length",
    "conv_transpose_output_length",
    "output_length_formula",
    "lengths_giving",
    "ReceptiveFieldStep",
    "ReceptiveField",
    "receptive_field",
    "conv_windows_1d",
    "stack_windows",
    "stack_dependencies",
    "dependency_mask",
    "TraceRow",
    "Trace",
    "trace",
    "accepted_input_lengths",
]
