"""Builds the shape-inference reference case: a small BERT-like attention block.

Writes, next to this script:
  attention_block.onnx         the model (onnx.helper, opset 17)
  attention_block.graph.json   a plain description of the graph that the Swift test decodes into a Model
                               (nodes with op, inputs, outputs and attributes; graph inputs with shapes;
                               int64 and small initializers inline, other initializers as dtype + dims)
  attention_block.shapes.json  onnx.shape_inference's result: value name -> {"dtype", "dims"}, a dim being an
                               int, a dim_param string, or null when onnx does not know it
  encoder.graph.json, encoder.shapes.json
                               the same for the transformer encoder fixture Fixtures/encoder/model.onnx (made by
                               scripts/make_encoder.py), when it exists

Run with /work/main/.venv/bin/python Tests/QKGraphTests/Resources/make_shape_cases.py
"""
import json
import pathlib

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper, shape_inference

HERE = pathlib.Path(__file__).resolve().parent
HIDDEN, HEADS, HEAD_DIM, FFN = 64, 4, 16, 128
DTYPES = {
    TensorProto.FLOAT: "float32", TensorProto.FLOAT16: "float16", TensorProto.DOUBLE: "float64",
    TensorProto.INT8: "int8", TensorProto.UINT8: "uint8", TensorProto.INT32: "int32",
    TensorProto.INT64: "int64", TensorProto.BOOL: "bool",
}
rng = np.random.default_rng(7)
nodes, initializers = [], []


def init(name, array):
    initializers.append(numpy_helper.from_array(np.asarray(array), name))
    return name


def weight(name, *shape):
    return init(name, rng.standard_normal(shape).astype(np.float32) * 0.05)


def ints(name, values):
    return init(name, np.array(values, dtype=np.int64))


def node(op, inputs, outputs, **attrs):
    nodes.append(helper.make_node(op, inputs, outputs, name=f"{op}_{len(nodes)}", **attrs))
    return outputs[0] if len(outputs) == 1 else outputs


def const(name, array):
    return node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(array), name + "_value"))


def layer_norm(x, prefix):
    scale = init(prefix + "_scale", np.ones(HIDDEN, np.float32))
    bias = init(prefix + "_bias", np.zeros(HIDDEN, np.float32))
    return node("LayerNormalization", [x, scale, bias], [prefix + "_out"], axis=-1, epsilon=1e-5)


