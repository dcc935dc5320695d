import QKGraph
import QKKernels
import QKTensor
import Testing
@testable import QKRuntime

/// The QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear ops (whose float32 8/16-bit cases take the SIMD
/// fast path) against the general element loops on the same node, bit for bit, per tensor and on every axis;
/// inputs the fast path declines still reach the general code and its errors.
@Suite struct QuantizeLinearFastOpTests {
    /// Runs `opType` through the op table (fast path first) and through `general` on the same context.
    private func both(_ opType: String, _ inputs: [Tensor?], attributes: [String: Attribute] = [:], outputs: Int = 1,
                      threads: Int, general: (KernelContext) throws -> [Tensor]) throws -> (fast: [Tensor], general: [Tensor]) {
        let node = Node(name: "n", opType: opType, inputs: inputs.indices.map { "i\($0)" },
                        outputs: (0..<outputs).map { "y\($0)" }, attributes: attributes)
        let ctx = KernelContext(node: node, inputs: inputs, opset: 21, threads: threads)
        return (try OpTable.kernel(opType: opType, domain: "")!(ctx), try general(ctx))
    }

    private static let zeroPoints: [(DType, Tensor)] = [
        (.uint8, Tensor(scalar: UInt8(131))), (.int8, Tensor(scalar: Int8(-7))),
        (.uint16, Tensor(scalar: UInt16(30000))), (.int16, Tensor(scalar: Int16(-5))),
    ]

    /// Large enough (3 × 40 × 700 = 84 000 elements) that two threads split the work.
    @Test func quantizePerTensorMatchesGeneral() throws {
        let shape = [3, 40, 700], count = 84_000
        let x = Tensor(shape: shape, values: quantizeTestData(count, scale: 0.02, seed: 5))
        for (dtype, zero) in Self.zeroPoints {
            for threads in [1, 2] {
                let r = try both("QuantizeLinear", [x, Tensor(scalar: Float(0.02)), zero], threads: threads,
                                 general: OpTable.generalQuantizeLinear)
                #expect(r.fast == r.general && r.fast[0].dtype == dtype, "\(dtype) threads \(threads)")
            }
        }
        // No zero point: uint8; output_dtype int16 (5) without a zero point.
        let plain = try both("QuantizeLinear", [x, Tensor(shape: [1], values: [Float(0.5)])], threads: 2,
                             general: OpTable.generalQuantizeLinear)
        #expect(plain.fast == plain.general && plain.fast[0].dtype == .uint8)
        let int16 = try both("QuantizeLinear", [x, Tensor(scalar: Float(0.5))], attributes: ["output_dtype": .int(5)],
                             threads: 1, general: OpTable.generalQuantizeLinear)
        #expect(int16.fast == int16.general && int16.fast[0].dtype == .int16)
    }

    @Test func quantizeAndDequantizePerAxisOnEveryAxis() throws {
        let shape = [4, 6, 5, 70]
        let x = Tensor(shape: shape, values: quantizeTestData(shape.reduce(1, *), scale: 0.1, seed: 9))
        for axis in -4..<4 {
            let size = shape[(axis + 4) % 4]
            let scales = Tensor(shape: [size], values: (0..<size).map { Float($0 + 1) * 0.037 })
            for (dtype, zero) in Self.zeroPoints {
                let zeros = Tensor(shape: [size], values: (0..<size).map { _ in zero.floatValues[0] }).converted(to: dtype)
                let q = try both("QuantizeLinear", [x, scales, zeros], attributes: ["axis": .int(Int64(axis))], threads: 2,
                                 general: OpTable.generalQuantizeLinear)
                #expect(q.fast == q.general, "quantize \(dtype) axis \(axis)")
                let d = try both("DequantizeLinear", [q.general[0], scales, zeros], attributes: ["axis": .int(Int64(axis))],
                                 threads: 2, general: OpTable.generalDequantizeLinear)
                #expect(d.fast == d.general, "dequantize \(dtype) axis \(axis)")
            }
        }
    }

    @Test func dequantizePerTensorMatchesGeneral() throws {
        var rng = SplitMix64(seed: 3)
        let count = 70_001
        let inputs: [(Tensor, Tensor?)] = [
            (Tensor(shape: [count], values: (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }), Tensor(scalar: UInt8(200))),
            (Tensor(shape: [count], values: (0..<count).map { _ in Int8.random(in: -128...127, using: &rng) }), Tensor(scalar: Int8(-128))),
            (Tensor(shape: [count], values: (0..<count).map { _ in UInt16.random(in: 0...65535, using: &rng) }), nil),
            (Tensor(shape: [count], values: (0..<count).map { _ in Int16.random(in: -32768...32767, using: &rng) }), Tensor(scalar: Int16(9))),
            (Tensor(shape: [count], values: (0..<count).map { _ in Int32.random(in: .min ... .max, using: &rng) }), Tensor(scalar: Int32(0))),
        ]
        for (x, zero) in inputs {
            for threads in [1, 2] {
                let r = try both("DequantizeLinear", [x, Tensor(scalar: Float(0.0123)), zero], threads: threads,
                                 general: OpTable.generalDequantizeLinear)
                #expect(r.fast == r.general && r.fast[0].dtype == .float32, "\(x.dtype) threads \(threads)")
            }
        }
    }

    @Test func dynamicQuantizeMatchesGeneral() throws {
        for (seed, offset) in [(1, Float(0)), (2, 40), (3, -40)] {
            var rng = SplitMix64(seed: UInt64(seed))
            let values = (0..<70_007).map { _ in Float.random(in: -30...30, using: &rng) + offset }
            let x = Tensor(shape: [7, 10_001], values: values)
            let r = try both("DynamicQuantizeLinear", [x], outputs: 3, threads: 2, general: OpTable.generalDynamicQuantizeLinear)
            #expect(r.fast == r.general)
        }
    }

    /// Zero or non-finite scales, a wrong per-axis length, a mismatched zero point dtype, int32 with a non-zero
    /// zero point and non-finite DynamicQuantizeLinear input are declined by the fast path: the general code throws.
    @Test func invalidInputsStillThrow() {
        let x = Tensor(shape: [2, 3], values: [Float](repeating: 1, count: 6))
        for scale in [Tensor(scalar: Float(0)), Tensor(scalar: Float.infinity), Tensor(shape: [4], values: [Float](repeating: 1, count: 4))] {
            #expect(throws: RuntimeError.self) { try runNode("QuantizeLinear", inputs: [x, scale, Tensor(scalar: UInt8(0))]) }
        }
        let q = Tensor(shape: [2], values: [Int32(1), 2])
        #expect(throws: RuntimeError.self) {
            try runNode("DequantizeLinear", inputs: [q, Tensor(scalar: Float(1)), Tensor(scalar: Int32(3))])
        }
        #expect(throws: RuntimeError.self) {
            try runNode("DequantizeLinear", inputs: [Tensor(shape: [1], values: [UInt8(1)]), Tensor(scalar: Float(1)), Tensor(scalar: Int8(0))])
        }
        #expect(throws: RuntimeError.self) {
            try runNode("DynamicQuantizeLinear", inputs: [Tensor(shape: [2], values: [Float(1), .nan])], outputs: 3)
        }
    }
}
