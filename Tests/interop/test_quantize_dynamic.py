"""`qkit quantize --mode dynamic|fp16|bf16` writes models that pass onnx.checker; dynamic and fp16 models run in
onnxruntime and agree with qkit's own runtime; quality vs fp32: digits accuracy (dynamic and fp16 lose ≤ 1 pt)
and encoder output cosine (dynamic int8 ≥ 0.99, fp16 ≥ 0.999). bf16 models run in qkit (onnxruntime's CPU
provider has no bfloat16 Add/BatchNormalization kernels, so it is not asked to run them)."""

import numpy as np
import onnx
import pytest

from interop_support import FIXTURE_MODELS, ort_outputs

DYNAMIC_VARIANTS = {"dynamic": ["--mode", "dynamic"], "dynamic-per-channel": ["--mode", "dynamic", "--per-channel"]}
FLOAT_VARIANTS = {"fp16": ["--mode", "fp16"], "bf16": ["--mode", "bf16"]}
DIGITS_LOSS = 1.0  # accuracy points on 360 test digits: ≤ 3 digits
COSINE = {"dynamic": 0.99, "dynamic-per-channel": 0.99, "fp16": 0.999, "bf16": 0.99}


def min_cosine(a: np.ndarray, b: np.ndarray) -> float:
    a = a.reshape(len(a), -1).astype(np.float64)
    b = b.reshape(len(b), -1).astype(np.float64)
    return float(((a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)).min())


def quantized(run_qkit, tmp_path, fixture, name, args):
    out = tmp_path / f"{fixture.name}-{name}.onnx"
    run_qkit("quantize", fixture.model, "-o", out, *args)
    onnx.checker.check_model(onnx.load(out), full_check=True)
    return out


def qkit_outputs(run_qkit, tmp_path, model, fixture) -> dict:
    folder = tmp_path / "qkit-out"
    folder.mkdir(exist_ok=True)
    run_qkit("run", model, "--inputs", fixture.data, "--output-dir", folder)
    return {p.stem: np.load(p) for p in folder.glob("*.npy")}


def feeds(fixture) -> dict:
    data = np.load(fixture.data)
    inputs = [i.name for i in onnx.load(fixture.model).graph.input]
    return {name: data[name] for name in inputs if name in data}


@pytest.mark.parametrize("fixture_name", ["digits", "encoder"])
@pytest.mark.parametrize("variant", list(DYNAMIC_VARIANTS) + ["fp16"])
def test_onnxruntime_runs_and_quality_holds(run_qkit, tmp_path, report_line, fixture_name, variant):
    fixture = FIXTURE_MODELS[fixture_name]
    args = {**DYNAMIC_VARIANTS, **FLOAT_VARIANTS}[variant]
    model = quantized(run_qkit, tmp_path, fixture, variant, args)
    reference = ort_outputs(fixture.model, feeds(fixture))
    ours = ort_outputs(model, feeds(fixture))
    if fixture_name == "digits":
        labels = np.load(fixture.data)["labels"]
        fp32 = (next(iter(reference.values())).argmax(1) == labels).mean() * 100
        accuracy = (next(iter(ours.values())).argmax(1) == labels).mean() * 100
        report_line(f"digits {variant}: accuracy {accuracy:.2f} % (fp32 {fp32:.2f} %)")
        assert accuracy >= fp32 - DIGITS_LOSS
    else:
        cosine = min(min_cosine(ours[k], reference[k]) for k in reference)
        report_line(f"encoder {variant}: min per-sample output cosine vs fp32 {cosine:.5f}")
        assert cosine >= COSINE[variant]


@pytest.mark.parametrize("fixture_name", ["digits", "encoder"])
@pytest.mark.parametrize("variant", list(DYNAMIC_VARIANTS) + ["fp16"])
def test_qkit_agrees_with_onnxruntime(run_qkit, tmp_path, fixture_name, variant):
    """Dynamic: DynamicQuantizeLinear and the integer product are exact in both runtimes, only the float rescale and
    the fp32 ops around it differ in summation order → 1e-3 of the output's scale. fp16: each fp16 op rounds its
    output to 11 significant bits (relative 2⁻¹¹ ≈ 5e-4) and the two runtimes accumulate in different orders, over
    ~10 (digits) to ~40 (encoder) ops → 2e-2 of the output's scale."""
    fixture = FIXTURE_MODELS[fixture_name]
    args = {**DYNAMIC_VARIANTS, **FLOAT_VARIANTS}[variant]
    model = quantized(run_qkit, tmp_path, fixture, variant, args)
    theirs = ort_outputs(model, feeds(fixture))
    ours = qkit_outputs(run_qkit, tmp_path, model, fixture)
    tolerance = 2e-2 if variant == "fp16" else 1e-3
    for name, expected in theirs.items():
        scale = float(np.abs(expected).max())
        assert np.abs(ours[name] - expected).max() <= tolerance * scale, name


@pytest.mark.parametrize("fixture_name", ["digits", "encoder"])
def test_bf16_runs_in_qkit(run_qkit, tmp_path, report_line, fixture_name):
    fixture = FIXTURE_MODELS[fixture_name]
    model = quantized(run_qkit, tmp_path, fixture, "bf16", FLOAT_VARIANTS["bf16"])
    initializers = onnx.load(model).graph.initializer
    assert any(t.data_type == onnx.TensorProto.BFLOAT16 for t in initializers)
    reference = ort_outputs(fixture.model, feeds(fixture))
    ours = qkit_outputs(run_qkit, tmp_path, model, fixture)
    if fixture_name == "digits":
        labels = np.load(fixture.data)["labels"]
        fp32 = (next(iter(reference.values())).argmax(1) == labels).mean() * 100
        accuracy = (next(iter(ours.values())).argmax(1) == labels).mean() * 100
        report_line(f"digits bf16 (qkit runtime): accuracy {accuracy:.2f} % (fp32 {fp32:.2f} %)")
        assert accuracy >= fp32 - DIGITS_LOSS
    else:
        cosine = min(min_cosine(ours[k], reference[k]) for k in reference)
        report_line(f"encoder bf16 (qkit runtime): min per-sample output cosine vs fp32 {cosine:.5f}")
        assert cosine >= COSINE["bf16"]


def test_fp16_keeps_float32_io_and_mask_constant(run_qkit, tmp_path):
    model = onnx.load(quantized(run_qkit, tmp_path, FIXTURE_MODELS["encoder"], "fp16", FLOAT_VARIANTS["fp16"]))
    float_io = [v for v in list(model.graph.input) + list(model.graph.output)
                if v.type.tensor_type.elem_type in (onnx.TensorProto.FLOAT, onnx.TensorProto.FLOAT16)]
    assert all(v.type.tensor_type.elem_type == onnx.TensorProto.FLOAT for v in float_io)
    kinds = {t.name: t.data_type for t in model.graph.initializer}
    # −3.4e38 becomes −inf in float16 and 0 · −inf = NaN in the mask Mul: the constant must stay float32.
    assert kinds["const_f32_min"] == onnx.TensorProto.FLOAT
    assert any(k == onnx.TensorProto.FLOAT16 for k in kinds.values())
