"""QuantKit's runtime and onnxruntime run statically quantized models alike: QuantKit's own QDQ and QOperator models
and onnxruntime's quantize_static output (QDQ and QOperator, per-tensor and per-channel), with qkit's default
integer execution (IntegerFusion: int8 kernels, fixed-point requantization).

Tolerances:
- int8 values (a graph output that is a QuantizeLinear output, or DequantizeLinear of one): within one quantization
  step. Both runtimes compute the same int32 accumulators exactly; onnxruntime requantizes with a float multiplier,
  qkit with a Q31 multiplier and rounding shift, and the two roundings can land one step apart where acc · M is
  within about 2^-shift of a rounding boundary. qkit rounds acc · M once (64-bit product, ties to even); measured:
  2 of 368,640 digits conv1 outputs differ (Tests/interop/test_requantize_exact.py).
- float logits computed by a float head Gemm from int8 activations h (QuantKit's models keep the last Gemm's output
  in float): if every h element is within one step s_h, |Δlogit_j| ≤ s_h · Σ_k |W[k, j]| (plus fp32 rounding). The
  test asserts this bound per column and that top-1 agrees on ≥ 99 % of samples (a one-step flip can swap a
  near-tie; measured: 1 of 360 on the per-tensor QOperator model).
- encoder last_hidden_state (float after LayerNorm): cosine ≥ 0.999 per sample (measured ≥ 0.9998): one-step
  differences in int8 activations propagate through softmax and LayerNorm.
"""

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from interop_support import FIXTURES, ort_outputs

DIGITS = FIXTURES / "digits"
ENCODER = FIXTURES / "encoder"


def qkit_outputs(run_qkit, model, data, out_dir):
    run_qkit("run", model, "--inputs", data, "--output-dir", out_dir)
    return {path.stem: np.load(path) for path in out_dir.glob("*.npy")}


def quantize_with_qkit(run_qkit, source, calibration, out, fmt, per_channel):
    flags = (["--per-channel"] if per_channel else []) + ["--format", fmt]
    run_qkit("quantize", source, "-o", out, "--mode", "static", "--calibration", calibration, *flags)


def head_bound(path):
    """Per logit column, s_h · Σ_k |W[k, j]| of the float Gemm that writes the graph output from DQ(h), DQ(W)."""
    model = onnx.load(path)
    constants = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    producers = {o: n for n in model.graph.node for o in n.output}
    head = producers[model.graph.output[0].name]
    assert head.op_type == "Gemm", f"expected a float head Gemm, got {head.op_type}"
    dq_h, dq_w = producers[head.input[0]], producers[head.input[1]]
    s_h = float(constants[dq_h.input[1]])
    w_q = constants[dq_w.input[0]].astype(np.float64)
    w_scale = constants[dq_w.input[1]].astype(np.float64)
    w_zero = constants[dq_w.input[2]].astype(np.float64) if len(dq_w.input) > 2 else 0.0
    axis = next((a.i for a in dq_w.attribute if a.name == "axis"), 1)
    shape = [1, 1]
    if w_scale.size > 1:
        shape[axis] = -1
    w = (w_q - np.reshape(w_zero, shape)) * np.reshape(w_scale, shape)
    trans_b = next((a.i for a in head.attribute if a.name == "transB"), 0)
    return s_h * np.abs(w.T if trans_b else w).sum(axis=0)


def truncated(model, value):
    """`model` computing only `value` (a uint8 tensor) as its graph output: the nodes it depends on, in order."""
    producers = {o: n for n in model.graph.node for o in n.output}
    needed, pending = set(), [value]
    while pending:
        node = producers.get(pending.pop())
        if node is not None and node.name not in needed:
            needed.add(node.name)
            pending.extend(node.input)
    kept = [n for n in model.graph.node if n.name in needed]
    del model.graph.node[:]
    model.graph.node.extend(kept)
    del model.graph.output[:]
    model.graph.output.append(onnx.helper.make_tensor_value_info(value, onnx.TensorProto.UINT8, None))
    return model


def assert_logits_agree(ours, theirs, bound):
    assert (np.abs(ours - theirs) <= bound[None, :] * (1 + 1e-5) + 1e-4).all()
    assert (ours.argmax(1) == theirs.argmax(1)).mean() >= 0.99


