"""Every ghostedu model and layer goes through the deployment tools: torch.fx, torch.export and
torch.onnx (run in ONNX Runtime), with the same outputs as eager PyTorch; and ghostedu.deploy's
folding, calibration and int8 quantization do what their docstrings say."""

import pathlib

import numpy as np
import pytest
import torch
from torch import nn

from ghostedu import deploy
from ghostedu.bench import copy_bandwidth, matmul_rate, profile_ops, time_call
from ghostedu.counting import layer_table
from ghostedu.data import bearing_dataset, image_dataset
from ghostedu.layers import FlattenConcat, GhostBottleneck, GhostModule, SqueezeExcite, conv_dw
from ghostedu.models import Net, ghostnet, mobilenet_v1


class ThreeBranches(nn.Module):
    """``FlattenConcat`` takes any number of tensors (``*tensors``); torch.fx traces a root module
    only with a fixed number of inputs, so the test gives it three, as ``Net`` does."""

    def __init__(self):
        super().__init__()
        self.concat = FlattenConcat()

    def forward(self, a, b, c):
        return self.concat(a, b, c)


def _randomize_batchnorms(model: nn.Module, seed: int = 0) -> nn.Module:
    """Statistics and affine parameters away from the identity, so that folding changes numbers."""
    gen = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.running_mean.copy_(torch.rand(n, generator=gen) - 0.5)
            m.running_var.copy_(torch.rand(n, generator=gen) + 0.5)
            with torch.no_grad():
                m.weight.copy_(torch.rand(n, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(n, generator=gen) - 0.5)
    return model


# (name, constructor, input shapes); image sizes are small where the model allows it, for speed.
CASES = [
    ("ghostnet", lambda: ghostnet(), [(2, 3, 64, 64)]),
    ("mobilenet_v1", lambda: mobilenet_v1(), [(2, 3, 64, 64)]),
    ("Net", lambda: Net(), [(2, 1, 1024)]),
    ("conv_dw", lambda: conv_dw(8, 16, 2), [(2, 8, 16, 16)]),
    ("GhostModule", lambda: GhostModule(8, 20, ratio=3), [(2, 8, 10, 10)]),
    ("GhostBottleneck", lambda: GhostBottleneck(8, 24, 16, 5, 2, se_ratio=0.25), [(2, 8, 16, 16)]),
    ("SqueezeExcite", lambda: SqueezeExcite(12), [(2, 12, 5, 5)]),
    ("FlattenConcat", ThreeBranches, [(2, 4, 3), (2, 5, 1), (2, 2, 2)]),
]
IDS = [c[0] for c in CASES]


def _build(make, shapes, seed=0):
    torch.manual_seed(seed)
    model = _randomize_batchnorms(make()).eval()
    gen = torch.Generator().manual_seed(seed + 1)
    inputs = tuple(torch.randn(s, generator=gen) for s in shapes)
    with torch.no_grad():
        expected = model(*inputs)
    return model, inputs, expected


@pytest.mark.parametrize("name,make,shapes", CASES, ids=IDS)
def test_fx_symbolic_trace_gives_the_same_outputs(name, make, shapes):
    model, inputs, expected = _build(make, shapes)
    traced = torch.fx.symbolic_trace(model)
    assert isinstance(traced, torch.fx.GraphModule)
    with torch.no_grad():
        torch.testing.assert_close(traced(*inputs), expected, rtol=0, atol=0)


@pytest.mark.parametrize("name,make,shapes", CASES, ids=IDS)
def test_torch_export_gives_the_same_outputs(name, make, shapes):
    model, inputs, expected = _build(make, shapes)
    exported = torch.export.export(model, inputs)
    with torch.no_grad():
        torch.testing.assert_close(exported.module()(*inputs), expected, rtol=1e-6, atol=1e-6)


def _onnx_outputs(path, inputs):
    session = deploy.ort_session(path)
    names = [i.name for i in session.get_inputs()]
    return torch.from_numpy(session.run(None, dict(zip(names, (x.numpy() for x in inputs))))[0])


@pytest.mark.parametrize(
    "name,make,shapes", [c for c in CASES if c[0] != "FlattenConcat"], ids=[i for i in IDS if i != "FlattenConcat"]
)
def test_onnx_export_runs_in_onnx_runtime_with_the_same_outputs(name, make, shapes, tmp_path):
    model, inputs, expected = _build(make, shapes)
    path = deploy.export_onnx(model, inputs[0][:1], tmp_path / f"{name}.onnx")
    # the batch dimension is free: the file was traced at batch 1 and runs at batch 2
    torch.testing.assert_close(_onnx_outputs(path, inputs), expected, rtol=1e-4, atol=1e-5)


def test_flatten_concat_exports_to_onnx(tmp_path):
    model, inputs, expected = _build(ThreeBranches, [(2, 4, 3), (2, 5, 1), (2, 2, 2)])
    path = tmp_path / "concat.onnx"
    with pytest.warns(DeprecationWarning):  # the TorchScript-based exporter says it is not the default
        torch.onnx.export(model, inputs, path, dynamo=False, input_names=["a", "b", "c"])
    torch.testing.assert_close(_onnx_outputs(path, inputs), expected, rtol=0, atol=0)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name,make,shapes",
    [c for c in CASES if c[0] in ("ghostnet", "mobilenet_v1", "Net")],
    ids=["ghostnet", "mobilenet_v1", "Net"],
)
def test_dynamo_onnx_export_runs_in_onnx_runtime_with_the_same_outputs(name, make, shapes, tmp_path):
    model, inputs, expected = _build(make, shapes)
    path = deploy.export_onnx(model, inputs[0][:1], tmp_path / f"{name}.onnx", dynamo=True)
    torch.testing.assert_close(_onnx_outputs(path, inputs), expected, rtol=1e-4, atol=1e-5)


