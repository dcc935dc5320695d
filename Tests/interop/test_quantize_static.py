"""`qkit quantize --mode static` writes QDQ and QOperator models that pass onnx.checker and run in onnxruntime,
keep the digits CNN's accuracy (per-channel: ≤ 0.5 pt below fp32 and ≤ 0.3 pt below onnxruntime's own
quantize_static with the same calibration data and its counterpart of the calibration method), keep the transformer encoder's output (cosine ≥ 0.98 vs fp32,
where the attention mask must stay out of the ranges), and refuse bad input with a one-line error and no output."""

import os
import pathlib

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from interop_support import FIXTURES, ort_outputs, ort_session

DIGITS = FIXTURES / "digits"
ENCODER = FIXTURES / "encoder"
METHODS = ["minmax", "moving-average", "percentile", "entropy", "mse"]
FORMATS = ["qdq", "qoperator"]
GRANULARITIES = {"per-tensor": [], "per-channel": ["--per-channel"]}
# Per-tensor weights of the 8×8 digits CNN lose more than per-channel; 1 pt is still a working model.
PER_TENSOR_LOSS = 1.0
PER_CHANNEL_LOSS = 0.5
ORT_MARGIN = 0.3


def digits_accuracy(path) -> float:
    test = np.load(DIGITS / "test.npz")
    logits = ort_session(path).run(None, {"input": test["input"]})[0]
    return float((logits.argmax(axis=1) == test["labels"]).mean() * 100)


@pytest.fixture(scope="session")
def fp32_accuracy() -> float:
    return digits_accuracy(DIGITS / "model.onnx")


# onnxruntime's counterpart of each method (it has no MSE calibrator: MinMax stands in).
ORT_METHODS = {"minmax": ("MinMax", {}), "moving-average": ("MinMax", {"CalibMovingAverage": True}),
               "percentile": ("Percentile", {}), "entropy": ("Entropy", {}), "mse": ("MinMax", {})}


@pytest.fixture(scope="session")
def ort_static_accuracy(tmp_path_factory):
    """onnxruntime's quantize_static on the same model and calibration data (QDQ, U8S8) with its counterpart of a
    method, per-channel or per-tensor: a function (method, per_channel) → accuracy, cached."""
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    class Reader(CalibrationDataReader):
        def __init__(self):
            data = np.load(DIGITS / "calibration.npz")["input"]
            self.batches = iter([{"input": data[i:i + 64]} for i in range(0, len(data), 64)])

        def get_next(self):
            return next(self.batches, None)

    folder = tmp_path_factory.mktemp("ort")
    prepared = folder / "prepared.onnx"
    quant_pre_process(str(DIGITS / "model.onnx"), str(prepared), skip_symbolic_shape=True)
    cache = {}

    def accuracy(method: str, per_channel: bool) -> float:
        name, options = ORT_METHODS[method]
        key = (name, tuple(options), per_channel)
        if key not in cache:
            out = folder / f"ort_{name}_{len(cache)}.onnx"
            quantize_static(str(prepared), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=per_channel,
                            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                            calibrate_method=getattr(CalibrationMethod, name), extra_options=options)
            cache[key] = digits_accuracy(out)
        return cache[key]

    return accuracy


CASES = [(m, g, f) for m in METHODS for g in GRANULARITIES for f in FORMATS]


@pytest.mark.parametrize(("method", "granularity", "fmt"), CASES)
def test_digits_accuracy(run_qkit, tmp_path, method, granularity, fmt, fp32_accuracy, ort_static_accuracy,
                         report_line):
    out = tmp_path / "q.onnx"
    run_qkit("quantize", DIGITS / "model.onnx", "-o", out, "--mode", "static", "--calibration",
             DIGITS / "calibration.npz", "--method", method, "--format", fmt, *GRANULARITIES[granularity])
    onnx.checker.check_model(onnx.load(out), full_check=True)
    accuracy = digits_accuracy(out)
    per_channel = granularity == "per-channel"
    ort = ort_static_accuracy(method, per_channel)
    ort_name, ort_options = ORT_METHODS[method]
    ort_label = ort_name + (" + moving average" if ort_options else "")
    report_line(f"digits static {method:15s} {granularity:11s} {fmt:9s}: {accuracy:.2f} % "
                f"(fp32 {fp32_accuracy:.2f} %, onnxruntime {ort_label} {granularity} {ort:.2f} %)")
    assert accuracy >= fp32_accuracy - (PER_CHANNEL_LOSS if per_channel else PER_TENSOR_LOSS)
    if per_channel:
        assert accuracy >= ort - ORT_MARGIN


