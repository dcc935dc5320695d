"""Static QDQ quantization with 4-bit weights (int4/uint4, per tensor, per channel, per block; and 8-bit per block):
the written model passes onnx.checker, stores its weights as packed INT4/UINT4 at opset 21, runs in onnxruntime, and QuantKit's
runtime gives the same outputs. Both dequantize the 4-bit weights exactly (the 4-bit matmuls stay on the float path
in both), so the bounds are those of the 8-bit QDQ test (test_quantized_models_agree.py): a rounding tie flipped by
summation order moves a logit by about one activation step. The encoder bound, cosine ≥ 0.999 per sample, allows
for qkit's integer execution of the 8-bit parts, whose fixed-point requantization can land one step away from
onnxruntime's float rounding and propagate through softmax and LayerNorm (measured: 0.99999994 with float
execution, 0.99988 with the integer fusion pass).

Digits accuracy is reported, not bounded tightly: 4-bit weights are expected to lose some accuracy. The floor
(90 %, fp32 is 98.6 %) only catches a broken weight layout, which drops accuracy to chance level."""

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from interop_support import FIXTURES, min_row_cosine, ort_outputs

DIGITS = FIXTURES / "digits"
ENCODER = FIXTURES / "encoder"

INT4, UINT4, INT8 = onnx.TensorProto.INT4, onnx.TensorProto.UINT4, onnx.TensorProto.INT8
CASES = {
    "int4 per-tensor": (["--weight-type", "int4"], INT4),
    "int4 per-channel": (["--weight-type", "int4", "--per-channel"], INT4),
    "int4 block 16": (["--weight-type", "int4", "--block-size", "16"], INT4),
    "uint4 per-channel": (["--weight-type", "uint4", "--per-channel"], UINT4),
    "int8 block 16": (["--block-size", "16"], INT8),
}


def qkit_outputs(run_qkit, model, data, out_dir):
    run_qkit("run", model, "--inputs", data, "--output-dir", out_dir)
    return {path.stem: np.load(path) for path in out_dir.glob("*.npy")}


def check_int4_model(path, elem_type, blocked):
    """onnx.checker passes; opset 21; the weight DequantizeLinears read `elem_type` initializers (4-bit ones packed
    two per byte), with `block_size` when blocked."""
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    assert {o.domain: o.version for o in model.opset_import}.get("", 0) >= 21
    initializers = {t.name: t for t in model.graph.initializer}
    weights = [n for n in model.graph.node if n.op_type == "DequantizeLinear"
               and initializers.get(n.input[0]) is not None and initializers[n.input[0]].data_type == elem_type]
    assert len(weights) >= 3, "expected the Conv/Gemm weights as quantized initializers"
    for node in weights:
        tensor = initializers[node.input[0]]
        if elem_type != INT8:
            assert len(tensor.raw_data) == (int(np.prod(tensor.dims)) + 1) // 2, "4-bit values are packed two per byte"
        attributes = {a.name: a.i for a in node.attribute}
        assert ("block_size" in attributes) == blocked
        zero_point = numpy_helper.to_array(initializers[node.input[2]])
        assert zero_point.shape == numpy_helper.to_array(initializers[node.input[1]]).shape


@pytest.mark.parametrize("case", CASES)
def test_digits_int4_weights_run_alike(run_qkit, tmp_path, report_line, case):
    model = tmp_path / "q.onnx"
    flags, elem_type = CASES[case]
    run_qkit("quantize", DIGITS / "model.onnx", "-o", model, "--mode", "static", "--calibration",
             DIGITS / "calibration.npz", *flags)
    check_int4_model(model, elem_type, blocked="block" in case)
    test = np.load(DIGITS / "test.npz")
    ours = qkit_outputs(run_qkit, model, DIGITS / "test.npz", tmp_path / "out")["logits"]
    theirs = ort_outputs(model, {"input": test["input"]})["logits"]
    span = float(theirs.max() - theirs.min())
    assert np.abs(ours - theirs).max() <= 3e-3 * span
    assert (ours.argmax(1) == theirs.argmax(1)).all()
    accuracy = float((theirs.argmax(1) == test["labels"]).mean()) * 100
    report_line(f"digits static {case}: accuracy {accuracy:.2f} % ({model.stat().st_size} bytes; "
                f"fp32 {(DIGITS / 'model.onnx').stat().st_size} bytes)")
    assert accuracy >= 90


@pytest.mark.parametrize("flags", [["--per-channel"], ["--block-size", "32"]], ids=["per-channel", "block 32"])
def test_encoder_int4_weights_run_alike(run_qkit, tmp_path, flags):
    model = tmp_path / "q.onnx"
    run_qkit("quantize", ENCODER / "model.onnx", "-o", model, "--mode", "static", "--calibration",
             ENCODER / "calibration.npz", "--weight-type", "int4", *flags)
    check_int4_model(model, INT4, blocked="--block-size" in flags)
    data = dict(np.load(ENCODER / "inputs.npz"))
    ours = qkit_outputs(run_qkit, model, ENCODER / "inputs.npz", tmp_path / "out")["last_hidden_state"]
    theirs = ort_outputs(model, data)["last_hidden_state"]
    assert min_row_cosine(ours, theirs) >= 0.999


@pytest.mark.parametrize("flags, message", [
    (["--weight-type", "int4", "--format", "qoperator"], "QOperator format needs 8-bit"),
    (["--activation-type", "int4"], "int4 activations are not supported"),
    (["--weight-type", "int4", "--block-size", "0"], "--block-size: must be ≥ 1"),
    (["--weight-type", "int4", "--block-size", "8", "--per-channel"], "exclude each other"),
])
def test_int4_refusals(run_qkit, tmp_path, flags, message):
    out = tmp_path / "q.onnx"
    result = run_qkit("quantize", DIGITS / "model.onnx", "-o", out, "--mode", "static", "--calibration",
                      DIGITS / "calibration.npz", *flags, check=False)
    assert result.returncode != 0
    assert message in result.stderr, result.stderr
    assert not out.exists()
