"""`qkit eval`: accuracy equals numpy's argmax over onnxruntime's logits, size on disk counts external data,
peak memory matches what the kernel reports to the parent process, and bad data or labels give one-line errors."""

import resource
import subprocess
import sys

import numpy as np
import onnx
import pytest

from compare_support import load_json
from interop_support import FIXTURES, REPO, ort_outputs

DIGITS = FIXTURES / "digits"
ENCODER = FIXTURES / "encoder"


def test_accuracy_equals_onnxruntime_argmax(run_qkit, report_line):
    result = load_json(run_qkit("eval", DIGITS / "model.onnx", "--data", DIGITS / "test.npz", "--json",
                                "--runs", "10", "--threads", "1").stdout)
    data = np.load(DIGITS / "test.npz")
    logits = ort_outputs(DIGITS / "model.onnx", {"input": data["input"]})["logits"]
    assert result["samples"] == 360 and result["labelsKey"] == "labels"
    assert result["accuracy"] == pytest.approx((logits.argmax(1) == data["labels"]).mean(), abs=1e-12)
    latency = result["latency"]
    assert latency["runs"] == 10 and 0 < latency["minMs"] <= latency["medianMs"] <= latency["p90Ms"]
    assert result["sizeBytes"] == (DIGITS / "model.onnx").stat().st_size
    report_line(f"eval digits fp32: accuracy {result['accuracy'] * 100:.2f} %, latency median "
                f"{latency['medianMs']:.3f} ms p90 {latency['p90Ms']:.3f} ms (debug build, 1 thread)")


def test_static_model_accuracy_equals_onnxruntime(run_qkit, tmp_path):
    model = tmp_path / "q.onnx"
    run_qkit("quantize", DIGITS / "model.onnx", "-o", model, "--mode", "static", "--per-channel",
             "--calibration", DIGITS / "calibration.npz")
    result = load_json(run_qkit("eval", model, "--data", DIGITS / "test.npz", "--json", "--runs", "3").stdout)
    data = np.load(DIGITS / "test.npz")
    logits = ort_outputs(model, {"input": data["input"]})["logits"]
    assert result["accuracy"] == pytest.approx((logits.argmax(1) == data["labels"]).mean(), abs=1.5 / 360)


def test_size_includes_external_data(run_qkit, tmp_path):
    model = onnx.load(str(DIGITS / "model.onnx"))
    onnx.save(model, str(tmp_path / "ext.onnx"), save_as_external_data=True, location="weights.bin",
              size_threshold=0)
    result = load_json(run_qkit("eval", tmp_path / "ext.onnx", "--data", DIGITS / "test.npz", "--json",
                                "--runs", "1").stdout)
    expected = (tmp_path / "ext.onnx").stat().st_size + (tmp_path / "weights.bin").stat().st_size
    assert result["sizeBytes"] == expected and (tmp_path / "weights.bin").stat().st_size > 50_000


def test_peak_memory_matches_the_kernels_count(qkit):
    """The parent's RUSAGE_CHILDREN max RSS of a fresh interpreter that runs only qkit eval is qkit's own peak."""
    probe = ("import resource, subprocess, sys; out = subprocess.run(sys.argv[1:], capture_output=True, text=True,"
             " check=True).stdout; print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); print(out)")
    lines = subprocess.run([sys.executable, "-c", probe, str(qkit), "eval", str(ENCODER / "model.onnx"), "--data",
                            str(ENCODER / "inputs.npz"), "--json", "--runs", "2", "--quiet"],
                           capture_output=True, text=True, check=True, cwd=REPO).stdout.splitlines()
    kernel_bytes = int(lines[0]) * 1024
    ours = load_json(lines[1])["peakResidentBytes"]
    assert 0.8 * kernel_bytes <= ours <= kernel_bytes * 1.01


