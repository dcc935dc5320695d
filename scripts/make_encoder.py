"""Writes a small BERT-style transformer encoder (random seeded weights) as an ONNX fixture.

The graph is built node by node the way PyTorch/Hugging Face exporters lay out BERT: token Gather + position
embeddings from Shape -> Gather -> Range, LayerNormalization, the additive mask (1 - mask) * float32-min of shape
[batch, 1, 1, sequence], and per layer Q/K/V MatMul+Add, Reshape to heads (shape from Shape/Gather/Unsqueeze/
Concat), Transpose, scaled scores, Softmax, output projection, residual + LayerNormalization, and an FFN with Gelu
written as x * 0.5 * (1 + Erf(x / sqrt(2))).
Writes Fixtures/encoder/{model.onnx, inputs.npz, calibration.npz}; seeded, so the bytes are reproducible.
Usage: python scripts/make_encoder.py [OUT_DIR]   (default Fixtures/encoder)
"""

import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from fixture_io import save_npz

SEED = 1234
VOCAB, HIDDEN, HEADS, FFN, LAYERS, MAX_POSITIONS = 1000, 64, 4, 256, 2, 64
HEAD_DIM = HIDDEN // HEADS
LN_EPSILON = 1e-12
PAD_ID = 0


class GraphBuilder:
    """Collects nodes and initializers; every node gets a unique name and output name from its prefix."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng
        self.nodes: list = []
        self.initializers: dict = {}

    def weight(self, name: str, shape: tuple, std: float, mean: float = 0.0) -> str:
        self.initializers[name] = (mean + std * self.rng.standard_normal(shape)).astype(np.float32)
        return name

    def const(self, name: str, value) -> str:
        self.initializers[name] = np.asarray(value)
        return name

    def op(self, op_type: str, inputs: list, name: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op_type, inputs, [name], name=name, **attrs))
        return name

    def linear(self, x: str, prefix: str, d_in: int, d_out: int, std: float) -> str:
        w = self.weight(f"{prefix}.weight", (d_in, d_out), std)
        b = self.weight(f"{prefix}.bias", (d_out,), 0.02)
        return self.op("Add", [self.op("MatMul", [x, w], f"{prefix}/MatMul"), b], f"{prefix}/Add")

    def layer_norm(self, x: str, prefix: str) -> str:
        gamma = self.weight(f"{prefix}.weight", (HIDDEN,), 0.05, mean=1.0)
        beta = self.weight(f"{prefix}.bias", (HIDDEN,), 0.02)
        return self.op("LayerNormalization", [x, gamma, beta], f"{prefix}/LayerNormalization",
                       axis=-1, epsilon=LN_EPSILON)


def embeddings(g: GraphBuilder) -> str:
    words = g.weight("embeddings.word_embeddings.weight", (VOCAB, HIDDEN), 0.5)
    positions = g.weight("embeddings.position_embeddings.weight", (MAX_POSITIONS, HIDDEN), 0.2)
    token = g.op("Gather", [words, "input_ids"], "embeddings/word_embeddings/Gather")
    shape = g.op("Shape", ["input_ids"], "embeddings/Shape")
    seq = g.op("Gather", [shape, g.const("const_one_i64_scalar", np.int64(1))], "embeddings/Gather_sequence", axis=0)
    ids = g.op("Range", [g.const("const_zero_i64_scalar", np.int64(0)), seq, "const_one_i64_scalar"],
               "embeddings/Range")
    ids = g.op("Unsqueeze", [ids, g.const("const_axes_0", np.array([0], np.int64))], "embeddings/Unsqueeze")
    pos = g.op("Gather", [positions, ids], "embeddings/position_embeddings/Gather")
    summed = g.op("Add", [token, pos], "embeddings/Add")
    return g.layer_norm(summed, "embeddings.LayerNorm")


def additive_mask(g: GraphBuilder) -> str:
    mask = g.op("Unsqueeze", ["attention_mask", g.const("const_axes_1_2", np.array([1, 2], np.int64))],
                "mask/Unsqueeze")
    mask = g.op("Cast", [mask], "mask/Cast", to=TensorProto.FLOAT)
    inverted = g.op("Sub", [g.const("const_one_f32", np.float32(1.0)), mask], "mask/Sub")
    return g.op("Mul", [inverted, g.const("const_f32_min", np.float32(np.finfo(np.float32).min))], "mask/Mul")


def heads_shape(g: GraphBuilder, x: str) -> str:
    """[batch, sequence, HEADS, HEAD_DIM] built from x's runtime shape, as exporters emit it."""
    shape = g.op("Shape", [x], "heads_shape/Shape")
    dims = []
    for axis, label in ((0, "batch"), (1, "sequence")):
        index = g.const(f"const_index_{axis}", np.int64(axis))
        dim = g.op("Gather", [shape, index], f"heads_shape/Gather_{label}", axis=0)
        dims.append(g.op("Unsqueeze", [dim, "const_axes_0"], f"heads_shape/Unsqueeze_{label}"))
    tail = g.const("const_heads_tail", np.array([HEADS, HEAD_DIM], np.int64))
    return g.op("Concat", dims + [tail], "heads_shape/Concat", axis=0)