def test_input_checks_still_refuse_wrong_inputs_when_not_tracing():
    with pytest.raises(ValueError, match=r"GhostNet: expected 3 input channels"):
        ghostnet()(torch.zeros(1, 4, 32, 32))
    with pytest.raises(ValueError, match=r"Net: fc expects 768 features"):
        Net()(torch.zeros(1, 1, 1300))
    module = GhostModule(4, 8)
    torch.fx.symbolic_trace(module)  # tracing leaves the module's own check in place
    with pytest.raises(ValueError, match=r"GhostModule: expected a 4-D input"):
        module(torch.zeros(4, 3, 3))
    with pytest.raises(ValueError, match=r"MobileNetV1: expected 3 input channels"):  # torch.export keeps it
        torch.export.export(mobilenet_v1(), (torch.zeros(1, 2, 32, 32),))


def test_fold_batchnorm_removes_the_batchnorms_after_convolutions():
    for make, shape, left in [(ghostnet, (2, 3, 64, 64), 0), (mobilenet_v1, (2, 3, 64, 64), 0), (Net, (2, 1, 1024), 1)]:
        model = _randomize_batchnorms(make()).train()
        folded = deploy.fold_batchnorm(model)
        assert model.training  # the model itself keeps its mode and its layers
        assert deploy.count_batchnorms(model) >= 1
        assert deploy.count_batchnorms(folded) == left  # Net's BN follows a max pool: it stays
        x = torch.randn(shape, generator=torch.Generator().manual_seed(2))
        with torch.no_grad():
            torch.testing.assert_close(folded(x), model.eval()(x), rtol=1e-4, atol=1e-5)


def test_calibrate_batchnorm_sets_statistics_and_restores_momentum():
    model = conv_dw(3, 8)
    model[1].momentum = 0.3
    x = torch.randn(16, 3, 8, 8) * 3 + 1
    deploy.calibrate_batchnorm(model, x.split(4))
    assert not model.training and model[1].momentum == 0.3 and model[4].momentum == 0.1
    torch.testing.assert_close(model[1].running_mean, model[0](x).mean(dim=(0, 2, 3)).detach(), rtol=1e-4, atol=1e-4)
    assert int(model[1].num_batches_tracked) == 4


