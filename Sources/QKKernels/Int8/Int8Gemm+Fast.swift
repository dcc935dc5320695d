import CQKKernels

/// Fast integer GEMM with a fused epilogue, bit-identical to ``int8GemmReference`` (plus bias and requantization):
///
///     v[i, j] = Σ_k (A[i, k] − za[i]) · (B[k, j] − zb[j]) + bias[j]        (int32, wrapping)
///     C[i, j] = v[i, j]  (`.int32`)   or   clamp(zy + requantize(v, M[j]), qmin, qmax)  (`.uint8` / `.int8`)
///
/// A is m×k row-major (row stride `lda`), UInt8 or Int8; B is pre-packed ``PackedInt8Weights`` (k×n); C is m×n
/// with row stride `ldc`. `aZeroPoints` holds 1 value (per tensor) or m (per row). The products run as Σ a·b on the
/// weights' ``Int8KernelPath``; the zero points enter through row and column sums:
/// Σ (a − za)(b − zb) = Σ ab − zb·Σ_k a − za·(Σ_k b − K·zb).
/// With `threads > 1` and enough work (m·n·k ≥ 2¹⁹) the larger of the row/column panel counts is split.
/// A single row (m = 1, GEMV) runs the 1×NR kernel without row padding.
///
/// Example: m = n = k = 1, A = [3] (u8, za 1), B = [4] (s8, zb 0), bias [5] → `.int32` C = [13].
public func int8Gemm<A: FixedWidthInteger>(m: Int, a: UnsafePointer<A>, lda: Int, aZeroPoints: [Int32],
                                           weights: PackedInt8Weights, bias: [Int32]?, output: Int8Output,
                                           ldc: Int, threads: Int = 1) {
    precondition(A.bitWidth == 8, "int8 GEMM activations must be UInt8 or Int8")
    precondition(aZeroPoints.count == 1 || aZeroPoints.count == m, "activation zero points: 1 or \(m)")
    guard m > 0, weights.n > 0 else { return }
    let rows = PackedInt8Rows(m: m, k: weights.k, mr: m == 1 ? 1 : weights.path.mr)
    defer { rows.deallocate() }
    let packWorkers = m * weights.k >= 1 << 16 ? threads : 1
    parallelChunks(rows.panels, threads: packWorkers) { panels in
        rows.pack(rows: panels.lowerBound * rows.mr..<Swift.min(m, panels.upperBound * rows.mr), of: a, lda: lda,
                  k: weights.k)
    }
    let shift: Int32 = A.isSigned ? 128 : 0
    int8GemmPacked(rows, rowZeroPoints: aZeroPoints.map { $0 + shift }, weights: weights, bias: bias,
                   output: output, rowStride: ldc, columnStride: 1, threads: threads)
}

/// The GEMM on already packed rows; element (i, j) goes to output + i·rowStride + j·columnStride. `rowZeroPoints`
/// (1 or m values) are for the stored (shifted) activations.
func int8GemmPacked(_ rows: PackedInt8Rows, rowZeroPoints: [Int32], weights: PackedInt8Weights, bias: [Int32]?,
                    output: Int8Output, rowStride: Int, columnStride: Int, threads: Int) {
    precondition(bias.map { $0.count == weights.n } ?? true, "bias: \(weights.n) values")
    let path = weights.path, nr = path.nr, mr = rows.mr
    let padded = weights.panels * nr
    let requantization = output.requantization
    let needsColumnAdjust = rowZeroPoints.contains { $0 != 0 }
    // One arena for the per-column epilogue arrays (bias, multiplier, shift), padded to whole panels.
    var columns = [Int32](repeating: 0, count: 3 * padded)
    if let bias { for j in 0..<weights.n { columns[j] = bias[j] } }
    if let requantization {
        let (m, s) = requantization.expanded(weights.n, padded: padded)
        columns.replaceSubrange(padded..<3 * padded, with: m + s)
    }
    let kernel = mr == 1 ? path.rowKernel : path.tileKernel
    let finish = path.finishTile
    let stride = rowZeroPoints.count == 1 ? 0 : 1
    let elementSize = output.elementSize
    let out = output.baseAddress
    let work = rows.m * weights.n * weights.k
    let workers = work < 1 << 19 ? 1 : Swift.max(1, threads)
    weights.values.withUnsafeBufferPointer { packedB in
    weights.zeroPoints.withUnsafeBufferPointer { zeroB in
    weights.columnAdjust.withUnsafeBufferPointer { adjustB in
    columns.withUnsafeBufferPointer { arena in
    rowZeroPoints.withUnsafeBufferPointer { rowZero in
        let epilogue = qk_i8_epilogue(
            bias: bias == nil ? nil : arena.baseAddress,
            col_zero: weights.hasZeroPoints ? zeroB.baseAddress : nil,
            col_adj: needsColumnAdjust ? adjustB.baseAddress : nil,
            multiplier: requantization == nil ? nil : arena.baseAddress! + padded,
            shift: requantization == nil ? nil : arena.baseAddress! + 2 * padded,
            zero_point: requantization?.zeroPoint ?? 0, qmin: requantization?.qmin ?? 0,
            qmax: requantization?.qmax ?? 0)
        withUnsafePointer(to: epilogue) { epilogue in
        let run = { (columnPanels: Range<Int>, rowPanels: Range<Int>) in
            withUnsafeTemporaryAllocation(of: Int32.self, capacity: mr * nr) { tile in
                for jp in columnPanels {
                    let j0 = jp * nr, nValid = Swift.min(nr, weights.n - j0)
                    let panelB = packedB.baseAddress! + jp * weights.panelBytes
                    for ip in rowPanels {
                        let i0 = ip * mr
                        kernel(rows.quads, rows.values + ip * rows.panelBytes, panelB, tile.baseAddress!)
                        let target = out + (i0 * rowStride + j0 * columnStride) * elementSize
                        finish(tile.baseAddress!, nr, Swift.min(mr, rows.m - i0), nValid, j0, rows.rowSums + i0,
                               rowZero.baseAddress! + i0 * stride, stride, epilogue, target, rowStride, columnStride)
                    }
                }
            }
        }
        if workers == 1 {
            run(0..<weights.panels, 0..<rows.panels)
        } else if weights.panels >= rows.panels {
            parallelChunks(weights.panels, threads: workers) { run($0, 0..<rows.panels) }
        } else {
            parallelChunks(rows.panels, threads: workers) { run(0..<weights.panels, $0) }
        }
        }
    }
    }
    }
    }
    }
}
