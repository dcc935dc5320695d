import CQKKernels

/// Batched integer GEMM with both operands known only at run time (attention's Q·Kᵀ and P·V), bit-identical to
/// ``int8GemmReference`` per batch (plus requantization):
///
///     C[t][i, j] = Σ_p (A[a(t)][i, p] − za[i]) · (B[b(t)][p, j] − zb[j])      then `output`'s requantization
///
/// with `aZeroPoints` 1 value (per tensor) or m (per row) and `bZeroPoints` 1 or n (per column),
/// for t < `count`, where `operands(t)` = (a(t), b(t)) picks the m×k matrix of A (row-major, consecutive) and the
/// k×n matrix of B (row-major, consecutive) that batch t multiplies (broadcasting repeats an index). C[t] is m×n at
/// element t·m·n of `output`. Each B matrix is packed once into a scratch panel buffer (reused while b(t) repeats),
/// A is read in place when it is u8 with K a multiple of 4; batches are split over `threads` when there are
/// enough of them and enough work. Batches of at most ``smallProduct`` multiply-adds skip the packing
/// (``int8SmallBatchedGemm``): the same int32 sums (wrapping alike), so the same output.
///
/// Example: count 2, m = n = k = 1, A = [2, 3] (u8, za [0]), B = [5] (s8, zb [1]), operands t → (t, 0),
/// `.int32` → C = [8, 12].
public func int8BatchedGemm<A: FixedWidthInteger, B: FixedWidthInteger>(
    count: Int, m: Int, n: Int, k: Int, a: UnsafePointer<A>, aZeroPoints: [Int32], b: UnsafePointer<B>,
    bZeroPoints: [Int32], operands: (Int) -> (Int, Int), output: Int8Output, threads: Int = 1,
    path: Int8KernelPath = .best
) {
    precondition(A.bitWidth == 8 && B.bitWidth == 8, "int8 batched GEMM operands must be UInt8 or Int8")
    precondition(aZeroPoints.count == 1 || aZeroPoints.count == m, "A zero points: 1 or \(m)")
    precondition(bZeroPoints.count == 1 || bZeroPoints.count == n, "B zero points: 1 or \(n)")
    guard count > 0, m > 0, n > 0 else { return }
    let nr = path.nr, quads = (k + 3) / 4, padded = (n + nr - 1) / nr * nr
    let storedZero = (0..<padded).map { j in
        j < n ? (bZeroPoints.count == 1 ? bZeroPoints[0] : bZeroPoints[j]) - (B.isSigned ? 0 : 128) : 0
    }
    let workers = count * m * n * Swift.max(k, 1) < 1 << 17 ? 1 : Swift.min(threads, count)
    let inner = workers > 1 || count >= threads ? 1 : threads
    let pairs = Array(0..<count).map(operands)
    if m * n * k <= smallProduct {
        int8SmallBatchedGemm(count: count, m: m, n: n, k: k, a: a, aZeroPoints: aZeroPoints, b: b,
                             bZeroPoints: bZeroPoints, pairs: pairs, output: output, workers: workers, path: path)
        return
    }
    parallelChunks(count, threads: workers) { batches in
        // One scratch per worker: packed values, then zero points and column adjustments (padded columns).
        let values = UnsafeMutablePointer<Int8>.allocate(capacity: Swift.max(1, padded * quads * 4))
        let sums = UnsafeMutablePointer<Int32>.allocate(capacity: 3 * padded)
        defer {
            values.deallocate()
            sums.deallocate()
        }
        let zero = sums + padded, adjust = sums + 2 * padded
        var packedIndex = -1
        var columns: Int8PackedColumns?
        for t in batches {
            let (ia, ib) = pairs[t]
            if ib != packedIndex {
                columns = packColumns(b + ib * k * n, k: k, n: n, zeroPoint: storedZero, path: path, values: values,
                                      sums: sums, zero: zero, adjust: adjust)
                packedIndex = ib
            }
            int8GemmRows(m: m, a: a + ia * m * k, lda: k, aZeroPoints: aZeroPoints, columns: columns!, bias: nil,
                         output: output.advanced(by: t * m * n, channels: 0..<n), layout: Int8RowLayout(rowStride: n),
                         threads: inner)
        }
    }
}

