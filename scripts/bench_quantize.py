"""Wall time of `qkit quantize --mode static` vs onnxruntime's quantize_static on the same model and calibration
data (the shipped digits CNN and its 512-sample calibration set), per calibration method, in one run.

Usage: .venv/bin/python scripts/bench_quantize.py [--qkit .build/release/qkit] [--method all|minmax|…] [--repeat 5]
Both sides are timed as whole commands (a fresh process each: start-up, model loading, calibration, writing), the
best of `--repeat` runs, with the ratio ORT / qkit (above 1.0 means qkit is faster); wall time and CPU time
(user + system, which a busy shared machine disturbs less). Both write QDQ, per-channel
int8 weights, uint8 activations. onnxruntime has no MSE calibrator: mse is compared with its Percentile one (the
nearest histogram-based calibrator); moving-average with MinMax and CalibMovingAverage.
"""

import argparse
import resource
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
quantize_static("Fixtures/digits/model.onnx", sys.argv[1], Reader(), quant_format=QuantFormat.QDQ,
                per_channel=True, activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                calibrate_method=getattr(CalibrationMethod, sys.argv[2]),
                extra_options={"CalibMovingAverage": sys.argv[3] == "1"})
"""
# qkit method → (onnxruntime CalibrationMethod, moving average)
ORT_COUNTERPART = {"minmax": ("MinMax", False), "moving-average": ("MinMax", True),
                   "percentile": ("Percentile", False), "entropy": ("Entropy", False), "mse": ("Percentile", False)}


def best_time(command, repeat):
    """Best wall time and best CPU time (user + system of the child) over `repeat` runs."""
    walls, cpus = [], []
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(command, check=True, capture_output=True)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return min(walls), min(cpus)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--qkit", default=".build/release/qkit")
    parser.add_argument("--method", default="all", choices=["all", *ORT_COUNTERPART])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    methods = list(ORT_COUNTERPART) if args.method == "all" else [args.method]
    print("static quantization of the digits CNN, 512 calibration samples, per-channel QDQ (best of "
          f"{args.repeat}, whole commands)")
    with tempfile.TemporaryDirectory() as tmp:
        for method in methods:
            ours = best_time([args.qkit, "quantize", "Fixtures/digits/model.onnx", "-o", f"{tmp}/q.onnx", "--mode",
                              "static", "--calibration", "Fixtures/digits/calibration.npz", "--per-channel",
                              "--method", method], args.repeat)
            name, moving = ORT_COUNTERPART[method]
            theirs = best_time([sys.executable, "-c", ORT_SCRIPT, f"{tmp}/ort.onnx", name, "1" if moving else "0"],
                               args.repeat)
            label = f"{name}{' (moving avg)' if moving else ''}"
            print(f"{method:15s} wall: qkit {ours[0]:.3f} s, onnxruntime {label} {theirs[0]:.3f} s, "
                  f"ratio {theirs[0] / ours[0]:.1f}x   cpu: qkit {ours[1]:.3f} s, onnxruntime {theirs[1]:.3f} s, "
                  f"ratio {theirs[1] / ours[1]:.1f}x")


if __name__ == "__main__":
    main()
