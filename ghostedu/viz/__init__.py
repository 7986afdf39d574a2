"""Figures shared by the chapters: one helper per kind of figure. They draw; what they draw is
computed elsewhere (shapes and dependencies in :mod:`ghostedu.shapes`).

* ``maps`` -- feature-map grids (2D maps or 1D activations) and image grids.
* ``plots`` -- training curves, confusion matrices, frequency responses.
* ``animation`` -- the kernel sliding over an input, in 1D and 2D, grouped and depthwise; receptive
  fields of stacks (chapter "Convolution arithmetic").
"""

from .animation import (
    animate_conv1d,
    animate_conv2d,
    animate_grouped_conv1d,
    offline_jshtml,
    plot_dependency_masks,
    plot_receptive_field_1d,
)
from .explorer import block_cost_explorer, conv_arithmetic_explorer, dilation_explorer, net_length_explorer
from .maps import feature_maps, image_grid
from .plots import plot_confusion, plot_frequency_response, plot_history

__all__ = [
    "feature_maps",
    "image_grid",
    "plot_history",
    "plot_confusion",
    "plot_frequency_response",
    "animate_conv1d",
    "animate_conv2d",
    "animate_grouped_conv1d",
    "plot_receptive_field_1d",
    "plot_dependency_masks",
    "offline_jshtml",
    "conv_arithmetic_explorer",
    "dilation_explorer",
    "net_length_explorer",
    "block_cost_explorer",
]