def encoder_layer(g: GraphBuilder, h: str, mask: str, split_shape: str, index: int) -> str:
    p = f"encoder.layer.{index}"
    heads = {}
    for name, perm in (("query", [0, 2, 1, 3]), ("key", [0, 2, 3, 1]), ("value", [0, 2, 1, 3])):
        projected = g.linear(h, f"{p}.attention.self.{name}", HIDDEN, HIDDEN, 0.12 if name != "value" else 0.08)
        split = g.op("Reshape", [projected, split_shape], f"{p}.attention.self.{name}/Reshape")
        heads[name] = g.op("Transpose", [split], f"{p}.attention.self.{name}/Transpose", perm=perm)
    scores = g.op("MatMul", [heads["query"], heads["key"]], f"{p}.attention.self/MatMul_scores")
    scale = f"{p}.attention.self/scale"
    g.nodes.append(helper.make_node("Constant", [], [scale], name=scale,
                                    value=numpy_helper.from_array(np.float32(np.sqrt(HEAD_DIM)))))
    scores = g.op("Div", [scores, scale], f"{p}.attention.self/Div")
    scores = g.op("Add", [scores, mask], f"{p}.attention.self/Add_mask")
    probs = g.op("Softmax", [scores], f"{p}.attention.self/Softmax", axis=-1)
    context = g.op("MatMul", [probs, heads["value"]], f"{p}.attention.self/MatMul_context")
    context = g.op("Transpose", [context], f"{p}.attention.self/Transpose_context", perm=[0, 2, 1, 3])
    context = g.op("Reshape", [context, "const_merge_heads"], f"{p}.attention.self/Reshape_context")
    attended = g.linear(context, f"{p}.attention.output.dense", HIDDEN, HIDDEN, 0.08)
    attended = g.op("Add", [attended, h], f"{p}.attention.output/Add_residual")
    attended = g.layer_norm(attended, f"{p}.attention.output.LayerNorm")

    inner = g.linear(attended, f"{p}.intermediate.dense", HIDDEN, FFN, 0.08)
    erf = g.op("Erf", [g.op("Div", [inner, "const_sqrt2"], f"{p}.intermediate/Gelu/Div")],
               f"{p}.intermediate/Gelu/Erf")
    erf = g.op("Add", [erf, "const_one_f32"], f"{p}.intermediate/Gelu/Add")
    gelu = g.op("Mul", [g.op("Mul", [inner, "const_half"], f"{p}.intermediate/Gelu/Mul_half"), erf],
                f"{p}.intermediate/Gelu/Mul")
    out = g.linear(gelu, f"{p}.output.dense", FFN, HIDDEN, 0.06)
    out = g.op("Add", [out, attended], f"{p}.output/Add_residual")
    return g.layer_norm(out, f"{p}.output.LayerNorm")


def build_model(rng: np.random.Generator) -> onnx.ModelProto:
    g = GraphBuilder(rng)
    h = embeddings(g)
    mask = additive_mask(g)
    g.const("const_sqrt2", np.float32(np.sqrt(2.0)))
    g.const("const_half", np.float32(0.5))
    g.const("const_merge_heads", np.array([0, 0, -1], np.int64))
    split_shape = heads_shape(g, h)
    for index in range(LAYERS):
        h = encoder_layer(g, h, mask, split_shape, index)
    g.nodes.append(helper.make_node("Identity", [h], ["last_hidden_state"], name="output/Identity"))
    graph = helper.make_graph(
        g.nodes, "tiny_bert_encoder",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "sequence"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "sequence"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "sequence", HIDDEN])],
        [numpy_helper.from_array(v, k) for k, v in g.initializers.items()],
        doc_string=f"BERT-style encoder: vocab {VOCAB}, hidden {HIDDEN}, {HEADS} heads, FFN {FFN}, {LAYERS} layers, "
                   f"at most {MAX_POSITIONS} positions; random weights.")
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)],
                              producer_name="QuantKit fixtures", producer_version="1",
                              doc_string="encoder fixture written by scripts/make_encoder.py")
    model.ir_version = 10
    return model


