"""Running a model: the device, random seeds, and eval mode for a look at a model.

The one home of each of these ideas; every module of the package and every chapter uses them.

* :func:`device` -- where the notebooks run (CUDA when available, or ``GHOSTEDU_DEVICE``);
  :func:`as_device` -- a function's ``dev`` argument, checked, or that default.
* :func:`model_device` and :func:`zeros_input` -- where a model computes, and a zero input there.
* :func:`seed_everything` -- Python's, NumPy's and PyTorch's random generators at once.
* :func:`evaluating` -- eval mode (and no autograd) for a while, the modes restored after.
"""

from __future__ import annotations

import contextlib
import numbers
import os
import random
from collections.abc import Callable, Iterator, Sequence

import numpy as np
import torch
from torch import nn

from .checks import check_bool, check_module, check_size

__all__ = ["device", "as_device", "model_device", "zeros_input", "seed_everything", "evaluating", "refusal"]


DEVICE_VARIABLE = "GHOSTEDU_DEVICE"
_DEVICE_TYPES = ("cpu", "cuda", "mps")


def device() -> torch.device:
    """The device every notebook runs on: CUDA when available, else CPU.

    Set the environment variable ``GHOSTEDU_DEVICE`` to force one: ``cpu``, ``cuda``, ``cuda:1``
    (a GPU's index) or ``mps`` (case and spaces do not matter; empty means unset). A value that is
    not a device, or a device this machine does not have (``cuda`` on a CPU-only build), is a
    ValueError that names the variable -- at once, not at the first tensor sent there.
    """
    raw = os.environ.get(DEVICE_VARIABLE, "")
    if raw.strip():
        return _forced_device(raw)
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def _forced_device(raw: str) -> torch.device:
    """The device named by ``GHOSTEDU_DEVICE=raw``, checked against this machine."""
    setting = f"{DEVICE_VARIABLE}={raw!r}"
    try:
        dev = torch.device(raw.strip().lower())
    except (RuntimeError, ValueError, TypeError):
        dev = None
    if dev is None or dev.type not in _DEVICE_TYPES:
        raise ValueError(
            f"device: expected the environment variable {DEVICE_VARIABLE} to name a device, got {setting}; "
            "set it to 'cpu', 'cuda' or 'cuda:N' (a GPU's index), or unset it"
        )
    if dev.type == "cuda":
        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if count == 0:
            build = "this torch build has no CUDA" if torch.version.cuda is None else "torch finds no GPU"
            raise ValueError(
                f"device: {setting} asks for CUDA, but there is no CUDA device ({build}); "
                f"set {DEVICE_VARIABLE}=cpu or unset it"
            )
        if dev.index is not None and dev.index >= count:
            raise ValueError(
                f"device: {setting} asks for GPU {dev.index}, but there are {count} (0..{count - 1}); "
                f"set {DEVICE_VARIABLE}=cuda or unset it"
            )
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(
            f"device: {setting} asks for Apple's MPS, which this machine lacks; set {DEVICE_VARIABLE}=cpu or unset it"
        )
    return dev


def as_device(func: str, dev: torch.device | str | None) -> torch.device:
    """``dev`` as a device this machine has (``None``: :func:`device`), or a ValueError naming ``func``:
    the one check of every ``dev`` argument of the package."""
    if dev is None:
        return device()
    try:
        dev = torch.device(dev)
    except (RuntimeError, TypeError, ValueError):
        raise ValueError(f"{func}: expected dev to be a device such as 'cpu' or 'cuda', got {dev!r}") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"{func}: expected dev to be a device this machine has, got {dev} without a CUDA device")
    return dev


def _first_float_tensor(model: nn.Module) -> torch.Tensor | None:
    return next((t for t in (*model.parameters(), *model.buffers()) if t.is_floating_point()), None)


def model_device(model: nn.Module) -> torch.device:
    """Where ``model`` computes: the device of its first floating-point parameter or buffer
    (CPU for a model without any)."""
    check_module("model_device", model)
    tensor = _first_float_tensor(model)
    return tensor.device if tensor is not None else torch.device("cpu")


def zeros_input(model: nn.Module, size: Sequence[int], requires_grad: bool = False) -> torch.Tensor:
    """A zero tensor of ``size`` (batch included) on ``model``'s device, in its floating-point
    type (the default type, float32, for a model without parameters or buffers).

    Shapes do not depend on values: this is the input that the package's inspections
    (``trace``, ``count_macs``, ``layer_table``, ...) run a model on. A size whose tensor would
    exceed ``ghostedu.checks.MEMORY_LIMIT_BYTES`` is refused before anything is allocated.
    """
    check_module("zeros_input", model)
    size = check_size("zeros_input", "size", size)
    requires_grad = check_bool("zeros_input", "requires_grad", requires_grad)
    tensor = _first_float_tensor(model)
    dtype = tensor.dtype if tensor is not None else torch.get_default_dtype()
    return torch.zeros(*size, device=model_device(model), dtype=dtype, requires_grad=requires_grad)


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and PyTorch's (CPU and CUDA) random generators with ``seed``, an
    integer in ``0..2**32 - 1`` (the range NumPy takes)."""
    integer = isinstance(seed, numbers.Integral) and not isinstance(seed, (bool, np.bool_))
    if not (integer and 0 <= seed < 2**32):
        raise ValueError(f"seed_everything: expected seed to be an integer in 0..2**32 - 1, got {seed!r}")
    seed = int(seed)
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
    check_module("evaluating", model)
    check_bool("evaluating", "no_grad", no_grad)
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
