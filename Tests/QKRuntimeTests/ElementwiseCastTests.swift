import QKGraph
import QKTensor
import Testing
@testable import QKRuntime

@Suite struct ElementwiseCastTests {
    @Test func castUsesOnnxTypeNumbers() throws {
        let x = Tensor(shape: [4], values: [Float(-1.7), 2.5, 300, 0])
        // np.array([-1.7, 2.5, 300, 0], np.float32).astype(np.int32) = [-1, 2, 300, 0]
        #expect(try KernelHarness.one("Cast", [x], attributes: ["to": .int(6)]).values(as: Int32.self) == [-1, 2, 300, 0])
        #expect(try KernelHarness.one("Cast", [x], attributes: ["to": .int(9)]).values(as: Bool.self) == [true, true, true, false])
        #expect(try KernelHarness.one("Cast", [x], attributes: ["to": .int(11)]).dtype == .float64)
        #expect(try KernelHarness.one("Cast", [x], attributes: ["to": .int(10)]).values(as: Float16.self) == [-1.7, 2.5, 300, 0])
        #expect(try KernelHarness.one("Cast", [x], attributes: ["to": .int(16)]).dtype == .bfloat16)
        // 8 = STRING, 17 = FLOAT8E4M3FN: not tensor types QuantKit has
        #expect(throws: RuntimeError.unsupportedAttribute(node: "n", opType: "Cast", attribute: "to", value: "8")) {
            try KernelHarness.one("Cast", [x], attributes: ["to": .int(8)])
        }
        #expect(throws: RuntimeError.self) { try KernelHarness.one("Cast", [x], attributes: ["to": .int(17)]) }
        #expect(throws: GraphError.self) { try KernelHarness.one("Cast", [x]) }
    }

    @Test func castLikeTakesTheSecondDType() throws {
        let y = try KernelHarness.one("CastLike", [Tensor(shape: [2], values: [Int64(3), -2]), Tensor(scalar: Double(0))])
        #expect(y.values(as: Double.self) == [3, -2])
    }

    @Test func expandIsBidirectional() throws {
        let x = Tensor(shape: [3, 1], values: [Float(1), 2, 3])
        // np.ones((2, 1, 4)) * x  → shape (2, 3, 4)
        let y = try KernelHarness.one("Expand", [x, Tensor(shape: [3], values: [Int64(2), 1, 4])])
        #expect(y.shape == [2, 3, 4])
        #expect(y.values(as: Float.self) == (0..<2).flatMap { _ in [1, 2, 3].flatMap { [Float](repeating: $0, count: 4) } })
        // a shape smaller than the input keeps the input's size (dim_unchanged)
        let z = try KernelHarness.one("Expand", [x, Tensor(shape: [1], values: [Int64(1)])])
        #expect(z == x)
        #expect(throws: RuntimeError.self) { try KernelHarness.one("Expand", [x, Tensor(shape: [2], values: [Int64(2), 2])]) }
        #expect(throws: RuntimeError.self) { try KernelHarness.one("Expand", [x, Tensor(shape: [1], values: [Int32(3)])]) }
    }
}
