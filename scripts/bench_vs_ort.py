"""Latency of qkit vs ONNX Runtime on the same models, inputs, batch sizes and thread counts (issue 5's table).

Usage: .venv/bin/python scripts/bench_vs_ort.py [--qkit PATH] [--runs N] [--precision fp32,int8] [--out FILE.md]
Builds nothing: pass the qkit binary (default .build/release/qkit; build it with `swift build -c release`).
For each fixture it benchmarks the fp32 model and an int8 model written by `qkit quantize --mode static
--per-channel` (QDQ, MinMax calibration on the fixture's calibration set). Every row is one `qkit bench
--compare-ort --json` call, so qkit and onnxruntime (intra_op_num_threads = threads, sequential execution) run the
same model on the same feeds, with the same warm-up, run count and statistics, back to back. The ratio is
qkit / ORT median (below 1.0 means qkit is faster); the last column is qkit's int8 speed-up over qkit fp32.
--repeat N runs every row N times, interleaved over the whole table, and reports the median of the N medians
(on a shared machine one pass can land in a slow phase for either runtime).
"""

import argparse
import json
import os
import statistics
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
    parser.add_argument("--repeat", type=int, default=1, help="passes over the table; medians of the pass medians")
    parser.add_argument("--out")
    args = parser.parse_args()
    precisions = args.precision.split(",")
    rows = ["| model | precision | batch | threads | qkit median ms | ORT median ms | qkit/ORT | qkit int8 speed-up |",
            "|---|---|---|---|---|---|---|---|"]
    cases = []
    with tempfile.TemporaryDirectory() as scratch:
        for label, model, calibration, data in CASES:
            models = {"fp32": model}
            if "int8" in precisions:
                models["int8"] = os.path.join(scratch, os.path.basename(os.path.dirname(model)) + "-int8.onnx")
                quantize(args.qkit, model, calibration, models["int8"])
            cases.append((label, models, data))
        samples = {}
        for _ in range(max(1, args.repeat)):
            for label, models, data in cases:
                for batch in (1, 32):
                    for threads in (1, 2):
                        for precision in precisions:
                            m = bench(args.qkit, models[precision], data, batch, threads, args)
                            samples.setdefault((label, precision, batch, threads), []).append(m)
        for label, _, _ in cases:
            for batch in (1, 32):
                for threads in (1, 2):
                    measured = {p: {side: statistics.median(m[side] for m in samples[(label, p, batch, threads)])
                                    for side in ("qkit", "ort")} for p in precisions}
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
