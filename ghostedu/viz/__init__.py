"""Figures shared by the chapters: one helper per kind of figure.

* ``maps`` -- feature-map grids (2D maps or 1D activations) and image grids.
* ``plots`` -- training curves, confusion matrices, frequency responses.
* ``animation`` -- the kernel sliding over an input, in 1D and 2D, grouped and depthwise; receptive
  fields of stacks (chapter "Convolution arithmetic").
"""
from .maps import feature_maps, image_grid
from .plots import plot_confusion, plot_frequency_response, plot_history
from .animation import (animate_conv1d, animate_conv2d, animate_grouped_conv1d, conv_windows_1d, dependency_mask,
                        offline_jshtml, plot_dependency_masks, plot_receptive_field_1d, stack_dependencies)
from .explorer import block_cost_explorer, conv_arithmetic_explorer, dilation_explorer, net_length_explorer

__all__ = ["feature_maps", "image_grid", "plot_history", "plot_confusion", "plot_frequency_response"]
__all__ += ["animate_conv1d", "animate_conv2d", "animate_grouped_conv1d", "conv_windows_1d", "stack_dependencies",
            "plot_receptive_field_1d", "dependency_mask", "plot_dependency_masks", "offline_jshtml"]
