"""Makes the hand-built ONNX resources of QKONNXTests; the tests hard-code the values written here.

Run from anywhere with the project's venv (onnx, numpy):
    /work/main/.venv/bin/python Tests/QKONNXTests/Resources/make_resources.py

- typed_fields.onnx: initializers in every typed field (float_data, double_data, int64_data, int32_data for
  int32/int16/uint16/int8/uint8/bool and float16/bfloat16 bit patterns) and in raw_data, plus a scalar and an
  empty tensor.
- features.onnx: model-level fields (ir_version, two opset imports, producer, domain, model_version, doc
  strings, metadata), symbolic and unknown dimensions, a value_info without a shape, and a custom-domain node
  carrying one attribute of every convertible type (a subgraph and a list of subgraphs included).
- external.onnx + external_weights.bin: two initializers that onnx itself saved as external data.
- The other *.onnx / *.pb files are copies of ONNX backend node tests (scripts/generate_node_tests.py).
"""
import os

import ml_dtypes
import numpy as np
import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))


def typed(name, data_type, dims, field, values):
    t = TensorProto()
    t.name = name
    t.data_type = data_type
    t.dims.extend(dims)
    getattr(t, field).extend(values)
    return t


def raw(name, data_type, array):
    t = TensorProto()
    t.name = name
    t.data_type = data_type
    t.dims.extend(array.shape)
    t.raw_data = array.astype(array.dtype.newbyteorder("<")).tobytes()
    return t


def f16_bits(values):
    return [int(b) for b in np.array(values, dtype=np.float16).view(np.uint16)]


def typed_fields_model():
    inits = [
        typed("f32_typed", TensorProto.FLOAT, [2, 2], "float_data", [1.5, -2.25, 0.0, 1024.0]),
        raw("f32_raw", TensorProto.FLOAT, np.array([0.5, -1.0, 3.25], dtype=np.float32)),
        typed("f64_typed", TensorProto.DOUBLE, [2], "double_data", [0.1, -1e300]),
        typed("i64_typed", TensorProto.INT64, [4], "int64_data", [-(2**63), -1, 0, 2**63 - 1]),
        typed("i32_typed", TensorProto.INT32, [2], "int32_data", [-(2**31), 7]),
        typed("i16_typed", TensorProto.INT16, [2], "int32_data", [-32768, 32767]),
        typed("u16_typed", TensorProto.UINT16, [2], "int32_data", [0, 65535]),
        typed("i8_typed", TensorProto.INT8, [2], "int32_data", [-128, 127]),
        typed("u8_typed", TensorProto.UINT8, [3], "int32_data", [0, 1, 255]),
        typed("bool_typed", TensorProto.BOOL, [3], "int32_data", [1, 0, 1]),
        # float16 1.0, -0.5, 65504 (largest finite): 0x3C00, 0xB800, 0x7BFF
        typed("f16_typed", TensorProto.FLOAT16, [3], "int32_data", f16_bits([1.0, -0.5, 65504.0])),
        # bfloat16 1.0 = 0x3F80, -3.0 = 0xC040
        typed("bf16_typed", TensorProto.BFLOAT16, [2], "int32_data", [0x3F80, 0xC040]),
        raw("i64_scalar_raw", TensorProto.INT64, np.array(42, dtype=np.int64)),
        typed("f32_empty", TensorProto.FLOAT, [0, 3], "float_data", []),
    ]
    assert f16_bits([1.0, -0.5, 65504.0]) == [0x3C00, 0xB800, 0x7BFF]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 2])
    node = helper.make_node("Add", ["x", "f32_typed"], ["y"], name="add")
    graph = helper.make_graph([node], "typed_fields", [x], [y], initializer=inits)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8,
                             producer_name="make_resources.py")


def features_model():
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, None], doc_string="input doc")
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 3, None], doc_string="output doc")
    t = helper.make_tensor_value_info("t", TensorProto.FLOAT, None)  # rank unknown
    relu = helper.make_node("Relu", ["x"], ["t"], name="relu", doc_string="node doc")

    sub_in = helper.make_tensor_value_info("s", TensorProto.FLOAT, [1])
    sub_out = helper.make_tensor_value_info("s2", TensorProto.FLOAT, [1])
    sub = helper.make_graph([helper.make_node("Neg", ["s"], ["s2"])], "sub", [sub_in], [sub_out])
    sub_b = helper.make_graph([helper.make_node("Abs", ["s"], ["s2"])], "sub_b", [sub_in], [sub_out],
                              initializer=[typed("k", TensorProto.INT64, [1], "int64_data", [5])])
    custom = helper.make_node(
        "AllAttributes", ["t"], ["y"], name="custom", domain="com.quantkit.test",
        f=0.25, i=-3, s="text", t=typed("", TensorProto.INT32, [2], "int32_data", [4, -4]), g=sub,
        fs=[1.0, 2.5], is_=[1, 2, 3], ss=["a", "bc"],
        ts=[typed("", TensorProto.FLOAT, [1], "float_data", [9.0]),
            raw("", TensorProto.UINT8, np.array([[1, 2]], dtype=np.uint8))],
        gs=[sub, sub_b])
    graph = helper.make_graph([relu, custom], "features", [x], [y], value_info=[t], doc_string="graph doc")
    model = helper.make_model(
        graph, ir_version=9, producer_name="make_resources.py", producer_version="1.0", domain="ai.quantkit.test",
        model_version=7, doc_string="model doc",
        opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.quantkit.test", 1)])
    helper.set_model_props(model, {"author": "QuantKit", "license": "MIT"})
    return model


def external_model():
    w = np.arange(12, dtype=np.float32).reshape(3, 4) * 0.5
    b = np.array([-1, 2, -3], dtype=np.int64)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [4, 1])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 1])
    mm = helper.make_node("MatMul", ["w", "x"], ["y"])
    graph = helper.make_graph([mm], "external", [x], [y],
                              initializer=[onnx.numpy_helper.from_array(w, "w"),
                                           onnx.numpy_helper.from_array(b, "b")])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)


def int4_tensors():
    """Packed 4-bit tensors as onnx writes them: raw_data and int32_data forms, odd counts (last high nibble 0)."""
    int4 = [1, -2, 3, -8, 7]
    uint4 = [0, 15, 8, 1, 9, 4, 2]
    return [
        helper.make_tensor("int4_int32", TensorProto.INT4, [5], int4, raw=False),
        helper.make_tensor("uint4_int32", TensorProto.UINT4, [7], uint4, raw=False),
        onnx.numpy_helper.from_array(np.array(int4, dtype=ml_dtypes.int4).reshape(5, 1), "int4_raw"),
        onnx.numpy_helper.from_array(np.array(uint4, dtype=ml_dtypes.uint4), "uint4_raw"),
    ]


def main():
    names = ["int4_int32.pb", "uint4_int32.pb", "int4_raw.pb", "uint4_raw.pb"]
    for name, tensor in zip(names, int4_tensors()):
        with open(os.path.join(HERE, name), "wb") as f:
            f.write(tensor.SerializeToString())

    typed_model = typed_fields_model()
    onnx.checker.check_model(typed_model)
    onnx.save(typed_model, os.path.join(HERE, "typed_fields.onnx"))

    features = features_model()
    onnx.save(features, os.path.join(HERE, "features.onnx"))

    external = external_model()
    onnx.checker.check_model(external)
    onnx.save_model(external, os.path.join(HERE, "external.onnx"), save_as_external_data=True,
                    all_tensors_to_one_file=True, location="external_weights.bin", size_threshold=0)


if __name__ == "__main__":
    main()
