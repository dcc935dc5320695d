"""Latency of qkit vs ONNX Runtime on the same models, inputs, batch sizes and thread counts (issue 5's table).

Usage: .venv/bin/python scripts/bench_vs_ort.py [--qkit PATH] [--runs N] [--precision fp32,int8] [--out FILE.md]
Builds nothing: pass the qkit binary (default .build/release/qkit; build it with `swift build -c release`).
For each fixture it benchmarks the fp32 model and an int8 model written by `qkit quantize --mode static
--per-channel` (QDQ, MinMax calibration on the fixture's calibration set). Every row is one `qkit bench
--compare-ort --json` call, so qkit and onnxruntime (intra_op_num_threads = threads, sequential execution) run the
same model on the same feeds, with the same warm-up, run count and statistics, back to back. The ratio is
qkit / ORT median (below 1.0 means qkit is faster); the last column is qkit's int8 speed-up over qkit fp32.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

CASES = [
    ("digits CNN", "Fixtures/digits/model.onnx", "Fixtures/digits/calibration.npz", "Fixtures/digits/test.npz"),
    ("encoder", "Fixtures/encoder/model.onnx", "Fixtures/encoder/calibration.npz", "Fixtures/encoder/inputs.npz"),
]


def quantize(qkit: str, model: str, calibration: str, out: str) -> None:
    subprocess.run([qkit, "quantize", model, "-o", out, "--mode", "static", "--per-channel",
                    "--calibration", calibration, "--quiet"], check=True, capture_output=True)


def bench(qkit: str, model: str, data: str, batch: int, threads: int, args) -> dict:
    out = subprocess.run(
        [qkit, "bench", model, "--data", data, "--batch", str(batch), "--threads", str(threads),
         "--warmup", str(args.warmup), "--runs", str(args.runs), "--compare-ort", "--python", sys.executable,
         "--json", "--quiet"],
        check=True, capture_output=True, text=True).stdout
    result = json.loads(out)
    return {"qkit": result["qkit"]["medianMs"], "ort": result["ort"]["latency"]["medianMs"]}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--qkit", default=".build/release/qkit")
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--precision", default="fp32,int8", help="comma-separated: fp32, int8")
    parser.add_argument("--out")
    args = parser.parse_args()
    precisions = args.precision.split(",")
    rows = ["| model | precision | batch | threads | qkit median ms | ORT median ms | qkit/ORT | qkit int8 speed-up |",
            "|---|---|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as scratch:
        for label, model, calibration, data in CASES:
            models = {"fp32": model}
            if "int8" in precisions:
                models["int8"] = os.path.join(scratch, os.path.basename(os.path.dirname(model)) + "-int8.onnx")
                quantize(args.qkit, model, calibration, models["int8"])
            for batch in (1, 32):
                for threads in (1, 2):
                    measured = {p: bench(args.qkit, models[p], data, batch, threads, args) for p in precisions}
                    for precision in precisions:
                        m = measured[precision]
                        speedup = ""
                        if precision == "int8" and "fp32" in measured:
                            speedup = f"{measured['fp32']['qkit'] / m['qkit']:.2f}x"
                        rows.append(f"| {label} | {precision} | {batch} | {threads} | {m['qkit']:.3f} | {m['ort']:.3f} "
                                    f"| {m['qkit'] / m['ort']:.2f} | {speedup} |")
                        print(rows[-1], flush=True)
    table = "\n".join(rows)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
