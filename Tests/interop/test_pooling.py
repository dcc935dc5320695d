"""MaxPool in `qkit run` against onnxruntime on one-node models with seeded random inputs: fp32, uint8 and int8,
the 2×2 stride-2 window of CNNs on the shapes of the digits model (batch 1 and 32) and on odd and wide planes,
and other windows (3×3 stride 2, ceil mode, padding). Max pooling does no arithmetic, so outputs must be equal
(inputs hold no NaN: onnxruntime skips a NaN even as a window's first tap, qkit keeps it there)."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from interop_support import ort_outputs

ELEMENT = {np.float32: TensorProto.FLOAT, np.uint8: TensorProto.UINT8, np.int8: TensorProto.INT8}

CASES = [
    # (input shape, attributes)
    ([1, 16, 8, 8], {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ([32, 16, 8, 8], {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ([1, 32, 4, 4], {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ([32, 32, 4, 4], {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ([3, 5, 9, 7], {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ([2, 3, 11, 66], {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ([2, 4, 10, 35], {"kernel_shape": [2, 2], "strides": [2, 2]}),
    ([2, 3, 9, 9], {"kernel_shape": [3, 3], "strides": [2, 2]}),
    ([2, 3, 8, 8], {"kernel_shape": [3, 3], "strides": [2, 2], "ceil_mode": 1}),
    ([2, 3, 7, 6], {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [1, 1, 1, 1]}),
]


def random_input(shape, dtype, rng):
    if dtype == np.float32:
        return rng.standard_normal(shape).astype(np.float32)
    info = np.iinfo(dtype)
    return rng.integers(info.min, info.max, size=shape, endpoint=True).astype(dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.uint8, np.int8], ids=["fp32", "u8", "s8"])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_maxpool_equals_onnxruntime(case, dtype, run_qkit, tmp_path):
    shape, attributes = CASES[case]
    rng = np.random.default_rng(1000 + case)
    x = random_input(shape, dtype, rng)
    node = helper.make_node("MaxPool", ["x"], ["y"], **attributes)
    graph = helper.make_graph([node], "maxpool", [helper.make_tensor_value_info("x", ELEMENT[dtype], shape)],
                              [helper.make_tensor_value_info("y", ELEMENT[dtype], None)])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], ir_version=10)
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    np.savez(tmp_path / "inputs.npz", x=x)
    want = ort_outputs(path, {"x": x})["y"]
    run_qkit("run", path, "--inputs", tmp_path / "inputs.npz", "--output-dir", tmp_path / "out")
    got = np.load(tmp_path / "out" / "y.npy")
    assert got.dtype == want.dtype and got.shape == want.shape, f"qkit {got.dtype}{got.shape}, ORT {want.dtype}{want.shape}"
    np.testing.assert_array_equal(got, want)
