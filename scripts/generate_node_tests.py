"""Writes the ONNX backend node tests (model.onnx + test_data_set_*/input_*.pb, output_*.pb) to a folder.

The onnx wheel ships the generators of its node tests (onnx/backend/test/case/node) but not the generated
files, so this script runs the generators, as `backend-test-tools generate-data` does for model cases.
Usage: python scripts/generate_node_tests.py OUT_DIR
"""

import os
import sys

import numpy as np
import onnx
from onnx import numpy_helper
from onnx.backend.test.case.node import collect_testcases


def write_tensor(path: str, value, name: str) -> None:
    proto = value if isinstance(value, onnx.TensorProto) else numpy_helper.from_array(np.asarray(value), name)
    with open(path, "wb") as f:
        f.write(proto.SerializeToString())


def main() -> None:
    out = sys.argv[1]
    np.random.seed(0)
    written = 0
    for case in collect_testcases():
        case_dir = os.path.join(out, case.name)
        os.makedirs(case_dir, exist_ok=True)
        with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        for i, (inputs, outputs) in enumerate(case.data_sets):
            data_dir = os.path.join(case_dir, f"test_data_set_{i}")
            os.makedirs(data_dir, exist_ok=True)
            graph = case.model.graph
            # Sequence, map and optional inputs are outside QuantKit's tensor-only runtime: skip those cases' data.
            if any(not v.type.HasField("tensor_type") for v in list(graph.input) + list(graph.output)):
                continue
            for j, value in enumerate(inputs):
                write_tensor(os.path.join(data_dir, f"input_{j}.pb"), value, graph.input[j].name)
            for j, value in enumerate(outputs):
                write_tensor(os.path.join(data_dir, f"output_{j}.pb"), value, graph.output[j].name)
        written += 1
    print(f"wrote {written} node tests to {out}")


if __name__ == "__main__":
    main()