def cosines(reference: np.ndarray, other: np.ndarray) -> np.ndarray:
    a = reference.reshape(reference.shape[0], -1).astype(np.float64)
    b = other.reshape(other.shape[0], -1).astype(np.float64)
    return (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("method", ["minmax", "entropy"])
def test_encoder_cosine(run_qkit, tmp_path, fmt, method, report_line):
    out = tmp_path / "q.onnx"
    result = run_qkit("quantize", ENCODER / "model.onnx", "-o", out, "--mode", "static", "--per-channel",
                      "--calibration", ENCODER / "calibration.npz", "--format", fmt, "--method", method)
    mask_lines = [line for line in result.stdout.splitlines() if "Add_mask (Add)" in line]
    assert mask_lines and all("kept fp32" in line for line in mask_lines), result.stdout
    onnx.checker.check_model(onnx.load(out), full_check=True)
    inputs = dict(np.load(ENCODER / "inputs.npz"))
    reference = ort_outputs(ENCODER / "model.onnx", inputs)
    quantized = ort_outputs(out, inputs)
    worst = min(cosines(reference[name], quantized[name]).min() for name in reference)
    report_line(f"encoder static {method} {fmt}: min output cosine {worst:.5f}")
    assert worst >= 0.98


# ---- bad input: one-line error, non-zero exit, no output file, input untouched ----

def write_npz(path, **arrays):
    np.savez(path, **arrays)
    return path


def refuse(run_qkit, out, *args, expect: str):
    model = args[0]
    before = model.read_bytes() if model.exists() else None
    result = run_qkit("quantize", *args, "-o", out, "--mode", "static", check=False)
    assert result.returncode != 0
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1, message
    assert expect in message, message
    assert not out.exists()
    if before is not None:
        assert model.read_bytes() == before


def test_refuses_empty_calibration(run_qkit, tmp_path):
    data = write_npz(tmp_path / "empty.npz", input=np.zeros((0, 1, 8, 8), np.float32))
    refuse(run_qkit, tmp_path / "q.onnx", DIGITS / "model.onnx", "--calibration", data, expect="no samples")


DIGITS_INPUT = "model input expects float32[batch, 1, 8, 8]"


def test_refuses_wrong_array_name(run_qkit, tmp_path):
    data = write_npz(tmp_path / "bad.npz", pixels=np.zeros((4, 1, 8, 8), np.float32))
    refuse(run_qkit, tmp_path / "q.onnx", DIGITS / "model.onnx", "--calibration", data,
           expect="bad.npz: no array named 'input' for model input float32[batch, 1, 8, 8] (arrays: pixels)")


@pytest.mark.parametrize("shape", [(4, 1, 9, 9), (4, 64)])
def test_refuses_wrong_shape(run_qkit, tmp_path, shape):
    data = write_npz(tmp_path / "bad.npz", input=np.zeros(shape, np.float32))
    refuse(run_qkit, tmp_path / "q.onnx", DIGITS / "model.onnx", "--calibration", data,
           expect=f"bad.npz: array 'input' has shape {list(shape)}, {DIGITS_INPUT}")


def test_refuses_wrong_dtype(run_qkit, tmp_path):
    data = write_npz(tmp_path / "bad.npz", input=np.zeros((4, 1, 8, 8), np.float64))
    refuse(run_qkit, tmp_path / "q.onnx", DIGITS / "model.onnx", "--calibration", data,
           expect=f"bad.npz: array 'input' is float64[4, 1, 8, 8], {DIGITS_INPUT}")


def test_refuses_differing_sample_counts(run_qkit, tmp_path):
    arrays = dict(np.load(ENCODER / "calibration.npz"))
    data = write_npz(tmp_path / "bad.npz", input_ids=arrays["input_ids"], attention_mask=arrays["attention_mask"][:32])
    refuse(run_qkit, tmp_path / "q.onnx", ENCODER / "model.onnx", "--calibration", data,
           expect="different sample counts ('input_ids': 64, 'attention_mask': 32)")


def test_refuses_missing_or_empty_calibration_source(run_qkit, tmp_path):
    refuse(run_qkit, tmp_path / "q.onnx", DIGITS / "model.onnx", expect="needs calibration data")
    folder = tmp_path / "empty"
    folder.mkdir()
    refuse(run_qkit, tmp_path / "q.onnx", DIGITS / "model.onnx", "--calibration", folder,
           expect="directory has no .npy or .npz files")


@pytest.mark.parametrize("value", [np.nan, -np.inf])
def test_refuses_non_finite_calibration(run_qkit, tmp_path, value):
    values = np.zeros((4, 1, 8, 8), np.float32)
    values[2, 0, 3, 1] = value
    data = write_npz(tmp_path / "bad.npz", input=values)
    index = np.ravel_multi_index((2, 0, 3, 1), values.shape)
    refuse(run_qkit, tmp_path / "q.onnx", DIGITS / "model.onnx", "--calibration", data,
           expect=f"'input' holds {str(value).lower()} at flat index {index}")


def test_refuses_nan_weights(run_qkit, tmp_path):
    model = onnx.load(DIGITS / "model.onnx")
    weight = next(t for t in model.graph.initializer if t.name == "fc2.weight")
    values = numpy_helper.to_array(weight).copy()
    values.flat[5] = np.inf
    weight.CopyFrom(numpy_helper.from_array(values, "fc2.weight"))
    path = tmp_path / "inf.onnx"
    onnx.save(model, path)
    refuse(run_qkit, tmp_path / "q.onnx", path, "--calibration", DIGITS / "calibration.npz",
           expect="'fc2.weight' holds inf at flat index 5")


@pytest.mark.parametrize("alias", ["same", "relative", "symlink"])
def test_refuses_output_equal_to_input(run_qkit, tmp_path, alias):
    path = tmp_path / "model.onnx"
    path.write_bytes((DIGITS / "model.onnx").read_bytes())
    output = {"same": path, "relative": tmp_path / "sub" / ".." / "model.onnx", "symlink": tmp_path / "link.onnx"}[alias]
    (tmp_path / "sub").mkdir()
    if alias == "symlink":
        output.symlink_to(path)
    result = run_qkit("quantize", path, "-o", output, "--mode", "static", "--calibration",
                      DIGITS / "calibration.npz", check=False)
    assert result.returncode != 0 and "overwrite the input" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert path.read_bytes() == (DIGITS / "model.onnx").read_bytes()


def test_refuses_missing_output_directory(run_qkit, tmp_path):
    refuse(run_qkit, tmp_path / "missing" / "q.onnx", DIGITS / "model.onnx", "--calibration",
           DIGITS / "calibration.npz", expect="does not exist")


def test_refuses_unwritable_output_directory(run_qkit, tmp_path):
    """A directory the user may not write to; for root (as in CI), which may write anywhere, /sys: a read-only
    mount."""
    if os.geteuid() == 0:
        refuse(run_qkit, pathlib.Path("/sys") / "q.onnx", DIGITS / "model.onnx", "--calibration",
               DIGITS / "calibration.npz", expect="writ")
        assert not os.path.exists("/sys/q.onnx")
        return
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o500)
    try:
        refuse(run_qkit, folder / "q.onnx", DIGITS / "model.onnx", "--calibration", DIGITS / "calibration.npz",
               expect="writ")
    finally:
        folder.chmod(0o700)


def test_refuses_quantized_model(run_qkit, tmp_path):
    first = tmp_path / "q1.onnx"
    run_qkit("quantize", DIGITS / "model.onnx", "-o", first, "--mode", "static", "--calibration",
             DIGITS / "calibration.npz")
    refuse(run_qkit, tmp_path / "q2.onnx", first, "--calibration", DIGITS / "calibration.npz",
           expect="already quantized")
