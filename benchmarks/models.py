"""Whole networks, run the ways they are deployed: eager PyTorch, batch norm folded, channels_last,
ONNX Runtime fp32, ONNX Runtime int8 (static quantization, QDQ) and, with ``--compile``, torch.compile.

Run from the repository root::

    python -m benchmarks.models                  # GhostNet 1.0x, MobileNetV1 and Net, every path but compile
    python -m benchmarks.models --compile        # and torch.compile (minutes to compile GhostNet on 2 cores)
    python -m benchmarks.models --quick          # short timings, fewer calibration inputs

The results the chapter shows were written by::

    python -m benchmarks.models --threads 1 --threads 2 --compile --export-times --repeats 8 \
        --json chapters/deployment_timings.json

For each model it prints parameters, multiply-adds (``torch.utils.flop_counter``: convolutions and
linear layers) and, for each path, the median time of one forward pass at batch 1 (the least of
``--repeats`` medians, measured in rounds over all paths; ``ghostedu.bench``), the speed-up over
eager PyTorch, the time of the first call, and the largest
difference of its output from eager's on held-out inputs, relative to the largest output value.
Every table is labeled with the machine and thread count that measured it, and ends with the
machine's load average (how many programs wanted a CPU) at the start and the end of the run. Explained in the
chapter "From multiply-adds to milliseconds", which shows the results stored with ``--json``.

The models' weights are as constructed (untrained); their batch norms get the statistics of
generated data (``ghostedu.deploy.calibrate_batchnorm``), so that activations have the ranges of a
trained network. Inputs are the book's generated data: shape pictures (224x224) for the image
models, bearing vibrations (1024 samples) for ``Net``; int8 is calibrated on other samples of it.
ONNX Runtime runs on the CPU (the ``onnxruntime`` package has no GPU); on ``--device cuda`` the
PyTorch paths run on the GPU and the ONNX Runtime rows say ``cpu``. With ``--compile`` the compile
cache starts empty, so the compile time of the first ``--threads`` value is that of a first run;
later values in the same process may reuse compiled code.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import torch
from torch import nn

import ghostedu
from booktools.files import atomic_write
from ghostedu import deploy
from ghostedu.bench import cpu_model, machine_label, time_call
from ghostedu.counting import count_macs, count_params
from ghostedu.data import bearing_dataset, image_dataset
from ghostedu.models import Net, ghostnet, mobilenet_v1

PATHS = ("eager", "bn_folded", "channels_last", "ort_fp32", "ort_int8", "compile")
PATH_TITLES = {
    "eager": "eager",
    "bn_folded": "BN folded",
    "channels_last": "channels_last",
    "ort_fp32": "ORT fp32",
    "ort_int8": "ORT int8",
    "compile": "torch.compile",
}
FP32_TOLERANCE = 1e-4  # largest |difference| / largest |output| accepted for the float32 paths


@dataclass
class ModelSpec:
    """A model to benchmark: its name, constructor and one input's shape (batch included)."""

    key: str
    title: str
    make: Callable[[], nn.Module]
    input_size: tuple[int, ...]

    def data(self, n: int, seed: int) -> torch.Tensor:
        """``n`` inputs of the book's generated data, ``(n, *input_size[1:])``."""
        if len(self.input_size) == 4:
            return image_dataset(max(1, n // 5), size=self.input_size[-1], seed=seed)[0][:n]
        return bearing_dataset(max(1, n // 4), length=self.input_size[-1], seed=seed)[0][:n]


MODELS = {
    "ghostnet": ModelSpec("ghostnet", "GhostNet 1.0x", ghostnet, (1, 3, 224, 224)),
    "mobilenet_v1": ModelSpec("mobilenet_v1", "MobileNetV1", mobilenet_v1, (1, 3, 224, 224)),
    "net": ModelSpec("net", "Net", Net, (1, 1, 1024)),
}


@dataclass
class PathResult:
    """One way of running a model: median time (s), spread (s), first call (s), output difference."""

    ms: float
    iqr_ms: float
    first_call_ms: float
    rel_diff: float
    device: str


@dataclass
class ModelResult:
    key: str
    title: str
    input_size: tuple[int, ...]
    params: int
    macs: int
    paths: dict[str, PathResult] = field(default_factory=dict)
    compile_s: float | None = None
    export_s: dict[str, float] = field(default_factory=dict)


def _rel_diff(out: torch.Tensor, ref: torch.Tensor) -> float:
    return float((out.float().cpu() - ref.float().cpu()).abs().max() / ref.float().abs().max())


def _first_call(fn: Callable[[], object]) -> float:
    """Seconds taken by the very first call of ``fn`` (allocations, kernel choice, plans)."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def prepare_model(
    spec: ModelSpec, dev: torch.device, quick: bool, compile_: bool, workdir: Path, export_times: bool = False
) -> tuple[ModelResult, dict[str, Callable[[], object]]]:
    """Build every path of one model, check its outputs and time its first call; returns the result
    (times still empty) and one callable per path, for :func:`time_paths`. Raises ``AssertionError``
    if a float32 path's output differs from eager's by more than ``FP32_TOLERANCE`` (relative)."""
    ghostedu.seed_everything(0)
    model = spec.make()
    n_cal = 8 if quick else 32
    deploy.calibrate_batchnorm(model, spec.data(n_cal, seed=1).split(8))
    result = ModelResult(spec.key, spec.title, spec.input_size, count_params(model), count_macs(model, spec.input_size))
    held_out = spec.data(4, seed=2)
    x1 = held_out[:1]
    with torch.no_grad():
        ref = model(held_out)
    model = model.to(dev)
    runners: dict[str, Callable[[], object]] = {}

    def add(path: str, fn: Callable[[], object], out: torch.Tensor, device: str) -> None:
        first = _first_call(fn)
        diff = _rel_diff(out, ref)
        if path != "ort_int8" and diff > FP32_TOLERANCE:
            raise AssertionError(
                f"{spec.title}, {path}: output differs from eager by {diff:.2e} "
                f"(relative), more than {FP32_TOLERANCE:g}"
            )
        result.paths[path] = PathResult(float("nan"), float("nan"), first * 1e3, diff, device)
        runners[path] = fn

    with torch.no_grad():
        x = x1.to(dev)
        add("eager", lambda: model(x), model(held_out.to(dev)), dev.type)
        folded = deploy.fold_batchnorm(model)
        add("bn_folded", lambda: folded(x), folded(held_out.to(dev)), dev.type)
        if len(spec.input_size) == 4:  # channels_last is a layout of 4-D tensors only
            cl = deploy.fold_batchnorm(model).to(memory_format=torch.channels_last)
            xc = x.contiguous(memory_format=torch.channels_last)
            add(
                "channels_last",
                lambda: cl(xc),
                cl(held_out.to(dev).contiguous(memory_format=torch.channels_last)),
                dev.type,
            )

    model_cpu = model.cpu()
    fp32 = workdir / f"{spec.key}.onnx"
    start = time.perf_counter()
    deploy.export_onnx(model_cpu, x1, fp32)
    result.export_s["torchscript"] = time.perf_counter() - start
    if export_times:
        start = time.perf_counter()
        deploy.export_onnx(model_cpu, x1, workdir / f"{spec.key}-dynamo.onnx", dynamo=True)
        result.export_s["dynamo"] = time.perf_counter() - start
    session = deploy.ort_session(fp32)
    xn = {session.get_inputs()[0].name: x1.numpy()}
    add("ort_fp32", lambda: session.run(None, xn), deploy.ort_predict(session, held_out), "cpu")
    int8 = deploy.quantize_int8(fp32, workdir / f"{spec.key}-int8.onnx", spec.data(n_cal, seed=3).split(8))
    session8 = deploy.ort_session(int8)
    add("ort_int8", lambda: session8.run(None, xn), deploy.ort_predict(session8, held_out), "cpu")

    if compile_:
        model = model.to(dev)
        compiled = torch.compile(model)
        with torch.no_grad():
            x = x1.to(dev)
            start = time.perf_counter()
            compiled(x)  # the first call compiles
            result.compile_s = time.perf_counter() - start
            add("compile", lambda: compiled(x), compiled(held_out.to(dev)), dev.type)
    return result, runners


def time_paths(
    prepared: list[tuple[ModelResult, dict[str, Callable[[], object]]]], min_run_time: float, rounds: int
) -> None:
    """Time every path of every model once per round, the rounds one after the other, and keep each
    path's least median (other programs on the machine can only add time; spreading a path's
    measurements over the whole run gives it more chances to meet a quiet moment)."""
    for _ in range(rounds):
        for result, runners in prepared:
            for path, fn in runners.items():
                with torch.no_grad():
                    t = time_call(fn, min_run_time=min_run_time)
                best = result.paths[path]
                if not best.ms <= t.median_ms:  # also replaces the initial NaN
                    best.ms, best.iqr_ms = t.median_ms, t.iqr_s * 1e3


def format_table(results: list[ModelResult], paths: tuple[str, ...]) -> str:
    """One row per model: counts, then ms and speed-up over eager for each path."""
    head = ["model", "input", "params", "MACs"] + [f"{PATH_TITLES[p]} ms (x)" for p in paths]
    rows = []
    for r in results:
        eager = r.paths["eager"].ms
        cells = [r.title, "x".join(map(str, r.input_size[1:])), f"{r.params / 1e6:.2f}M", f"{r.macs / 1e6:.0f}M"]
        for p in paths:
            pr = r.paths.get(p)
            cells.append("-" if pr is None else f"{pr.ms:.2f} ({eager / pr.ms:.1f}x)")
        rows.append(cells)
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(head)]

    def line(cells):
        return "  ".join(c.ljust(w) if i < 2 else c.rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(head), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def format_checks(results: list[ModelResult], paths: tuple[str, ...]) -> str:
    """Output differences from eager (relative) and first-call times, one line per model."""
    lines = []
    for r in results:
        diffs = ", ".join(f"{PATH_TITLES[p]} {r.paths[p].rel_diff:.1e}" for p in paths if p in r.paths and p != "eager")
        firsts = ", ".join(f"{PATH_TITLES[p]} {r.paths[p].first_call_ms:.1f}" for p in paths if p in r.paths)
        extra = f"; compile took {r.compile_s:.1f} s" if r.compile_s is not None else ""
        lines.append(f"{r.title}: max |difference| / max |eager output|: {diffs}")
        lines.append(f"{r.title}: first call ms: {firsts}{extra}")
    return "\n".join(lines)


def run(args: argparse.Namespace, threads: int, dev: torch.device, workdir: Path) -> dict:
    torch.set_num_threads(threads)
    load_before = os.getloadavg()[0]  # other programs' demand for the cores: it changes the timings
    paths = tuple(p for p in PATHS if p != "compile" or args.compile)
    label = machine_label(dev)
    print(f"\nghostedu models, batch 1 -- {label}")
    print(
        f"ms: median forward time (least of {args.repeats}, in interleaved rounds), eval, no grad; "
        f"(x): speed-up over eager; ORT: ONNX Runtime {_ort_version()} on the CPU, "
        f"{threads} thread{'s' if threads > 1 else ''}"
    )
    prepared = [
        prepare_model(MODELS[key], dev, args.quick, args.compile, workdir, export_times=args.export_times)
        for key in args.model
    ]
    time_paths(prepared, args.min_run_time, args.repeats)
    results = [result for result, _ in prepared]
    print(format_table(results, paths))
    print(format_checks(results, paths))
    load_after = os.getloadavg()[0]
    print(
        f"load average (1 min) of the machine: {load_before:.1f} at the start, {load_after:.1f} at the end, "
        f"on {os.cpu_count()} logical CPUs"
    )
    return {
        "machine": label,
        "threads": threads,
        "device": dev.type,
        "load_average": [round(load_before, 2), round(load_after, 2)],
        "cpus": os.cpu_count(),
        "models": [
            {
                "key": r.key,
                "title": r.title,
                "input_size": list(r.input_size),
                "params": r.params,
                "macs": r.macs,
                "compile_s": r.compile_s,
                "export_s": r.export_s,
                "paths": {p: vars(pr) for p, pr in r.paths.items()},
            }
            for r in results
        ],
    }


def _ort_version() -> str:
    import onnxruntime

    return onnxruntime.__version__


def _command(argv: list[str]) -> str:
    """The command that measured the results, without ``--json PATH`` (the file it is written in)."""
    kept, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg == "--json":
            skip = True
        elif not arg.startswith("--json="):
            kept.append(arg)
    return " ".join(["python -m benchmarks.models", *kept])


def write_json(runs: list[dict], path: Path, dev: torch.device) -> None:
    """Write the runs with the software versions, atomically (a temporary file, then a rename)."""
    data = {
        "cpu": cpu_model(),
        "device": dev.type,
        "python": platform.python_version(),
        "torch": torch.__version__,
        "onnxruntime": _ort_version(),
        "command": _command(sys.argv[1:]),
        "runs": runs,
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(data, indent=2) + "\n")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.models", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short timings, fewer calibration inputs")
    parser.add_argument(
        "--min-run-time",
        type=float,
        default=None,
        help="seconds of timing per path (default 0.3, or 0.05 with --quick)",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="rounds: time every path once per round and keep its least median (default 5, or 1 with --quick)",
    )
    parser.add_argument(
        "--device", default=None, help="cpu or cuda, for the PyTorch paths (default: ghostedu.device())"
    )
    parser.add_argument(
        "--threads",
        type=int,
        action="append",
        help="torch and ONNX Runtime threads; repeatable: one table each (default: torch's current)",
    )
    parser.add_argument("--model", action="append", choices=list(MODELS), help="only this model (repeatable)")
    parser.add_argument("--compile", action="store_true", help="also torch.compile (slow to compile)")
    parser.add_argument(
        "--export-times",
        action="store_true",
        help="also export with the torch.export-based ONNX exporter and record both export times",
    )
    parser.add_argument("--json", type=Path, default=None, help="write every result to this JSON file")
    args = parser.parse_args(argv)
    args.model = args.model or list(MODELS)
    args.min_run_time = args.min_run_time or (0.05 if args.quick else 0.3)
    args.repeats = args.repeats or (1 if args.quick else 5)
    dev = torch.device(args.device) if args.device else ghostedu.device()
    runs = []
    with tempfile.TemporaryDirectory(prefix="ghostedu-models-") as tmp:
        if args.compile:  # an empty compile cache: the first compile time is what a first run pays
            os.environ["TORCHINDUCTOR_CACHE_DIR"] = str(Path(tmp) / "inductor-cache")
            os.environ["TRITON_CACHE_DIR"] = str(Path(tmp) / "triton-cache")
        for threads in args.threads or [torch.get_num_threads()]:
            runs.append(run(args, threads, dev, Path(tmp)))
    if args.json:
        write_json(runs, args.json, dev)
        print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
