"""Wall time of `qkit quantize --mode static` vs onnxruntime's quantize_static on the same model and calibration
data (the shipped digits CNN and its 512-sample calibration set), in one run.

Usage: .venv/bin/python scripts/bench_quantize.py [--qkit .build/release/qkit] [--method minmax] [--repeat 3]
Both sides are timed as whole commands (a fresh process each), so start-up is included on both; the best of
`--repeat` runs is reported with the ratio ORT / qkit (above 1.0 means qkit is faster).
"""

import argparse
import subprocess
import sys
import tempfile
import time

ORT_SCRIPT = """
import sys, numpy as np
from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static, CalibrationMethod
data = np.load("Fixtures/digits/calibration.npz")["input"]
class Reader(CalibrationDataReader):
    def __init__(self): self.batches = iter([{"input": data[i:i + 64]} for i in range(0, len(data), 64)])
    def get_next(self): return next(self.batches, None)
method = {"minmax": CalibrationMethod.MinMax, "entropy": CalibrationMethod.Entropy,
          "percentile": CalibrationMethod.Percentile}[sys.argv[2]]
quantize_static("Fixtures/digits/model.onnx", sys.argv[1], Reader(), quant_format=QuantFormat.QDQ,
                per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                calibrate_method=method)
"""


def best_time(command, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return min(times)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--qkit", default=".build/release/qkit")
    parser.add_argument("--method", default="minmax", choices=["minmax", "entropy", "percentile"])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        ours = best_time([args.qkit, "quantize", "Fixtures/digits/model.onnx", "-o", f"{tmp}/q.onnx", "--mode",
                          "static", "--calibration", "Fixtures/digits/calibration.npz", "--per-channel",
                          "--method", args.method], args.repeat)
        theirs = best_time([sys.executable, "-c", ORT_SCRIPT, f"{tmp}/ort.onnx", args.method], args.repeat)
    print(f"static quantization of the digits CNN, 512 calibration samples, {args.method}: "
          f"qkit {ours:.3f} s, onnxruntime {theirs:.3f} s, ratio ORT/qkit {theirs / ours:.1f}x")


if __name__ == "__main__":
    main()
