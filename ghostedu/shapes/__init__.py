"""Shape arithmetic: output sizes, receptive fields and a layer-by-layer trace.

Chapter "Convolution arithmetic" derives the formulas used here, after Dumoulin & Visin, *A guide
to convolution arithmetic for deep learning* (2016), written the way PyTorch computes them.
Chapter "The multi-scale 1D CNN" uses :func:`accepted_input_lengths` to explain why the seed
network takes only some signal lengths.

Shapes keep the batch dimension, as torchinfo prints them: ``(1, 64, 128)`` is one sample with
64 channels of length 128.

This package knows no particular model: it works from ``torch.nn`` layer types, plus one
duck-typed layer, ``FlattenConcat`` (several tensors in, each flattened from dim 1 and
concatenated along dim 1). Its modules:

* ``arithmetic`` -- output sizes of one layer along one axis.
* ``receptive`` -- receptive field of a stack of layers.
* ``tracing`` -- ``trace``: every layer's shapes, parameters and formula.
* ``lengths`` -- ``accepted_input_lengths`` of a 1D model.
"""
from .arithmetic import (
    conv_output_length,
    conv_transpose_output_length,
    effective_kernel_size,
    pool_output_length,
)
from .lengths import accepted_input_lengths
from .receptive import ReceptiveField, ReceptiveFieldStep, receptive_field
from .tracing import Trace, TraceRow, trace

__all__ = [
    "effective_kernel_size",
    "conv_output_length",
    "pool_output_length",
    "conv_transpose_output_length",
    "ReceptiveFieldStep",
    "ReceptiveField",
    "receptive_field",
    "TraceRow",
    "Trace",
    "trace",
    "accepted_input_lengths",
]
