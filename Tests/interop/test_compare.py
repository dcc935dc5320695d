"""`qkit compare`: its metrics equal numpy's on the same arrays, its per-layer SQNR of a quantized digits model
equals numpy's on onnxruntime's intermediate tensors, it finds tensors through QuantKit's and onnxruntime's
QDQ/QOperator renaming, and it refuses mismatched models and data with a one-line error."""

import numpy as np
import pytest
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static

from compare_support import load_json, numpy_metrics, ort_values, save, scale_add_model
from interop_support import FIXTURES

DIGITS = FIXTURES / "digits"
ENCODER = FIXTURES / "encoder"


def assert_metrics_close(ours: dict, expected: dict, sqnr_tolerance: float = 1e-9, error_rtol: float = 1e-6):
    """Same arrays: equal to rounding. Arrays from two runtimes (float summation order differs): looser."""
    assert ours["sqnrDB"] == pytest.approx(expected["sqnrDB"], abs=sqnr_tolerance)
    assert ours["cosine"] == pytest.approx(expected["cosine"], abs=1e-9 if error_rtol <= 1e-6 else 1e-6)
    assert ours["maxAbsError"] == pytest.approx(expected["maxAbsError"], rel=error_rtol)
    assert ours["meanAbsError"] == pytest.approx(expected["meanAbsError"], rel=error_rtol)


def test_metrics_equal_numpy_on_the_same_arrays(run_qkit, tmp_path):
    rng = np.random.default_rng(7)
    x = rng.normal(size=(40, 10)).astype(np.float32)
    ones, zeros = np.ones(10, np.float32), np.zeros(10, np.float32)
    scale = (1 + rng.normal(scale=0.05, size=10)).astype(np.float32)
    offset = rng.normal(scale=0.3, size=10).astype(np.float32)
    reference = save(scale_add_model(ones, zeros), tmp_path / "ref.onnx")
    changed = save(scale_add_model(scale, offset), tmp_path / "changed.onnx")
    np.savez(tmp_path / "data.npz", x=x)
    result = load_json(run_qkit("compare", reference, changed, "--data", tmp_path / "data.npz", "--batch", "7",
                                "--json").stdout)
    h_ref, h_new = x * ones, x * scale
    y_ref, y_new = h_ref + zeros, h_new + offset
    layers = {layer["tensor"]: layer for layer in result["layers"]}
    assert set(layers) == {"x", "h"}
    assert layers["x"]["metrics"]["sqnrDB"] == np.inf and layers["x"]["metrics"]["cosine"] == 1
    assert_metrics_close(layers["h"]["metrics"], numpy_metrics(h_ref, h_new))
    assert_metrics_close(result["outputs"][0]["metrics"], numpy_metrics(y_ref, y_new))
    assert result["outputs"][0]["metrics"]["count"] == y_ref.size
    assert result["top1Agreement"] == pytest.approx((y_ref.argmax(1) == y_new.argmax(1)).mean(), abs=1e-12)
    assert [layer["tensor"] for layer in result["layers"]] == ["h", "x"]  # worst first


@pytest.fixture(scope="module")
def digits_per_channel(tmp_path_factory, run_qkit):
    path = tmp_path_factory.mktemp("digits") / "static_pc.onnx"
    run_qkit("quantize", DIGITS / "model.onnx", "-o", path, "--mode", "static", "--per-channel",
             "--calibration", DIGITS / "calibration.npz")
    return path


