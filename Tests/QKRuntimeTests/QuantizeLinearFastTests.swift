import QKGraph
import QKKernels
import QKTensor
import Testing
@testable import QKRuntime

/// Seeded fp32 data for QuantizeLinear: random values within and beyond the integer range, exact ties
/// ((k + 0.5) · scale), ±inf, NaN, ±0, a subnormal and huge magnitudes.
func quantizeTestData(_ count: Int, scale: Float, seed: UInt64) -> [Float] {
    var rng = SplitMix64(seed: seed)
    let specials: [Float] = [.nan, .infinity, -.infinity, 0, -0.0, 1e-45, -3e38, 3e38, 1e6, -1e6]
    return (0..<count).map { i in
        switch Int.random(in: 0..<8, using: &rng) {
        case 0: specials[i % specials.count]
        case 1, 2: (Float(Int.random(in: -70_000...70_000, using: &rng)) + 0.5) * scale
        case 3: Float.random(in: -1e5...1e5, using: &rng) * scale
        default: Float.random(in: -300...300, using: &rng) * scale
        }
    }
}

/// Every SIMD path of the QuantizeLinear / DequantizeLinear kernels against the general loop's scalar
/// ``quantizeValue(_:scale:zeroPoint:range:)`` and (x − zp) · scale, bit for bit.
@Suite struct QuantizeLinearKernelPathTests {
    static let types: [(QDQIntegerType, [Int32])] = [
        (.uint8, [0, 128, 255]), (.int8, [-128, -3, 0, 127]), (.uint16, [0, 40000, 65535]), (.int16, [-32768, 17, 32767]),
    ]
    static let lengths = Array(0...70) + [127, 128, 129, 1000, 4099]

    /// The stored result as Int32 (the low bytes of a `type` element, sign-extended for signed types).
    static func stored(_ bytes: [UInt8], _ type: QDQIntegerType) -> [Int32] {
        stride(from: 0, to: bytes.count, by: type.byteWidth).map { i in
            switch type {
            case .uint8: Int32(bytes[i])
            case .int8: Int32(Int8(bitPattern: bytes[i]))
            case .uint16: Int32(UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8)
            default: Int32(Int16(bitPattern: UInt16(bytes[i]) | UInt16(bytes[i + 1]) << 8))
            }
        }
    }

    static func quantized(_ x: [Float], _ type: QDQIntegerType, _ body: (UnsafeBufferPointer<Float>, UnsafeMutableRawPointer) -> Void) -> [Int32] {
        var out = [UInt8](repeating: 0xA5, count: x.count * type.byteWidth + 8)
        x.withUnsafeBufferPointer { xs in out.withUnsafeMutableBytes { body(xs, $0.baseAddress!) } }
        #expect(out.suffix(8).allSatisfy { $0 == 0xA5 }, "wrote past the end")
        return stored(Array(out.dropLast(8)), type)
    }

    @Test(arguments: QDQKernelPath.available) func quantizePerTensor(path: QDQKernelPath) {
        for (t, (type, zeros)) in Self.types.enumerated() {
            for (s, scale) in [Float(1), 0.5, 0.0371, 3.3e-3, 7.25].enumerated() {
                let data = quantizeTestData(4099, scale: scale, seed: UInt64(10 * t + s))
                for length in Self.lengths {
                    let x = Array(data.prefix(length))
                    for zero in zeros {
                        let expected = x.map { quantizeValue($0, scale: scale, zeroPoint: zero, range: type.range) }
                        let got = Self.quantized(x, type) {
                            quantizeLinear($0, scale: scale, zeroPoint: zero, as: type, into: $1, path: path)
                        }
                        #expect(got == expected, "\(path) \(type) scale \(scale) zp \(zero) n \(length)")
                    }
                }
            }
        }
    }