/// Packs one row-major k×n matrix of B into `values` (panels of `path.nr` columns) and fills the padded
/// per-column zero points (`zeroPoint`: the stored values' zero points, padded to whole panels with 0) and adjustments Σ_p b − K·zb; the AVX2 path falls back to widening when a pair could
/// saturate vpmaddubsw.
private func packColumns<B: FixedWidthInteger>(
    _ source: UnsafePointer<B>, k: Int, n: Int, zeroPoint: [Int32], path: Int8KernelPath,
    values: UnsafeMutablePointer<Int8>, sums: UnsafeMutablePointer<Int32>, zero: UnsafeMutablePointer<Int32>,
    adjust: UnsafeMutablePointer<Int32>
) -> Int8PackedColumns {
    let nr = path.nr, padded = (n + nr - 1) / nr * nr, bytes = padded * ((k + 3) / 4) * 4
    qk_i8_pack_columns(UnsafeRawPointer(source).assumingMemoryBound(to: UInt8.self), n, 1, k, n, nr,
                       B.isSigned ? 0 : 0x80, values, sums)
    for j in 0..<padded {
        let zb = zeroPoint[j]
        zero[j] = zb
        adjust[j] = (j < n ? sums[j] : 0) &- Int32(truncatingIfNeeded: k) &* zb
    }
    let kernelPath = path == .avx2 && qk_i8_pairs_fit_int16(values, bytes) == 0 ? .avx2Widening : path
    return Int8PackedColumns(k: k, n: n, path: kernelPath, values: values, zeroPoints: zero, columnAdjust: adjust,
                             hasZeroPoints: zeroPoint.contains { $0 != 0 })
}

/// The most m·n·k multiply-adds per batch that ``int8BatchedGemm`` computes without packing B into panels.
let smallProduct = 1 << 15

/// ``int8BatchedGemm`` for small batches: each B matrix widened once to int32 with its zero points subtracted,
/// each A row likewise, the m×n int32 sums formed column block by column block (`qk_i8_small_gemm_*`: AVX2 when
/// `path` is not `.portable`), then written as they are (`.int32`) or requantized with ``int8Requantize``.
private func int8SmallBatchedGemm<A: FixedWidthInteger, B: FixedWidthInteger>(
    count: Int, m: Int, n: Int, k: Int, a: UnsafePointer<A>, aZeroPoints: [Int32], b: UnsafePointer<B>,
    bZeroPoints: [Int32], pairs: [(Int, Int)], output: Int8Output, workers: Int, path: Int8KernelPath
) {
    let small: @convention(c) (Int, Int, Int, UnsafePointer<UInt8>?, Int32, UnsafePointer<Int32>?, Int32,
                               UnsafePointer<Int32>?, UnsafeMutablePointer<Int32>?, UnsafeMutablePointer<Int32>?) -> Void =
        path == .portable ? qk_i8_small_gemm_generic : qk_i8_small_gemm_avx2
    let rowZero = aZeroPoints.count == 1 ? 0 : 1 as Int32, columnZero = bZeroPoints.count == 1 ? 0 : 1 as Int32
    let aBytes = UnsafeRawPointer(a).assumingMemoryBound(to: UInt8.self)
    let bBytes = UnsafeRawPointer(b).assumingMemoryBound(to: UInt8.self)
    parallelChunks(count, threads: workers) { batches in
        // Scratch: widened B (k·n), one widened A row (k), the m·n sums.
        let scratch = UnsafeMutablePointer<Int32>.allocate(capacity: Swift.max(1, k * n + k + m * n))
        defer { scratch.deallocate() }
        let (widened, row, sums) = (scratch, scratch + k * n, scratch + k * n + k)
        var widenedIndex = -1
        for t in batches {
            let (ia, ib) = pairs[t]
            if ib != widenedIndex {
                qk_i8_widen_columns(k, n, bBytes + ib * k * n, B.isSigned ? 1 : 0, bZeroPoints, columnZero, widened)
                widenedIndex = ib
            }
            small(m, n, k, aBytes + ia * m * k, A.isSigned ? 1 : 0, aZeroPoints, rowZero, widened, row, sums)
            switch output.advanced(by: t * m * n, channels: 0..<n) {
            case .int32(let out): out.update(from: sums, count: m * n)
            case let batch:
                int8Requantize(sums, outer: m, channels: n, inner: 1, requantization: batch.requantization!,
                               output: batch.baseAddress, path: path)
            }
        }
    }
}
