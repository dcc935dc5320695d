#!/usr/bin/env python3
"""Times onnxruntime on one model for `qkit bench --compare-ort`.

qkit writes the exact feeds it times (one .npz, arrays keyed by input name) and calls this script with the same
thread count, warm-up and run counts. The script prints one JSON object on stdout:
    {"onnxruntime": version, "samplesMs": [...], "peakResidentMB": float}
qkit computes median/p90 from the samples itself, so both sides use the same statistics.
"""

import argparse
import json
import resource
import sys
import time


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--feeds", required=True, help=".npz with one array per model input")
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    try:
        import numpy as np
        import onnxruntime as ort
    except ImportError as error:
        print(f"ort_bench.py: {error} (use --python with an interpreter that has numpy and onnxruntime)", file=sys.stderr)
        return 2
    options = ort.SessionOptions()
    options.intra_op_num_threads = args.threads
    options.inter_op_num_threads = 1
    options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    try:
        session = ort.InferenceSession(args.model, options, providers=["CPUExecutionProvider"])
    except Exception as error:  # onnxruntime raises its own exception types
        print(f"ort_bench.py: onnxruntime cannot load {args.model}: {error}", file=sys.stderr)
        return 1
    arrays = np.load(args.feeds)
    feeds = {i.name: arrays[i.name] for i in session.get_inputs() if i.name in arrays}
    for _ in range(args.warmup):
        session.run(None, feeds)
    samples = []
    for _ in range(max(1, args.runs)):
        start = time.perf_counter()
        session.run(None, feeds)
        samples.append((time.perf_counter() - start) * 1000)
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(json.dumps({"onnxruntime": ort.__version__, "samplesMs": samples, "peakResidentMB": peak_mb}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