def test_without_labels_accuracy_is_absent(run_qkit):
    result = load_json(run_qkit("eval", ENCODER / "model.onnx", "--data", ENCODER / "inputs.npz", "--json",
                                "--runs", "1").stdout)
    assert "accuracy" not in result and result["samples"] == 8


def error_line(run_qkit, *args) -> str:
    result = run_qkit(*args, check=False)
    assert result.returncode != 0 and result.returncode < 128, result
    assert result.stdout == ""
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_bad_data_and_labels(run_qkit, tmp_path):
    data = np.load(DIGITS / "test.npz")
    np.savez(tmp_path / "renamed.npz", pixels=data["input"], labels=data["labels"])
    message = error_line(run_qkit, "eval", DIGITS / "model.onnx", "--data", tmp_path / "renamed.npz")
    assert "renamed.npz" in message and "no array named 'input'" in message and "float32[" in message
    np.savez(tmp_path / "double.npz", input=data["input"].astype(np.float64), labels=data["labels"])
    message = error_line(run_qkit, "eval", DIGITS / "model.onnx", "--data", tmp_path / "double.npz")
    assert "array 'input' is float64" in message
    message = error_line(run_qkit, "eval", DIGITS / "model.onnx", "--data", DIGITS / "test.npz", "--labels", "y")
    assert "no labels array 'y'" in message and "input, labels" in message
    np.savez(tmp_path / "short.npz", input=data["input"], labels=data["labels"][:100])
    message = error_line(run_qkit, "eval", DIGITS / "model.onnx", "--data", tmp_path / "short.npz")
    assert "labels 'labels' must be 360 integers" in message and "[100]" in message
    np.savez(tmp_path / "floats.npz", input=data["input"], labels=data["labels"].astype(np.float32))
    message = error_line(run_qkit, "eval", DIGITS / "model.onnx", "--data", tmp_path / "floats.npz")
    assert "must be 360 integers, got float32" in message


def test_report_directory(run_qkit, tmp_path):
    directory = tmp_path / "report"
    out = run_qkit("eval", DIGITS / "model.onnx", "--data", DIGITS / "test.npz", "--runs", "2", "--report",
                   directory).stdout
    assert "report.html" in out
    report = load_json((directory / "report.json").read_text())
    variant = report["variants"][0]
    assert report["producedBy"] == "qkit eval" and variant["isReference"] and variant["mode"] == "fp32"
    assert variant["accuracy"] == pytest.approx(355 / 360) and variant["sizeBytes"] == (DIGITS / "model.onnx").stat().st_size
    assert variant["latency"]["runs"] == 2 and variant["peakRSSBytes"] > 0
    # Re-running replaces the report's own files.
    run_qkit("eval", DIGITS / "model.onnx", "--data", DIGITS / "test.npz", "--runs", "2", "--report", directory)
    assert sorted(p.name for p in directory.iterdir()) == ["report.html", "report.json", "report.md"]


def test_report_directory_with_other_files_is_refused(run_qkit, tmp_path):
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep me")
    message = error_line(run_qkit, "eval", DIGITS / "model.onnx", "--data", DIGITS / "test.npz", "--report", foreign)
    assert "notes.txt" in message and "other files" in message
    assert [p.name for p in foreign.iterdir()] == ["notes.txt"] and (foreign / "notes.txt").read_text() == "keep me"
    message = error_line(run_qkit, "eval", DIGITS / "model.onnx", "--data", DIGITS / "test.npz", "--report",
                         tmp_path / "missing" / "report")
    assert "missing" in message and "does not exist" in message
    assert not (tmp_path / "missing").exists()


def test_failed_evaluation_leaves_no_report(run_qkit, tmp_path):
    np.savez(tmp_path / "bad.npz", pixels=np.zeros((2, 1, 8, 8), np.float32))
    error_line(run_qkit, "eval", DIGITS / "model.onnx", "--data", tmp_path / "bad.npz", "--report", tmp_path / "r")
    assert not (tmp_path / "r").exists()
