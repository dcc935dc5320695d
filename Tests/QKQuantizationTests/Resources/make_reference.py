"""Writes reference.json: ONNX Runtime's own quantization math on fixed seeded inputs, for QKQuantizationTests.

Run from the repository root:  /work/main/.venv/bin/python Tests/QKQuantizationTests/Resources/make_reference.py
Float32 arrays are stored as base64 of little-endian bytes and float32 scalars as their bit patterns, so the Swift
side reads exactly the same numbers.
"""

import base64
import contextlib
import io
import json
import pathlib
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper
from onnxruntime.quantization import calibrate
from onnxruntime.quantization.quant_utils import (
    compute_data_quant_params,
    compute_scale_zp,
    compute_scale_zp_blocked,
    get_qmin_qmax_for_qType,
    pack_bytes_to_4bit,
    quantize_nparray,
)

TYPES = {
    "int8": TensorProto.INT8,
    "uint8": TensorProto.UINT8,
    "int16": TensorProto.INT16,
    "uint16": TensorProto.UINT16,
    "int4": TensorProto.INT4,
    "uint4": TensorProto.UINT4,
}
OUT = pathlib.Path(__file__).with_name("reference.json")


def f32_array(a):
    return base64.b64encode(np.asarray(a, dtype="<f4").tobytes()).decode()


def bits(x):
    return int(np.asarray(x, dtype=np.float32).reshape(()).view(np.uint32))


def params_cases(rng):
    ranges = [(-1.0, 3.0), (0.5, 2.0), (-2.0, -0.25), (0.0, 0.0), (-1e-3, 1e-3), (-6.5, 6.5),
              (-0.1, 100.0), (-3.4e38, 3.4e38), (1e-40, 2e-40)]
    ranges += [tuple(sorted(rng.normal(0, 5, 2).astype(np.float32))) for _ in range(12)]
    cases = []
    for lo, hi in ranges:
        rmin, rmax = np.array(lo, dtype=np.float32), np.array(hi, dtype=np.float32)
        for name, qtype in TYPES.items():
            for symmetric in (False, True):
                for reduce in (False, True):
                    qmin, qmax = get_qmin_qmax_for_qType(qtype, reduce_range=reduce, symmetric=symmetric)
                    zp, scale = compute_scale_zp(rmin, rmax, qmin, qmax, symmetric=symmetric)
                    cases.append({"min": bits(rmin), "max": bits(rmax), "type": name, "symmetric": symmetric,
                                  "reduceRange": reduce, "scale": bits(scale), "zeroPoint": int(zp)})
    return cases


def quantize_cases(rng):
    data = rng.normal(0, 1.5, 300).astype(np.float32)
    data[:6] = [0.0, -0.0, 1e-30, -1e-30, 7.0, -7.0]
    cases = []
    for name, qtype in TYPES.items():
        for symmetric in (False, True):
            zp, scale = compute_data_quant_params(data, qtype, symmetric)
            q = quantize_nparray(qtype, data, scale, zp)
            case = {"type": name, "symmetric": symmetric, "input": f32_array(data), "scale": bits(scale),
                    "zeroPoint": int(zp), "quantized": q.astype(np.int64).tolist()}
            if name in ("int4", "uint4"):
                case["packed"] = list(pack_bytes_to_4bit(q.astype(np.int8).tobytes()))
            cases.append(case)
    # Exact ties: scale 0.5, x = (k + 0.5) · 0.5 → x / scale = k + 0.5 (round half to even).
    ties = (np.arange(-20, 20, dtype=np.float32) + 0.5) * 0.5
    for name, qtype in TYPES.items():
        qmin, _ = get_qmin_qmax_for_qType(qtype)
        zp = np.array(0 if qmin < 0 else 8, dtype=qmin.dtype)
        q = quantize_nparray(qtype, ties, np.array(0.5, dtype=np.float32), zp)
        cases.append({"type": name, "symmetric": False, "input": f32_array(ties), "scale": bits(0.5),
                      "zeroPoint": int(zp), "quantized": q.astype(np.int64).tolist()})
    return cases


