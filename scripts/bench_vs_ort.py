"""Latency of qkit vs ONNX Runtime on the same models, inputs, batch sizes and thread counts, in one run.

Usage: .venv/bin/python scripts/bench_vs_ort.py [--qkit PATH] [--runs N] [--out FILE.md]
Builds nothing: pass the qkit binary (default .build/release/qkit; build it with `swift build -c release`).
For each (model, batch, threads) it runs `qkit bench --json` and times onnxruntime with intra_op_num_threads =
threads, sequential execution, the same warm-up and number of runs, and prints median/p90 and the ratio
qkit / ORT (below 1.0 means qkit is faster).
"""

import argparse
import json
import subprocess
import time

import numpy as np
import onnxruntime as ort

CASES = [
    ("digits CNN", "Fixtures/digits/model.onnx", "Fixtures/digits/test.npz"),
    ("encoder", "Fixtures/encoder/model.onnx", "Fixtures/encoder/inputs.npz"),
]


def batch_of(arrays: dict, names: list, batch: int) -> dict:
    feeds = {}
    for name in names:
        data = arrays[name]
        reps = -(-batch // data.shape[0])
        feeds[name] = np.concatenate([data] * reps)[:batch]
    return feeds


def ort_latency(model: str, feeds: dict, threads: int, warmup: int, runs: int) -> tuple:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    session = ort.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    for _ in range(warmup):
        session.run(None, feeds)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        session.run(None, feeds)
        samples.append(time.perf_counter() - start)
    samples = np.sort(np.array(samples)) * 1000
    return float(np.median(samples)), float(samples[int(np.ceil(0.9 * len(samples))) - 1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--qkit", default=".build/release/qkit")
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--out")
    args = parser.parse_args()
    rows = ["| model | batch | threads | qkit median ms | ORT median ms | qkit/ORT |", "|---|---|---|---|---|---|"]
    for label, model, data in CASES:
        arrays = dict(np.load(data))
        names = [i.name for i in ort.InferenceSession(model, providers=["CPUExecutionProvider"]).get_inputs()]
        for batch in (1, 32):
            feeds = batch_of(arrays, names, batch)
            for threads in (1, 2):
                out = subprocess.run(
                    [args.qkit, "bench", model, "--data", data, "--batch", str(batch), "--threads", str(threads),
                     "--warmup", str(args.warmup), "--runs", str(args.runs), "--json"],
                    check=True, capture_output=True, text=True).stdout
                ours = json.loads(out)["qkit"]["medianMs"]
                theirs, _ = ort_latency(model, feeds, threads, args.warmup, args.runs)
                rows.append(f"| {label} | {batch} | {threads} | {ours:.3f} | {theirs:.3f} | {ours / theirs:.2f} |")
                print(rows[-1], flush=True)
    table = "\n".join(rows)
    print(table)
    if args.out:
        with open(args.out, "w") as f:
            f.write(table + "\n")


if __name__ == "__main__":
    main()
