"""`qkit quickstart` end to end: with no arguments on a copy of the shipped digits fixtures it prints the table and
writes the variant models plus report.json/.md/.html; the numbers are checked against onnxruntime + numpy and the
files on disk; re-running replaces its own report, foreign files and bad data are refused before any work."""

import json
import os
import re

import numpy as np
import pytest

from interop_support import FIXTURES, ort_session
from report_support import VARIANT_FILES, VARIANTS, quickstart_run, sqnr_db

DIGITS = FIXTURES / "digits"
REPORT_FILES = ["report.html", "report.json", "report.md"]


@pytest.fixture(scope="module")
def quickstart(qkit):
    root, result = quickstart_run(str(qkit))
    assert result.returncode == 0, f"quickstart failed:\n{result.stdout}\n{result.stderr}"
    return root, result


def load_report(root):
    return json.loads((root / "quantkit-report" / "report.json").read_text())


def test_no_arguments_prints_the_table_and_writes_everything(quickstart):
    root, result = quickstart
    out = root / "quantkit-report"
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES + list(VARIANT_FILES.values()))
    lines = result.stdout.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("variant "))
    header, rows = lines[start], lines[start + 1:start + 1 + len(VARIANTS)]
    for column in ["accuracy", "size", "latency median", "peak memory"]:
        assert column in header
    assert [re.split(r"\s{2,}", row)[0] for row in rows] == VARIANTS
    assert lines[start + 1 + len(VARIANTS)] == ""
    assert "report: quantkit-report/report.html" in result.stdout
    assert "static int8 calibration: " in result.stdout


def test_accuracy_sizes_and_output_error_agree_with_onnxruntime(quickstart):
    root, result = quickstart
    report = load_report(root)
    variants = {v["name"]: v for v in report["variants"]}
    assert list(variants) == VARIANTS
    data = np.load(DIGITS / "test.npz")
    labels = data["labels"]
    reference = ort_session(DIGITS / "model.onnx").run(None, {"input": data["input"]})[0]
    assert variants["fp32"]["accuracy"] == pytest.approx(np.mean(reference.argmax(1) == labels), abs=1e-12)
    assert variants["fp32"]["sizeBytes"] == os.path.getsize(DIGITS / "model.onnx")
    one_sample = 1 / len(labels)
    for name, file in VARIANT_FILES.items():
        path = root / "quantkit-report" / file
        variant = variants[name]
        assert variant["sizeBytes"] == os.path.getsize(path), name
        output = ort_session(path).run(None, {"input": data["input"]})[0].astype(np.float32)
        # qkit's runtime and onnxruntime may round a few quantized values differently: allow one sample and 0.5 dB
        # (fp16: 2 dB and half the max error, as its ~65 dB SQNR measures rounding noise that ORT's fp16 kernels
        # accumulate differently).
        assert variant["accuracy"] == pytest.approx(np.mean(output.argmax(1) == labels), abs=one_sample + 1e-9), name
        assert variant["top1Agreement"] == pytest.approx(np.mean(output.argmax(1) == reference.argmax(1)),
                                                         abs=one_sample + 1e-9), name
        [logits] = variant["outputMetrics"]
        db, relative = (2.0, 0.5) if name == "fp16" else (0.5, 0.05)
        assert logits["sqnrDb"] == pytest.approx(sqnr_db(reference, output), abs=db), name
        assert logits["maxAbsError"] == pytest.approx(float(np.max(np.abs(reference - output))), rel=relative), name
        ratio = f"{os.path.getsize(path) / os.path.getsize(DIGITS / 'model.onnx'):.2f}×"
        row = next(line for line in result.stdout.splitlines() if re.match(re.escape(name) + r"\s{2,}\d", line))
        assert ratio in row and f"{variant['accuracy'] * 100:.2f} %" in row, row
    assert variants["static int8"]["sizeBytes"] < variants["fp16"]["sizeBytes"] < variants["fp32"]["sizeBytes"]


