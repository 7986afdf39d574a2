"""ghostedu: the layers of the ghostedu book, small enough to read in one sitting.

Subpackages and modules, each named after what it holds:

* :mod:`ghostedu.layers` -- ``conv_dw``, ``GhostModule``, ``SqueezeExcite``, ``GhostBottleneck``.
* :mod:`ghostedu.models` -- ``ghostnet``, ``mobilenet_v1`` and the 1D ``Net`` of the Q&A page.
* :mod:`ghostedu.shapes` -- output-size arithmetic, receptive fields, windows and ``trace``.
* :mod:`ghostedu.reference` -- convolutions written from scratch.
* :mod:`ghostedu.counting` -- parameter and multiply-add counts (torchinfo, flop_counter).
* :mod:`ghostedu.bench` -- timings with ``torch.utils.benchmark``, labeled with the machine.
* :mod:`ghostedu.deploy` -- batch norm folding, ONNX export, ONNX Runtime, int8 quantization.
* :mod:`ghostedu.data` -- generated vibration signals (``bearing``) and images (``images``).
* :mod:`ghostedu.train` -- the one training loop and ``evaluate``.
* :mod:`ghostedu.viz` -- feature-map grids, animations and shared plots.
* :mod:`ghostedu.exercises` -- self-checks for the chapters' exercises.

and what they all share: ``ghostedu.utils`` (the device, random seeds, eval mode),
:mod:`ghostedu.checks` (argument checks) and :mod:`ghostedu.tables` (the table type).
"""

from .utils import device, evaluating, model_device, seed_everything, zeros_input

__version__ = "0.1.0"

__all__ = ["device", "seed_everything", "evaluating", "model_device", "zeros_input", "__version__"]