    /// outer × C × inner for inner 1 (last axis), small and ≥ 64 (one run per slice), on 1 and 2 threads.
    @Test(arguments: QDQKernelPath.available) func quantizePerAxis(path: QDQKernelPath) {
        for shape in [(3, 5, 7), (2, 6, 1), (1, 4, 1), (2, 3, 100), (5, 3, 64), (1, 130, 3), (4, 7, 61)] {
            let (outer, channels, inner) = shape
            let count = outer * channels * inner
            for (type, zeros) in Self.types {
                var rng = SplitMix64(seed: UInt64(count))
                let scales = (0..<channels).map { _ in Float.random(in: 0.001...3, using: &rng) }
                let zp = (0..<channels).map { zeros[$0 % zeros.count] }
                let x = quantizeTestData(count, scale: scales[0], seed: UInt64(channels))
                let expected = x.indices.map {
                    let c = ($0 / inner) % channels
                    return quantizeValue(x[$0], scale: scales[c], zeroPoint: zp[c], range: type.range)
                }
                for threads in [1, 2] {
                    let got = Self.quantized(x, type) {
                        quantizeLinear($0, scales: scales, zeroPoints: zp, inner: inner, as: type, into: $1,
                                       threads: threads, path: path)
                    }
                    #expect(got == expected, "\(path) \(type) \(shape) threads \(threads)")
                }
            }
        }
    }

    @Test(arguments: QDQKernelPath.available) func dequantizeEveryType(path: QDQKernelPath) {
        var rng = SplitMix64(seed: 99)
        for type in QDQIntegerType.allCases {
            let values = (0..<4099).map { _ in Int32.random(in: type.range, using: &rng) } + [type.range.lowerBound, type.range.upperBound]
            let bytes: [UInt8] = values.flatMap { v in (0..<type.byteWidth).map { UInt8(truncatingIfNeeded: v >> (8 * $0)) } }
            let zeros: [Int32] = type == .int32 ? [0] : [type.range.lowerBound, 0, type.range.upperBound]
            for length in Self.lengths + [values.count] {
                for zero in zeros {
                    let scale = Float(0.0371)
                    let expected = values.prefix(length).map { Float($0 - zero) * scale }
                    var y = [Float](repeating: .nan, count: length)
                    bytes.withUnsafeBytes { x in
                        y.withUnsafeMutableBufferPointer {
                            dequantizeLinear(x.baseAddress!, count: length, type: type, scale: scale, zeroPoint: zero,
                                             into: $0.baseAddress!, path: path)
                        }
                    }
                    #expect(y.map(\.bitPattern) == expected.map(\.bitPattern), "\(path) \(type) zp \(zero) n \(length)")
                }
            }
            // Per axis on [outer, C, inner] views of the same values.
            for (outer, channels, inner) in [(3, 5, 7), (2, 6, 1), (2, 3, 100)] {
                let count = outer * channels * inner
                let scales = (0..<channels).map { Float($0 + 1) * 0.013 }
                let zp = (0..<channels).map { type == .int32 ? 0 : Int32($0) - 2 }
                let expected = (0..<count).map { i in
                    let c = (i / inner) % channels
                    return Float(values[i] - zp[c]) * scales[c]
                }
                var y = [Float](repeating: .nan, count: count)
                bytes.withUnsafeBytes { x in
                    y.withUnsafeMutableBufferPointer {
                        dequantizeLinear(x.baseAddress!, count: count, type: type, scales: scales, zeroPoints: zp,
                                         inner: inner, into: $0.baseAddress!, threads: 2, path: path)
                    }
                }
                #expect(y.map(\.bitPattern) == expected.map(\.bitPattern), "\(path) \(type) per axis inner \(inner)")
            }
        }
    }

    @Test func finiteMinMaxFindsTheRangeAndRejectsNonFinite() {
        let x: [Float] = [3, -2.5, 7, 0, -0.0, 1e-45]
        #expect(x.withUnsafeBufferPointer(finiteMinMax)! == (-2.5, 7))
        for bad in [Float.nan, .infinity, -.infinity] {
            #expect((x + [bad]).withUnsafeBufferPointer(finiteMinMax) == nil)
        }
        #expect([Float]().withUnsafeBufferPointer(finiteMinMax) == nil)
    }
}