@pytest.mark.parametrize("fmt", ["qdq", "qoperator"])
@pytest.mark.parametrize("per_channel", [False, True], ids=["per-tensor", "per-channel"])
def test_digits_static_models_run_alike(run_qkit, tmp_path, fmt, per_channel):
    model = tmp_path / "q.onnx"
    quantize_with_qkit(run_qkit, DIGITS / "model.onnx", DIGITS / "calibration.npz", model, fmt, per_channel)
    ours = qkit_outputs(run_qkit, model, DIGITS / "test.npz", tmp_path / "out")["logits"]
    theirs = ort_outputs(model, {"input": np.load(DIGITS / "test.npz")["input"]})["logits"]
    assert_logits_agree(ours, theirs, head_bound(model))


@pytest.mark.parametrize("fmt", ["qdq", "qoperator"])
def test_digits_hidden_int8_within_one_step(run_qkit, tmp_path, fmt):
    """The uint8 activation feeding the float head, as a graph output: qkit and onnxruntime within one step."""
    model = tmp_path / "q.onnx"
    quantize_with_qkit(run_qkit, DIGITS / "model.onnx", DIGITS / "calibration.npz", model, fmt, True)
    full = onnx.load(model)
    producers = {o: n for n in full.graph.node for o in n.output}
    head = producers[full.graph.output[0].name]
    hidden = producers[head.input[0]].input[0]                     # DQ(h) → Gemm: h is 8-bit
    cut = tmp_path / "hidden.onnx"
    onnx.save(truncated(full, hidden), cut)
    ours = qkit_outputs(run_qkit, cut, DIGITS / "test.npz", tmp_path / "out")[hidden]
    theirs = ort_outputs(cut, {"input": np.load(DIGITS / "test.npz")["input"]})[hidden]
    assert ours.dtype == theirs.dtype == np.uint8
    assert np.abs(ours.astype(int) - theirs.astype(int)).max() <= 1
    assert (ours == theirs).mean() >= 0.95


@pytest.mark.parametrize("fmt", ["qdq", "qoperator"])
def test_encoder_static_models_run_alike(run_qkit, tmp_path, fmt):
    model = tmp_path / "q.onnx"
    quantize_with_qkit(run_qkit, ENCODER / "model.onnx", ENCODER / "calibration.npz", model, fmt, False)
    data = dict(np.load(ENCODER / "inputs.npz"))
    ours = qkit_outputs(run_qkit, model, ENCODER / "inputs.npz", tmp_path / "out")["last_hidden_state"]
    theirs = ort_outputs(model, data)["last_hidden_state"]
    a, b = ours.reshape(len(ours), -1), theirs.reshape(len(theirs), -1)
    cosine = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert cosine.min() >= 0.999


class CalibrationReader:
    """onnxruntime's CalibrationDataReader over the shipped calibration set, 32 samples per batch."""

    def __init__(self, path):
        data = np.load(path)["input"]
        self.batches = iter([{"input": data[i:i + 32]} for i in range(0, len(data), 32)])

    def get_next(self):
        return next(self.batches, None)


@pytest.mark.parametrize("fmt", ["qdq", "qoperator"])
@pytest.mark.parametrize("per_channel", [False, True], ids=["per-tensor", "per-channel"])
def test_onnxruntime_quantized_digits_run_alike(run_qkit, tmp_path, fmt, per_channel):
    """onnxruntime's own quantize_static output; its logits are DequantizeLinear(uint8): within one step."""
    from onnxruntime.quantization import QuantFormat, QuantType, quantize_static

    model = tmp_path / "ort_q.onnx"
    quantize_static(str(DIGITS / "model.onnx"), str(model), CalibrationReader(DIGITS / "calibration.npz"),
                    quant_format=QuantFormat.QDQ if fmt == "qdq" else QuantFormat.QOperator, per_channel=per_channel,
                    activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8)
    graph = onnx.load(model).graph
    last = next(n for n in graph.node if n.output[0] == graph.output[0].name)
    assert last.op_type == "DequantizeLinear"
    step = float(numpy_helper.to_array(next(t for t in graph.initializer if t.name == last.input[1])))
    ours = qkit_outputs(run_qkit, model, DIGITS / "test.npz", tmp_path / "out")["logits"]
    theirs = ort_outputs(model, {"input": np.load(DIGITS / "test.npz")["input"]})["logits"]
    steps = np.abs(ours - theirs) / step
    assert steps.max() <= 1 + 1e-4
    assert (steps < 0.5).mean() >= 0.9
    assert (ours.argmax(1) == theirs.argmax(1)).mean() >= 0.99
