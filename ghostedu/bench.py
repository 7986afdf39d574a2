"""Timings with ``torch.utils.benchmark``, always labeled with the machine that measured them.

Used by the chapters "Depthwise separable convolution" and "GhostNet", and by ``benchmarks/``.
Timings vary from machine to machine: the book draws conclusions from ratios, not absolute times.
"""

from __future__ import annotations

import platform
from dataclasses import dataclass

import torch
import torch.utils.benchmark as benchmark
from torch import nn

from .checks import check_module, check_number, check_size
from .utils import as_device, evaluating


def cpu_model() -> str:
    """The CPU's model name (from ``/proc/cpuinfo`` on Linux, else ``platform.processor()``)."""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_label(dev: torch.device | None = None) -> str:
    """E.g. ``"CPU: AMD EPYC 7B13, 2 threads, device: cpu"`` or, on a GPU, its name too."""
    dev = as_device("machine_label", dev)
    threads = torch.get_num_threads()
    label = f"CPU: {cpu_model()}, {threads} thread{'s' if threads != 1 else ''}, device: {dev.type}"
    if dev.type == "cuda":
        label += f" ({torch.cuda.get_device_name(dev)})"
    return label


@dataclass
class Timing:
    """Median time of one forward pass, in seconds, with the spread between runs."""

    label: str
    median_s: float
    iqr_s: float
    runs: int

    @property
    def median_ms(self) -> float:
        return self.median_s * 1e3


def time_forward(
    module: nn.Module, input_size, dev: torch.device | None = None, label: str = "", min_run_time: float = 0.2
) -> Timing:
    """Median wall time of ``module(x)`` for ``x`` of ``input_size`` (batch included), in eval mode
    under ``torch.no_grad()`` (the module's modes restored after), measured by
    ``torch.utils.benchmark.Timer.blocked_autorange`` (which synchronizes CUDA). Runs for at least
    ``min_run_time`` seconds."""
    f = "time_forward"
    check_module(f, module)
    input_size = check_size(f, "input_size", input_size)
    check_number(f, "min_run_time", min_run_time, positive=True)
    dev = as_device(f, dev)
    module = module.to(dev)
    x = torch.randn(*input_size, device=dev)
    with evaluating(module):
        module(x)  # warm-up: first-call allocations and kernel selection
        timer = benchmark.Timer(
            stmt="module(x)", globals={"module": module, "x": x}, label=label, num_threads=torch.get_num_threads()
        )
        m = timer.blocked_autorange(min_run_time=min_run_time)
    return Timing(label=label, median_s=m.median, iqr_s=m.iqr, runs=len(m.times))
