"""`qkit quantize … --report DIR [--data FILE]`: the report describes the saved model (sizes on disk, decisions,
accuracy checked with onnxruntime), and a directory with foreign files is refused before anything is written."""

import json
import os

import numpy as np
import pytest

from interop_support import FIXTURES, ort_session
from report_support import sqnr_db

DIGITS = FIXTURES / "digits"


def test_static_report_with_data_matches_the_saved_model(run_qkit, tmp_path):
    model, report_dir = tmp_path / "int8.onnx", tmp_path / "report"
    result = run_qkit("quantize", DIGITS / "model.onnx", "-o", model, "--calibration", DIGITS / "calibration.npz",
                      "--per-channel", "--method", "percentile", "--report", report_dir, "--data", DIGITS / "test.npz")
    assert f"wrote report {report_dir}/report.html" in result.stdout
    assert sorted(p.name for p in report_dir.iterdir()) == ["report.html", "report.json", "report.md"]
    report = json.loads((report_dir / "report.json").read_text())
    reference, variant = report["variants"]
    assert (reference["name"], variant["name"]) == ("fp32", "static int8")
    assert variant["sizeBytes"] == os.path.getsize(model)
    assert reference["sizeBytes"] == os.path.getsize(DIGITS / "model.onnx")
    assert "percentile calibration" in variant["configSummary"] and "per-channel" in variant["configSummary"]
    quantized_nodes = [d["node"] for d in variant["decisions"] if d["action"] == "quantized"]
    assert f"quantized {len(quantized_nodes)} nodes" in result.stdout

    data = np.load(DIGITS / "test.npz")
    expected = ort_session(DIGITS / "model.onnx").run(None, {"input": data["input"]})[0]
    actual = ort_session(model).run(None, {"input": data["input"]})[0]
    one_sample = 1 / len(data["labels"])
    assert variant["accuracy"] == pytest.approx(np.mean(actual.argmax(1) == data["labels"]), abs=one_sample + 1e-9)
    assert variant["outputMetrics"][0]["sqnrDb"] == pytest.approx(sqnr_db(expected, actual), abs=0.5)
    layers = variant["layers"]
    assert layers and [l["sqnrDb"] for l in layers] == sorted(l["sqnrDb"] for l in layers)
    assert {h["kind"] for h in report["histograms"]} == {"weight", "activation"}
    markdown = (report_dir / "report.md").read_text()
    assert f"{variant['accuracy'] * 100:.2f} %" in markdown


def test_report_without_data_has_sizes_decisions_and_weight_histograms(run_qkit, tmp_path):
    model, report_dir = tmp_path / "dyn.onnx", tmp_path / "report"
    run_qkit("quantize", DIGITS / "model.onnx", "-o", model, "--mode", "dynamic", "--report", report_dir)
    report = json.loads((report_dir / "report.json").read_text())
    variant = report["variants"][1]
    assert variant["name"] == "dynamic int8" and variant["sizeBytes"] == os.path.getsize(model)
    assert "accuracy" not in variant and variant["layers"] == []
    assert report["histograms"] and {h["kind"] for h in report["histograms"]} == {"weight"}


def test_foreign_files_in_the_report_directory_are_refused_before_quantizing(run_qkit, tmp_path):
    report_dir, model = tmp_path / "report", tmp_path / "int8.onnx"
    report_dir.mkdir()
    (report_dir / "notes.txt").write_text("mine")
    result = run_qkit("quantize", DIGITS / "model.onnx", "-o", model, "--mode", "dynamic", "--report", report_dir,
                      check=False)
    assert result.returncode != 0
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "notes.txt" in message and str(report_dir) in message
    assert not model.exists()
    assert [p.name for p in report_dir.iterdir()] == ["notes.txt"]


def test_data_without_report_is_an_argument_error(run_qkit, tmp_path):
    result = run_qkit("quantize", DIGITS / "model.onnx", "-o", tmp_path / "x.onnx", "--mode", "dynamic",
                      "--data", DIGITS / "test.npz", check=False)
    assert result.returncode != 0 and "--report" in result.stderr
    assert not (tmp_path / "x.onnx").exists()
