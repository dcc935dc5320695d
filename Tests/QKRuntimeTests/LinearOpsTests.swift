import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

@Suite struct LinearOpsTests {
    /// Y = 0.25 · Aᵀ · Bᵀ + 0.35 · C with C broadcast from 1×5 (expected values from numpy).
    @Test func gemmAllAttributes() throws {
        let a = floats([4, 3], (0..<12).map { Float($0) / 4 })
        let b = floats([5, 4], (0..<20).map { (Float($0) - 10) / 5 })
        let c = floats([1, 5], [0, 1, 2, 3, 4])
        let y = try runNode("Gemm", inputs: [a, b, c], attributes: ["alpha": .float(0.25), "beta": .float(0.35),
                                                                     "transA": .int(1), "transB": .int(1)], opset: 13)
        #expect(y[0].shape == [3, 5])
        #expect(close(y[0].floatValues, [-1.725, -0.475, 0.775, 2.025, 3.275, -2.15, -0.7, 0.75, 2.2, 3.65,
                                         -2.575, -0.925, 0.725, 2.375, 4.025]))
    }

    @Test func gemmBiasShapes() throws {
        // A = I₂, B = [[1, 2], [3, 4]]: A·B = B.
        let a = floats([2, 2], [1, 0, 0, 1]), b = floats([2, 2], [1, 2, 3, 4])
        let scalar = try runNode("Gemm", inputs: [a, b, floats([], [10])])
        #expect(scalar[0].floatValues == [11, 12, 13, 14])
        let column = try runNode("Gemm", inputs: [a, b, floats([2, 1], [10, 20])])
        #expect(column[0].floatValues == [11, 12, 23, 24])
        let none = try runNode("Gemm", inputs: [a, b], opset: 13)
        #expect(none[0].floatValues == [1, 2, 3, 4])
        #expect(throws: RuntimeError.self) { try runNode("Gemm", inputs: [a, b, floats([3], [1, 2, 3])]) }
        #expect(throws: RuntimeError.self) { try runNode("Gemm", inputs: [a, floats([3, 2], [1, 2, 3, 4, 5, 6])]) }
    }

    @Test func gemmFloat16ComputesInFloat() throws {
        let a = Tensor(shape: [1, 2], values: [Float16(1.5), 2]), b = Tensor(shape: [2, 1], values: [Float16(2), 0.25])
        let y = try runNode("Gemm", inputs: [a, b])
        #expect(y[0].dtype == .float16 && y[0].floatValues == [3.5])
    }

    /// numpy: (arange(18) − 5).reshape(3,1,2,3) @ (arange(12) / 2).reshape(1,2,3,2).
    @Test func matMulBroadcastsBatches() throws {
        let a = floats([3, 1, 2, 3], (0..<18).map { Float($0) - 5 })
        let b = floats([1, 2, 3, 2], (0..<12).map { Float($0) / 2 })
        let y = try runNode("MatMul", inputs: [a, b], opset: 13)
        #expect(y[0].shape == [3, 2, 2, 2])
        #expect(y[0].floatValues == [-10, -16, -1, -2.5, -46, -52, -10, -11.5, 8, 11, 17, 24.5, 26, 29, 62, 69.5,
                                     26, 38, 35, 51.5, 98, 110, 134, 150.5])
    }

    @Test func matMulPromotesVectors() throws {
        let a = floats([3, 1, 2, 3], (0..<18).map { Float($0) - 5 }), v = floats([3], [1, 2, 3])
        let right = try runNode("MatMul", inputs: [a, v])
        #expect(right[0].shape == [3, 1, 2] && right[0].floatValues == [-22, -4, 14, 32, 50, 68])
        let b = floats([1, 2, 3, 2], (0..<12).map { Float($0) / 2 })
        let left = try runNode("MatMul", inputs: [v, b])
        #expect(left[0].shape == [1, 2, 2] && left[0].floatValues == [8, 11, 26, 29])
        let dot = try runNode("MatMul", inputs: [v, v])
        #expect(dot[0].shape == [] && dot[0].floatValues == [14])
        #expect(throws: RuntimeError.self) { try runNode("MatMul", inputs: [v, floats([2], [1, 2])]) }
    }

    /// A large batched MatMul against the same product computed per batch with plain loops.
    @Test func matMulSharedRightOperandFoldsBatches() throws {
        let a = floats([2, 3, 40, 17], (0..<(2 * 3 * 40 * 17)).map { Float($0 % 13) - 6 })
        let b = floats([17, 9], (0..<(17 * 9)).map { Float($0 % 7) - 3 })
        let y = try runNode("MatMul", inputs: [a, b])[0].floatValues
        let av = a.floatValues, bv = b.floatValues
        var expected = [Float](repeating: 0, count: 6 * 40 * 9)
        for row in 0..<(6 * 40) {
            for j in 0..<9 {
                expected[row * 9 + j] = (0..<17).reduce(0) { $0 + av[row * 17 + $1] * bv[$1 * 9 + j] }
            }
        }
        #expect(y == expected)
    }
}
