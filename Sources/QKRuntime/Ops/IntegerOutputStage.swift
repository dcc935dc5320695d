import QKKernels
import QKTensor

/// How the int32 accumulators of an integer node become its output: requantized to u8/s8 inside the int8
/// kernels (``Int8Requantization``: Q31 multiplier and shift per output channel, no floats per element), or
/// scaled to fp32 when the node has no output quantization.
enum OutputStage: Sendable {
    case quantized(Int8Requantization, DType)
    /// y = clamp(acc · scale[c], low, high) in fp32.
    case float(scales: [Float], low: Float, high: Float)

    /// The stage for accumulator scales `accScales` (one, or one per output channel): quantized to
    /// (scale, zeroPoint) of `output.dtype` (uint8/int8) when given, else fp32. `clipMin`/`clipMax` are a folded
    /// activation's real bounds: q ∈ [Q(clipMin), Q(clipMax)] (exact, as quantization is monotone).
    init(accScales: [Double], output: (scale: Float, zeroPoint: Int32, dtype: DType)?, clipMin: Float?, clipMax: Float?) {
        guard let output else {
            self = .float(scales: accScales.map { Float($0) }, low: clipMin ?? -.infinity, high: clipMax ?? .infinity)
            return
        }
        let range = quantizedRanges[output.dtype] ?? 0...255
        let requantization = Int8Requantization(realMultipliers: accScales.map { $0 / Double(output.scale) },
                                                zeroPoint: output.zeroPoint, signed: output.dtype == .int8)
        let low = clipMin.map { quantizeValue($0, scale: output.scale, zeroPoint: output.zeroPoint, range: range) }
        let high = clipMax.map { quantizeValue($0, scale: output.scale, zeroPoint: output.zeroPoint, range: range) }
        self = .quantized(requantization.clamped(lower: low, upper: high), output.dtype)
    }

    var dtype: DType {
        switch self {
        case .quantized(_, let dtype): dtype
        case .float: .float32
        }
    }

    /// A tensor of `shape` filled by `body` through an ``Int8Output``; for the fp32 stage `body` writes int32
    /// accumulators that are then scaled with the multiplier of element i's channel (see ``ChannelLayout``).
    /// `body` writes every element, so the array may come from `buffers` with stale elements.
    func output(shape: [Int], channels: ChannelLayout, buffers: BufferPool? = nil, _ body: (Int8Output) -> Void) -> Tensor {
        let count = shape.reduce(1, *)
        switch self {
        case .quantized(let requantization, let dtype) where dtype == .int8:
            var values = buffers?.take(Int8.self, count: count) ?? [Int8](unsafeUninitializedCapacity: count) { $1 = count }
            values.withUnsafeMutableBufferPointer { body(.int8($0.baseAddress!, requantization)) }
            return Tensor(shape: shape, values: values)
        case .quantized(let requantization, _):
            var values = buffers?.take(UInt8.self, count: count) ?? [UInt8](unsafeUninitializedCapacity: count) { $1 = count }
            values.withUnsafeMutableBufferPointer { body(.uint8($0.baseAddress!, requantization)) }
            return Tensor(shape: shape, values: values)
        case .float(let scales, let low, let high):
            var acc = [Int32](repeating: 0, count: count)
            acc.withUnsafeMutableBufferPointer { body(.int32($0.baseAddress!)) }
            let y = [Float](unsafeUninitializedCapacity: count) { out, initialized in
                acc.withUnsafeBufferPointer { a in
                    // One run of elements of one channel at a time.
                    var start = 0
                    while start < count {
                        let run = start / channels.run, end = Swift.min(count, (run + 1) * channels.run)
                        let scale = scales[scales.count == 1 ? 0 : run % channels.count]
                        for i in start..<end { out[i] = min(max(Float(a[i]) * scale, low), high) }
                        start = end
                    }
                }
                initialized = count
            }
            return Tensor(shape: shape, values: y)
        }
    }
}

