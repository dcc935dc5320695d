/// How the QuantizeLinear / DequantizeLinear wrappers cut a tensor into kernel calls and spread them over threads.

/// Scalar-operation cost of one element for ``parallelChunks(_:threads:workPerItem:)``: quantize divides, so it
/// splits at half the size dequantize does.
let quantizeWork = 2
let dequantizeWork = 1

/// Elements per work item when one per-tensor run is split over threads (a multiple of every SIMD block).
let spanGranule = 1024

/// Per-axis slices of fewer elements than this are not run one kernel call each: whole outer rows run at once
/// with the parameters expanded to one per element.
let rowInnerLimit = 64

/// The scale and zero point of one kernel call: the same for the whole span, or one per element of an outer row.
enum SpanParameters {
    case uniform(Float, Int32)
    case perElement(UnsafePointer<Float>, UnsafePointer<Int32>)
}

/// Calls `body(start, count)` on consecutive spans covering 0..<total, in parallel when the work is large enough.
func forEachSpan(_ total: Int, threads: Int, workPerElement: Int, _ body: (Int, Int) -> Void) {
    guard total > 0 else { return }
    let items = (total + spanGranule - 1) / spanGranule
    parallelChunks(items, threads: threads, workPerItem: spanGranule * workPerElement) { range in
        let start = range.lowerBound * spanGranule
        body(start, min(total, range.upperBound * spanGranule) - start)
    }
}

/// Calls `body(start, count, parameters)` on spans covering a `total`-element outer × C × inner tensor whose
/// element (o, c, i) uses scales[c] and zeroPoints[c] (C = scales.count; zeroPoints has C values or one): one span
/// per (o, c) slice when inner ≥ ``rowInnerLimit``, else one span per outer row with per-element parameters.
func forEachChannelSpan(_ total: Int, scales: [Float], zeroPoints: [Int32], inner: Int, threads: Int,
                        workPerElement: Int, _ body: (Int, Int, SpanParameters) -> Void) {
    let channels = scales.count
    precondition(channels > 0 && inner > 0 && total % (channels * inner) == 0,
                 "per-axis parameters: \(total) elements are not outer × \(channels) × \(inner)")
    precondition(zeroPoints.count == channels || zeroPoints.count == 1, "per-axis parameters: zero point count")
    guard total > 0 else { return }
    func zero(_ c: Int) -> Int32 { zeroPoints.count == 1 ? zeroPoints[0] : zeroPoints[c] }
    if inner >= rowInnerLimit {
        parallelChunks(total / inner, threads: threads, workPerItem: inner * workPerElement) { range in
            for slice in range {
                let c = slice % channels
                body(slice * inner, inner, .uniform(scales[c], zero(c)))
            }
        }
        return
    }
    let rowLength = channels * inner
    var rowScales = [Float](repeating: 0, count: rowLength), rowZeros = [Int32](repeating: 0, count: rowLength)
    for e in 0..<rowLength {
        rowScales[e] = scales[e / inner]
        rowZeros[e] = zero(e / inner)
    }
    rowScales.withUnsafeBufferPointer { s in
        rowZeros.withUnsafeBufferPointer { z in
            let parameters = SpanParameters.perElement(s.baseAddress!, z.baseAddress!)
            parallelChunks(total / rowLength, threads: threads, workPerItem: rowLength * workPerElement) { range in
                for row in range { body(row * rowLength, rowLength, parameters) }
            }
        }
    }
}
