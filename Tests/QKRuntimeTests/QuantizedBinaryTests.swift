import QKKernels
import QKTensor
import Testing
@testable import QKRuntime

/// QLinearAdd / QLinearMul: the SIMD path of every instruction set against the element-by-element general path, byte
/// for byte, for each broadcast the SIMD path covers (same shape, scalar, repeated row, rows of the collapsed layout)
/// in uint8 and int8; shapes it does not cover fall back.
@Suite struct QuantizedBinaryTests {
    typealias Output = (scale: Float, zeroPoint: Int32, dtype: DType)

    static func operand(_ shape: [Int], signed: Bool, scale: Float, zeroPoint: Int32,
                        _ rng: inout SplitMix64) -> OpTable.QuantizedOperand {
        let count = shape.reduce(1, *)
        let tensor = signed
            ? Tensor(shape: shape, values: (0..<count).map { _ in Int8.random(in: .min ... .max, using: &rng) })
            : Tensor(shape: shape, values: (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) })
        return OpTable.QuantizedOperand(tensor: tensor, scale: scale, zeroPoint: zeroPoint)
    }

    /// (A shape, B shape, whether the SIMD path takes it).
    static let broadcasts: [([Int], [Int], Bool)] = [
        ([3, 5, 37], [3, 5, 37], true),     // same shape, odd length
        ([2, 3, 41], [], true),             // scalar B
        ([1, 1], [4, 33], true),            // single-element A
        ([6, 130], [130], true),            // bias row
        ([5], [4, 3, 5], true),             // short row repeated, as A
        ([2, 1, 3, 40], [1, 7, 1, 40], true), // rows of the collapsed layout, both advancing
        ([3, 5, 1], [3, 5, 20], true),      // rows with A fixed per row
        ([4, 18], [4, 1], true),            // rows with B fixed per row
        ([3, 1, 2], [1, 4, 2], false),      // rows of 2: general path
        ([0, 4], [4], false),               // empty
    ]

    @Test(arguments: QuantizedElementwisePath.available)
    func simdPathMatchesGeneralPath(path: QuantizedElementwisePath) throws {
        var rng = SplitMix64(seed: 2024)
        for (aShape, bShape, covered) in Self.broadcasts {
            for signed in [false, true] {
                for multiply in [false, true] {
                    let zero = { (r: inout SplitMix64) in signed ? Int32.random(in: -128...127, using: &r) : Int32.random(in: 0...255, using: &r) }
                    let a = Self.operand(aShape, signed: signed, scale: 0.03, zeroPoint: zero(&rng), &rng)
                    let b = Self.operand(bShape, signed: signed, scale: multiply ? 0.02 : 0.01, zeroPoint: zero(&rng), &rng)
                    // Output scales that saturate some products/sums and make ties of others.
                    let output: Output = (multiply ? 0.04 : 0.015, zero(&rng), signed ? .int8 : .uint8)
                    let general = try OpTable.quantizedBinaryGeneral(a, b, multiply: multiply, output: output, threads: 1)
                    let fast = OpTable.quantizedBinaryFast(a, b, multiply: multiply, output: output, threads: 2, path: path)
                    let label = "\(path) \(aShape) \(bShape) signed \(signed) multiply \(multiply)"
                    #expect((fast != nil) == covered, "\(label): covered")
                    if let fast {
                        #expect(fast.shape == general.shape && fast.dtype == general.dtype, "\(label)")
                        #expect(fast.storage == general.storage, "\(label)")
                    }
                }
            }
        }
    }

    /// The op itself (best path, 2 threads) agrees with the general path on a tensor large enough to be split.
    @Test func opMatchesGeneralPathOnLargeTensor() throws {
        var rng = SplitMix64(seed: 9)
        let a = Self.operand([64, 1024], signed: false, scale: 0.05, zeroPoint: 120, &rng)
        let b = Self.operand([1024], signed: false, scale: 0.04, zeroPoint: 131, &rng)
        for (op, multiply) in [("QLinearAdd", false), ("QLinearMul", true)] {
            let y = try runNode(op, domain: "com.microsoft",
                                inputs: [a.tensor, Tensor(scalar: a.scale), Tensor(scalar: UInt8(a.zeroPoint)),
                                         b.tensor, Tensor(scalar: b.scale), Tensor(scalar: UInt8(b.zeroPoint)),
                                         Tensor(scalar: Float(0.07)), Tensor(scalar: UInt8(128))], opset: 1, threads: 2)
            let general = try OpTable.quantizedBinaryGeneral(a, b, multiply: multiply, output: (0.07, 128, .uint8), threads: 1)
            #expect(y[0].storage == general.storage, "\(op)")
        }
    }
}
