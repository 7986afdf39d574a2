"""Running a trained network fast: batch norm folded into the convolutions, ONNX export, ONNX Runtime
sessions and int8 static quantization.

Explained in the chapter "From multiply-adds to milliseconds"; ``benchmarks/models.py`` runs the same
functions. Every function takes a model of ``(N, C, H, W)`` or ``(N, C, L)`` float32 inputs; the ONNX
files it writes keep the batch dimension ``N`` free and fix the others to those of the example input.
The work is done by maintained tools: ``torch.fx.experimental.optimization.fuse`` (folding),
``torch.onnx.export`` (export), ``onnxruntime`` (running) and ``onnxruntime.quantization``
(int8). ONNX Runtime is imported only when a function needs it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import warnings
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from .checks import check_module
from .utils import evaluating

__all__ = [
    "fold_batchnorm",
    "calibrate_batchnorm",
    "count_batchnorms",
    "export_onnx",
    "ort_session",
    "ort_predict",
    "quantize_int8",
    "onnx_op_counts",
]

INPUT_NAME, OUTPUT_NAME = "input", "output"


def fold_batchnorm(model: nn.Module) -> torch.fx.GraphModule:
    """A copy of ``model`` for inference in which every BatchNorm that directly follows a
    convolution (or linear layer) is folded into that layer's weights and bias.

    Done by ``torch.fx.experimental.optimization.fuse``, which traces the model with
    ``torch.fx.symbolic_trace`` (in eval mode: dropout is traced as off) and rewrites each
    conv -> BN pair as one convolution. A BatchNorm after anything else stays, e.g. ``Net``'s BN
    after a max pool. ``model`` itself is not changed and keeps its training mode.
    """
    from torch.fx.experimental.optimization import fuse

    check_module("fold_batchnorm", model)
    with evaluating(model, no_grad=False):
        return fuse(model)  # fuse works on a deep copy


@torch.no_grad()
def calibrate_batchnorm(model: nn.Module, batches: Iterable[torch.Tensor]) -> nn.Module:
    """Give every BatchNorm of ``model`` the statistics of the data in ``batches`` (each
    ``(n, ...)``, shaped like the model's input), leaving every weight as it is; returns ``model``
    in eval mode.

    A network fresh from its constructor has running means 0 and variances 1, so in eval mode
    nothing rescales its activations and they can shrink or grow from layer to layer. After this
    each BatchNorm normalizes with the mean and variance its input really has (the cumulative
    average over ``batches``), as after training -- without the training.
    """
    batches = list(batches)
    if not batches or not all(isinstance(b, torch.Tensor) for b in batches):
        raise ValueError(
            "calibrate_batchnorm: expected at least one batch, each a torch.Tensor shaped like "
            f"the model's input, got {[type(b).__name__ for b in batches]}"
        )
    norms = [m for m in model.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    momenta = [m.momentum for m in norms]
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # None: a cumulative average over all batches
    model.train()
    try:
        for batch in batches:
            model(batch)
    finally:
        for m, momentum in zip(norms, momenta):
            m.momentum = momentum
        model.eval()
    return model


def count_batchnorms(model: nn.Module) -> int:
    """The number of BatchNorm layers (1D, 2D or 3D) in ``model``."""
    return sum(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


@contextlib.contextmanager
def _written_atomically(path: Path):
    """Yield a temporary path beside ``path``; on success it replaces ``path`` in one step, so an
    interrupted write never leaves a half-written file (or loses the previous one)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def export_onnx(
    model: nn.Module, example: torch.Tensor, path: str | Path, dynamo: bool = False, opset_version: int | None = None
) -> Path:
    """Write ``model`` (in eval mode) as an ONNX file at ``path``, traced on ``example``.

    The graph has one input ``"input"`` shaped like ``example`` but with a free batch dimension,
    and one output ``"output"``. ``dynamo=False`` uses PyTorch's TorchScript-based exporter
    (``torch.jit.trace``; in eval mode it folds each BatchNorm into the convolution before it);
    ``dynamo=True`` the ``torch.export``-based one, which needs ``onnxscript`` and is several times
    slower to export these models. The file is written atomically. Returns ``Path(path)``.
    """
    if not isinstance(example, torch.Tensor):
        raise TypeError(f"export_onnx: expected the example input to be a torch.Tensor, got {type(example).__name__}")
    path = Path(path)
    was_training = model.training
    model.eval()
    kwargs = (
        {"dynamic_shapes": ({0: torch.export.Dim("batch")},)}
        if dynamo
        else {"dynamic_axes": {INPUT_NAME: {0: "batch"}, OUTPUT_NAME: {0: "batch"}}}
    )
    try:
        with _written_atomically(path) as tmp, warnings.catch_warnings(), _quiet_torch_onnx():
            # The TorchScript-based exporter says on every call that it is no longer the default.
            warnings.filterwarnings("ignore", category=DeprecationWarning, module=r"torch\.onnx")
            warnings.filterwarnings("ignore", message=r".*legacy TorchScript-based ONNX export")
            warnings.filterwarnings("ignore", category=FutureWarning, message=r".*LeafSpec")  # torch.export's
            torch.onnx.export(
                model,
                (example,),
                tmp,
                input_names=[INPUT_NAME],
                output_names=[OUTPUT_NAME],
                opset_version=opset_version,
                dynamo=dynamo,
                external_data=False,
                **kwargs,
            )
    finally:
        model.train(was_training)
    return path


@contextlib.contextmanager
def _quiet_torch_onnx():
    """Silence the progress lines and notices that the ``torch.export``-based exporter logs."""
    loggers = [logging.getLogger(name) for name in ("torch.onnx", "torch.export", "torch._export", "onnxscript")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        with contextlib.redirect_stdout(open(os.devnull, "w")) as sink:
            try:
                yield
            finally:
                sink.close()
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def ort_session(path: str | Path, threads: int | None = None, optimized_path: str | Path | None = None):
    """An ``onnxruntime.InferenceSession`` on the CPU for the ONNX file at ``path``.

    ``threads``: intra-op threads (default ``torch.get_num_threads()``, so that PyTorch and ONNX Runtime
    are compared on the same number of cores); operators run one after the other. Only errors are
    logged. With ``optimized_path``, ONNX Runtime also writes the graph it actually runs, after its
    own optimizations (e.g. convolution + ReLU fusion), to that file.
    """
    import onnxruntime as ort

    if not Path(path).is_file():
        raise FileNotFoundError(f"ort_session: no ONNX file at {path}")
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads or torch.get_num_threads()
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    options.log_severity_level = 3  # errors only: warnings would go to stderr
    if optimized_path is not None:
        options.optimized_model_filepath = str(optimized_path)
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def ort_predict(session, x: torch.Tensor, batch_size: int = 256) -> torch.Tensor:
    """The session's output for inputs ``x`` ``(N, ...)``, in batches, as a CPU float tensor ``(N, ...)``."""
    name = session.get_inputs()[0].name
    x = x.detach().cpu().float()
    outs = [session.run(None, {name: x[i : i + batch_size].numpy()})[0] for i in range(0, len(x), batch_size)]
    return torch.from_numpy(np.concatenate(outs))


def onnx_op_counts(path: str | Path) -> dict[str, int]:
    """How many nodes of each operator type the ONNX graph at ``path`` has, e.g. ``{"Conv": 95, ...}``."""
    import onnx

    counts: dict[str, int] = {}
    for node in onnx.load(str(path), load_external_data=False).graph.node:
        counts[node.op_type] = counts.get(node.op_type, 0) + 1
    return counts


@contextlib.contextmanager
def _quiet_quantizer():
    """``onnxruntime.quantization`` logs advice through the root logger (to stderr); keep only errors."""
    previous = logging.root.manager.disable
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(previous)


def quantize_int8(
    fp32_path: str | Path,
    int8_path: str | Path,
    calibration: Iterable[torch.Tensor | np.ndarray],
    per_channel: bool = True,
) -> Path:
    """Static int8 quantization of the ONNX model at ``fp32_path`` into ``int8_path`` (QDQ format).

    Every convolution, matrix product and the operators between them get int8 inputs: weights as
    signed int8, symmetric, one scale per output channel (``per_channel``); activations as unsigned
    int8 with a scale and a zero point, from the range of values each tensor took on the
    ``calibration`` batches (each an array ``(n, ...)`` shaped like the model's input; MinMax
    calibration). This is ONNX Runtime's ``quantize_static``. Its default, and its documentation's
    first choice, is int8 activations with int8 weights ("S8S8"); this function uses uint8
    activations with int8 weights ("U8S8"). On x86-64 CPUs with AVX2 or AVX-512 but without VNNI,
    ONNX Runtime multiplies U8S8 with the ``VPMADDUBSW`` instruction, which can saturate; if the
    accuracy drops, the documentation suggests ``reduce_range`` or U8U8, and it reports no such
    issue on x86-64 CPUs with VNNI or on ARM (ONNX Runtime, "Quantize ONNX Models",
    https://onnxruntime.ai/docs/performance/model-optimizations/quantization.html). Measure the
    accuracy after quantizing. The file is written atomically.
    """
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

    class Batches(CalibrationDataReader):
        def __init__(self, batches):
            self._batches = iter(batches)

        def get_next(self):
            batch = next(self._batches, None)
            if batch is None:
                return None
            return {INPUT_NAME: np.ascontiguousarray(torch.as_tensor(batch).detach().cpu().float().numpy())}

    if not Path(fp32_path).is_file():
        raise FileNotFoundError(f"quantize_int8: no ONNX file at {fp32_path}")
    calibration = list(calibration)
    if not calibration:
        raise ValueError("quantize_int8: expected at least one calibration batch, got none")
    int8_path = Path(int8_path)
    with _written_atomically(int8_path) as tmp, _quiet_quantizer():
        quantize_static(
            str(fp32_path),
            str(tmp),
            Batches(calibration),
            quant_format=QuantFormat.QDQ,
            per_channel=per_channel,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
        )
    return int8_path
