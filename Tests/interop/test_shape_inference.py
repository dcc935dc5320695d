"""`qkit convert --infer-shapes` writes value_info that onnx's checker accepts and that agrees with onnx's own
shape inference wherever onnx knows a dimension (QuantKit may know more: it keeps symbolic dims that onnx drops)."""

import os
import subprocess

import onnx
import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def dims(value):
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None) for d in value.type.tensor_type.shape.dim]


@pytest.mark.parametrize("fixture", ["digits", "encoder"])
def test_inferred_shapes_agree_with_onnx(tmp_path, fixture):
    source = os.path.join(ROOT, "Fixtures", fixture, "model.onnx")
    out = tmp_path / "inferred.onnx"
    subprocess.run([os.environ["QKIT"], "convert", source, "-o", str(out), "--infer-shapes"], check=True,
                   capture_output=True, timeout=120)
    ours = onnx.load(str(out))
    onnx.checker.check_model(ours, full_check=True)
    theirs = onnx.shape_inference.infer_shapes(onnx.load(source), strict_mode=True, data_prop=True)
    reference = {v.name: v for v in theirs.graph.value_info}
    inferred = {v.name: v for v in ours.graph.value_info}
    produced = {o for n in ours.graph.node for o in n.output} - {o.name for o in ours.graph.output}
    assert set(inferred) == produced, "every intermediate value gets a type"
    compared = 0
    for name, value in reference.items():
        assert value.type.tensor_type.elem_type == inferred[name].type.tensor_type.elem_type, name
        theirs_dims, ours_dims = dims(value), dims(inferred[name])
        assert len(theirs_dims) == len(ours_dims), name
        for t, o in zip(theirs_dims, ours_dims):
            if isinstance(t, int) or (isinstance(t, str) and not t.startswith("unk__")):
                assert t == o, f"{name}: onnx says {theirs_dims}, qkit says {ours_dims}"
                compared += 1
    assert compared > 10
