"""`qkit run` on the shipped fixtures gives onnxruntime's outputs (rtol 1e-4) and the digits model's accuracy."""

import numpy as np
import pytest

from interop_support import FIXTURE_MODELS, FIXTURES, ort_outputs, ort_session


def assert_outputs_match(out_dir, expected: dict, label: str) -> None:
    for name, want in expected.items():
        path = out_dir / f"{name}.npy"
        assert path.is_file(), f"{label}: qkit wrote no {path.name} (files: {sorted(p.name for p in out_dir.iterdir())})"
        got = np.load(path)
        assert got.dtype == want.dtype and got.shape == want.shape, \
            f"{label}: {name} is {got.dtype}{list(got.shape)}, onnxruntime gives {want.dtype}{list(want.shape)}"
        np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-5, err_msg=f"{label}: output {name}")


@pytest.mark.parametrize("name", FIXTURE_MODELS)
def test_run_npz_matches_onnxruntime(name, run_qkit, tmp_path):
    fixture = FIXTURE_MODELS[name]
    expected = ort_outputs(fixture.model, fixture.feeds(ort_session(fixture.model)))
    run_qkit("run", fixture.model, "--inputs", fixture.data, "--output-dir", tmp_path)
    assert_outputs_match(tmp_path, expected, f"{name} on {fixture.data.name}")


# (fixture, rows, sequence columns): other batch sizes and, for the encoder, shorter sequences than the shipped ones.
NAMED_INPUT_CASES = [("digits", 1, None), ("digits", 37, None), ("encoder", 1, 16), ("encoder", 3, 12)]


@pytest.mark.parametrize("name,rows,columns", NAMED_INPUT_CASES)
def test_run_named_npy_inputs_match_onnxruntime(name, rows, columns, run_qkit, tmp_path):
    fixture = FIXTURE_MODELS[name]
    feeds = {key: value[:rows] if columns is None else value[:rows, :columns]
             for key, value in fixture.feeds(ort_session(fixture.model)).items()}
    arguments = []
    for key, value in feeds.items():
        path = tmp_path / f"{key}.npy"
        np.save(path, np.ascontiguousarray(value))
        arguments += ["--input", f"{key}={path}"]
    out_dir = tmp_path / "out"
    run_qkit("run", fixture.model, *arguments, "--output-dir", out_dir)
    shapes = ", ".join(f"{key}{list(value.shape)}" for key, value in feeds.items())
    assert_outputs_match(out_dir, ort_outputs(fixture.model, feeds), f"{name} with {shapes}")


@pytest.mark.parametrize("data", ["test.npz", "calibration.npz"])
def test_digits_accuracy_equals_onnxruntime(data, run_qkit, tmp_path):
    fixture = FIXTURE_MODELS["digits"]
    arrays = np.load(FIXTURES / "digits" / data)
    labels = arrays["labels"]
    want = ort_outputs(fixture.model, {"input": arrays["input"]})["logits"]
    run_qkit("run", fixture.model, "--inputs", FIXTURES / "digits" / data, "--output-dir", tmp_path)
    got = np.load(tmp_path / "logits.npy")
    ort_accuracy = float((want.argmax(axis=1) == labels).mean())
    qkit_accuracy = float((got.argmax(axis=1) == labels).mean())
    assert qkit_accuracy == ort_accuracy, f"qkit accuracy {qkit_accuracy:.4f}, onnxruntime {ort_accuracy:.4f}"
    assert ort_accuracy >= 0.97, f"the fixture itself scores only {ort_accuracy:.4f} on {data}"
