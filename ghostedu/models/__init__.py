"""Whole networks, each assembled from ``ghostedu.layers``.

* ``ghostnet`` / ``GhostNet`` / ``GHOSTNET_CONFIG`` / ``ghostnet_table`` -- chapter "GhostNet".
* ``mobilenet_v1`` / ``MobileNetV1`` / ``MOBILENET_V1_CONFIG`` -- chapter "Depthwise separable convolution".
* ``Net`` -- the Q&A page's multi-scale 1D CNN, chapter "The multi-scale 1D CNN".
"""

from .ghostnet import GHOSTNET_CONFIG, ArchitectureTable, ConvBnAct, GhostNet, ghostnet, ghostnet_table
from .mobilenet_v1 import MOBILENET_V1_CONFIG, MobileNetV1, mobilenet_v1
from .net1d import Net

__all__ = [
    "ghostnet",
    "GhostNet",
    "GHOSTNET_CONFIG",
    "ghostnet_table",
    "ArchitectureTable",
    "ConvBnAct",
    "mobilenet_v1",
    "MobileNetV1",
    "MOBILENET_V1_CONFIG",
    "Net",
]
