"""Bad input to qkit gives a one-line error that names the problem, a non-zero exit code, no crash or hang,
and leaves the input untouched (issue 3's bad-input list)."""

import hashlib
import os
import subprocess

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DIGITS = os.path.join(ROOT, "Fixtures", "digits", "model.onnx")


def qkit_path() -> str:
    path = os.environ.get("QKIT")
    if not path:
        pytest.fail("set QKIT to the qkit binary (scripts/test does)")
    return path


def run_failing(*args: str) -> str:
    """Runs qkit, asserts it fails cleanly, and returns its one-line error message."""
    result = subprocess.run([qkit_path(), *args], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0, f"qkit {args} succeeded: {result.stdout}"
    assert result.returncode < 128, f"qkit crashed with signal {result.returncode - 128}: {result.stderr}"
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one error line, got: {result.stderr!r}"
    return lines[0]


def save(model: onnx.ModelProto, path) -> str:
    model.ir_version = 10
    onnx.save(model, str(path))
    return str(path)


def relu_model(op: str = "Relu", domain: str = "", **attributes) -> onnx.ModelProto:
    node = helper.make_node(op, ["x"], ["y"], name="the_node", domain=domain, **attributes)
    graph = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    opsets = [helper.make_opsetid("", 20)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    return helper.make_model(graph, opset_imports=opsets)


@pytest.fixture
def digits_bytes():
    with open(DIGITS, "rb") as f:
        return f.read()


def test_truncated_model(tmp_path, digits_bytes):
    path = tmp_path / "truncated.onnx"
    path.write_bytes(digits_bytes[: len(digits_bytes) // 3])
    message = run_failing("inspect", str(path))
    assert str(path) in message and "not a valid ONNX model" in message


def test_file_that_is_not_protobuf(tmp_path):
    path = tmp_path / "notes.onnx"
    path.write_text("name,value\nalpha,1\n")
    assert str(path) in run_failing("inspect", str(path))


def test_empty_file(tmp_path):
    path = tmp_path / "empty.onnx"
    path.write_bytes(b"")
    message = run_failing("inspect", str(path))
    assert str(path) in message and "empty" in message


def test_unknown_op_names_op_node_domain_and_opset(tmp_path):
    model = save(relu_model("FancyOp", domain="com.example"), tmp_path / "fancy.onnx")
    np.save(tmp_path / "x.npy", np.ones((2, 3), np.float32))
    message = run_failing("run", model, "--input", f"x={tmp_path / 'x.npy'}", "--output-dir", str(tmp_path / "out"))
    for part in ("FancyOp", "the_node", "com.example", "opset 1"):
        assert part in message
    assert not (tmp_path / "out").exists() or not os.listdir(tmp_path / "out")


def test_unsupported_attribute_value(tmp_path):
    model = save(relu_model("Gelu", approximate="sigmoid"), tmp_path / "gelu.onnx")
    np.save(tmp_path / "x.npy", np.ones((2, 3), np.float32))
    message = run_failing("run", model, "--input", f"x={tmp_path / 'x.npy'}", "--output-dir", str(tmp_path / "out"))
    assert "the_node" in message and "approximate" in message and "sigmoid" in message


def test_missing_input(tmp_path):
    np.savez(tmp_path / "wrong.npz", pixels=np.zeros((1, 1, 8, 8), np.float32))
    message = run_failing("run", DIGITS, "--inputs", str(tmp_path / "wrong.npz"), "--output-dir", str(tmp_path / "o"))
    assert "'input'" in message and "pixels" in message


def test_shape_mismatch(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((1, 1, 9, 9), np.float32))
    message = run_failing("run", DIGITS, "--input", f"input={tmp_path / 'x.npy'}", "--output-dir", str(tmp_path / "o"))
    assert "[1, 1, 9, 9]" in message and "input" in message


def test_dtype_mismatch(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((1, 1, 8, 8), np.float64))
    message = run_failing("run", DIGITS, "--input", f"input={tmp_path / 'x.npy'}", "--output-dir", str(tmp_path / "o"))
    assert "float64" in message and "float32" in message


def test_npy_header_that_lies_about_its_size(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((2, 1, 8, 8), np.float32))
    data = (tmp_path / "x.npy").read_bytes().replace(b"(2, 1, 8, 8)", b"(9, 1, 8, 8)")
    (tmp_path / "lie.npy").write_bytes(data)
    message = run_failing("run", DIGITS, "--input", f"input={tmp_path / 'lie.npy'}", "--output-dir", str(tmp_path / "o"))
    assert "lie.npy" in message


def test_convert_refuses_to_overwrite_its_input(tmp_path, digits_bytes):
    path = tmp_path / "model.onnx"
    path.write_bytes(digits_bytes)
    message = run_failing("convert", str(path), "-o", str(path))
    assert "overwrite" in message
    assert hashlib.sha256(path.read_bytes()).digest() == hashlib.sha256(digits_bytes).digest()


def test_convert_into_missing_directory_leaves_nothing(tmp_path):
    message = run_failing("convert", DIGITS, "-o", str(tmp_path / "no" / "such" / "dir" / "m.onnx"))
    assert "does not exist" in message
    assert os.listdir(tmp_path) == []
