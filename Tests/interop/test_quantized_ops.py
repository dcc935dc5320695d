"""Quantized ops (standard domain and ONNX Runtime's com.microsoft ones): one-node models with seeded random
inputs run in onnxruntime and in `qkit run`; integer outputs must agree within one quantization step (ONNX
Runtime uses fixed-point or lookup-table requantization for some ops, qkit float requantization), float
outputs within 1e-5 relative."""

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from interop_support import ort_outputs

NP_TO_ONNX = {np.dtype(np.float32): TensorProto.FLOAT, np.dtype(np.uint8): TensorProto.UINT8,
              np.dtype(np.int8): TensorProto.INT8, np.dtype(np.int32): TensorProto.INT32}


def build_model(op, feeds: dict, constants: dict, input_order: list, outputs: dict, domain="", **attributes):
    """A one-node model: `feeds` become graph inputs, `constants` initializers; `input_order` names the node's
    inputs ("" for an omitted optional one); `outputs` maps output name to ONNX element type. Output shapes come
    from a first onnxruntime run (the checker requires them); the model is then checked."""
    shapes = {name: None for name in outputs}
    probe = make_model(op, feeds, constants, input_order, outputs, shapes, domain, attributes)
    session = ort.InferenceSession(probe.SerializeToString(), providers=["CPUExecutionProvider"])
    for name, value in zip(outputs, session.run(list(outputs), feeds)):
        shapes[name] = value.shape
    model = make_model(op, feeds, constants, input_order, outputs, shapes, domain, attributes)
    onnx.checker.check_model(model)
    return model


def make_model(op, feeds, constants, input_order, outputs, shapes, domain, attributes):
    node = helper.make_node(op, input_order, list(outputs), domain=domain, **attributes)
    graph = helper.make_graph(
        [node], f"{op}_test",
        [helper.make_tensor_value_info(name, NP_TO_ONNX[value.dtype], value.shape) for name, value in feeds.items()],
        [helper.make_tensor_value_info(name, elem, shapes[name]) for name, elem in outputs.items()],
        [numpy_helper.from_array(value, name) for name, value in constants.items()])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.microsoft", 1)],
                             ir_version=10)


def compare(model, feeds: dict, run_qkit, tmp_path, atol=1):
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "model.onnx"
    onnx.save(model, path)
    np.savez(tmp_path / "inputs.npz", **feeds)
    expected = ort_outputs(path, feeds)
    out_dir = tmp_path / "out"
    run_qkit("run", path, "--inputs", tmp_path / "inputs.npz", "--output-dir", out_dir)
    for name, want in expected.items():
        got = np.load(out_dir / f"{name}.npy")
        assert got.dtype == want.dtype and got.shape == want.shape, \
            f"{name}: qkit {got.dtype}{list(got.shape)}, onnxruntime {want.dtype}{list(want.shape)}"
        if want.dtype == np.float32:
            np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6, err_msg=name)
        else:
            diff = np.abs(got.astype(np.int64) - want.astype(np.int64))
            assert diff.max(initial=0) <= atol, f"{name}: max difference {diff.max()} > {atol} quantization step(s)"


def rng(seed):
    return np.random.default_rng(seed)


def qdata(r, dtype, shape):
    info = np.iinfo(dtype)
    return r.integers(info.min, info.max + 1, size=shape).astype(dtype)


def f32(value):
    return np.array(value, dtype=np.float32)


def test_quantize_linear_per_tensor_and_per_axis(run_qkit, tmp_path):
    r = rng(1)
    x = (r.standard_normal((2, 3, 4, 5)) * 3).astype(np.float32)
    model = build_model("QuantizeLinear", {"x": x}, {"s": f32([0.02, 0.05, 0.1]), "z": np.array([-3, 0, 7], np.int8)},
                        ["x", "s", "z"], {"y": TensorProto.INT8}, axis=1)
    compare(model, {"x": x}, run_qkit, tmp_path / "axis", atol=0)
    model = build_model("QuantizeLinear", {"x": x}, {"s": f32(0.03), "z": np.uint8(128)}, ["x", "s", "z"],
                        {"y": TensorProto.UINT8})
    compare(model, {"x": x}, run_qkit, tmp_path / "tensor", atol=0)


def test_dequantize_linear_per_axis(run_qkit, tmp_path):
    x = qdata(rng(2), np.uint8, (2, 4, 3))
    model = build_model("DequantizeLinear", {"x": x}, {"s": f32([0.1, 0.2, 0.3, 0.4]), "z": np.array([0, 10, 128, 255], np.uint8)},
                        ["x", "s", "z"], {"y": TensorProto.FLOAT}, axis=1)
    compare(model, {"x": x}, run_qkit, tmp_path)


def test_dynamic_quantize_linear(run_qkit, tmp_path):
    x = (rng(3).standard_normal((4, 7)) * 2 + 0.5).astype(np.float32)
    model = build_model("DynamicQuantizeLinear", {"x": x}, {}, ["x"],
                        {"y": TensorProto.UINT8, "y_scale": TensorProto.FLOAT, "y_zero_point": TensorProto.UINT8})
    compare(model, {"x": x}, run_qkit, tmp_path)


def test_matmul_integer_batched_per_column(run_qkit, tmp_path):
    r = rng(4)
    a, b = qdata(r, np.uint8, (2, 3, 5, 17)), qdata(r, np.int8, (17, 6))
    model = build_model("MatMulInteger", {"a": a}, {"b": b, "az": np.uint8(131), "bz": qdata(r, np.int8, (6,))},
                        ["a", "b", "az", "bz"], {"y": TensorProto.INT32})
    compare(model, {"a": a}, run_qkit, tmp_path, atol=0)


