import CQKKernels

/// Single-precision general matrix multiply (row-major, BLAS semantics):
///
///     C ← alpha · op(A) · op(B) + beta · C,   op(X) = X or Xᵀ
///
/// op(A) is m×k, op(B) is k×n, C is m×n. `lda`, `ldb`, `ldc` are the row strides of the matrices as
/// stored (A is m×k when `transA` is false, k×m when true; likewise B). When `beta` is 0, C is not read
/// (NaN in C does not propagate), as in BLAS.
///
/// Blocked as in GotoBLAS: op(B) is packed in kc×nc panels and a register-blocked micro-kernel
/// (``GemmMicroKernel``) computes each MR×NR tile, reading A's rows in place (a transposed A is packed in
/// mc×kc blocks first). With `threads > 1` the larger of m and n is split into contiguous slabs computed in
/// parallel, each with its own packing buffers. A single row (m = 1, matrix-vector) skips packing and runs
/// dot products or scaled row sums directly. `kernel` picks the micro-kernel variant (default:
/// ``GemmMicroKernel/best(columns:)``).
///
/// Example: m = n = k = 1, alpha = 2, A = [3], B = [4], beta = 1, C = [1] gives C = [25].
public func gemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float,
                 a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int,
                 threads: Int = 1, kernel: GemmMicroKernel? = nil) {
    guard m > 0, n > 0 else { return }
    guard k > 0, alpha != 0 else {
        scaleMatrix(c, rows: m, columns: n, ldc: ldc, by: beta)
        return
    }
    if m == 1 {
        scaleMatrix(c, rows: m, columns: n, ldc: ldc, by: beta)
        // A row vector times op(B): dot products (Bᵀ rows) or a sum of scaled rows of B, no packing.
        let incA = transA ? lda : 1
        let workers = n * k < 262_144 ? 1 : max(1, threads)
        parallelChunks(n, threads: workers) { columns in
            if transB {
                for j in columns { c[j] += alpha * qk_sdot(k, a, incA, b + j * ldb, 1) }
            } else {
                for p in 0..<k {
                    qk_saxpy(columns.count, alpha * a[p * incA], b + p * ldb + columns.lowerBound, 1,
                             c + columns.lowerBound, 1)
                }
            }
        }
        return
    }
    let kernel = kernel ?? .best(columns: n)
    // A B of exactly NR contiguous columns is already one packed panel (rows of NR floats): read in place, no
    // packing buffer (the attention products of 16-wide heads run thousands of these small GEMMs).
    let inPlace = !transB && n == kernel.nr && ldb == kernel.nr
    let source = inPlace ? GemmBSource.packed(b, paddedColumns: n)
                         : GemmBSource.operand(GemmOperand(base: b, ld: ldb, transposed: transB))
    gemmBlocked(m: m, n: n, k: k, alpha: alpha, a: GemmOperand(base: a, ld: lda, transposed: transA), b: source,
                beta: beta, c: c, ldc: ldc, threads: threads, kernel: kernel)
}

/// ``gemm(transA:transB:m:n:k:alpha:a:lda:b:ldb:beta:c:ldc:threads:kernel:)`` with op(B) packed ahead of time
/// (a constant weight matrix packed once when a model is loaded): C ← alpha · op(A) · B + beta · C, B k×n.
public func gemm(transA: Bool, m: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, packedB: PackedGemmB,
                 beta: Float, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = 1) {
    let (n, k) = (packedB.n, packedB.k)
    guard m > 0, n > 0 else { return }
    guard k > 0, alpha != 0 else {
        scaleMatrix(c, rows: m, columns: n, ldc: ldc, by: beta)
        return
    }
    packedB.values.withUnsafeBufferPointer { panels in
        let source = GemmBSource.packed(panels.baseAddress!, paddedColumns: packedB.paddedColumns)
        gemmBlocked(m: m, n: n, k: k, alpha: alpha, a: GemmOperand(base: a, ld: lda, transposed: transA), b: source,
                    beta: beta, c: c, ldc: ldc, threads: threads, kernel: packedB.kernel)
    }
}

