"""Calibration memory does not grow with the number of samples: the peak resident memory of
`qkit quantize --mode static` with percentile and entropy calibration differs by less than 10 % between 64 and
2,048 samples. onnxruntime's calibrators keep every activation of every sample; each test first checks that
keeping them would be visible here (more than the 10 % margin), so the property is not vacuous.

Peak memory is ru_maxrss of a fresh Python child that only runs qkit (RUSAGE_CHILDREN of that child is qkit's
own peak, independent of pytest's memory). The data sets are built here from seeds: the encoder with random
token ids and padding masks, the digits calibration set tiled with Gaussian noise.
"""

import subprocess
import sys

import numpy as np
import onnx
import pytest
from onnx import helper

from interop_support import FIXTURES, REPO, ort_session

MARGIN = 0.10
PEAK_RSS = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_kib(command) -> int:
    result = subprocess.run([sys.executable, "-c", PEAK_RSS, *map(str, command)], cwd=REPO, capture_output=True,
                            text=True, check=True, timeout=600)
    return int(result.stdout.strip())


def encoder_data(samples: int, sequence: int = 8) -> dict:
    rng = np.random.default_rng(2048)
    ids = rng.integers(0, 1000, (samples, sequence), dtype=np.int64)
    lengths = rng.integers(2, sequence + 1, samples)
    mask = (np.arange(sequence)[None, :] < lengths[:, None]).astype(np.int64)
    return {"input_ids": ids * mask, "attention_mask": mask}


def digits_data(samples: int) -> dict:
    base = np.load(FIXTURES / "digits" / "calibration.npz")["input"]
    rng = np.random.default_rng(64)
    tiled = np.concatenate([base] * (samples // len(base) + 1))[:samples]
    noisy = np.clip(tiled + rng.normal(0, 0.05, tiled.shape).astype(np.float32), 0, 1)
    return {"input": noisy.astype(np.float32)}


MODELS = {"encoder": (FIXTURES / "encoder" / "model.onnx", encoder_data),
          "digits": (FIXTURES / "digits" / "model.onnx", digits_data)}


def activation_bytes_per_sample(model_path, feeds: dict, folder) -> int:
    """Bytes of every float32 node output for one sample, measured with onnxruntime: what a calibrator that keeps
    all activations holds per sample."""
    model = onnx.load(model_path)
    outputs = {o.name for o in model.graph.output}
    for node in model.graph.node:
        for name in node.output:
            if name and name not in outputs:
                model.graph.output.append(helper.make_empty_tensor_value_info(name))
                outputs.add(name)
    path = folder / "all_outputs.onnx"
    onnx.save(model, path)
    values = ort_session(path).run(None, {k: v[:1] for k, v in feeds.items()})
    return sum(v.nbytes for v in values if v.dtype == np.float32)


@pytest.mark.parametrize("method", ["percentile", "entropy"])
@pytest.mark.parametrize("model", list(MODELS))
def test_peak_memory_independent_of_sample_count(run_qkit, qkit, tmp_path, model, method, report_line):
    path, make = MODELS[model]
    peaks = {}
    for samples in (64, 2048):
        data = tmp_path / f"calibration{samples}.npz"
        np.savez(data, **make(samples))
        peaks[samples] = peak_rss_kib([qkit, "quantize", path, "-o", tmp_path / f"q{samples}.onnx", "--mode",
                                       "static", "--per-channel", "--calibration", data, "--method", method])
    retained = activation_bytes_per_sample(path, make(1), tmp_path) * (2048 - 64) / 1024
    growth = (peaks[2048] - peaks[64]) / peaks[64]
    report_line(f"calibration memory {model} {method}: peak RSS 64 samples {peaks[64] / 1024:.1f} MiB, 2048 samples "
                f"{peaks[2048] / 1024:.1f} MiB ({growth:+.1%}); keeping all activations would add "
                f"{retained / 1024:.1f} MiB")
    assert retained > MARGIN * peaks[64], "the test could not tell retained activations from noise"
    assert abs(growth) < MARGIN


def test_directory_calibration_equals_npz(run_qkit, tmp_path):
    """The same samples as one .npz, as a directory of .npz shards (joined in file-name order) and as a directory
    with one .npy per input give byte-identical models."""
    data = digits_data(300)
    single = tmp_path / "all.npz"
    np.savez(single, **data)
    shards = tmp_path / "shards"
    shards.mkdir()
    for index, start in enumerate(range(0, 300, 64)):
        np.savez(shards / f"batch{index:03d}.npz", input=data["input"][start:start + 64])
    arrays = tmp_path / "arrays"
    arrays.mkdir()
    np.save(arrays / "input.npy", data["input"])
    outputs = []
    for source in (single, shards, arrays):
        out = tmp_path / f"{source.stem}.onnx"
        run_qkit("quantize", FIXTURES / "digits" / "model.onnx", "-o", out, "--mode", "static", "--calibration",
                 source, "--method", "entropy")
        outputs.append(out.read_bytes())
    assert outputs[0] == outputs[1] == outputs[2]


def test_directory_shards_must_agree(run_qkit, tmp_path):
    shards = tmp_path / "shards"
    shards.mkdir()
    np.savez(shards / "a.npz", input=np.zeros((4, 1, 8, 8), np.float32))
    np.savez(shards / "b.npz", input=np.zeros((4, 1, 9, 9), np.float32))
    out = tmp_path / "q.onnx"
    result = run_qkit("quantize", FIXTURES / "digits" / "model.onnx", "-o", out, "--mode", "static",
                      "--calibration", shards, check=False)
    assert result.returncode != 0 and not out.exists()
    message = result.stderr.strip()
    assert len(message.splitlines()) == 1 and "b.npz" in message and "'input'" in message, message