def test_quantize_int8_writes_a_qdq_model_that_runs(tmp_path):
    torch.manual_seed(0)
    net = Net().eval()
    x, _ = bearing_dataset(4, seed=5)
    fp32 = deploy.export_onnx(net, x[:1], tmp_path / "net.onnx")
    int8 = deploy.quantize_int8(fp32, tmp_path / "net-int8.onnx", x.split(8))
    ops = deploy.onnx_op_counts(int8)
    assert ops["QuantizeLinear"] > 0 and ops["DequantizeLinear"] > 0
    assert int8.stat().st_size < fp32.stat().st_size / 3
    out = deploy.ort_predict(deploy.ort_session(int8), x)
    assert out.shape == (len(x), 4)
    torch.testing.assert_close(out.sum(1), torch.ones(len(x)), rtol=1e-2, atol=1e-2)  # still probabilities
    assert not list(tmp_path.glob(".*tmp"))  # no temporary file left behind


def test_writes_are_atomic_a_failed_export_keeps_the_previous_file(tmp_path):
    path = tmp_path / "model.onnx"
    path.write_bytes(b"previous file")

    class Broken(nn.Module):
        def forward(self, x):
            raise RuntimeError("broken forward")

    with pytest.raises(RuntimeError, match="broken forward"):
        deploy.export_onnx(Broken(), torch.zeros(1, 3), path)
    assert path.read_bytes() == b"previous file"
    with pytest.raises(FileNotFoundError, match="quantize_int8: no ONNX file at"):
        deploy.quantize_int8(tmp_path / "missing.onnx", path, [np.zeros((1, 3), np.float32)])
    assert path.read_bytes() == b"previous file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.onnx"]


def test_machine_rates_and_time_call_are_positive():
    assert time_call(lambda: sum(range(100)), min_run_time=0.01).median_s > 0
    assert matmul_rate(64, dev="cpu", min_run_time=0.01) > 0
    assert copy_bandwidth(1, dev="cpu", min_run_time=0.01) > 0


def test_profile_ops_lists_one_convolution_per_layer_table_row():
    model = ghostnet(width=0.5).eval()
    shape = (1, 3, 64, 64)
    ops = profile_ops(model, torch.randn(shape), runs=2)
    convs = [o for o in ops if o.name in ("aten::conv2d", "aten::linear")]
    rows = [r for r in layer_table(model, shape) if r.kind.startswith("conv") or r.kind == "fc"]
    assert [o.input_shapes[0] for o in convs] == [list(r.input_shape) for r in rows]
    assert all(o.seconds > 0 for o in convs)
    assert "aten::cat" in {o.name for o in ops}


def test_image_data_for_calibration_has_the_model_input_shape():
    x, _ = image_dataset(1, size=224, seed=0)
    assert x.shape == (5, 3, 224, 224) and x.dtype == torch.float32


def test_chapter_results_file_is_the_benchmark_json():
    import json

    data = json.loads(
        (pathlib.Path(__file__).resolve().parents[1] / "chapters" / "deployment_timings.json").read_text()
    )
    assert data["command"].startswith("python -m benchmarks.models")
    assert sorted(run["threads"] for run in data["runs"]) == [1, 2]
    for run in data["runs"]:
        assert len(run["load_average"]) == 2 and run["cpus"] >= 1
        assert [m["key"] for m in run["models"]] == ["ghostnet", "mobilenet_v1", "net"]
        for m in run["models"]:
            assert "compile" in m["paths"] and m["compile_s"] > 0


def test_wrong_inputs_get_errors_that_name_the_function(tmp_path):
    with pytest.raises(TypeError, match="export_onnx: expected the example input to be a torch.Tensor, got list"):
        deploy.export_onnx(Net(), [1, 2], tmp_path / "x.onnx")
    with pytest.raises(FileNotFoundError, match="ort_session: no ONNX file at"):
        deploy.ort_session(tmp_path / "missing.onnx")
    fp32 = deploy.export_onnx(conv_dw(2, 4), torch.zeros(1, 2, 4, 4), tmp_path / "c.onnx")
    with pytest.raises(ValueError, match="quantize_int8: expected at least one calibration batch"):
        deploy.quantize_int8(fp32, tmp_path / "c8.onnx", [])
    model = conv_dw(2, 4)
    before = model[1].running_var.clone()
    with pytest.raises(ValueError, match="calibrate_batchnorm: expected at least one batch"):
        deploy.calibrate_batchnorm(model, [])
    assert torch.equal(model[1].running_var, before)  # nothing was reset
