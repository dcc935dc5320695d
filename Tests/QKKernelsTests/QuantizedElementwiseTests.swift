import QKTensor
import Testing
@testable import QKKernels

/// The quantized add/multiply kernels of every path this CPU runs against the definition written out here per element
/// (dequantize, fp32 ∘, divide by the output scale, round half to even, add the zero point, saturate; NaN → zero
/// point), byte for byte: every length up to 3 vectors and odd long ones (tails), scalar / same-length / repeated b,
/// ties, saturation at both ends, infinities, and threads.
@Suite struct QuantizedElementwiseTests {
    /// The ONNX definition of one output element, a and b given as their integer values.
    static func reference(_ p: QuantizedBinaryParameters, _ a: Int32, _ b: Int32) -> UInt8 {
        let x = Float(a - p.aZeroPoint) * p.aScale, y = Float(b - p.bZeroPoint) * p.bScale
        let t = ((p.operation == .multiply ? x * y : x + y) / p.outputScale).rounded(.toNearestOrEven)
        let (lo, hi): (Double, Double) = p.signedOutput ? (-128, 127) : (0, 255)
        let q = t.isNaN ? Double(p.outputZeroPoint) : Double(t) + Double(p.outputZeroPoint)
        return UInt8(truncatingIfNeeded: Int32(min(max(q, lo), hi)))
    }

    /// Runs the kernel on `path` (a and b as raw bytes) and the reference, returning both.
    static func outputs(_ p: QuantizedBinaryParameters, a: [UInt8], b: [UInt8], threads: Int = 1,
                        path: QuantizedElementwisePath) -> (got: [UInt8], expected: [UInt8]) {
        let value = { (byte: UInt8) -> Int32 in p.signedInputs ? Int32(Int8(bitPattern: byte)) : Int32(byte) }
        let expected = a.indices.map { reference(p, value(a[$0]), value(b[$0 % b.count])) }
        var got = [UInt8](repeating: 0xA5, count: a.count + 1)  // one guard byte past the end
        a.withUnsafeBytes { pa in
            b.withUnsafeBytes { pb in
                got.withUnsafeMutableBytes { po in
                    quantizedBinary(p, count: a.count, a: pa.baseAddress!,
                                    b: pb.baseAddress!, bPeriod: b.count, output: po.baseAddress!, threads: threads,
                                    path: path)
                }
            }
        }
        #expect(got.last == 0xA5, "\(path) wrote past the end")
        return (Array(got.dropLast()), expected)
    }

    static func randomParameters(_ rng: inout SeededGenerator) -> QuantizedBinaryParameters {
        let signedInputs = Bool.random(using: &rng), signedOutput = Bool.random(using: &rng)
        func zero(_ signed: Bool) -> Int32 {
            signed ? Int32.random(in: -128...127, using: &rng) : Int32.random(in: 0...255, using: &rng)
        }
        return QuantizedBinaryParameters(
            operation: Bool.random(using: &rng) ? .multiply : .add,
            aScale: Float.random(in: 0.001...0.1, using: &rng), aZeroPoint: zero(signedInputs),
            bScale: Float.random(in: 0.001...0.1, using: &rng), bZeroPoint: zero(signedInputs), signedInputs: signedInputs,
            outputScale: Float.random(in: 0.002...0.2, using: &rng), outputZeroPoint: zero(signedOutput),
            signedOutput: signedOutput)
    }

    static func bytes(_ count: Int, _ rng: inout SeededGenerator) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    @Test(arguments: QuantizedElementwisePath.available)
    func randomLengthsAndBroadcasts(path: QuantizedElementwisePath) {
        var rng = SeededGenerator(seed: 77)
        var lengths = Array(1...70)
        lengths += [127, 129, 255, 1000, 4099]
        for count in lengths {
            let p = Self.randomParameters(&rng)
            let a = Self.bytes(count, &rng)
            // Same length, a scalar, and every period that divides count (a short or long repeated row).
            var periods = [count, 1]
            periods += stride(from: 2, to: count, by: 1).filter { count % $0 == 0 }.prefix(4)
            for period in periods {
                let (got, expected) = Self.outputs(p, a: a, b: Self.bytes(period, &rng), path: path)
                #expect(got == expected, "\(path) count \(count) period \(period) \(p)")
            }
        }
    }

