"""ghostedu: the layers of the ghostedu book, small enough to read in one sitting.

Subpackages and modules, each named after what it holds:

* :mod:`ghostedu.layers` -- ``conv_dw``, ``GhostModule``, ``SqueezeExcite``, ``GhostBottleneck``.
* :mod:`ghostedu.models` -- ``ghostnet``, ``mobilenet_v1`` and the seed's 1D ``Net``.
* :mod:`ghostedu.shapes` -- output-size arithmetic, receptive fields and ``trace``.
* :mod:`ghostedu.reference` -- convolutions written from scratch.
* :mod:`ghostedu.counting` -- parameter and multiply-add counts (torchinfo, flop_counter).
* :mod:`ghostedu.bench` -- timings with ``torch.utils.benchmark``, labeled with the machine.
* :mod:`ghostedu.deploy` -- batch norm folding, ONNX export, ONNX Runtime, int8 quantization.
* :mod:`ghostedu.data` -- generated vibration signals and images.
* :mod:`ghostedu.train` -- the one training loop and ``evaluate``.
* :mod:`ghostedu.viz` -- feature-map grids, animations and shared plots.
* :mod:`ghostedu.exercises` -- self-checks for the chapters' exercises.
"""
from __future__ import annotations

import os
import random

import numpy as np
import torch

__version__ = "0.1.0"

__all__ = ["device", "seed_everything", "__version__"]


def device() -> torch.device:
    """The device every notebook runs on: CUDA when available, else CPU.

    Set the environment variable ``GHOSTEDU_DEVICE`` (e.g. ``cpu``) to force one.
    """
    forced = os.environ.get("GHOSTEDU_DEVICE")
    if forced:
        return torch.device(forced)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) random generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
