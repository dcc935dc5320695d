"""qkit's integer requantization (Q31 multiplier, one rounding of the exact 64-bit product, ties to even) against
onnxruntime's float requantization, on the digits CNN's first quantized convolution (per-channel QDQ, integer
execution): both compute the same int32 accumulators; onnxruntime rounds acc · M in float32 to nearest even.

The two can differ only where acc · M lies within float32/Q31 precision of a half-integer. Measured: 2 of 368 640
outputs (0.0005 %); the former two-step fixed-point rounding (gemmlowp style) differed on 570 (0.15 %).
"""

import numpy as np
import onnx

from interop_support import FIXTURES, ort_outputs
from test_quantized_models_agree import qkit_outputs, quantize_with_qkit, truncated

DIGITS = FIXTURES / "digits"


def first_conv_output(model):
    """The uint8 output of the QuantizeLinear that follows the graph's first Conv (through its Relu)."""
    consumers = {}
    for node in model.graph.node:
        for name in node.input:
            consumers.setdefault(name, []).append(node)
    value = next(n for n in model.graph.node if n.op_type == "Conv").output[0]
    while True:
        node = consumers[value][0]
        value = node.output[0]
        if node.op_type == "QuantizeLinear":
            return value


def test_digits_conv1_requantization_matches_onnxruntime(run_qkit, tmp_path):
    model = tmp_path / "q.onnx"
    quantize_with_qkit(run_qkit, DIGITS / "model.onnx", DIGITS / "calibration.npz", model, "qdq", True)
    full = onnx.load(model)
    value = first_conv_output(full)
    cut = tmp_path / "conv1.onnx"
    onnx.save(truncated(full, value), cut)
    ours = qkit_outputs(run_qkit, cut, DIGITS / "test.npz", tmp_path / "out")[value]
    theirs = ort_outputs(cut, {"input": np.load(DIGITS / "test.npz")["input"]})[value]
    assert ours.dtype == theirs.dtype == np.uint8 and ours.shape == theirs.shape
    difference = np.abs(ours.astype(int) - theirs.astype(int))
    assert difference.max() <= 1
    assert (difference != 0).mean() <= 2e-5