def test_conv_integer(run_qkit, tmp_path):
    r = rng(5)
    x, w = qdata(r, np.uint8, (2, 4, 9, 8)), qdata(r, np.uint8, (6, 2, 3, 3))
    model = build_model("ConvInteger", {"x": x}, {"w": w, "xz": np.uint8(100), "wz": np.uint8(120)},
                        ["x", "w", "xz", "wz"], {"y": TensorProto.INT32}, pads=[1, 0, 1, 2], strides=[2, 1], group=2)
    compare(model, {"x": x}, run_qkit, tmp_path, atol=0)


def test_qlinear_matmul(run_qkit, tmp_path):
    r = rng(6)
    a, b = qdata(r, np.uint8, (3, 4, 20)), qdata(r, np.int8, (20, 7))
    model = build_model("QLinearMatMul", {"a": a},
                        {"as": f32(0.02), "az": np.uint8(120), "b": b, "bs": f32(0.01), "bz": np.int8(3),
                         "ys": f32(0.15), "yz": np.uint8(128)},
                        ["a", "as", "az", "b", "bs", "bz", "ys", "yz"], {"y": TensorProto.UINT8})
    compare(model, {"a": a}, run_qkit, tmp_path)


def test_qlinear_conv_per_channel_with_bias(run_qkit, tmp_path):
    r = rng(7)
    x, w = qdata(r, np.uint8, (1, 3, 10, 11)), qdata(r, np.int8, (8, 3, 3, 3))
    constants = {"xs": f32(0.05), "xz": np.uint8(110), "w": w, "ws": (r.random(8) * 0.01 + 0.002).astype(np.float32),
                 "wz": np.zeros(8, np.int8), "ys": f32(0.4), "yz": np.uint8(90),
                 "b": r.integers(-2000, 2000, size=8).astype(np.int32)}
    model = build_model("QLinearConv", {"x": x}, constants, ["x", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"],
                        {"y": TensorProto.UINT8}, pads=[1, 1, 1, 1], strides=[1, 2])
    compare(model, {"x": x}, run_qkit, tmp_path)


@pytest.mark.parametrize("op", ["QLinearAdd", "QLinearMul"])
@pytest.mark.parametrize("dtype", [np.uint8, np.int8])
def test_qlinear_binary_broadcast(op, dtype, run_qkit, tmp_path):
    r = rng(8)
    # `qkit run` batches inputs along axis 0, so b broadcasts on the other axes only.
    a, b = qdata(r, dtype, (2, 3, 4, 5)), qdata(r, dtype, (2, 1, 4, 1))
    zp = dtype(5 if dtype == np.uint8 else -5)
    constants = {"as": f32(0.03), "az": dtype(100 if dtype == np.uint8 else 10), "bs": f32(0.02), "bz": zp,
                 "cs": f32(0.05 if op == "QLinearAdd" else 0.2), "cz": dtype(128 if dtype == np.uint8 else 0)}
    model = build_model(op, {"a": a, "b": b}, constants, ["a", "as", "az", "b", "bs", "bz", "cs", "cz"],
                        {"c": NP_TO_ONNX[np.dtype(dtype)]}, domain="com.microsoft")
    compare(model, {"a": a, "b": b}, run_qkit, tmp_path)


def test_qlinear_concat(run_qkit, tmp_path):
    r = rng(9)
    a, b = qdata(r, np.uint8, (2, 3, 4)), qdata(r, np.uint8, (2, 5, 4))
    constants = {"ys": f32(0.1), "yz": np.uint8(128), "as": f32(0.05), "az": np.uint8(100), "bs": f32(0.2),
                 "bz": np.uint8(140)}
    model = build_model("QLinearConcat", {"a": a, "b": b}, constants, ["ys", "yz", "a", "as", "az", "b", "bs", "bz"],
                        {"y": TensorProto.UINT8}, domain="com.microsoft", axis=1)
    compare(model, {"a": a, "b": b}, run_qkit, tmp_path)


def test_qlinear_average_pool(run_qkit, tmp_path):
    x = qdata(rng(10), np.uint8, (2, 3, 9, 8))
    constants = {"xs": f32(0.05), "xz": np.uint8(128), "ys": f32(0.04), "yz": np.uint8(120)}
    model = build_model("QLinearAveragePool", {"x": x}, constants, ["x", "xs", "xz", "ys", "yz"], {"y": TensorProto.UINT8},
                        domain="com.microsoft", kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1],
                        count_include_pad=0)
    compare(model, {"x": x}, run_qkit, tmp_path)


def test_qlinear_global_average_pool(run_qkit, tmp_path):
    x = qdata(rng(11), np.int8, (2, 5, 6, 7))
    constants = {"xs": f32(0.05), "xz": np.int8(-3), "ys": f32(0.01), "yz": np.int8(4)}
    model = build_model("QLinearGlobalAveragePool", {"x": x}, constants, ["x", "xs", "xz", "ys", "yz"],
                        {"y": TensorProto.INT8}, domain="com.microsoft", channels_last=0)
    compare(model, {"x": x}, run_qkit, tmp_path)


@pytest.mark.parametrize("op,attributes", [("QLinearLeakyRelu", {"alpha": 0.1}), ("QLinearSigmoid", {})])
def test_qlinear_unary(op, attributes, run_qkit, tmp_path):
    x = qdata(rng(12), np.uint8, (3, 50))
    constants = {"xs": f32(0.05), "xz": np.uint8(128), "ys": f32(0.01 if op == "QLinearSigmoid" else 0.04),
                 "yz": np.uint8(0 if op == "QLinearSigmoid" else 100)}
    model = build_model(op, {"x": x}, constants, ["x", "xs", "xz", "ys", "yz"], {"y": TensorProto.UINT8},
                        domain="com.microsoft", **attributes)
    compare(model, {"x": x}, run_qkit, tmp_path)
