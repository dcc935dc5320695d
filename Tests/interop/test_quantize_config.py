"""`qkit quantize --config` reads the same schema from JSON and YAML: the two files below describe one config, and
the quantized models are byte-identical. A bad YAML file is a one-line error naming the file and the key, with a
non-zero exit and no output file."""

import pytest

from interop_support import FIXTURES

DIGITS = FIXTURES / "digits"

YAML = """\
# int4 weights in blocks of 16, percentile calibration
mode: static
weightType: int4
weightGranularity:
  kind: perBlock
  size: 16
calibration: {method: percentile, percentile: 99.99}
excludeNodes: [fc2]
"""
JSON = """{"mode": "static", "weightType": "int4", "weightGranularity": {"kind": "perBlock", "size": 16},
 "calibration": {"method": "percentile", "percentile": 99.99}, "excludeNodes": ["fc2"]}"""


def quantize(run_qkit, config, out, check=True):
    return run_qkit("quantize", DIGITS / "model.onnx", "-o", out, "--calibration", DIGITS / "calibration.npz",
                    "--config", config, check=check)


def test_yaml_and_json_configs_write_the_same_model(run_qkit, tmp_path):
    (tmp_path / "c.yaml").write_text(YAML)
    (tmp_path / "c.json").write_text(JSON)
    from_yaml = quantize(run_qkit, tmp_path / "c.yaml", tmp_path / "y.onnx")
    quantize(run_qkit, tmp_path / "c.json", tmp_path / "j.onnx")
    assert (tmp_path / "y.onnx").read_bytes() == (tmp_path / "j.onnx").read_bytes()
    assert "kept fp32: fc2" in from_yaml.stdout


@pytest.mark.parametrize("text, message", [
    ("weigthType: int4\n", "unknown key 'weigthType'"),
    ("calibration: {method: entropy, bins: many}\n", "'calibration.bins' must be a number"),
    ("weightType: int3\n", "unknown value 'int3' for weightType"),
    ("mode: [static\n", "not valid YAML"),
])
def test_bad_yaml_config_is_a_clear_error(run_qkit, tmp_path, text, message):
    config = tmp_path / "bad.yml"
    config.write_text(text)
    result = quantize(run_qkit, config, tmp_path / "q.onnx", check=False)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(config) in lines[0] and message in lines[0], result.stderr
    assert not (tmp_path / "q.onnx").exists()
