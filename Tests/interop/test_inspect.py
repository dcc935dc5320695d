"""`qkit inspect --json` reports the interface, op histogram, parameter count and opsets read from the file."""

import json
from collections import Counter

import numpy as np
import onnx
import pytest
from onnx import helper

from interop_support import FIXTURE_MODELS


def value_summary(info: onnx.ValueInfoProto) -> dict:
    tensor = info.type.tensor_type
    return {
        "name": info.name,
        "dtype": np.dtype(helper.tensor_dtype_to_np_dtype(tensor.elem_type)).name,
        "shape": [d.dim_param if d.HasField("dim_param") else str(d.dim_value) for d in tensor.shape.dim],
    }


def inspect_json(run_qkit, path) -> dict:
    result = run_qkit("inspect", path, "--json")
    try:
        return json.loads(result.stdout)
    except json.JSONDecodeError as error:
        pytest.fail(f"qkit inspect --json printed no JSON ({error}):\n{result.stdout[:2000]}", pytrace=False)


def normalized(values: list) -> list:
    return [{"name": v["name"], "dtype": v["dtype"], "shape": [str(d) for d in v["shape"]]} for v in values]


def test_inspect_digits(run_qkit):
    summary = inspect_json(run_qkit, FIXTURE_MODELS["digits"].model)
    assert normalized(summary["inputs"]) == [{"name": "input", "dtype": "float32", "shape": ["batch", "1", "8", "8"]}]
    assert normalized(summary["outputs"]) == [{"name": "logits", "dtype": "float32", "shape": ["batch", "10"]}]
    assert summary["ops"] == {"Conv": 2, "BatchNormalization": 1, "Relu": 3, "MaxPool": 2, "Flatten": 1, "Gemm": 2}
    # conv1 16*9+16, bn1 4*16, conv2 32*16*9+32, fc1 64*128+64, fc2 10*64+10
    assert summary["parameters"] == 160 + 64 + 4640 + 8256 + 650
    assert summary["opsets"].get("ai.onnx", summary["opsets"].get("")) == 17


@pytest.mark.parametrize("name", FIXTURE_MODELS)
def test_inspect_matches_onnx(name, run_qkit):
    path = FIXTURE_MODELS[name].model
    model = onnx.load(str(path))
    summary = inspect_json(run_qkit, path)
    assert normalized(summary["inputs"]) == [value_summary(v) for v in model.graph.input]
    assert normalized(summary["outputs"]) == [value_summary(v) for v in model.graph.output]
    assert summary["ops"] == dict(Counter(node.op_type for node in model.graph.node))
    assert summary["parameters"] == sum(int(np.prod(t.dims)) for t in model.graph.initializer)