def per_channel_cases(rng):
    w = rng.normal(0, 1, (6, 5, 4)).astype(np.float32)
    w[2] *= 8
    cases = []
    for axis in (0, 1, 2):
        for name in ("int8", "uint8", "int4"):
            qtype = TYPES[name]
            scales, zps, q = [], [], np.zeros(w.shape, dtype=np.int64)
            for c in range(w.shape[axis]):
                channel = np.take(w, c, axis=axis)
                zp, scale = compute_data_quant_params(channel.flatten(), qtype, name != "uint8")
                scales.append(bits(scale))
                zps.append(int(zp))
                index = [slice(None)] * w.ndim
                index[axis] = c
                q[tuple(index)] = quantize_nparray(qtype, channel, scale, zp).astype(np.int64)
            cases.append({"shape": list(w.shape), "axis": axis, "type": name, "symmetric": name != "uint8",
                          "input": f32_array(w), "scales": scales, "zeroPoints": zps,
                          "quantized": q.flatten().tolist()})
    return cases


def per_block_cases(rng):
    w = rng.normal(0, 1, (37, 6)).astype(np.float32)
    w[:, 1] *= 10
    cases = []
    for axis, block in ((0, 16), (0, 32), (1, 4)):
        for name in ("int8", "uint8", "int4", "uint4"):
            qtype = TYPES[name]
            symmetric = name in ("int8", "int4")
            zp, scale = compute_scale_zp_blocked(w, qtype, axis, block, symmetric)
            full_scale = np.repeat(scale, block, axis=axis)[tuple(slice(0, d) for d in w.shape)]
            full_zp = np.repeat(zp.astype(np.int64), block, axis=axis)[tuple(slice(0, d) for d in w.shape)]
            qmin, qmax = get_qmin_qmax_for_qType(qtype)
            q = np.clip((w / full_scale).round() + full_zp, int(qmin), int(qmax)).astype(np.int64)
            cases.append({"shape": list(w.shape), "axis": axis, "blockSize": block, "type": name,
                          "symmetric": symmetric, "input": f32_array(w),
                          "scales": [bits(s) for s in scale.flatten()],
                          "zeroPoints": zp.astype(np.int64).flatten().tolist(), "quantized": q.flatten().tolist()})
    return cases


def batch_sets(rng):
    single = [np.concatenate([rng.normal(0, 1, 4000), rng.normal(0, 6, 96)]).astype(np.float32)]
    growing = [(rng.normal(0.3, 1, 512) * (1 + k / 4)).astype(np.float32) for k in range(16)]
    shrinking = [(rng.laplace(0, 1, 512) / (1 + k)).astype(np.float32) for k in range(8)]
    shrinking[0][:4] = [9.0, -9.5, 8.0, -8.0]
    return {"single": single, "growing": growing, "shrinking": shrinking}


