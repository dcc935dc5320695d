import CQKKernels
import Testing
@testable import QKTensor

/// The C half-precision conversions (F16C and portable) against Swift's own Float16 conversions, bit for bit.
@Suite struct HalfConversionTests {
    typealias Widen = (UnsafePointer<UInt16>, UnsafeMutablePointer<Float>, Int) -> Void
    typealias Narrow = (UnsafePointer<Float>, UnsafeMutablePointer<UInt16>, Int) -> Void

    static let widenings: [(String, Widen)] = [("dispatched", qk_half_to_float), ("portable", qk_half_to_float_portable)]
    static let narrowings: [(String, Narrow)] = [("dispatched", qk_float_to_half), ("portable", qk_float_to_half_portable)]

    /// Same bits, or both NaN (signalling NaNs may come back quiet from F16C).
    static func same(_ a: Float, _ b: Float) -> Bool { a.bitPattern == b.bitPattern || (a.isNaN && b.isNaN) }

    @Test func widensEveryHalfExactly() {
        let bits = (0...UInt16.max).map { $0 }
        let expected = bits.map { Float(Float16(bitPattern: $0)) }
        for (name, widen) in Self.widenings {
            var out = [Float](repeating: 0, count: bits.count)
            bits.withUnsafeBufferPointer { src in out.withUnsafeMutableBufferPointer { widen(src.baseAddress!, $0.baseAddress!, bits.count) } }
            let wrong = zip(out, expected).filter { !Self.same($0, $1) }.count
            #expect(wrong == 0, "\(name): \(wrong) halves widened differently from Swift")
        }
    }

    @Test func narrowsLikeSwiftIncludingTiesSubnormalsAndOverflow() {
        var values: [Float] = [0, -0, 1, -1, 65504, 65519.99, 65520, -65520, 1e9, .infinity, -.infinity, .nan,
                               .leastNonzeroMagnitude, 5.960464e-8, 2.9802322e-8, 2.9802326e-8, 6.1035156e-5,
                               6.1035152e-5, 1.0009766, 1.00048828125, 1.00146484375, 2049, 2051, 4097]
        // Every float around every half (the half itself, the midpoints and their neighbours).
        for bits in stride(from: UInt16(0), to: 0x7C00, by: 7) {
            let h = Float(Float16(bitPattern: bits)), next = Float(Float16(bitPattern: bits + 1))
            let mid = (h + next) / 2
            values += [h, mid, mid.nextUp, mid.nextDown, -mid]
        }
        var rng = SplitMix64(seed: 0x0F16)
        for _ in 0..<50_000 { values.append(Float(bitPattern: UInt32(truncatingIfNeeded: rng.next()))) }
        let expected = values.map { Float16($0) }
        for (name, narrow) in Self.narrowings {
            var out = [UInt16](repeating: 0, count: values.count)
            values.withUnsafeBufferPointer { src in out.withUnsafeMutableBufferPointer { narrow(src.baseAddress!, $0.baseAddress!, values.count) } }
            let wrong = zip(out, expected).filter { got, want in
                !(got == want.bitPattern || (Float16(bitPattern: got).isNaN && want.isNaN))
            }.count
            #expect(wrong == 0, "\(name): \(wrong) of \(values.count) floats rounded differently from Swift")
        }
    }

    @Test func tensorConversionsUseTheDirectPathsAndRoundTrip() throws {
        let floats: [Float] = [0.1, -2.5, 70000, .nan, 1e-6, 3.14159]
        let tensor = try Tensor(shape: [2, 3], storage: .float32(floats))
        let half = tensor.converted(to: .float16)
        #expect(zip(half.values(as: Float16.self)!, floats.map { Float16($0) }).allSatisfy {
            $0.bitPattern == $1.bitPattern || ($0.isNaN && $1.isNaN)
        })
        #expect(zip(half.converted(to: .float32).floatValues, floats.map { Float(Float16($0)) }).allSatisfy(Self.same))
        let bf = tensor.converted(to: .bfloat16)
        #expect(bf.values(as: BFloat16.self)!.map(\.bitPattern) == floats.map { BFloat16($0).bitPattern })
        #expect(zip(bf.converted(to: .float32).floatValues, floats.map { BFloat16($0).floatValue }).allSatisfy(Self.same))
        #expect(half.shape == [2, 3] && bf.converted(to: .float64).dtype == .float64)
    }
}