    /// Scales 1/2 and 1/4 put many sums exactly halfway between integers: each must go to the even neighbour.
    @Test(arguments: QuantizedElementwisePath.available)
    func exactTiesRoundToEven(path: QuantizedElementwisePath) {
        let a = (0...255).map(UInt8.init), b = a.reversed().map { $0 }
        for (operation, signed) in [(QuantizedBinaryParameters.Operation.add, false), (.multiply, true), (.add, true)] {
            let p = QuantizedBinaryParameters(operation: operation, aScale: 0.5, aZeroPoint: signed ? 0 : 128,
                                              bScale: 0.25, bZeroPoint: signed ? -1 : 3, signedInputs: signed,
                                              outputScale: operation == .add ? 1 : 16, outputZeroPoint: signed ? 0 : 128,
                                              signedOutput: signed)
            let (got, expected) = Self.outputs(p, a: a, b: b, path: path)
            #expect(got == expected, "\(path) \(operation)")
        }
        // Hand-computed: 0 · 0.5 + 2 · 0.25 = 0.5 → 0; 1 · 0.5 + 2 · 0.25 = 1 → 1; 3 · 0.5 + 0 = 1.5 → 2; 5 · 0.5 = 2.5 → 2.
        let p = QuantizedBinaryParameters(operation: .add, aScale: 0.5, aZeroPoint: 0, bScale: 0.25, bZeroPoint: 0,
                                          signedInputs: false, outputScale: 1, outputZeroPoint: 0, signedOutput: false)
        #expect(Self.outputs(p, a: [0, 1, 3, 5], b: [2, 2, 0, 0], path: path).got == [0, 1, 2, 2])
    }

    /// Large products saturate at both ends of uint8 and int8; infinite dequantized values (a huge scale) saturate,
    /// and their NaN sums and products (∞ − ∞, ∞ · 0) give the zero point.
    @Test(arguments: QuantizedElementwisePath.available)
    func saturationInfinityAndNaN(path: QuantizedElementwisePath) {
        let a = (0...255).map(UInt8.init), b = (0...255).map { UInt8(($0 * 7) & 255) }
        for signedOutput in [false, true] {
            for operation in [QuantizedBinaryParameters.Operation.add, .multiply] {
                let p = QuantizedBinaryParameters(operation: operation, aScale: 0.9, aZeroPoint: 100, bScale: 0.7,
                                                  bZeroPoint: 30, signedInputs: false, outputScale: 0.01,
                                                  outputZeroPoint: signedOutput ? 3 : 120, signedOutput: signedOutput)
                let (got, expected) = Self.outputs(p, a: a, b: b, path: path)
                #expect(got == expected, "\(path) \(operation) signed output \(signedOutput)")
                let ends: Set<UInt8> = signedOutput ? [0x80, 0x7F] : [0, 255]
                #expect(ends.isSubset(of: Set(got)), "\(path): both ends reached")
            }
        }
        let huge = QuantizedBinaryParameters(operation: .add, aScale: 3e38, aZeroPoint: 0, bScale: 3e38, bZeroPoint: 0,
                                             signedInputs: true, outputScale: 1, outputZeroPoint: -7, signedOutput: true)
        // a = 127 → +∞, b = −128 → −∞: ∞ + (−∞) = NaN → −7; 127 + 0 → +∞ → 127; 0 + 0 → −7.
        let (got, expected) = Self.outputs(huge, a: [127, 127, 0], b: [128, 0, 0], path: path)
        #expect(got == expected && got.map { Int8(bitPattern: $0) } == [-7, 127, -7], "\(path) \(got)")
        let product = Self.outputs(QuantizedBinaryParameters(
            operation: .multiply, aScale: 3e38, aZeroPoint: 0, bScale: 3e38, bZeroPoint: 0, signedInputs: false,
            outputScale: 1, outputZeroPoint: 200, signedOutput: false), a: [255, 255, 0], b: [0, 2, 0], path: path)
        #expect(product.got == product.expected && product.got == [200, 255, 200], "\(path) \(product.got)")
    }

    /// Splitting over threads (chunks that start inside a repeated row) gives the same bytes.
    @Test(arguments: QuantizedElementwisePath.available)
    func threadsGiveTheSameBytes(path: QuantizedElementwisePath) {
        var rng = SeededGenerator(seed: 5)
        let count = 3 * 5 * 7 * 4096
        let a = Self.bytes(count, &rng)
        for period in [count, 1, 7, 35, 4096 * 7] {
            let p = Self.randomParameters(&rng)
            let (got, expected) = Self.outputs(p, a: a, b: Self.bytes(period, &rng), threads: 3, path: path)
            #expect(got == expected, "\(path) period \(period)")
        }
    }
}
