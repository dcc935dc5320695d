"""Helpers shared by the interop tests: paths of the shipped fixtures and onnxruntime reference runs."""

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "Fixtures"


@dataclass(frozen=True)
class FixtureModel:
    """A shipped model with the data set its outputs are compared on."""

    name: str
    model: Path
    data: Path

    def feeds(self, session: ort.InferenceSession) -> dict:
        """The data set's arrays that are model inputs (labels and other extras left out)."""
        arrays = np.load(self.data)
        return {i.name: arrays[i.name] for i in session.get_inputs()}


FIXTURE_MODELS = {
    "digits": FixtureModel("digits", FIXTURES / "digits" / "model.onnx", FIXTURES / "digits" / "test.npz"),
    "encoder": FixtureModel("encoder", FIXTURES / "encoder" / "model.onnx", FIXTURES / "encoder" / "inputs.npz"),
}


def ort_session(path) -> ort.InferenceSession:
    """A single-threaded CPU onnxruntime session (deterministic summation order)."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def ort_outputs(path, feeds: dict) -> dict:
    session = ort_session(path)
    names = [o.name for o in session.get_outputs()]
    return dict(zip(names, session.run(names, feeds)))


def min_row_cosine(a, b) -> float:
    """The smallest cosine similarity between matching rows (samples) of two output arrays."""
    a, b = a.reshape(len(a), -1), b.reshape(len(b), -1)
    return float(((a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))).min())
