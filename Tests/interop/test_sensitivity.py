"""`qkit sensitivity`: each layer's output SQNR equals numpy's on onnxruntime runs of the same single-layer
variant, the ranking is worst first, and its exclude list feeds `qkit quantize --exclude-nodes` directly."""

import json
import re

import numpy as np
import pytest

from compare_support import load_json, numpy_metrics
from interop_support import FIXTURES, ort_outputs

DIGITS = FIXTURES / "digits"
FLAGS = ["--data", DIGITS / "test.npz", "--calibration", DIGITS / "calibration.npz", "--per-channel", "--quiet"]


@pytest.fixture(scope="module")
def ranking(run_qkit):
    return load_json(run_qkit("sensitivity", DIGITS / "model.onnx", *FLAGS, "--json").stdout)


def test_ranking_covers_the_quantized_layers_worst_first(ranking, report_line):
    layers = ranking["layers"]
    assert {layer["node"] for layer in layers} == {"conv1", "conv2", "fc1", "fc2"}
    # MaxPool/Flatten only share their producer's scale: alone they stay float, and are listed apart.
    assert {d["node"] for d in ranking["notQuantizableAlone"]} == {"pool1", "pool2", "flatten"}
    assert next(layer for layer in layers if layer["node"] == "conv1")["quantizedNodes"] == ["conv1", "relu1"]
    sqnrs = [layer["output"]["sqnrDB"] for layer in layers]
    assert sqnrs == sorted(sqnrs)
    assert ranking["allQuantized"]["output"]["sqnrDB"] < sqnrs[0]
    assert ranking["floatAccuracy"] == pytest.approx(355 / 360, abs=1e-12)
    report_line("sensitivity digits (static per-channel, minmax), worst 3: " + ", ".join(
        f"{layer['node']} {layer['output']['sqnrDB']:.2f} dB" for layer in layers[:3]))


def test_layer_sqnr_equals_numpy_on_onnxruntime(ranking, run_qkit, tmp_path):
    data = np.load(DIGITS / "test.npz")
    fp32 = ort_outputs(DIGITS / "model.onnx", {"input": data["input"]})["logits"]
    for layer in ranking["layers"][:2]:
        config = tmp_path / f"{layer['node']}.json"
        config.write_text(json.dumps({"mode": "static", "perChannel": True, "includeNodes": layer["quantizedNodes"]}))
        model = tmp_path / f"{layer['node']}.onnx"
        run_qkit("quantize", DIGITS / "model.onnx", "-o", model, "--config", config, "--calibration",
                 DIGITS / "calibration.npz", "--quiet")
        logits = ort_outputs(model, {"input": data["input"]})["logits"]
        expected = numpy_metrics(fp32, logits)
        assert layer["output"]["sqnrDB"] == pytest.approx(expected["sqnrDB"], abs=0.05)
        assert layer["accuracy"] == pytest.approx((logits.argmax(1) == data["labels"]).mean(), abs=1.5 / 360)


def test_exclude_list_feeds_quantize(run_qkit, tmp_path):
    written = tmp_path / "worst.txt"
    text = run_qkit("sensitivity", DIGITS / "model.onnx", *FLAGS, "--top", "2", "--write-exclude", written).stdout
    pasted = re.search(r"--exclude-nodes (\S+)", text).group(1)
    names = written.read_text().split()
    assert pasted == ",".join(names) and len(names) == 2
    for value in (pasted, f"@{written}"):
        out = run_qkit("quantize", DIGITS / "model.onnx", "-o", tmp_path / "q.onnx", "--calibration",
                       DIGITS / "calibration.npz", "--per-channel", "--exclude-nodes", value, "--quiet").stdout
        for name in names:
            assert re.search(rf"kept fp32: {name} \(\w+\): excluded by config \(node name\)", out), out


def test_missing_exclude_file_is_one_line_error(run_qkit, tmp_path):
    result = run_qkit("quantize", DIGITS / "model.onnx", "-o", tmp_path / "q.onnx", "--calibration",
                      DIGITS / "calibration.npz", "--exclude-nodes", f"@{tmp_path}/none.txt", check=False)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0 and len(lines) == 1 and "none.txt" in lines[0]
    assert not (tmp_path / "q.onnx").exists()


def test_accuracy_ranking_without_labels_is_refused(run_qkit):
    encoder = FIXTURES / "encoder"
    result = run_qkit("sensitivity", encoder / "model.onnx", "--data", encoder / "inputs.npz", "--rank-by",
                      "accuracy", check=False)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.returncode != 0 and len(lines) == 1 and "needs labels" in lines[0]


def test_report_has_one_variant_per_layer(run_qkit, ranking, tmp_path):
    directory = tmp_path / "report"
    run_qkit("sensitivity", DIGITS / "model.onnx", *FLAGS, "--report", directory)
    report = load_json((directory / "report.json").read_text())
    names = [variant["name"] for variant in report["variants"]]
    assert names == ["fp32", "all layers"] + [f"only {layer['node']}" for layer in ranking["layers"]]
    for variant, layer in zip(report["variants"][2:], ranking["layers"]):
        assert variant["outputMetrics"][0]["sqnrDb"] == pytest.approx(layer["output"]["sqnrDB"], abs=1e-9)
        assert variant["accuracy"] == layer["accuracy"]
