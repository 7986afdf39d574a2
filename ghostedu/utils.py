"""Running a model: the device, random seeds, and eval mode for a look at a model.

The one home of each of these ideas; every module of the package and every chapter uses them.

* :func:`device` -- where the notebooks run (CUDA when available, or ``GHOSTEDU_DEVICE``).
* :func:`model_device` and :func:`zeros_input` -- where a model computes, and a zero input there.
* :func:`seed_everything` -- Python's, NumPy's and PyTorch's random generators at once.
* :func:`evaluating` -- eval mode (and no autograd) for a while, the modes restored after.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch
from torch import nn

__all__ = ["device", "model_device", "zeros_input", "seed_everything", "evaluating", "refusal"]


def device() -> torch.device:
    """The device every notebook runs on: CUDA when available, else CPU.

    Set the environment variable ``GHOSTEDU_DEVICE`` (e.g. ``cpu``) to force one.
    """
    forced = os.environ.get("GHOSTEDU_DEVICE")
    if forced:
        return torch.device(forced)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _first_float_tensor(model: nn.Module) -> torch.Tensor | None:
    return next((t for t in (*model.parameters(), *model.buffers()) if t.is_floating_point()), None)


def model_device(model: nn.Module) -> torch.device:
    """Where ``model`` computes: the device of its first floating-point parameter or buffer
    (CPU for a model without any)."""
    tensor = _first_float_tensor(model)
    return tensor.device if tensor is not None else torch.device("cpu")


def zeros_input(model: nn.Module, size: Sequence[int], requires_grad: bool = False) -> torch.Tensor:
    """A zero tensor of ``size`` (batch included) on ``model``'s device, in its floating-point
    type (the default type, float32, for a model without parameters or buffers).

    Shapes do not depend on values: this is the input that the package's inspections
    (``trace``, ``count_macs``, ``layer_table``, ...) run a model on.
    """
    tensor = _first_float_tensor(model)
    dtype = tensor.dtype if tensor is not None else torch.get_default_dtype()
    return torch.zeros(*size, device=model_device(model), dtype=dtype, requires_grad=requires_grad)


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) random generators."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)


@contextlib.contextmanager
def evaluating(model: nn.Module, no_grad: bool = True) -> Iterator[nn.Module]:
    """Run ``model`` in eval mode for a while (and without autograd, unless ``no_grad=False``).

    The mode of every module is restored afterwards, also when the block raises: a model may
    train while keeping, say, a frozen BatchNorm in eval mode, and it keeps it so. Eval mode
    matters for a look at a model: BatchNorm then uses its running statistics (one sample's
    statistics would be meaningless, and its running averages would change) and dropout is off.

    >>> with evaluating(model):
    ...     scores = model(x)
    """
    modes = [(m, m.training) for m in model.modules()]
    model.eval()
    try:
        with torch.no_grad() if no_grad else contextlib.nullcontext():
            yield model
    finally:
        for module, training in modes:
            module.training = training


def refusal(make: Callable[[], object]) -> str | None:
    """The words with which a library refuses a call, or ``None`` if it accepts it.

    Calls ``make()``; returns ``"Type: message"`` of the ``ValueError`` or ``TypeError`` it raises
    (other exceptions propagate), or ``None`` when it returns. The chapters on ``kernel_size`` and on
    dilated convolution show TensorFlow's, Keras' and PyTorch's own refusals with it.
    """
    try:
        make()
    except (ValueError, TypeError) as err:
        return f"{type(err).__name__}: {err}"
    return None
