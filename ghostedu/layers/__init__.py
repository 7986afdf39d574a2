"""The building blocks of the book, one file each.

* ``conv_dw`` -- depthwise separable convolution, and ``conv_bn_act``, the standard block it
  replaces (chapter "Depthwise separable convolution").
* ``SqueezeExcite``, ``hard_sigmoid``, ``make_divisible`` -- chapter "Squeeze-and-excitation".
* ``GhostModule``, ``GhostBottleneck`` -- chapter "The Ghost module and GhostBottleneck".
* ``FlattenConcat`` -- the branch join of the 1D ``Net`` (chapter "The multi-scale 1D CNN").
"""

from .concat import FlattenConcat
from .conv_dw import conv_bn_act, conv_dw
from .ghost import GhostBottleneck, GhostModule
from .squeeze_excite import SqueezeExcite, hard_sigmoid, make_divisible

__all__ = [
    "conv_dw",
    "conv_bn_act",
    "GhostModule",
    "GhostBottleneck",
    "SqueezeExcite",
    "hard_sigmoid",
    "make_divisible",
    "FlattenConcat",
]
