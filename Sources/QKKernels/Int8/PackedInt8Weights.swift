import CQKKernels

/// The weight operand B (K×N, u8 or s8) of the int8 GEMM, packed once for one ``Int8KernelPath`` (a runtime packs
/// each node's weights when the model is loaded and keeps this value).
///
/// Layout: N is cut into panels of `path.nr` columns; panel p holds, for each quad q of K, the NR columns' four
/// consecutive values `B[4q…4q+3, j]` as s8 (K and N zero padded to whole quads and panels). u8 weights are stored
/// as b − 128 with zero point zb − 128, which leaves every (b − zb) unchanged.
///
/// Besides the values it keeps, per column j, the zero point zb[j] and `columnAdjust[j] = Σ_k B[k, j] − K·zb[j]`,
/// so that the GEMM epilogue turns Σ a·b into Σ (a − za)(b − zb) (see ``int8Gemm(m:a:lda:aZeroPoints:weights:bias:output:ldc:threads:)``).
///
/// Example: k = 2, n = 1, B = [[1], [2]] (s8), zero point 0 → one panel whose first quad is column 0's [1, 2, 0, 0],
/// columnAdjust = [3].
public struct PackedInt8Weights: Sendable {
    /// Rows of B (the reduction depth).
    public let k: Int
    /// Columns of B (outputs).
    public let n: Int
    /// The path the layout is for; `avx2` becomes `avx2Widening` when a weight pair could saturate vpmaddubsw.
    public let path: Int8KernelPath
    /// K rounded up to quads, over 4.
    let quads: Int
    /// Packed s8 values, panel after panel.
    let values: [Int8]
    /// zb[j] after the u8 → s8 shift, padded with 0 to whole panels.
    let zeroPoints: [Int32]
    /// Σ_k B[k, j] − K·zb[j] (shifted values, wrapping), padded with 0 to whole panels.
    let columnAdjust: [Int32]
    /// True when every zb[j] is 0 (symmetric weights): the epilogue skips the row-sum term.
    let hasZeroPoints: Bool

    /// Panels of `path.nr` columns.
    var panels: Int { (n + path.nr - 1) / path.nr }
    /// Bytes of one packed panel.
    var panelBytes: Int { quads * path.nr * 4 }

    /// Packs B. `transposed` false: `weights` is K×N row-major (MatMul); true: N×K row-major (Conv's W per group,
    /// Gemm with transB). `zeroPoints` holds 1 value (per tensor) or N (per output column), each in the weight type's
    /// range. W must be UInt8 or Int8.
    public init<W: FixedWidthInteger>(_ weights: UnsafeBufferPointer<W>, k: Int, n: Int, transposed: Bool,
                                      zeroPoints: [Int32], path: Int8KernelPath = .best) {
        precondition(W.bitWidth == 8, "int8 GEMM weights must be UInt8 or Int8")
        precondition(k >= 0 && n >= 0 && weights.count >= k * n, "weights hold \(weights.count) < \(k)×\(n) values")
        precondition(zeroPoints.count == 1 || zeroPoints.count == n, "weight zero points: 1 or \(n), got \(zeroPoints.count)")
        let shift: Int32 = W.isSigned ? 0 : 128
        let nr = path.nr, quads = (k + 3) / 4
        let padded = (n + nr - 1) / nr * nr
        var sums = [Int32](repeating: 0, count: padded)
        let values = [Int8](unsafeUninitializedCapacity: Swift.max(1, padded * quads * 4)) { buffer, count in
            UnsafeRawPointer(weights.baseAddress).map { source in
                sums.withUnsafeMutableBufferPointer {
                    qk_i8_pack_columns(source.assumingMemoryBound(to: UInt8.self), transposed ? 1 : n, transposed ? k : 1,
                                       k, n, nr, W.isSigned ? 0 : 0x80, buffer.baseAddress!, $0.baseAddress!)
                }
            }
            count = padded * quads * 4
        }
        let zero = (0..<padded).map { j in j < n ? (zeroPoints.count == 1 ? zeroPoints[0] : zeroPoints[j]) - shift : 0 }
        self.k = k
        self.n = n
        self.quads = quads
        self.values = values
        self.zeroPoints = zero
        self.columnAdjust = (0..<padded).map { j in sums[j] &- Int32(truncatingIfNeeded: k) &* zero[j] }
        self.hasZeroPoints = zero.contains { $0 != 0 }
        self.path = path == .avx2 && qk_i8_pairs_fit_int16(values, values.count) == 0 ? .avx2Widening : path
    }

    /// Packs B from an array (see the pointer initializer).
    public init<W: FixedWidthInteger>(_ weights: [W], k: Int, n: Int, transposed: Bool, zeroPoints: [Int32],
                                      path: Int8KernelPath = .best) {
        self = weights.withUnsafeBufferPointer {
            PackedInt8Weights($0, k: k, n: n, transposed: transposed, zeroPoints: zeroPoints, path: path)
        }
    }

    /// Calls `body` with the kernels' view of this storage.
    func withColumns<R>(_ body: (Int8PackedColumns) -> R) -> R {
        values.withUnsafeBufferPointer { v in
            zeroPoints.withUnsafeBufferPointer { z in
                columnAdjust.withUnsafeBufferPointer { c in
                    body(Int8PackedColumns(k: k, n: n, path: path, values: v.baseAddress!, zeroPoints: z.baseAddress!,
                                           columnAdjust: c.baseAddress!, hasZeroPoints: hasZeroPoints))
                }
            }
        }
    }
}

/// The B operand as the micro-kernels read it (``PackedInt8Weights``' layout, in its arrays or in a scratch
/// buffer): `values` panel after panel, `zeroPoints` and `columnAdjust` padded to whole panels.
struct Int8PackedColumns {
    let k: Int
    let n: Int
    let path: Int8KernelPath
    let values: UnsafePointer<Int8>
    let zeroPoints: UnsafePointer<Int32>
    let columnAdjust: UnsafePointer<Int32>
    let hasZeroPoints: Bool

    var quads: Int { (k + 3) / 4 }
    var panels: Int { (n + path.nr - 1) / path.nr }
    var panelBytes: Int { quads * path.nr * 4 }
}