def minmax_ranges(batches, moving_average):
    """ORT's MinMaxCalibrater on an Identity model, one collect_data call per batch."""
    n = len(batches[0])
    graph = helper.make_graph([helper.make_node("Identity", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=9)
    with tempfile.TemporaryDirectory() as tmp:
        path = pathlib.Path(tmp) / "identity.onnx"
        onnx.save(model, path)
        calibrator = calibrate.create_calibrator(
            path, augmented_model_path=str(pathlib.Path(tmp) / "augmented.onnx"),
            calibrate_method=calibrate.CalibrationMethod.MinMax,
            extra_options={"moving_average": moving_average, "averaging_constant": 0.01})
        for batch in batches:
            calibrator.collect_data(OneBatch(batch))
        low, high = calibrator.compute_data()["x"].range_value
        return bits(low), bits(high)


class OneBatch(calibrate.CalibrationDataReader):
    def __init__(self, batch):
        self.items = [{"x": batch}]

    def get_next(self):
        return self.items.pop() if self.items else None


def histogram_range(batches, method, symmetric, **options):
    collector = calibrate.HistogramCollector(method=method, symmetric=symmetric,
                                             num_bins=options.get("num_bins", 2048),
                                             num_quantized_bins=options.get("num_quantized_bins", 128),
                                             percentile=options.get("percentile", 99.999), scenario="same")
    with contextlib.redirect_stdout(io.StringIO()):
        for batch in batches:
            collector.collect({"x": batch})
        low, high = collector.compute_collection_result()["x"][:2]
        final_bins = len(collector.histogram_dict["x"][0])
    return {"min": bits(low), "max": bits(high), "ortBins": final_bins}


def observer_cases(rng):
    cases = []
    for name, batches in batch_sets(rng).items():
        case = {"name": name, "batches": [f32_array(b) for b in batches]}
        case["minmax"] = minmax_ranges(batches, False)
        case["movingAverage"] = minmax_ranges(batches, True)
        case["percentileSymmetric"] = histogram_range(batches, "percentile", True, percentile=99.9)
        case["percentile"] = histogram_range(batches, "percentile", False, percentile=99.9)
        case["entropy"] = histogram_range(batches, "entropy", False, num_bins=1024, num_quantized_bins=128)
        # ORT on all batches at once: its histogram then has the final range and the bin count we keep.
        together = [np.concatenate(batches)]
        case["oneShot"] = {
            "percentileSymmetric": histogram_range(together, "percentile", True, percentile=99.9),
            "percentile": histogram_range(together, "percentile", False, percentile=99.9),
            "entropy": histogram_range(together, "entropy", False, num_bins=1024, num_quantized_bins=128),
        }
        cases.append(case)
    return cases


def kl_threshold_by_definition(values, bins, levels):
    """TensorRT's KL threshold as EntropyObserver documents it, written straight from the definition (O(n²)):
    histogram of |x| over [0, max |x|] without exact zeros; candidates i = levels … bins; p = bins 0 … i−1 plus
    the clipped mass on bin i−1; q = levels of ⌊i/levels⌋ bins (last takes the rest) spread over p's non-empty
    bins; smallest KL(p‖q), largest i on ties (within 1e-9 relative). Returns the threshold edge (float32)."""
    magnitudes = np.abs(values)
    hist, edges = np.histogram(magnitudes, bins, range=(np.float32(0), magnitudes.max()))
    hist = hist.astype(np.float64)
    hist[0] -= np.count_nonzero(values == 0)
    best, best_i = np.inf, bins
    for i in range(levels, bins + 1):
        p = hist[:i].copy()
        p[-1] += hist[i:].sum()
        q = np.zeros(i)
        width = i // levels
        for g in range(levels):
            lo, hi = g * width, (i if g == levels - 1 else g * width + width)
            filled = p[lo:hi] > 0
            if filled.any():
                q[lo:hi][filled] = hist[lo:hi].sum() / filled.sum()
        used = p > 0
        if (q[used] == 0).any():
            continue
        pn, qn = p[used] / p.sum(), q[used] / q.sum()
        divergence = float((pn * np.log(pn / qn)).sum())
        if divergence <= best + 1e-9 * abs(best):   # ties within rounding: the larger threshold
            best, best_i = min(best, divergence), i
    return edges[best_i]


def entropy_cases():
    """KL thresholds by definition (ONNX Runtime's entropy differs on purpose, see EntropyObserver). "relu" has
    half exact zeros, "levels" few distinct values (like image pixels), "heavy" a sparse heavy tail."""
    rng = np.random.default_rng(4)
    sets = {
        "gaussian": [rng.normal(0, 1, 3000).astype(np.float32) for _ in range(2)],
        "heavy": [np.concatenate([rng.normal(0, 1, 4000), rng.normal(0, 6, 30)]).astype(np.float32)],
        "laplace": [rng.laplace(0.2, 1, 2000).astype(np.float32) for _ in range(3)],
        "relu": [np.maximum(rng.normal(0.1, 1, 3000), 0).astype(np.float32) for _ in range(2)],
        "levels": [(rng.integers(0, 17, 4000) / 16).astype(np.float32)],
    }
    cases = []
    for name, batches in sets.items():
        values = np.concatenate(batches)
        cases.append({"name": name, "batches": [f32_array(b) for b in batches],
                      "thresholds": [{"bins": bins, "levels": levels,
                                      "threshold": bits(kl_threshold_by_definition(values, bins, levels))}
                                     for bins, levels in [(1024, 128), (2048, 256)]]})
    return cases


def main():
    rng = np.random.default_rng(20261123)
    reference = {"params": params_cases(rng), "quantize": quantize_cases(rng), "perChannel": per_channel_cases(rng),
                 "perBlock": per_block_cases(rng), "observers": observer_cases(rng), "entropy": entropy_cases()}
    OUT.write_text(json.dumps(reference, separators=(",", ":")))
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