def test_static_variant_uses_the_best_measured_calibration_method(quickstart):
    root, _ = quickstart
    report = load_report(root)
    choice = report["calibrationChoice"]
    scores = {c["method"]: c["score"] for c in choice["candidates"]}
    assert sorted(scores) == ["entropy", "minmax", "mse", "percentile"]
    assert scores[choice["method"]] == max(scores.values())
    static = next(v for v in report["variants"] if v["name"] == "static int8")
    assert f"{choice['method']} calibration" in static["configSummary"] and "per-channel" in static["configSummary"]
    kinds = {(h["kind"], h["tensor"]) for h in report["histograms"]}
    assert any(kind == "weight" for kind, _ in kinds) and any(kind == "activation" for kind, _ in kinds)


def test_histograms_match_numpy_on_the_weights(quickstart):
    root, _ = quickstart
    report = load_report(root)
    import onnx
    from onnx import numpy_helper
    weights = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(DIGITS / "model.onnx")).graph.initializer}
    for histogram in (h for h in report["histograms"] if h["kind"] == "weight"):
        w = weights[histogram["tensor"]].astype(np.float32)
        ranges = {r["method"]: (r["min"], r["max"]) for r in histogram["clipRanges"]}
        assert ranges["minmax"] == pytest.approx((float(w.min()), float(w.max())), rel=1e-6)
        assert sum(histogram["counts"]) == pytest.approx(w.size)
        assert (histogram["observedMin"], histogram["observedMax"]) == pytest.approx((float(w.min()), float(w.max())))
        for low, high in ranges.values():
            assert w.min() - 1e-6 <= low <= high <= w.max() + 1e-6
        # Percentile (99.999, symmetric weights, as ONNX Runtime): ±edge of the |w| histogram where the cdf reaches it.
        counts, edges = np.histogram(np.abs(w), bins=2048, range=(0, float(np.abs(w).max())))
        edge = edges[np.searchsorted(np.cumsum(counts / counts.sum()), 0.99999)]
        expected = (max(-edge, float(w.min())), min(edge, float(w.max())))
        bin_width = float(np.abs(w).max()) / 2048
        assert ranges["percentile"] == pytest.approx(expected, abs=bin_width)


def test_rerun_with_flags_replaces_its_own_report_and_refuses_foreign_files(quickstart, qkit, run_qkit):
    root, _ = quickstart
    out = root / "quantkit-report"
    flags = ["quickstart", "--model", DIGITS / "model.onnx", "--calibration", DIGITS / "calibration.npz",
             "--data", DIGITS / "test.npz", "--labels", "labels", "--output", out, "--threads", "1"]
    before = (out / "report.json").stat().st_mtime_ns
    run_qkit(*flags)
    assert (out / "report.json").stat().st_mtime_ns != before
    assert sorted(p.name for p in out.iterdir()) == sorted(REPORT_FILES + list(VARIANT_FILES.values()))

    (out / "mine.txt").write_text("keep")
    snapshot = {p.name: p.read_bytes() for p in out.iterdir()}
    result = run_qkit(*flags, check=False)
    assert result.returncode != 0
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "mine.txt" in message and str(out) in message
    assert {p.name: p.read_bytes() for p in out.iterdir()} == snapshot


@pytest.mark.parametrize("case", ["wrong arrays", "missing labels"])
def test_bad_data_fails_before_writing_anything(case, run_qkit, tmp_path):
    out = tmp_path / "out"
    data = DIGITS / "test.npz"
    labels = "labels"
    if case == "wrong arrays":
        data = tmp_path / "wrong.npz"
        np.savez(data, pixels=np.zeros((4, 64), np.float32), labels=np.zeros(4, np.int64))
    else:
        labels = "classes"
    result = run_qkit("quickstart", "--model", DIGITS / "model.onnx", "--calibration", DIGITS / "calibration.npz",
                      "--data", data, "--labels", labels, "--output", out, check=False)
    assert result.returncode != 0
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and str(data) in message
    assert ("'input'" in message) if case == "wrong arrays" else ("'classes'" in message)
    assert not out.exists()