/// ``gemm(transA:m:alpha:a:lda:packedB:beta:c:ldc:threads:)`` with a bias row instead of beta (C not read):
///
///     C[i, j] ← bias[j] + alpha · (op(A) · B)[i, j]
///
/// Each tile of C is set to the bias just before the micro-kernel adds the first depth block to it, so the
/// bias costs no separate pass over C; the bits are those of filling every row of C with the bias and calling
/// the GEMM with beta = 1.
public func gemm(transA: Bool, m: Int, alpha: Float, a: UnsafePointer<Float>, lda: Int, packedB: PackedGemmB,
                 bias: UnsafePointer<Float>, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int = 1) {
    let (n, k) = (packedB.n, packedB.k)
    guard m > 0, n > 0 else { return }
    guard k > 0, alpha != 0 else {
        for i in 0..<m { (c + i * ldc).update(from: bias, count: n) }
        return
    }
    packedB.values.withUnsafeBufferPointer { panels in
        let source = GemmBSource.packed(panels.baseAddress!, paddedColumns: packedB.paddedColumns)
        gemmBlocked(m: m, n: n, k: k, alpha: alpha, a: GemmOperand(base: a, ld: lda, transposed: transA), b: source,
                    beta: 1, c: c, ldc: ldc, threads: threads, kernel: packedB.kernel, bias: bias)
    }
}

/// C ← A · B (C not read) with B already in the micro-kernel's packed panels, one kc block deep (k ≤ kc):
/// panel j (columns j·NR…) at `panels + j·NR·k`, `paddedColumns` = n rounded up to NR. Used by im2col, which
/// writes the column matrix in this layout directly.
func gemmPrepacked(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, panels: UnsafePointer<Float>,
                   paddedColumns: Int, c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int, kernel: GemmMicroKernel) {
    precondition(k <= kernel.kc, "prepacked B must be one kc block deep")
    guard m > 0, n > 0, k > 0 else { return }
    gemmBlocked(m: m, n: n, k: k, alpha: 1, a: GemmOperand(base: a, ld: lda, transposed: false),
                b: .packed(panels, paddedColumns: paddedColumns), beta: 0, c: c, ldc: ldc, threads: threads,
                kernel: kernel)
}

/// The blocked product for m ≥ 1, n ≥ 1, k ≥ 1, alpha ≠ 0, split over threads when large enough. With `bias`
/// (and beta = 1), each C tile is set to the bias row before its first depth block (C not read).
private func gemmBlocked(m: Int, n: Int, k: Int, alpha: Float, a: GemmOperand, b: GemmBSource, beta: Float,
                         c: UnsafeMutablePointer<Float>, ldc: Int, threads: Int, kernel: GemmMicroKernel,
                         bias: UnsafePointer<Float>? = nil) {
    // beta = 0 stores the products (C never read), beta = 1 adds them, other betas scale C first.
    if beta != 0 && beta != 1 { scaleMatrix(c, rows: m, columns: n, ldc: ldc, by: beta) }
    let accumulate = beta != 0
    // Below ~64³ multiply-adds threading costs more than it saves.
    let workers = m * n * k < 262_144 ? 1 : max(1, threads)
    if workers == 1 {
        gemmSlab(rows: 0..<m, columns: 0..<n, k: k, alpha: alpha, a: a, b: b, c: c, ldc: ldc,
                 accumulate: accumulate, kernel: kernel, bias: bias)
        return
    }
    if n >= m {
        let blocks = (n + kernel.nr - 1) / kernel.nr
        parallelChunks(blocks, threads: workers) { range in
            let columns = range.lowerBound * kernel.nr..<min(n, range.upperBound * kernel.nr)
            gemmSlab(rows: 0..<m, columns: columns, k: k, alpha: alpha, a: a, b: b, c: c, ldc: ldc,
                     accumulate: accumulate, kernel: kernel, bias: bias)
        }
    } else {
        let blocks = (m + kernel.mr - 1) / kernel.mr
        parallelChunks(blocks, threads: workers) { range in
            let rows = range.lowerBound * kernel.mr..<min(m, range.upperBound * kernel.mr)
            gemmSlab(rows: rows, columns: 0..<n, k: k, alpha: alpha, a: a, b: b, c: c, ldc: ldc,
                     accumulate: accumulate, kernel: kernel, bias: bias)
        }
    }
}

/// C ← beta · C over an m×n block (C ← 0 when beta is 0, without reading C).
private func scaleMatrix(_ c: UnsafeMutablePointer<Float>, rows: Int, columns: Int, ldc: Int, by beta: Float) {
    guard beta != 1 else { return }
    for i in 0..<rows {
        let row = c + i * ldc
        if beta == 0 {
            row.update(repeating: 0, count: columns)
        } else {
            for j in 0..<columns { row[j] *= beta }
        }
    }
}

