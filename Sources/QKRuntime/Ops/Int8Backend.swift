import QKKernels
import QKTensor

/// The one place the integer runtime calls integer GEMM kernels: weight packing at load time and the
/// accumulate + requantize loop at run time. Switching to other kernels changes this file only.
///
/// Operands are centred: A holds a − a_zero_point and the packed weights w − w_zero_point[j], both as Int16
/// (|v| ≤ 255), so acc[i, j] = bias[j] + Σ_p A[i, p] · W[j, p] needs no zero-point correction terms and is
/// exact in int32 for K < 2¹⁵.
enum Int8Backend {
    /// Packs a weight matrix into N rows of K centred Int16 values. `storedNByK` says the values are stored
    /// N×K (Conv weights M×(C/g·kernel), Gemm B with transB); otherwise K×N. `offset` is the matrix's first element.
    static func pack(_ values: [Int32], offset: Int = 0, n: Int, k: Int, storedNByK: Bool,
                     zeroPoints: [Int32]) -> PackedInt8Weights {
        var rows = [Int16](repeating: 0, count: n * k)
        for j in 0..<n {
            let zero = zeroPoints[zeroPoints.count == 1 ? 0 : j]
            for p in 0..<k {
                rows[j * k + p] = Int16(values[offset + (storedNByK ? j * k + p : p * n + j)] - zero)
            }
        }
        return PackedInt8Weights(n: n, k: k, rows: rows)
    }

    /// Centres 8-bit values: v − zeroPoint as Int16.
    static func centred(_ tensor: Tensor, zeroPoint: Int32) -> [Int16] {
        switch tensor.storage {
        case .uint8(let v): v.map { Int16(Int32($0) - zeroPoint) }
        case .int8(let v): v.map { Int16(Int32($0) - zeroPoint) }
        default: []
        }
    }

    /// For every row i of A (m×k, row stride k) and column j: acc = bias[j] + Σ_p A[i, p] · W[j, p], stored
    /// through `stage` at out[i · rowStride + j · columnStride]. Rows are split over `threads`.
    static func gemm<T: OutputScalar>(a: UnsafePointer<Int16>, m: Int, weights: PackedInt8Weights, columns: Range<Int>,
                                     bias: [Int32]?, stage: OutputStage, out: UnsafeMutablePointer<T>,
                                     rowStride: Int, columnStride: Int, threads: Int) {
        let k = weights.k
        let outAddress = UInt(bitPattern: out), aAddress = UInt(bitPattern: a)
        weights.rows.withUnsafeBufferPointer { w in
            let wAddress = UInt(bitPattern: w.baseAddress)
            parallelChunks(m, threads: m * columns.count * k >= 1 << 15 ? threads : 1) { rows in
                let out = UnsafeMutablePointer<T>(bitPattern: outAddress)!
                let a = UnsafePointer<Int16>(bitPattern: aAddress)!, w = UnsafePointer<Int16>(bitPattern: wAddress)!
                for i in rows {
                    let row = a + i * k
                    for j in columns {
                        let column = w + j * k
                        var acc: Int32 = bias?[j] ?? 0
                        for p in 0..<k { acc &+= Int32(row[p]) &* Int32(column[p]) }
                        out[i * rowStride + (j - columns.lowerBound) * columnStride] = stage.store(acc, column: j)
                    }
                }
            }
        }
    }
}

/// Constant weights packed once: row j holds column j of B (output channel j) minus its zero point.
struct PackedInt8Weights: Sendable {
    let n: Int
    let k: Int
    let rows: [Int16]
}

/// How an int32 accumulator of output column j becomes an output value.
enum OutputStage: Sendable {
    /// q = clamp(zeroPoint + round(M_j · acc), qmin, qmax) with M_j = multiplier_j · 2^−(31 + shift_j), integer only.
    case quantized(multipliers: [Int32], shifts: [Int], zeroPoint: Int32, qmin: Int32, qmax: Int32, dtype: DType)
    /// y = clamp(acc · scale_j, low, high) in fp32.
    case float(scales: [Float], low: Float, high: Float)

    /// The stage for accumulator scales `accScales` (one or one per column): quantized to (yScale, yZero) of
    /// `dtype` when given, else fp32; clipMin/clipMax are a folded activation's real bounds.
    init(accScales: [Double], output: (scale: Float, zeroPoint: Int32, dtype: DType)?, clipMin: Float?, clipMax: Float?) {
        guard let output else {
            self = .float(scales: accScales.map { Float($0) }, low: clipMin ?? -.infinity, high: clipMax ?? .infinity)
            return
        }
        let range = quantizedRanges[output.dtype] ?? 0...255
        let low = clipMin.map { quantizeValue($0, scale: output.scale, zeroPoint: output.zeroPoint, range: range) }
        let high = clipMax.map { quantizeValue($0, scale: output.scale, zeroPoint: output.zeroPoint, range: range) }
        let split = accScales.map { quantizeMultiplier($0 / Double(output.scale)) }
        self = .quantized(multipliers: split.map(\.multiplier), shifts: split.map(\.shift), zeroPoint: output.zeroPoint,
                          qmin: max(range.lowerBound, low ?? range.lowerBound),
                          qmax: min(range.upperBound, high ?? range.upperBound), dtype: output.dtype)
    }

    /// The output dtype.
    var dtype: DType {
        switch self {
        case .quantized(_, _, _, _, _, let dtype): dtype
        case .float: .float32
        }
    }

    @inline(__always)
    func store<T: OutputScalar>(_ acc: Int32, column j: Int) -> T {
        switch self {
        case .quantized(let multipliers, let shifts, let zeroPoint, let qmin, let qmax, _):
            let c = multipliers.count == 1 ? 0 : j
            return T(quantized: requantize(acc: acc, multiplier: multipliers[c], shift: shifts[c], zeroPoint: zeroPoint,
                                           qmin: qmin, qmax: qmax))
        case .float(let scales, let low, let high):
            return T(real: min(max(Float(acc) * scales[scales.count == 1 ? 0 : j], low), high))
        }
    }
}

/// Element types an integer kernel writes: uint8/int8 from a clamped int32, float32 from a real.
protocol OutputScalar: TensorScalar {
    init(quantized: Int32)
    init(real: Float)
}

extension UInt8: OutputScalar {
    init(quantized: Int32) { self.init(truncatingIfNeeded: quantized) }
    init(real: Float) { self.init(truncatingIfNeeded: Int32(real)) }
}

extension Int8: OutputScalar {
    init(quantized: Int32) { self.init(truncatingIfNeeded: quantized) }
    init(real: Float) { self.init(truncatingIfNeeded: Int32(real)) }
}

extension Float: OutputScalar {
    init(quantized: Int32) { self.init(quantized) }
    init(real: Float) { self = real }
}