def build():
    x = "hidden"
    mask = "attention_mask"
    # Shape values: batch and sequence length as 1-element tensors, taken two ways (Gather and Slice).
    shape = node("Shape", [x], ["x_shape"])
    batch = node("Gather", [shape, const("zero", np.array(0, np.int64))], ["batch_scalar"], axis=0)
    batch1 = node("Unsqueeze", [batch, ints("axes0", [0])], ["batch_1"])
    seq1 = node("Slice", [shape, ints("one_1", [1]), ints("two_1", [2])], ["seq_1"])
    seq = node("Squeeze", [seq1, ints("axes0b", [0])], ["seq_scalar"])

    # Position ids from Range, added as an embedding.
    positions = node("Range", [const("start", np.array(0, np.int64)), seq, const("delta", np.array(1, np.int64))],
                     ["positions"])
    pos_ids = node("Unsqueeze", [positions, ints("axes0c", [0])], ["position_ids"])
    pos_emb = node("Gather", [weight("position_table", 32, HIDDEN), pos_ids], ["position_embedding"], axis=0)
    h = node("Add", [x, pos_emb], ["embedded"])
    h = layer_norm(h, "ln_embed")

    # Fused QKV projection, split in three.
    qkv = node("MatMul", [h, weight("w_qkv", HIDDEN, 3 * HIDDEN)], ["qkv"])
    qkv = node("Add", [qkv, weight("b_qkv", 3 * HIDDEN)], ["qkv_biased"])
    q, k, v = node("Split", [qkv, ints("split_sizes", [HIDDEN] * 3)], ["q", "k", "v"], axis=-1)

    heads_shape = node("Concat", [batch1, node("Unsqueeze", [seq, ints("axes0d", [0])], ["seq_1b"]),
                                  ints("heads_tail", [HEADS, HEAD_DIM])], ["heads_shape"], axis=0)
    q = node("Reshape", [q, heads_shape], ["q_heads"])
    q = node("Transpose", [q], ["q_t"], perm=[0, 2, 1, 3])
    k = node("Reshape", [k, ints("copy_shape", [0, 0, HEADS, HEAD_DIM])], ["k_heads"])
    k = node("Transpose", [k], ["k_t"], perm=[0, 2, 3, 1])
    v = node("Reshape", [v, heads_shape], ["v_heads"])
    v = node("Transpose", [v], ["v_t"], perm=[0, 2, 1, 3])

    scores = node("MatMul", [q, k], ["scores"])
    head_dim = node("Cast", [node("Gather", [heads_shape, const("three", np.array(3, np.int64))], ["head_dim"])],
                    ["head_dim_f"], to=TensorProto.FLOAT)
    scores = node("Div", [scores, node("Sqrt", [head_dim], ["scale"])], ["scores_scaled"])

    # Additive mask from the int64 attention mask: (1 - mask) * -10000, broadcast over heads and queries.
    m = node("Unsqueeze", [mask, ints("axes12", [1, 2])], ["mask_4d"])
    m = node("Cast", [m], ["mask_f"], to=TensorProto.FLOAT)
    m = node("Sub", [const("one_f", np.array(1.0, np.float32)), m], ["mask_inv"])
    m = node("Mul", [m, const("neg_big", np.array(-10000.0, np.float32))], ["mask_add"])
    scores = node("Add", [scores, m], ["scores_masked"])
    padded = node("Equal", [mask, const("zero_i", np.array(0, np.int64))], ["is_pad"])
    probs = node("Softmax", [scores], ["probs"], axis=-1)

    context = node("MatMul", [probs, v], ["context"])
    context = node("Transpose", [context], ["context_t"], perm=[0, 2, 1, 3])
    merged_shape = node("Concat", [batch1, seq1, ints("minus_one", [-1])], ["merged_shape"], axis=0)
    context = node("Reshape", [context, merged_shape], ["context_merged"])
    attn = node("MatMul", [context, weight("w_out", HIDDEN, HIDDEN)], ["attn_proj"])
    attn = node("Add", [attn, weight("b_out", HIDDEN)], ["attn_biased"])
    h = layer_norm(node("Add", [attn, h], ["residual_1"]), "ln_attn")

    # Feed-forward with an erf GELU.
    f = node("MatMul", [h, weight("w_ff1", HIDDEN, FFN)], ["ff1"])
    f = node("Add", [f, weight("b_ff1", FFN)], ["ff1_biased"])
    g = node("Erf", [node("Div", [f, const("sqrt2", np.array(np.sqrt(2.0), np.float32))], ["ff_scaled"])], ["ff_erf"])
    g = node("Add", [g, const("one_g", np.array(1.0, np.float32))], ["ff_erf1"])
    f = node("Mul", [node("Mul", [f, g], ["ff_gate"]), const("half", np.array(0.5, np.float32))], ["gelu"])
    f = node("MatMul", [f, weight("w_ff2", FFN, HIDDEN)], ["ff2"])
    f = node("Add", [f, weight("b_ff2", HIDDEN)], ["ff2_biased"])
    h = layer_norm(node("Add", [f, h], ["residual_2"]), "ln_ffn")

    # Masked mean pooling and a classifier head.
    keep = node("Cast", [node("Not", [padded], ["is_token"])], ["token_f"], to=TensorProto.FLOAT)
    keep = node("Unsqueeze", [keep, ints("axes_last", [-1])], ["token_3d"])
    pooled = node("ReduceSum", [node("Mul", [h, keep], ["masked_hidden"]), ints("axes1", [1])], ["summed"],
                  keepdims=0)
    count = node("ReduceSum", [keep, ints("axes1b", [1])], ["token_count"], keepdims=0)
    pooled = node("Div", [pooled, node("Max", [count, const("one_c", np.array(1.0, np.float32))], ["count_safe"])],
                  ["pooled"])
    flat = node("Flatten", [pooled], ["pooled_flat"], axis=1)
    logits = node("Gemm", [flat, weight("w_cls", 3, HIDDEN), weight("b_cls", 3)], ["logits"], transB=1)
    first = node("Slice", [h, ints("s0", [0]), ints("s1", [1]), ints("s_axis", [1])], ["first_token"])
    cls = node("Squeeze", [first, ints("axes1c", [1])], ["cls_hidden"])
    expanded = node("Expand", [cls, node("Shape", [pooled], ["pooled_shape"])], ["cls_expanded"])
    zeros = node("ConstantOfShape", [shape], ["zeros"], value=numpy_helper.from_array(np.zeros(1, np.float32)))
    tiled = node("Tile", [node("ReduceMean", [zeros], ["zeros_mean"], axes=[2], keepdims=1),
                          ints("tile_reps", [1, 1, 2])], ["zeros_tiled"])

    outputs = [logits, expanded, tiled]
    graph = helper.make_graph(
        nodes, "attention_block",
        [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["batch", "sequence", HIDDEN]),
         helper.make_tensor_value_info(mask, TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info(name, TensorProto.FLOAT, None) for name in outputs],
        initializer=initializers)
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8,
                             producer_name="make_shape_cases.py")


