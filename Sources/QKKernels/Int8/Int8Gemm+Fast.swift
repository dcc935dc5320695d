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
/// u8 activations with K a multiple of 4 are read in place (no packing); others are packed into row panels.
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
    weights.withColumns { columns in
        int8GemmRows(m: m, a: a, lda: lda, aZeroPoints: aZeroPoints, columns: columns, bias: bias, output: output,
                     layout: Int8RowLayout(rowStride: ldc), threads: threads)
    }
}

/// ``int8Gemm`` on B given as kernel columns: packs A (or reads it in place) and runs the tiles.
func int8GemmRows<A: FixedWidthInteger>(m: Int, a: UnsafePointer<A>, lda: Int, aZeroPoints: [Int32],
                                        columns: Int8PackedColumns, bias: [Int32]?, output: Int8Output,
                                        layout: Int8RowLayout, threads: Int) {
    let k = columns.k, mr = m == 1 ? 1 : columns.path.mr
    let shift: Int32 = A.isSigned ? 128 : 0
    let rowZero = aZeroPoints.map { $0 + shift }
    let bytes = UnsafeRawPointer(a).assumingMemoryBound(to: UInt8.self)
    let needsSums = columns.hasZeroPoints
    if !A.isSigned && k % 4 == 0 {
        let sums = needsSums ? UnsafeMutablePointer<Int32>.allocate(capacity: m) : nil
        defer { sums?.deallocate() }
        if let sums { qk_i8_row_sums(bytes, lda, k, m, sums) }
        let operand = Int8RowOperand(m: m, mr: mr, values: bytes, rowStep: lda, quadStep: 4, panelStride: mr * lda,
                                     rowSums: sums.map { UnsafePointer($0) }, inPlace: true)
        int8GemmTiles(operand, rowZeroPoints: rowZero, columns: columns, bias: bias, output: output, layout: layout,
                      columnStride: 1, threads: threads)
        return
    }
    let rows = PackedInt8Rows(m: m, k: k, mr: mr)
    defer { rows.deallocate() }
    qk_i8_pack_rows(bytes, lda, k, m, mr, A.isSigned ? 0x80 : 0, rows.values, needsSums ? rows.rowSums : nil)
    int8GemmTiles(rows.operand, rowZeroPoints: rowZero, columns: columns, bias: bias, output: output, layout: layout,
                  columnStride: 1, threads: threads)
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
    weights.withColumns { columns in
        int8GemmTiles(rows.operand, rowZeroPoints: rowZeroPoints, columns: columns, bias: bias, output: output,
                      layout: layout, columnStride: columnStride, threads: threads)
    }
}

