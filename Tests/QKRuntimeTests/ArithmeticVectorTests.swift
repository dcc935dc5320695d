import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

/// Float32 Add/Sub/Mul/Div through the vectorised loops (``vectorBroadcast``), bit for bit against scalar
/// Swift arithmetic on explicitly broadcast indices: equal shapes, scalars on either side, rows, columns and
/// middle axes broadcast, odd lengths around the vector width.
@Suite struct ArithmeticVectorTests {
    private static let shapes: [([Int], [Int])] = [
        ([37], [37]), ([3, 17], []), ([], [2, 33]), ([5, 64], [64]), ([4, 31], [4, 1]), ([1, 19], [6, 19]),
        ([3, 2, 5, 16], [3, 1, 1, 16]), ([2, 3, 1, 7], [1, 1, 4, 7]), ([2, 1, 9], [2, 5, 1]), ([1], [1]),
        ([300, 256], [256]), ([70001], []),
    ]

    private func reference(_ a: Tensor, _ b: Tensor, _ op: (Float, Float) -> Float) throws -> [Float] {
        let shape = try broadcastShape(a.shape, b.shape)
        let rank = shape.count
        let (av, bv) = (a.floatValues, b.floatValues)
        func offset(_ flat: Int, _ operand: [Int]) -> Int {
            let padded = [Int](repeating: 1, count: rank - operand.count) + operand
            let strides = Tensor.strides(for: padded)
            var rest = flat, result = 0
            for axis in stride(from: rank - 1, through: 0, by: -1) {
                let index = rest % shape[axis]
                rest /= shape[axis]
                if padded[axis] != 1 { result += index * strides[axis] }
            }
            return result
        }
        return (0..<shape.reduce(1, *)).map { op(av[offset($0, a.shape)], bv[offset($0, b.shape)]) }
    }

    @Test(arguments: ["Add", "Sub", "Mul", "Div"])
    func matchesScalarArithmetic(op: String) throws {
        let scalar: (Float, Float) -> Float
        switch op {
        case "Add": scalar = { a, b in a + b }
        case "Sub": scalar = { a, b in a - b }
        case "Mul": scalar = { a, b in a * b }
        default: scalar = { a, b in a / b }
        }
        var rng = SplitMix64(seed: UInt64(op.count * 7))
        for (aShape, bShape) in Self.shapes {
            func random(_ shape: [Int]) -> Tensor {
                Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -3...3, using: &rng) })
            }
            let (a, b) = (random(aShape), random(bShape))
            let expected = try reference(a, b, scalar)
            for threads in [1, 2] {
                let y = try runNode(op, inputs: [a, b], opset: 14, threads: threads)[0]
                let shape = try broadcastShape(aShape, bShape)
                #expect(y.shape == shape)
                #expect(y.floatValues.map(\.bitPattern) == expected.map(\.bitPattern), "\(op) \(aShape) \(bShape)")
            }
        }
    }

    /// Division by zero and NaN operands give the IEEE results (±inf, NaN), as the scalar form.
    @Test func specialValuesFollowIEEE() throws {
        let a = Tensor(shape: [20], values: [Float](repeating: 1, count: 10) + [Float](repeating: -.nan, count: 10))
        let zero = Tensor(shape: [], values: [Float(0)])
        let y = try runNode("Div", inputs: [a, zero], opset: 14)[0].floatValues
        #expect(y.prefix(10).allSatisfy { $0 == .infinity })
        #expect(y.suffix(10).allSatisfy { $0.isNaN })
    }
}