def test_per_layer_sqnr_equals_numpy_on_onnxruntime_tensors(run_qkit, digits_per_channel, report_line):
    result = load_json(run_qkit("compare", DIGITS / "model.onnx", digits_per_channel, "--data",
                                DIGITS / "test.npz", "--json").stdout)
    feeds = {"input": np.load(DIGITS / "test.npz")["input"]}
    layers = result["layers"]
    assert {layer["tensor"] for layer in layers} >= {"relu1", "pool1", "relu2", "pool2", "relu3"}
    assert all(layer["match"] == "dequantized" for layer in layers)
    reference = ort_values(DIGITS / "model.onnx", feeds, [layer["tensor"] for layer in layers] + ["logits"])
    quantized = ort_values(digits_per_channel, feeds, [layer["quantizedTensor"] for layer in layers] + ["logits"])
    for layer in layers:
        expected = numpy_metrics(reference[layer["tensor"]], quantized[layer["quantizedTensor"]])
        assert_metrics_close(layer["metrics"], expected, sqnr_tolerance=0.05, error_rtol=1e-3)
    assert_metrics_close(result["outputs"][0]["metrics"], numpy_metrics(reference["logits"], quantized["logits"]),
                         sqnr_tolerance=0.05, error_rtol=1e-3)
    agreement = (reference["logits"].argmax(1) == quantized["logits"].argmax(1)).mean()
    assert result["top1Agreement"] == pytest.approx(agreement, abs=1.5 / len(feeds["input"]))
    sqnrs = [layer["metrics"]["sqnrDB"] for layer in layers]
    assert sqnrs == sorted(sqnrs)
    report_line("digits static per-channel vs fp32: " + ", ".join(
        f"{layer['tensor']} {layer['metrics']['sqnrDB']:.2f} dB" for layer in layers)
        + f"; logits {result['outputs'][0]['metrics']['sqnrDB']:.2f} dB; top-1 agreement "
        + f"{result['top1Agreement'] * 100:.2f} %")


class NpzReader(CalibrationDataReader):
    def __init__(self, path):
        self.batches = iter([{"input": row[None]} for row in np.load(path)["input"][:64]])

    def get_next(self):
        return next(self.batches, None)