def dims_of(type_proto):
    if not type_proto.tensor_type.HasField("shape"):
        return None
    return [d.dim_value if d.HasField("dim_value") else (d.dim_param or None)
            for d in type_proto.tensor_type.shape.dim]


def tensor_json(tensor):
    array = numpy_helper.to_array(tensor)
    entry = {"dtype": DTYPES[tensor.data_type], "dims": list(tensor.dims)}
    if array.dtype == np.int64 or array.size <= 16:
        entry["values"] = array.reshape(-1).tolist()
    return entry


def attribute_json(attribute):
    kind = {
        onnx.AttributeProto.INT: lambda a: {"int": a.i},
        onnx.AttributeProto.INTS: lambda a: {"ints": list(a.ints)},
        onnx.AttributeProto.FLOAT: lambda a: {"float": a.f},
        onnx.AttributeProto.FLOATS: lambda a: {"floats": list(a.floats)},
        onnx.AttributeProto.STRING: lambda a: {"string": a.s.decode()},
        onnx.AttributeProto.TENSOR: lambda a: {"tensor": tensor_json(a.t)},
    }
    return kind[attribute.type](attribute)


def graph_json(model):
    g = model.graph
    return {
        "opset": [{"domain": o.domain, "version": o.version} for o in model.opset_import],
        "inputs": [{"name": i.name, "dtype": DTYPES[i.type.tensor_type.elem_type], "dims": dims_of(i.type)}
                   for i in g.input],
        "outputs": [o.name for o in g.output],
        "initializers": {t.name: tensor_json(t) for t in g.initializer},
        "nodes": [{"name": n.name, "op": n.op_type, "domain": n.domain, "inputs": list(n.input),
                   "outputs": list(n.output), "attributes": {a.name: attribute_json(a) for a in n.attribute}}
                  for n in g.node],
    }


def write_case(name, model):
    inferred = shape_inference.infer_shapes(model, strict_mode=True, data_prop=True)
    onnx.checker.check_model(inferred, full_check=True)
    shapes = {}
    for value in list(inferred.graph.value_info) + list(inferred.graph.output) + list(inferred.graph.input):
        elem = value.type.tensor_type.elem_type
        shapes[value.name] = {"dtype": DTYPES.get(elem), "dims": dims_of(value.type)}
    (HERE / f"{name}.graph.json").write_text(json.dumps(graph_json(model), indent=1) + "\n")
    (HERE / f"{name}.shapes.json").write_text(json.dumps(shapes, indent=1, sort_keys=True) + "\n")
    print(f"{name}: {len(model.graph.node)} nodes, {len(shapes)} inferred values")


def main():
    model = build()
    onnx.save(model, HERE / "attention_block.onnx")
    write_case("attention_block", model)
    encoder = HERE.parents[2] / "Fixtures" / "encoder" / "model.onnx"
    if encoder.exists():
        write_case("encoder", onnx.load(encoder))


if __name__ == "__main__":
    main()
