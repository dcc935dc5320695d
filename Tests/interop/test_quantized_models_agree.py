"""QuantKit's runtime and onnxruntime run the statically quantized (QDQ) models QuantKit writes with matching
outputs. Both compute the float ops between Q/DQ pairs in float32, so the int8 activations agree except where a
float-summation-order difference lands a value on the other side of a rounding tie; such a flip moves a logit by
about one activation step. Measured: per-channel digits logits identical, per-tensor one flip (0.038 of a 37 range); the bound (3e-3 of the
output range, same top-1 everywhere, encoder cosine ≥ 0.9999) leaves room for a few such flips."""

import numpy as np
import pytest

from interop_support import FIXTURES, ort_outputs

DIGITS = FIXTURES / "digits"
ENCODER = FIXTURES / "encoder"


def qkit_outputs(run_qkit, model, data, out_dir):
    run_qkit("run", model, "--inputs", data, "--output-dir", out_dir)
    return {path.stem: np.load(path) for path in out_dir.glob("*.npy")}


@pytest.mark.parametrize("granularity", ["per-tensor", "per-channel"])
def test_digits_static_qdq_runs_alike(run_qkit, tmp_path, granularity):
    model = tmp_path / "q.onnx"
    flags = ["--per-channel"] if granularity == "per-channel" else []
    run_qkit("quantize", DIGITS / "model.onnx", "-o", model, "--mode", "static", "--calibration",
             DIGITS / "calibration.npz", *flags)
    ours = qkit_outputs(run_qkit, model, DIGITS / "test.npz", tmp_path / "out")["logits"]
    theirs = ort_outputs(model, {"input": np.load(DIGITS / "test.npz")["input"]})["logits"]
    span = float(theirs.max() - theirs.min())
    assert np.abs(ours - theirs).max() <= 3e-3 * span
    assert (ours.argmax(1) == theirs.argmax(1)).all()


def test_encoder_static_qdq_runs_alike(run_qkit, tmp_path):
    model = tmp_path / "q.onnx"
    run_qkit("quantize", ENCODER / "model.onnx", "-o", model, "--mode", "static", "--calibration",
             ENCODER / "calibration.npz")
    data = dict(np.load(ENCODER / "inputs.npz"))
    ours = qkit_outputs(run_qkit, model, ENCODER / "inputs.npz", tmp_path / "out")["last_hidden_state"]
    theirs = ort_outputs(model, data)["last_hidden_state"]
    a, b = ours.reshape(len(ours), -1), theirs.reshape(len(theirs), -1)
    cosine = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    assert cosine.min() >= 0.9999
