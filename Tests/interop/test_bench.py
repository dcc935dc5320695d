"""`qkit bench`: --compare-ort times onnxruntime through scripts/ort_bench.py in the same run, --profile reports
time per node and the float islands of a quantized model. Only the presence and sign of the fields are checked:
timings are benchmarks, never assertions."""

import json
import sys

import pytest

from interop_support import FIXTURES

DIGITS = FIXTURES / "digits"


def bench(run_qkit, model, *flags):
    result = run_qkit("bench", model, "--data", DIGITS / "test.npz", "--batch", "2", "--threads", "1",
                      "--warmup", "1", "--runs", "3", "--json", *flags)
    return json.loads(result.stdout)


def test_compare_ort_reports_both_runtimes(run_qkit):
    report = bench(run_qkit, DIGITS / "model.onnx", "--compare-ort", "--python", sys.executable)
    assert report["batch"] == 2 and report["threads"] == 1
    for stats in (report["qkit"], report["ort"]["latency"]):
        assert stats["runs"] == 3
        assert 0 < stats["minMs"] <= stats["medianMs"] <= stats["p90Ms"]
    assert report["ratio"] > 0
    assert report["qkitPeakResidentMB"] > 0 and report["ort"]["peakResidentMB"] > 0
    assert report["ort"]["onnxruntime"]


def test_profile_names_fused_nodes_and_float_islands(run_qkit, tmp_path):
    """onnxruntime's QDQ digits model keeps BatchNormalization between Q/DQ pairs: reported as a float island."""
    from onnxruntime.quantization import QuantFormat, quantize_static
    from test_quantized_models_agree import CalibrationReader

    model = tmp_path / "ort_q.onnx"
    quantize_static(str(DIGITS / "model.onnx"), str(model), CalibrationReader(DIGITS / "calibration.npz"),
                    quant_format=QuantFormat.QDQ)
    report = bench(run_qkit, model, "--profile")
    assert {e["detail"] for e in report["integer"]["fused"]} >= {"IntegerConv", "IntegerGemm"}
    assert [e["opType"] for e in report["integer"]["floatIslands"]] == ["BatchNormalization"]
    profile = report["profile"]
    assert profile["nodes"] and all(e["milliseconds"] >= 0 for e in profile["nodes"])
    assert abs(sum(e["share"] for e in profile["opTypes"]) - 1) < 1e-6
    text = run_qkit("bench", model, "--data", DIGITS / "test.npz", "--runs", "2", "--warmup", "0", "--profile").stdout
    assert "float islands: 1 node" in text and "BatchNormalization" in text


def test_compare_ort_with_a_missing_python_fails_cleanly(run_qkit):
    result = run_qkit("bench", DIGITS / "model.onnx", "--data", DIGITS / "test.npz", "--runs", "1", "--compare-ort",
                      "--python", "/nonexistent/python", check=False)
    assert result.returncode != 0
    assert "python" in result.stderr.lower() and "Traceback" not in result.stderr


def test_compare_ort_finds_the_repository_venv_from_another_directory(qkit, tmp_path):
    """Without --python, qkit uses the .venv of the repository that built it (the test venv), from any directory."""
    import subprocess

    from interop_support import REPO

    if not (REPO / ".venv" / "bin" / "python").exists():
        pytest.fail("the repository has no .venv (scripts/test creates it)", pytrace=False)
    result = subprocess.run([str(qkit.resolve()), "bench", DIGITS / "model.onnx", "--data", DIGITS / "test.npz",
                             "--runs", "2", "--warmup", "0", "--compare-ort", "--json", "--quiet"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ort"]["onnxruntime"]


def test_profile_says_whether_runs_are_batch_sliced(run_qkit):
    """The fp32 digits CNN is per-sample along axis 0: 2-thread runs of 32 rows are split into 2 slices."""
    def slicing(*flags):
        result = run_qkit("bench", DIGITS / "model.onnx", "--data", DIGITS / "test.npz", "--warmup", "0",
                          "--runs", "2", "--json", "--profile", *flags)
        return json.loads(result.stdout)["batchSlicing"]

    assert slicing("--batch", "32", "--threads", "2").startswith("batch-sliced over 2 threads")
    assert slicing("--batch", "32", "--threads", "1") == "not batch-sliced: 1 thread"
    assert slicing("--batch", "1", "--threads", "2").startswith("not batch-sliced: below 2 rows")