/// C[rows, columns] ← alpha · op(A)[rows, :] · op(B)[:, columns] (+ C when `accumulate`) on the calling thread;
/// with `bias`, each tile of C is first set to bias[columns] (so C is not read).
private func gemmSlab(rows: Range<Int>, columns: Range<Int>, k: Int, alpha: Float, a: GemmOperand,
                      b: GemmBSource, c: UnsafeMutablePointer<Float>, ldc: Int, accumulate: Bool,
                      kernel: GemmMicroKernel, bias: UnsafePointer<Float>? = nil) {
    let mr = kernel.mr, nr = kernel.nr
    let kcMax = min(kernel.kc, k)
    let mcMax = min(kernel.mc, (rows.count + mr - 1) / mr * mr)
    let ncMax = min(kernel.nc, (columns.count + nr - 1) / nr * nr)
    // Only a transposed A is packed; rows of a plain A are read in place by the micro-kernel.
    let packedA = a.transposed ? UnsafeMutablePointer<Float>.allocate(capacity: mcMax * kcMax) : nil
    let packedB: UnsafeMutablePointer<Float>?
    if case .operand = b { packedB = .allocate(capacity: ncMax * kcMax) } else { packedB = nil }
    defer {
        packedA?.deallocate()
        packedB?.deallocate()
    }
    for jc in stride(from: columns.lowerBound, to: columns.upperBound, by: kernel.nc) {
        let nc = min(kernel.nc, columns.upperBound - jc)
        for pc in stride(from: 0, to: k, by: kernel.kc) {
            let kc = min(kernel.kc, k - pc)
            let flag: Int32 = accumulate || pc > 0 ? 1 : 0
            let panelsB: UnsafePointer<Float>
            switch b {
            case .operand(let operand):
                operand.packColumns(into: packedB!, k: pc..<pc + kc, columns: jc..<jc + nc, nr: nr)
                panelsB = UnsafePointer(packedB!)
            case .packed(let base, let paddedColumns):
                panelsB = base + pc * paddedColumns + jc * kc
            }
            for ic in stride(from: rows.lowerBound, to: rows.upperBound, by: kernel.mc) {
                let mc = min(kernel.mc, rows.upperBound - ic)
                // A micro-panel i: rows ic + i·MR…, element (row r, depth p) at panelA + r·rowStride + p·depthStride.
                let panelA: UnsafePointer<Float>, rowStride: Int, depthStride: Int, panelStep: Int
                if let packedA {
                    a.packRows(into: packedA, rows: ic..<ic + mc, k: pc..<pc + kc, mr: mr)
                    (panelA, rowStride, depthStride, panelStep) = (UnsafePointer(packedA), 1, mr, mr * kc)
                } else {
                    (panelA, rowStride, depthStride, panelStep) = (a.base + ic * a.ld + pc, a.ld, 1, mr * a.ld)
                }
                for jr in stride(from: 0, to: nc, by: nr) {
                    let panelB = panelsB + jr * kc
                    for ir in stride(from: 0, to: mc, by: mr) {
                        if let bias, pc == 0 {
                            fillTile(c + (ic + ir) * ldc + jc + jr, ldc: ldc, rows: min(mr, mc - ir),
                                     with: bias + jc + jr, columns: min(nr, nc - jr))
                        }
                        kernel.function(kc, panelA + ir / mr * panelStep, rowStride, depthStride, panelB,
                                        c + (ic + ir) * ldc + jc + jr, ldc, min(mr, mc - ir), min(nr, nc - jr),
                                        alpha, flag)
                    }
                }
            }
        }
    }
}

/// Sets each of `rows` rows of C (stride `ldc`) to the `columns` values of `row`, with 512-bit stores where the
/// CPU has them (Swift's own loop gets 128-bit ones).
@inline(__always)
private func fillTile(_ c: UnsafeMutablePointer<Float>, ldc: Int, rows: Int, with row: UnsafePointer<Float>,
                      columns: Int) {
    fillRows(c, ldc, rows, row, columns)
}

private let fillRows: @convention(c) (UnsafeMutablePointer<Float>?, Int, Int, UnsafePointer<Float>?, Int) -> Void =
    qk_detect_cpu_features().avx512f != 0 ? qk_sgemm_fill_rows_avx512 : qk_sgemm_fill_rows_generic
