"""benchmarks/layers.py runs from the repository root and prints one row per layer of ghostedu.layers.

Its timings are not checked (they vary by machine); its parameter and multiply-add columns are.
"""

import pathlib
import subprocess
import sys

import pytest

from benchmarks.layers import LAYERS, cases, run_case

ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.mark.slow  # runs the timing script in a fresh Python
def test_quick_run_prints_a_row_per_layer():
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.layers", "--quick", "--min-run-time", "0.01", "--device", "cpu"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    lines = out.splitlines()
    assert lines[0].startswith("ghostedu layers vs standard convolutions -- CPU: ") and "device: cpu" in lines[0]
    rows = [line for line in lines if line.split(" ", 1)[0] in LAYERS]
    assert sorted({row.split()[0] for row in rows}) == sorted(LAYERS)
    assert len(rows) == len(cases(quick=True))


def test_layers_list_matches_the_package():
    import ghostedu.layers as layers

    modules = {"conv_dw", "GhostModule", "SqueezeExcite", "GhostBottleneck"}
    assert set(LAYERS) == modules and modules <= set(layers.__all__)


def test_conv_dw_row_counts_match_the_formulas():
    case = cases(quick=True)[0]
    assert case.layer == "conv_dw"
    _, cin, h, w = case.input_size
    result = run_case(case, "cpu", min_run_time=0.01)
    cout = result.case.make_layer()[3].out_channels
    assert result.macs == (9 * cin * cout * h * w, 9 * cin * h * w + cin * cout * h * w)
    assert result.params == (9 * cin * cout + 2 * cout, 9 * cin + cin * cout + 2 * (cin + cout))
    assert all(t > 0 for t in result.seconds)


def test_models_quick_run_prints_every_path_and_its_counts_hold(tmp_path):
    """benchmarks/models.py --quick: one row per model, every path timed, float32 paths equal to eager."""
    import json

    from benchmarks.models import FP32_TOLERANCE, MODELS, PATHS
    from ghostedu.counting import count_macs, count_params

    out_json = tmp_path / "models.json"
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "benchmarks.models",
            "--quick",
            "--min-run-time",
            "0.01",
            "--device",
            "cpu",
            "--threads",
            "1",
            "--json",
            str(out_json),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    ).stdout
    lines = out.splitlines()
    assert lines[1].startswith("ghostedu models, batch 1 -- CPU: ") and "1 thread, device: cpu" in lines[1]
    for spec in MODELS.values():
        assert any(line.startswith(spec.title + " ") for line in lines), spec.title
    data = json.loads(out_json.read_text())
    (run,) = data["runs"]
    assert run["threads"] == 1 and data["command"].startswith("python -m benchmarks.models --quick")
    for result in run["models"]:
        spec = MODELS[result["key"]]
        model = spec.make()
        assert result["macs"] == count_macs(model, spec.input_size)
        assert result["params"] == count_params(model)
        expected = [p for p in PATHS if p != "compile" and (p != "channels_last" or len(spec.input_size) == 4)]
        assert list(result["paths"]) == expected
        for path, r in result["paths"].items():
            assert r["ms"] > 0 and r["first_call_ms"] > 0
            if path != "ort_int8":
                assert r["rel_diff"] < FP32_TOLERANCE, (result["key"], path, r["rel_diff"])
            else:  # int8 changes the outputs, but it is the same network
                assert 0 < r["rel_diff"] < 1, (result["key"], r["rel_diff"])