/// Runs every tile of A·B with the epilogue: the per-column constants (bias folded with the activation zero
/// point, requantization multipliers) are built here on the stack, O(n) per call.
func int8GemmTiles(_ a: Int8RowOperand, rowZeroPoints: [Int32], columns b: Int8PackedColumns, bias: [Int32]?,
                   output: Int8Output, layout: Int8RowLayout, columnStride: Int, threads: Int) {
    precondition(bias.map { $0.count == b.n } ?? true, "bias: \(b.n) values")
    let padded = b.panels * b.path.nr
    let requantization = output.requantization
    // One zero point for all rows folds into the bias: bias[j] − za · col_adj[j] (no per-element multiply).
    let foldedZero: Int32? = rowZeroPoints.count == 1 ? rowZeroPoints[0] : nil
    let hasOffset = bias != nil || (foldedZero ?? 0) != 0
    let perRowZero = foldedZero == nil && rowZeroPoints.contains { $0 != 0 }
    let workers = a.m * b.n * b.k < 1 << 19 ? 1 : Swift.max(1, threads)
    withUnsafeTemporaryAllocation(of: Int32.self, capacity: padded) { offset in
        withUnsafeTemporaryAllocation(of: Int64.self, capacity: 3 * padded) { scales in
            let za = foldedZero ?? 0
            for j in 0..<padded {
                offset[j] = (j < b.n ? bias?[j] ?? 0 : 0) &- za &* b.columnAdjust[j]
            }
            requantization?.writeColumns(b.n, padded: padded, into: scales.baseAddress!)
            rowZeroPoints.withUnsafeBufferPointer { rowZero in
                let scale = scales.baseAddress!
                var epilogue = qk_i8_epilogue(
                    bias: hasOffset ? UnsafePointer(offset.baseAddress) : nil,
                    col_zero: b.hasZeroPoints ? b.zeroPoints : nil, col_adj: perRowZero ? b.columnAdjust : nil,
                    multiplier: requantization == nil ? nil : UnsafePointer(scale),
                    shift: requantization == nil ? nil : UnsafePointer(scale + padded),
                    rounding: requantization == nil ? nil : UnsafePointer(scale + 2 * padded),
                    zero_point: requantization?.zeroPoint ?? 0, qmin: requantization?.qmin ?? 0,
                    qmax: requantization?.qmax ?? 0)
                withUnsafePointer(to: &epilogue) { epilogue in
                    let job = Int8GemmJob(a: a, b: b, rowZero: rowZero.baseAddress!,
                                          rowZeroStride: rowZero.count == 1 ? 0 : 1, epilogue: epilogue,
                                          out: output.baseAddress, elementSize: output.elementSize, layout: layout,
                                          columnStride: columnStride)
                    if workers == 1 {
                        job.run(columnPanels: 0..<b.panels, rowPanels: 0..<a.panels)
                    } else if b.panels >= a.panels {
                        parallelChunks(b.panels, threads: workers) { job.run(columnPanels: $0, rowPanels: 0..<a.panels) }
                    } else {
                        parallelChunks(a.panels, threads: workers) { job.run(columnPanels: 0..<b.panels, rowPanels: $0) }
                    }
                }
            }
        }
    }
}

/// Pointers for one GEMM; ``run(columnPanels:rowPanels:)`` computes and finishes a block of tiles.
private struct Int8GemmJob {
    let a: Int8RowOperand
    let b: Int8PackedColumns
    let rowZero: UnsafePointer<Int32>
    let rowZeroStride: Int
    let epilogue: UnsafePointer<qk_i8_epilogue>
    let out: UnsafeMutableRawPointer
    let elementSize: Int
    let layout: Int8RowLayout
    let columnStride: Int

    /// Column panels outer (a B panel stays in L1 while the row panels stream past it). A partial last row panel
    /// read in place runs row by row (the rows past m are not there to read).
    func run(columnPanels: Range<Int>, rowPanels: Range<Int>) {
        let path = b.path, nr = path.nr, mr = a.mr
        let kernel = mr == 1 ? path.rowKernel : path.tileKernel, rowKernel = path.rowKernel
        let finish = path.finishTile
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: mr * nr) { buffer in
            let tile = buffer.baseAddress!
            for jp in columnPanels {
                let j0 = jp * nr, nValid = Swift.min(nr, b.n - j0)
                let panelB = b.values + jp * b.panelBytes
                for ip in rowPanels {
                    let i0 = ip * mr, mValid = Swift.min(mr, a.m - i0)
                    let panelA = a.values + ip * a.panelStride
                    if mValid == mr || !a.inPlace {
                        kernel(b.quads, panelA, a.rowStep, a.quadStep, panelB, tile)
                    } else {
                        for r in 0..<mValid {
                            rowKernel(b.quads, panelA + r * a.rowStep, a.rowStep, a.quadStep, panelB, tile + r * nr)
                        }
                    }
                    func finishRows(_ first: Int, _ count: Int) {
                        let i = i0 + first
                        let target = out + (layout.offset(i) + j0 * columnStride) * elementSize
                        finish(tile + first * nr, nr, count, nValid, j0, a.rowSums.map { $0 + i },
                               rowZero + i * rowZeroStride, rowZeroStride, epilogue, target, layout.rowStride,
                               columnStride)
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
