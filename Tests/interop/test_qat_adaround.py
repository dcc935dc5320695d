"""`qkit quantize --adaround` (AdaRound, learned floor/ceil rounding of the weights) on the digits CNN with 4-bit
per-channel weights, checked with numpy and onnxruntime as peers:
- every 4-bit code is the floor or the ceil of w / s (clamped to [-8, 7]) of the float weight, and the scales are
  those of plain PTQ (AdaRound changes the rounding only);
- for conv2, fc1 and fc2 (whose float weights are the model's own) the layer output error
  mean_p ‖(W̃ − W) x_p‖² on the calibration inputs x_p (float activations from onnxruntime, im2col patches for the
  Conv, computed here in numpy) is below that of nearest rounding;
- onnxruntime runs the written model and agrees with qkit's runtime on the test images;
- the same inputs give the same bytes."""

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from interop_support import FIXTURES, min_row_cosine, ort_outputs

DIGITS = FIXTURES / "digits"
BASE = ["--mode", "static", "--calibration", DIGITS / "calibration.npz", "--weight-type", "int4", "--per-channel"]
LAYERS = {"conv2.weight": "pool1", "fc1.weight": "flatten", "fc2.weight": "relu3"}


def float_activations(tmp_path, names):
    """The float model's values `names` on calibration.npz, from onnxruntime."""
    model = onnx.load(DIGITS / "model.onnx")
    model.graph.output.extend(helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, None) for n in names)
    path = tmp_path / "probed.onnx"
    onnx.save(model, path)
    return ort_outputs(path, {"input": np.load(DIGITS / "calibration.npz")["input"]})


def columns(x, weight_shape):
    """Rows x_p the layer multiplies by its weight rows: 3×3 patches (pad 1, stride 1) for a Conv input, else x."""
    if x.ndim == 2:
        return x.astype(np.float64)
    n, c, h, w = x.shape
    padded = np.pad(x, [(0, 0), (0, 0), (1, 1), (1, 1)])
    patches = np.stack([padded[:, :, i:i + h, j:j + w] for i in range(3) for j in range(3)], axis=2)  # n c 9 h w
    return patches.reshape(n, c * 9, h * w).transpose(0, 2, 1).reshape(-1, int(np.prod(weight_shape[1:])))


def codes_and_scales(path, name):
    initializers = {t.name: numpy_helper.to_array(t) for t in onnx.load(path).graph.initializer}
    return initializers[name + "_quantized"].astype(np.int64), initializers[name + "_scale"].astype(np.float32)


@pytest.fixture(scope="module")
def quantized(run_qkit, tmp_path_factory):
    """(nearest-rounding PTQ, AdaRound PTQ, AdaRound PTQ again) paths; AdaRound is slow in a debug build, so the
    models are made once for the module."""
    folder = tmp_path_factory.mktemp("adaround")
    paths = folder / "nearest.onnx", folder / "adaround.onnx", folder / "adaround-again.onnx"
    run_qkit("quantize", DIGITS / "model.onnx", "-o", paths[0], *BASE)
    for path in paths[1:]:
        run_qkit("quantize", DIGITS / "model.onnx", "-o", path, *BASE, "--adaround")
    return paths


def test_adaround_rounds_to_floor_or_ceil_and_reconstructs_layers_better(quantized, tmp_path, report_line):
    nearest, learned, _ = quantized
    weights = {t.name: numpy_helper.to_array(t) for t in onnx.load(DIGITS / "model.onnx").graph.initializer}
    inputs = float_activations(tmp_path, list(LAYERS.values()))
    for name, source in LAYERS.items():
        w = weights[name].reshape(weights[name].shape[0], -1).astype(np.float64)
        near_codes, near_scales = codes_and_scales(nearest, name)
        codes, scales = codes_and_scales(learned, name)
        np.testing.assert_array_equal(scales, near_scales)
        ratio = w / scales.astype(np.float64)[:, None]
        codes = codes.reshape(w.shape)
        on_grid = (codes == np.clip(np.floor(ratio), -8, 7)) | (codes == np.clip(np.ceil(ratio), -8, 7))
        assert on_grid.all(), f"{name}: {np.count_nonzero(~on_grid)} codes are neither floor nor ceil of w / s"
        x = columns(inputs[source], weights[name].shape)

        def error(c):
            delta = c.reshape(w.shape) * scales.astype(np.float64)[:, None] - w
            return float(np.mean(np.sum((x @ delta.T) ** 2, axis=1)))

        before, after = error(near_codes), error(codes)
        report_line(f"{name}: layer output error {before:.4g} (nearest) → {after:.4g} (AdaRound), "
                    f"{np.count_nonzero(codes != near_codes.reshape(w.shape))} of {codes.size} codes changed")
        assert after < before, f"{name}: AdaRound error {after} is not below nearest rounding's {before}"


def test_adaround_model_runs_alike_in_onnxruntime_and_is_deterministic(run_qkit, quantized, tmp_path):
    _, first, second = quantized
    assert first.read_bytes() == second.read_bytes()
    test = np.load(DIGITS / "test.npz")
    reference = ort_outputs(first, {"input": test["input"]})["logits"]
    run_qkit("run", first, "--inputs", DIGITS / "test.npz", "--output-dir", tmp_path / "out")
    ours = np.load(tmp_path / "out" / "logits.npy")
    assert min_row_cosine(reference, ours) > 0.999


def test_adaround_needs_static_qdq_and_calibration(run_qkit, tmp_path):
    result = run_qkit("quantize", DIGITS / "model.onnx", "-o", tmp_path / "d.onnx", "--mode", "dynamic",
                      "--adaround", check=False)
    assert result.returncode != 0 and "--adaround" in result.stderr
    assert not (tmp_path / "d.onnx").exists()
