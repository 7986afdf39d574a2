"""Figures shared by the chapters: one helper per kind of figure.

* ``maps`` -- feature-map grids (2D maps or 1D activations) and image grids.
* ``plots`` -- training curves, confusion matrices, frequency responses.
* ``animation`` -- the kernel sliding over an input, in 1D and 2D (chapter "Convolution arithmetic").
"""
from .maps import feature_maps, image_grid
from .plots import plot_confusion, plot_frequency_response, plot_history

__all__ = ["feature_maps", "image_grid", "plot_history", "plot_confusion", "plot_frequency_response"]
