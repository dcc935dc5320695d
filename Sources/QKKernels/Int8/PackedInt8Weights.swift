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
        let panels = (n + nr - 1) / nr
        var values = [Int8](repeating: 0, count: panels * quads * nr * 4)
        var zero = [Int32](repeating: 0, count: panels * nr)
        var adjust = [Int32](repeating: 0, count: panels * nr)
        for j in 0..<n {
            let zb = (zeroPoints.count == 1 ? zeroPoints[0] : zeroPoints[j]) - shift
            let base = (j / nr) * quads * nr * 4 + (j % nr) * 4
            var sum: Int32 = 0
            for p in 0..<k {
                let raw = Int32(truncatingIfNeeded: transposed ? weights[j * k + p] : weights[p * n + j])
                let v = Int8(truncatingIfNeeded: raw - shift)
                values[base + (p / 4) * nr * 4 + p % 4] = v
                sum = sum &+ Int32(v)
            }
            zero[j] = zb
            adjust[j] = sum &- Int32(truncatingIfNeeded: k) &* zb
        }
        self.k = k
        self.n = n
        self.quads = quads
        self.values = values
        self.zeroPoints = zero
        self.columnAdjust = adjust
        self.hasZeroPoints = zero.contains { $0 != 0 }
        self.path = path == .avx2 && !PackedInt8Weights.pairsFitInt16(values) ? .avx2Widening : path
    }

    /// Packs B from an array (see the pointer initializer).
    public init<W: FixedWidthInteger>(_ weights: [W], k: Int, n: Int, transposed: Bool, zeroPoints: [Int32],
                                      path: Int8KernelPath = .best) {
        self = weights.withUnsafeBufferPointer {
            PackedInt8Weights($0, k: k, n: n, transposed: transposed, zeroPoints: zeroPoints, path: path)
        }
    }

    /// True when every adjacent pair (b₀, b₁) of the packed quads has |b₀| + |b₁| ≤ 128, so that
    /// 255 · (|b₀| + |b₁|) ≤ 32640 and vpmaddubsw's int16 sums never saturate.
    static func pairsFitInt16(_ values: [Int8]) -> Bool {
        var index = 0
        while index + 1 < values.count {
            if abs(Int(values[index])) + abs(Int(values[index + 1])) > 128 { return false }
            index += 2
        }
        return true
    }
}