@pytest.mark.parametrize("quant_format", [QuantFormat.QDQ, QuantFormat.QOperator])
def test_finds_tensors_in_onnxruntime_quantized_models(run_qkit, tmp_path, quant_format):
    """onnxruntime names QDQ tensors t_QuantizeLinear_Output / t_DequantizeLinear_Output and QOperator tensors
    t_quantized with t_scale / t_zero_point; only Conv is quantized (qkit's runtime has no QGemm)."""
    path = tmp_path / "ort.onnx"
    quantize_static(str(DIGITS / "model.onnx"), str(path), NpzReader(DIGITS / "calibration.npz"),
                    quant_format=quant_format, op_types_to_quantize=["Conv"], per_channel=True,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    result = load_json(run_qkit("compare", DIGITS / "model.onnx", path, "--data", DIGITS / "test.npz",
                                "--json").stdout)
    kinds = {layer["tensor"]: layer["match"] for layer in result["layers"]}
    expected = "dequantized" if quant_format == QuantFormat.QDQ else "integer"
    assert kinds["input"] == expected
    assert any(kind == expected for name, kind in kinds.items() if name != "input")
    assert all(20 < layer["metrics"]["sqnrDB"] < 80 for layer in result["layers"] if layer["match"] == expected)
    assert result["top1Agreement"] >= 0.98


def one_error_line(result) -> str:
    assert result.returncode not in (0,) and result.returncode < 128, result
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_refuses_models_with_different_inputs(run_qkit, digits_per_channel):
    result = run_qkit("compare", DIGITS / "model.onnx", ENCODER / "model.onnx", "--data", DIGITS / "test.npz",
                      check=False)
    message = one_error_line(result)
    assert "take different inputs" in message and "input: float32" in message and "input_ids: int64" in message


def test_refuses_data_that_does_not_match_the_inputs(run_qkit, digits_per_channel, tmp_path):
    np.savez(tmp_path / "wrong.npz", image=np.zeros((4, 1, 8, 8), np.float32))
    message = one_error_line(run_qkit("compare", DIGITS / "model.onnx", digits_per_channel, "--data",
                                      tmp_path / "wrong.npz", check=False))
    assert "no array named 'input'" in message and "image" in message
    np.savez(tmp_path / "shape.npz", input=np.zeros((4, 1, 9, 9), np.float32))
    message = one_error_line(run_qkit("compare", DIGITS / "model.onnx", digits_per_channel, "--data",
                                      tmp_path / "shape.npz", check=False))
    assert "'input' has shape [4, 1, 9, 9]" in message and "float32[" in message


def test_qoperator_layers_equal_qdq_layers(run_qkit, digits_per_channel, tmp_path):
    """The QOperator model holds 8-bit tensors where the QDQ model holds dequantized ones: the same values."""
    qoperator = tmp_path / "qop.onnx"
    run_qkit("quantize", DIGITS / "model.onnx", "-o", qoperator, "--mode", "static", "--per-channel", "--format",
             "qoperator", "--calibration", DIGITS / "calibration.npz", "--quiet")
    args = ["--data", DIGITS / "test.npz", "--json", "--quiet"]
    qdq = load_json(run_qkit("compare", DIGITS / "model.onnx", digits_per_channel, *args).stdout)
    qop = load_json(run_qkit("compare", DIGITS / "model.onnx", qoperator, *args).stdout)
    qop_layers = {layer["tensor"]: layer for layer in qop["layers"]}
    assert {layer["match"] for layer in qop["layers"]} == {"integer"}
    assert set(qop_layers) == {layer["tensor"] for layer in qdq["layers"]}
    for layer in qdq["layers"]:
        assert qop_layers[layer["tensor"]]["metrics"]["sqnrDB"] == pytest.approx(layer["metrics"]["sqnrDB"], abs=0.01)


def test_report_holds_both_models(run_qkit, digits_per_channel, tmp_path):
    directory = tmp_path / "report"
    result = load_json(run_qkit("compare", DIGITS / "model.onnx", digits_per_channel, "--data", DIGITS / "test.npz",
                                "--json", "--quiet", "--report", directory).stdout)
    report = load_json((directory / "report.json").read_text())
    reference, quantized = report["variants"]
    assert reference["isReference"] and reference["mode"] == "fp32" and quantized["mode"] == "quantized"
    assert quantized["sizeBytes"] == digits_per_channel.stat().st_size < reference["sizeBytes"]
    assert quantized["accuracy"] == result["quantizedAccuracy"] and reference["accuracy"] == pytest.approx(355 / 360)
    assert [layer["tensor"] for layer in quantized["layers"]] == [layer["tensor"] for layer in result["layers"]]
    assert quantized["layers"][0]["sqnrDb"] == result["layers"][0]["metrics"]["sqnrDB"]
    assert "<svg" in (directory / "report.html").read_text()


def test_encoder_layers_agree_with_onnxruntime(run_qkit, tmp_path):
    """A transformer: MatMul/Add/Reshape/Transpose tensors through QDQ; integer tensors (shapes, ids) skipped."""
    model = tmp_path / "encoder_int8.onnx"
    run_qkit("quantize", ENCODER / "model.onnx", "-o", model, "--mode", "static", "--per-channel", "--calibration",
             ENCODER / "calibration.npz", "--quiet")
    result = load_json(run_qkit("compare", ENCODER / "model.onnx", model, "--data", ENCODER / "inputs.npz",
                                "--json", "--quiet").stdout)
    assert "input_ids" not in result["unmatched"] and len(result["layers"]) > 40
    feeds = dict(np.load(ENCODER / "inputs.npz"))
    worst = result["layers"][:6]
    reference = ort_values(ENCODER / "model.onnx", feeds, [layer["tensor"] for layer in worst])
    quantized = ort_values(model, feeds, [layer["quantizedTensor"] for layer in worst])
    for layer in worst:
        expected = numpy_metrics(reference[layer["tensor"]], quantized[layer["quantizedTensor"]])
        assert layer["metrics"]["sqnrDB"] == pytest.approx(expected["sqnrDB"], abs=0.01), layer["tensor"]
