"""Helpers for the evaluation interop tests: numpy versions of QuantKit's error metrics, onnxruntime runs that
expose intermediate tensors, and small models built with onnx.helper."""

import json

import numpy as np
import onnx
import onnxruntime as ort
from onnx import TensorProto, helper



def numpy_metrics(reference, candidate) -> dict:
    """SQNR (dB), cosine, max/mean absolute error in float64, as QuantKit defines them (ErrorMetrics)."""
    r = np.asarray(reference, dtype=np.float64).ravel()
    q = np.asarray(candidate, dtype=np.float64).ravel()
    noise = ((r - q) ** 2).sum()
    signal = (r ** 2).sum()
    sqnr = np.inf if noise == 0 else (-np.inf if signal == 0 else 10 * np.log10(signal / noise))
    return {"sqnrDB": sqnr, "cosine": float(r @ q / (np.linalg.norm(r) * np.linalg.norm(q))),
            "maxAbsError": float(np.abs(r - q).max()), "meanAbsError": float(np.abs(r - q).mean())}


def load_json(text: str) -> dict:
    """qkit's --json output (non-finite numbers written as "Infinity"/"-Infinity"/"NaN" strings)."""
    special = {"Infinity": np.inf, "-Infinity": -np.inf, "NaN": np.nan}
    return json.loads(text, object_hook=lambda d: {k: special.get(v, v) if isinstance(v, str) else v
                                                   for k, v in d.items()})


def ort_values(path, feeds: dict, names: list) -> dict:
    """The values of `names` (any tensors of the graph) computed by onnxruntime."""
    model = onnx.load(str(path))
    existing = {o.name for o in model.graph.output}
    for name in names:
        if name not in existing:
            model.graph.output.append(helper.make_empty_tensor_value_info(name))
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(model.SerializeToString(), options, providers=["CPUExecutionProvider"])
    return dict(zip(names, session.run(names, feeds)))


def save(model: onnx.ModelProto, path) -> str:
    model.ir_version = 10
    onnx.save(model, str(path))
    return str(path)


def scale_add_model(scale, offset, classes: int = 10) -> onnx.ModelProto:
    """x[N, classes] → Mul(x, scale) → h → Add(h, offset) → y."""
    nodes = [helper.make_node("Mul", ["x", "scale"], ["h"], name="scale"),
             helper.make_node("Add", ["h", "offset"], ["y"], name="offset")]
    graph = helper.make_graph(
        nodes, "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", classes])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", classes])],
        [helper.make_tensor("scale", TensorProto.FLOAT, [classes], np.asarray(scale, np.float32).tolist()),
         helper.make_tensor("offset", TensorProto.FLOAT, [classes], np.asarray(offset, np.float32).tolist())])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
