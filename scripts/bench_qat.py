"""Measures QuantKit's training on the digits fixture: accuracies (onnxruntime on the exported models, shipped
test set) for fp32, PTQ and QAT at int8 and 4-bit weights, and seconds per epoch. A benchmark, not a test.

Usage: python scripts/bench_qat.py [QKIT] (default .build/release/qkit; build with `swift build -c release`)
"""

import re
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort

REPO = Path(__file__).resolve().parents[1]
DIGITS = REPO / "Fixtures" / "digits"
TEST = np.load(DIGITS / "test.npz")
COMMON = ["--train", DIGITS / "train.npz", "--val", DIGITS / "test.npz", "--lr", "0.0003", "--seed", "0",
          "--threads", "2"]
CALIBRATION = ["--calibration", DIGITS / "calibration.npz"]


def qkit(binary, *args) -> str:
    result = subprocess.run([str(binary), *map(str, args)], capture_output=True, text=True, check=True)
    return result.stdout


def accuracy(model) -> float:
    session = ort.InferenceSession(str(model), providers=["CPUExecutionProvider"])
    logits = session.run(None, {"input": TEST["input"]})[0]
    return float((logits.argmax(1) == TEST["labels"]).mean())


def epoch_seconds(output: str) -> list:
    return [float(s) for s in re.findall(r"\(([0-9.]+) s\)", output)]


def main() -> None:
    binary = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / ".build" / "release" / "qkit"
    rows, timings = [("fp32", accuracy(DIGITS / "model.onnx"))], {}
    with tempfile.TemporaryDirectory() as work:
        out = Path(work)
        for label, flags in [("int8", ["--weight-type", "int8"]), ("int4 per-tensor", ["--weight-type", "int4"]),
                             ("int4 per-channel", ["--weight-type", "int4", "--per-channel"])]:
            qkit(binary, "qat", DIGITS / "model.onnx", "-o", out / "ptq.onnx", *COMMON, *CALIBRATION, *flags, "--epochs", "0")
            text = qkit(binary, "qat", DIGITS / "model.onnx", "-o", out / "qat.onnx", *COMMON, *CALIBRATION, *flags, "--epochs", "5")
            rows += [(f"{label} PTQ", accuracy(out / "ptq.onnx")), (f"{label} QAT (5 epochs)", accuracy(out / "qat.onnx"))]
            timings[f"QAT {label}"] = epoch_seconds(text)
        text = qkit(binary, "train", DIGITS / "model.onnx", "-o", out / "fp32.onnx", *COMMON, "--epochs", "5")
        timings["fp32 train"] = epoch_seconds(text)
    print("| model | test accuracy (onnxruntime) |\n|---|---|")
    for label, value in rows:
        print(f"| {label} | {value * 100:.2f}% ({round(value * len(TEST['labels']))}/{len(TEST['labels'])}) |")
    print("\n| run | seconds per epoch (median of 5, 1437 images, batch 32, 2 threads) |\n|---|---|")
    for label, values in timings.items():
        print(f"| {label} | {statistics.median(values):.3f} |")


if __name__ == "__main__":
    main()