/// Which output channel element i of an integer node's output belongs to: (i / run) % count (a Gemm's columns:
/// run 1, count N; a Conv's planes: run = the output plane, count = the output channels).
struct ChannelLayout {
    let run: Int
    let count: Int

    init(run: Int, count: Int) {
        (self.run, self.count) = (Swift.max(run, 1), Swift.max(count, 1))
    }
}

/// The int8 kernels on an 8-bit tensor whose element type (UInt8 or Int8) is known only at run time.
enum EightBit {
    /// `weights` (K×N, or N×K when `transposed`) packed for ``int8Gemm``; nil unless uint8/int8.
    static func packed(_ weights: Tensor, offset: Int = 0, k: Int, n: Int, transposed: Bool,
                       zeroPoints: [Int32]) -> PackedInt8Weights? {
        func pack<W: FixedWidthInteger>(_ v: [W]) -> PackedInt8Weights {
            v.withUnsafeBufferPointer {
                PackedInt8Weights(UnsafeBufferPointer(rebasing: $0[offset..<(offset + k * n)]), k: k, n: n,
                                  transposed: transposed, zeroPoints: zeroPoints)
            }
        }
        switch weights.storage {
        case .uint8(let v): return pack(v)
        case .int8(let v): return pack(v)
        default: return nil
        }
    }

    /// Calls `body` with `tensor`'s values as raw bytes and whether they are signed (uint8/int8 only).
    static func withBytes(_ tensor: Tensor, _ body: (UnsafeRawPointer, _ signed: Bool) -> Void) {
        switch tensor.storage {
        case .uint8(let v): v.withUnsafeBytes { body($0.baseAddress!, false) }
        case .int8(let v): v.withUnsafeBytes { body($0.baseAddress!, true) }
        default: break
        }
    }

    /// ``int8Gemm`` on A = the m×k rows starting at element `offset` of `a` (row stride k).
    static func gemm(_ a: Tensor, offset: Int, m: Int, zeroPoint: Int32, weights: PackedInt8Weights, bias: [Int32]?,
                     output: Int8Output, ldc: Int, threads: Int) {
        withBytes(a) { bytes, signed in
            if signed {
                int8Gemm(m: m, a: bytes.assumingMemoryBound(to: Int8.self) + offset, lda: weights.k, aZeroPoints: [zeroPoint],
                         weights: weights, bias: bias, output: output, ldc: ldc, threads: threads)
            } else {
                int8Gemm(m: m, a: bytes.assumingMemoryBound(to: UInt8.self) + offset, lda: weights.k, aZeroPoints: [zeroPoint],
                         weights: weights, bias: bias, output: output, ldc: ldc, threads: threads)
            }
        }
    }

    /// ``int8BatchedGemm`` on the 8-bit tensors `a` and `b` (uint8/int8, any combination): batch t multiplies
    /// matrix `operands(t)`.0 of a (m×k) by matrix `operands(t)`.1 of b (k×n) into element t·m·n of `output`.
    static func batchedGemm(count: Int, m: Int, n: Int, k: Int, a: Tensor, aZeroPoints: [Int32], b: Tensor,
                            bZeroPoints: [Int32], operands: (Int) -> (Int, Int), output: Int8Output, threads: Int) {
        withBytes(a) { aBytes, aSigned in
            withBytes(b) { bBytes, bSigned in
                func run<X: FixedWidthInteger, W: FixedWidthInteger>(_: X.Type, _: W.Type) {
                    int8BatchedGemm(count: count, m: m, n: n, k: k, a: aBytes.assumingMemoryBound(to: X.self),
                                    aZeroPoints: aZeroPoints, b: bBytes.assumingMemoryBound(to: W.self),
                                    bZeroPoints: bZeroPoints, operands: operands, output: output, threads: threads)
                }
                switch (aSigned, bSigned) {
                case (false, false): run(UInt8.self, UInt8.self)
                case (false, true): run(UInt8.self, Int8.self)
                case (true, false): run(Int8.self, UInt8.self)
                case (true, true): run(Int8.self, Int8.self)
                }
            }
        }
    }
}