def reference(weights: dict, input_ids: np.ndarray, attention_mask: np.ndarray) -> np.ndarray:
    """The same encoder in plain numpy (float64), to check that the graph computes what it should."""
    from math import erf

    def ln(x, prefix):
        mean = x.mean(-1, keepdims=True)
        var = ((x - mean) ** 2).mean(-1, keepdims=True)
        return (x - mean) / np.sqrt(var + LN_EPSILON) * weights[f"{prefix}.weight"] + weights[f"{prefix}.bias"]

    def linear(x, prefix):
        return x @ weights[f"{prefix}.weight"] + weights[f"{prefix}.bias"]

    batch, seq = input_ids.shape
    h = weights["embeddings.word_embeddings.weight"][input_ids] + weights["embeddings.position_embeddings.weight"][:seq]
    h = ln(h, "embeddings.LayerNorm")
    mask = (1.0 - attention_mask[:, None, None, :]) * np.finfo(np.float32).min
    gelu = np.vectorize(lambda v: v * 0.5 * (1 + erf(v / np.sqrt(2))))
    for i in range(LAYERS):
        p = f"encoder.layer.{i}"
        q, k, v = (linear(h, f"{p}.attention.self.{n}").reshape(batch, seq, HEADS, HEAD_DIM).transpose(0, 2, 1, 3)
                   for n in ("query", "key", "value"))
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(HEAD_DIM) + mask
        probs = np.exp(scores - scores.max(-1, keepdims=True))
        probs /= probs.sum(-1, keepdims=True)
        context = (probs @ v).transpose(0, 2, 1, 3).reshape(batch, seq, HIDDEN)
        h = ln(linear(context, f"{p}.attention.output.dense") + h, f"{p}.attention.output.LayerNorm")
        h = ln(linear(gelu(linear(h, f"{p}.intermediate.dense")), f"{p}.output.dense") + h, f"{p}.output.LayerNorm")
    return h


def token_batch(rng: np.random.Generator, count: int, length: int, min_length: int) -> dict:
    """Random token ids with right padding: row i keeps a random length in [min_length, length]; some rows full."""
    lengths = rng.integers(min_length, length + 1, size=count)
    lengths[::3] = length
    mask = (np.arange(length)[None, :] < lengths[:, None]).astype(np.int64)
    ids = rng.integers(1, VOCAB, size=(count, length)).astype(np.int64) * mask + PAD_ID * (1 - mask)
    return {"input_ids": ids, "attention_mask": mask}


def main() -> None:
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join("Fixtures", "encoder")
    rng = np.random.default_rng(SEED)
    model = build_model(rng)
    onnx.checker.check_model(model, full_check=True)
    inputs = token_batch(rng, 8, 16, 5)
    calibration = token_batch(rng, 64, 16, 3)
    os.makedirs(out_dir, exist_ok=True)
    model_path = os.path.join(out_dir, "model.onnx")
    onnx.save(model, model_path)
    save_npz(os.path.join(out_dir, "inputs.npz"), **inputs)
    save_npz(os.path.join(out_dir, "calibration.npz"), **calibration)

    import onnxruntime as ort

    session = ort.InferenceSession(model_path, providers=["CPUExecutionProvider"])
    weights = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in model.graph.initializer}
    for label, feeds in (("inputs", inputs), ("calibration", calibration)):
        out = session.run(["last_hidden_state"], feeds)[0]
        if not np.isfinite(out).all():
            sys.exit(f"onnxruntime output on {label} is not finite")
        expected = reference(weights, feeds["input_ids"], feeds["attention_mask"])
        error = float(np.abs(out - expected).max())
        print(f"{label}: output {out.shape}, std {out.std():.3f}, max |ORT - numpy| {error:.2e}")
        if error > 1e-4:
            sys.exit(f"onnxruntime and the numpy reference differ by {error} on {label}")
    print(f"wrote {out_dir}: model.onnx ({os.path.getsize(model_path)} bytes, {len(model.graph.node)} nodes)")


if __name__ == "__main__":
    main()
