"""`qkit convert` writes models that pass onnx.checker and that onnxruntime runs to the original's outputs:
exactly for a plain or external-data re-write, within 1e-5 after --optimize."""

import hashlib
from collections import Counter

import numpy as np
import onnx
import pytest
from onnx import helper, numpy_helper

from interop_support import FIXTURE_MODELS, ort_outputs, ort_session

EXTERNAL_THRESHOLD = 1024
MODES = {
    "plain": [],
    "optimize": ["--optimize"],
    "external": ["--external-data-threshold", str(EXTERNAL_THRESHOLD)],
}


def sha256(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def op_histogram(model: onnx.ModelProto) -> Counter:
    return Counter((node.domain or "ai.onnx", node.op_type) for node in model.graph.node)


def assert_external_layout(path) -> None:
    """Initializers of at least EXTERNAL_THRESHOLD bytes live in files beside the model; smaller ones inline."""
    model = onnx.load(str(path), load_external_data=False)
    locations = set()
    for tensor in model.graph.initializer:
        nbytes = numpy_helper.to_array(tensor).nbytes if tensor.data_location != onnx.TensorProto.EXTERNAL else \
            int(next(e.value for e in tensor.external_data if e.key == "length"))
        external = tensor.data_location == onnx.TensorProto.EXTERNAL
        assert external == (nbytes >= EXTERNAL_THRESHOLD), \
            f"initializer {tensor.name} ({nbytes} bytes) is {'external' if external else 'inline'}"
        if external:
            location = next(e.value for e in tensor.external_data if e.key == "location")
            assert not location.startswith("/") and ".." not in location, f"{tensor.name}: location {location}"
            locations.add(location)
    assert locations, "no initializer was written to an external file"
    for location in locations:
        assert (path.parent / location).is_file(), f"external data file {location} is missing beside {path.name}"


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", FIXTURE_MODELS)
def test_convert_round_trip(name, mode, run_qkit, tmp_path):
    fixture = FIXTURE_MODELS[name]
    original_hash = sha256(fixture.model)
    out_dir = tmp_path / "converted"
    out_dir.mkdir()
    out = out_dir / "model.onnx"
    run_qkit("convert", fixture.model, "-o", out, *MODES[mode])

    assert sha256(fixture.model) == original_hash, "qkit convert modified its input file"
    onnx.checker.check_model(str(out), full_check=True)
    if mode == "external":
        assert_external_layout(out)

    feeds = fixture.feeds(ort_session(fixture.model))
    want = ort_outputs(fixture.model, feeds)
    got = ort_outputs(out, feeds)  # loads external data relative to the model's directory
    assert got.keys() == want.keys()
    for output, value in want.items():
        if mode == "optimize":
            np.testing.assert_allclose(got[output], value, rtol=1e-5, atol=1e-5, err_msg=f"{name} {output}")
        else:
            np.testing.assert_array_equal(got[output], value, err_msg=f"{name} {output}")


def test_optimize_folds_batchnorm_and_fuses_relu(run_qkit, tmp_path):
    out = tmp_path / "digits-optimized.onnx"
    run_qkit("convert", FIXTURE_MODELS["digits"].model, "-o", out, "--optimize")
    model = onnx.load(str(out))
    assert op_histogram(model) == Counter({
        ("com.microsoft", "FusedConv"): 2,  # Conv+BatchNormalization+Relu, Conv+Relu
        ("ai.onnx", "MaxPool"): 2,
        ("ai.onnx", "Flatten"): 1,
        ("com.microsoft", "FusedGemm"): 1,  # Gemm+Relu
        ("ai.onnx", "Gemm"): 1,
    })
    fused = [n for n in model.graph.node if n.op_type in ("FusedConv", "FusedGemm")]
    for node in fused:
        activation = next((a for a in node.attribute if a.name == "activation"), None)
        assert activation is not None and activation.s == b"Relu", f"{node.name}: activation {activation}"
    assert any(o.domain == "com.microsoft" for o in model.opset_import), "no opset import for com.microsoft"


def test_optimize_removes_dead_nodes_and_folds_constants(run_qkit, tmp_path):
    """A digits model with a dead branch and a constant subgraph (the last bias computed as half + half)."""
    model = onnx.load(str(FIXTURE_MODELS["digits"].model))
    graph = model.graph
    bias = next(t for t in graph.initializer if t.name == "fc2.bias")
    half = numpy_helper.from_array(numpy_helper.to_array(bias) / 2, "fc2.bias_half")
    graph.initializer.remove(bias)
    graph.initializer.append(half)
    graph.node.insert(0, helper.make_node("Add", ["fc2.bias_half", "fc2.bias_half"], ["fc2.bias"],
                                          name="constant_bias_sum"))
    graph.node.append(helper.make_node("Sigmoid", ["relu3"], ["dead_sigmoid"], name="dead_sigmoid"))
    graph.node.append(helper.make_node("Neg", ["dead_sigmoid"], ["dead_neg"], name="dead_neg"))
    source = tmp_path / "digits-with-extras.onnx"
    onnx.save(model, str(source))

    out = tmp_path / "optimized.onnx"
    run_qkit("convert", source, "-o", out, "--optimize")
    optimized = onnx.load(str(out))
    onnx.checker.check_model(optimized, full_check=True)
    left = {node.op_type for node in optimized.graph.node}
    assert not left & {"Add", "Sigmoid", "Neg"}, f"constant or dead nodes survived: {sorted(left)}"

    feeds = FIXTURE_MODELS["digits"].feeds(ort_session(source))
    np.testing.assert_allclose(ort_outputs(out, feeds)["logits"], ort_outputs(source, feeds)["logits"],
                               rtol=1e-5, atol=1e-5)
