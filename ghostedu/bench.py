"""Timings with ``torch.utils.benchmark``, always labeled with the machine that measured them.

Used by the chapters "Depthwise separable convolution", "GhostNet" and "From multiply-adds to
milliseconds", and by ``benchmarks/``.
Timings vary from machine to machine: the book draws conclusions from ratios, not absolute times.
"""

from __future__ import annotations

import os
import platform
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.utils.benchmark as benchmark
from torch import nn

from .checks import check_int, check_module, check_number, check_size
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


# ----------------------------------------------------------------------------------------------
# Timing anything callable, the machine's own limits, and where a forward pass spends its time.
# Used by the chapter "From multiply-adds to milliseconds" and by ``benchmarks/models.py``.
# ----------------------------------------------------------------------------------------------


def time_call(fn: Callable[[], object], label: str = "", min_run_time: float = 0.2, repeats: int = 1) -> Timing:
    """Median wall time of ``fn()`` -- any callable without arguments: an ONNX Runtime session's
    ``run``, a compiled model -- after one warm-up call, by ``Timer.blocked_autorange`` on
    ``torch.get_num_threads()`` threads (which synchronizes CUDA). Each measurement runs for at
    least ``min_run_time`` seconds; with ``repeats > 1`` the least of that many medians is kept
    (other programs on the machine can only add time)."""
    f = "time_call"
    if not callable(fn):
        raise TypeError(f"{f}: expected fn to be a callable without arguments, got {type(fn).__name__}")
    check_number(f, "min_run_time", min_run_time, positive=True)
    repeats = check_int(f, "repeats", repeats)
    fn()  # warm-up
    timer = benchmark.Timer(stmt="fn()", globals={"fn": fn}, label=label, num_threads=torch.get_num_threads())
    m = min((timer.blocked_autorange(min_run_time=min_run_time) for _ in range(repeats)), key=lambda r: r.median)
    return Timing(label=label, median_s=m.median, iqr_s=m.iqr, runs=len(m.times))


def matmul_rate(n: int = 1024, dev: torch.device | None = None, min_run_time: float = 0.1, repeats: int = 3) -> float:
    """Multiply-adds per second of an ``n x n`` by ``n x n`` float32 matrix product (``n**3``
    multiply-adds) on ``torch.get_num_threads()`` threads, the best of ``repeats`` medians: the
    practical peak of the machine's arithmetic, the flat roof of the roofline model."""
    f = "matmul_rate"
    n = check_int(f, "n", n)
    dev = as_device(f, dev)
    a, b = torch.randn(n, n, device=dev), torch.randn(n, n, device=dev)
    return n**3 / time_call(lambda: torch.mm(a, b), min_run_time=min_run_time, repeats=repeats).median_s


def copy_bandwidth(
    megabytes: int = 64, dev: torch.device | None = None, min_run_time: float = 0.1, repeats: int = 3
) -> float:
    """Bytes per second moved by copying a float32 tensor of ``megabytes`` MB into another (each
    copy reads and writes it once: ``2 * megabytes`` MB of traffic), the best of ``repeats``
    medians: the practical memory bandwidth, the slanted roof of the roofline model. Use a size
    well above the CPU's caches."""
    f = "copy_bandwidth"
    megabytes = check_int(f, "megabytes", megabytes)
    dev = as_device(f, dev)
    n = megabytes * 2**20 // 4
    src, dst = torch.randn(n, device=dev), torch.empty(n, device=dev)
    return 2 * 4 * n / time_call(lambda: dst.copy_(src), min_run_time=min_run_time, repeats=repeats).median_s


@dataclass
class OpTime:
    """One top-level operator of a forward pass, e.g. ``aten::conv2d``, with the shapes of its
    inputs (``[[1, 16, 112, 112], [16, 1, 3, 3], ...]``) and its time in seconds (CPU time,
    the operators it calls included; the median over the profiled passes)."""

    name: str
    input_shapes: list
    seconds: float


def profile_ops(model: nn.Module, x: torch.Tensor, runs: int = 3) -> list[OpTime]:
    """The top-level operators of ``model(x)`` in execution order, timed by ``torch.profiler``.

    One warm-up pass, then ``runs`` profiled passes (eval mode, no grad; the mode is restored);
    each operator's time is its median over the passes. The profiler adds a few microseconds to
    every operator, so small operators look a little slower than they are.
    """
    # Kineto, the profiler's engine, logs a line to stderr at every start and stop; keep it quiet
    # unless the user has chosen a level.
    os.environ.setdefault("KINETO_LOG_LEVEL", "6")
    from torch.profiler import ProfilerActivity, profile

    f = "profile_ops"
    check_module(f, model)
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{f}: expected x to be a torch.Tensor shaped like the model's input, got {type(x).__name__}")
    runs = check_int(f, "runs", runs)
    with evaluating(model):
        model(x)
        with profile(activities=[ProfilerActivity.CPU], record_shapes=True) as prof:
            for _ in range(runs):
                model(x)
    top = [e for e in prof.events() if e.cpu_parent is None]
    if len(top) % runs:
        raise RuntimeError(f"profile_ops: {len(top)} top-level operators is not {runs} equal passes")
    per_pass = len(top) // runs
    out = []
    for i in range(per_pass):
        same = [top[r * per_pass + i] for r in range(runs)]
        times = sorted(e.cpu_time_total for e in same)  # microseconds
        out.append(OpTime(same[0].name, same[0].input_shapes, times[len(times) // 2] * 1e-6))
    return out
