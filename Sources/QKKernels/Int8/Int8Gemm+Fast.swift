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
                   output: output, layout: Int8RowLayout(rowStride: ldc), columnStride: 1, threads: threads)
}

/// Where row i of a GEMM result starts, in elements from the output base:
/// (i / rowsPerBlock) · blockStride + (i % rowsPerBlock) · rowStride (a Conv block is one image, its rows are pixels).
struct Int8RowLayout {
    let rowStride: Int
    let rowsPerBlock: Int
    let blockStride: Int

    /// Plain rows `stride` elements apart.
    init(rowStride: Int, rowsPerBlock: Int = .max, blockStride: Int = 0) {
        self.rowStride = rowStride
        self.rowsPerBlock = rowsPerBlock
        self.blockStride = blockStride
    }

    func offset(_ i: Int) -> Int { (i / rowsPerBlock) * blockStride + (i % rowsPerBlock) * rowStride }

    /// True when rows `first ..< first + count` lie in one block (one row stride apart).
    func isContiguous(_ first: Int, _ count: Int) -> Bool { first / rowsPerBlock == (first + count - 1) / rowsPerBlock }
}

/// The GEMM on already packed rows; element (i, j) goes to output + layout.offset(i) + j·columnStride.
/// `rowZeroPoints` (1 or m values) are for the stored (shifted) activations.
func int8GemmPacked(_ rows: PackedInt8Rows, rowZeroPoints: [Int32], weights: PackedInt8Weights, bias: [Int32]?,
                    output: Int8Output, layout: Int8RowLayout, columnStride: Int, threads: Int) {
    precondition(bias.map { $0.count == weights.n } ?? true, "bias: \(weights.n) values")
    let padded = weights.panels * weights.path.nr
    let requantization = output.requantization
    // One arena for the per-column epilogue arrays (bias, multiplier, shift), padded to whole panels.
    var columns = [Int32](repeating: 0, count: 3 * padded)
    if let bias { for j in 0..<weights.n { columns[j] = bias[j] } }
    if let requantization {
        let (m, s) = requantization.expanded(weights.n, padded: padded)
        columns.replaceSubrange(padded..<3 * padded, with: m + s)
    }
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
                            col_adj: rowZeroPoints.contains { $0 != 0 } ? adjustB.baseAddress : nil,
                            multiplier: requantization == nil ? nil : arena.baseAddress! + padded,
                            shift: requantization == nil ? nil : arena.baseAddress! + 2 * padded,
                            zero_point: requantization?.zeroPoint ?? 0, qmin: requantization?.qmin ?? 0,
                            qmax: requantization?.qmax ?? 0)
                        withUnsafePointer(to: epilogue) { epilogue in
                            let job = Int8GemmJob(rows: rows, weights: weights, packedB: packedB.baseAddress!,
                                                  rowZero: rowZero.baseAddress!, rowZeroStride: rowZero.count == 1 ? 0 : 1,
                                                  epilogue: epilogue, out: output.baseAddress,
                                                  elementSize: output.elementSize, layout: layout,
                                                  columnStride: columnStride)
                            if workers == 1 {
                                job.run(columnPanels: 0..<weights.panels, rowPanels: 0..<rows.panels)
                            } else if weights.panels >= rows.panels {
                                parallelChunks(weights.panels, threads: workers) { job.run(columnPanels: $0, rowPanels: 0..<rows.panels) }
                            } else {
                                parallelChunks(rows.panels, threads: workers) { job.run(columnPanels: 0..<weights.panels, rowPanels: $0) }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// Pointers for one packed GEMM; ``run(columnPanels:rowPanels:)`` computes and finishes a block of tiles.
private struct Int8GemmJob {
    let rows: PackedInt8Rows
    let weights: PackedInt8Weights
    let packedB: UnsafePointer<Int8>
    let rowZero: UnsafePointer<Int32>
    let rowZeroStride: Int
    let epilogue: UnsafePointer<qk_i8_epilogue>
    let out: UnsafeMutableRawPointer
    let elementSize: Int
    let layout: Int8RowLayout
    let columnStride: Int

    /// Column panels outer (a B panel stays in L1 while the row panels stream past it).
    func run(columnPanels: Range<Int>, rowPanels: Range<Int>) {
        let path = weights.path, nr = path.nr, mr = rows.mr
        let kernel = mr == 1 ? path.rowKernel : path.tileKernel
        let finish = path.finishTile
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: mr * nr) { buffer in
            let tile = buffer.baseAddress!
            for jp in columnPanels {
                let j0 = jp * nr, nValid = Swift.min(nr, weights.n - j0)
                let panelB = packedB + jp * weights.panelBytes
                for ip in rowPanels {
                    let i0 = ip * mr, mValid = Swift.min(mr, rows.m - i0)
                    kernel(rows.quads, rows.values + ip * rows.panelBytes, panelB, tile)
                    func finishRows(_ first: Int, _ count: Int) {
                        let i = i0 + first
                        let target = out + (layout.offset(i) + j0 * columnStride) * elementSize
                        finish(tile + first * nr, nr, count, nValid, j0, rows.rowSums + i, rowZero + i * rowZeroStride,
                               rowZeroStride, epilogue, target, layout.rowStride, columnStride)
                    }
                    if layout.isContiguous(i0, mValid) {
                        finishRows(0, mValid)
                    } else {
                        // The tile's rows cross a block boundary: finish them one by one.
                        for first in 0..<mValid { finishRows(first, 1) }
                    }
                }
            }
        }
    }
}
