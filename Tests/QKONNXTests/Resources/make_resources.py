"""Writes typed_fields.onnx: a model whose initializers use every TensorProto storage form and whose one node
carries every attribute type, for QuantKit's ONNX reader tests. The expected values are repeated in
ONNXReaderTests.swift. Run: .venv/bin/python Tests/QKONNXTests/Resources/make_resources.py
(if_subgraphs.onnx, loop_subgraph.onnx and conv.onnx are ONNX backend node tests test_if, test_loop11 and
test_conv_with_strides_padding, written by scripts/generate_node_tests.py.)"""

import os

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


initializers = [
    typed("f32_typed", TensorProto.FLOAT, [2, 2], "float_data", [1.5, -2.0, 0.25, 3.0]),
    typed("f64_typed", TensorProto.DOUBLE, [2], "double_data", [1e-300, -7.5]),
    typed("i64_typed", TensorProto.INT64, [3], "int64_data", [-(2**40), 0, 2**40]),
    # float16 bit patterns in int32_data: 1.0 = 0x3C00, -2.0 = 0xC000
    typed("f16_typed", TensorProto.FLOAT16, [2], "int32_data", [0x3C00, 0xC000]),
    # bfloat16 bit patterns: 1.0 = 0x3F80, -0.5 = 0xBF00
    typed("bf16_typed", TensorProto.BFLOAT16, [2], "int32_data", [0x3F80, 0xBF00]),
    typed("i8_typed", TensorProto.INT8, [3], "int32_data", [-128, 0, 127]),
    typed("u8_typed", TensorProto.UINT8, [2], "int32_data", [0, 255]),
    typed("bool_typed", TensorProto.BOOL, [3], "int32_data", [1, 0, 1]),
    onnx.numpy_helper.from_array(np.array([[1, 2, 3]], dtype=np.int32), "i32_raw"),
    onnx.numpy_helper.from_array(np.array(4.5, dtype=np.float32), "scalar_raw"),
    onnx.numpy_helper.from_array(np.zeros((0, 3), dtype=np.float32), "empty_raw"),
]

then_graph = helper.make_graph([helper.make_node("Identity", ["f32_typed"], ["then_out"])], "then",
                               [], [helper.make_tensor_value_info("then_out", TensorProto.FLOAT, [2, 2])])
node = helper.make_node(
    "AllAttributes", ["x"], ["y"], name="every_attribute", domain="com.quantkit.test", doc_string="node doc",
    f=0.5, i=-3, s="text", t=onnx.numpy_helper.from_array(np.array([1, 2], dtype=np.int64)), g=then_graph,
    floats=[1.0, 2.5], ints=[4, -5], strings=["a", "b"],
    tensors=[onnx.numpy_helper.from_array(np.array([1.0], dtype=np.float32))], graphs=[then_graph])
graph = helper.make_graph(
    [node], "typed_fields",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3, None])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)],
    initializer=initializers,
    value_info=[helper.make_tensor_value_info("unused", TensorProto.INT64, [5])],
    doc_string="graph doc")
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid("com.quantkit.test", 1)],
                          producer_name="make_resources", producer_version="1.0", doc_string="model doc")
model.ir_version = 10
model.model_version = 7
model.domain = "test.domain"
helper.set_model_props(model, {"author": "QuantKit tests", "purpose": "reader coverage"})
onnx.save(model, os.path.join(HERE, "typed_fields.onnx"))
