import QKGraph
import QKTensor
import Testing
@testable import QKRuntime

@Suite struct ElementwiseLogicTests {
    @Test func comparisons() throws {
        let a = Tensor(shape: [2, 2], values: [Float(1), 2, 3, .nan])
        let b = Tensor(shape: [2], values: [Float(2), 2])
        // a == b, a < b, a > b, a <= b, a >= b (NaN compares false)
        #expect(try KernelHarness.one("Equal", [a, b]).values(as: Bool.self) == [false, true, false, false])
        #expect(try KernelHarness.one("Less", [a, b]).values(as: Bool.self) == [true, false, false, false])
        #expect(try KernelHarness.one("Greater", [a, b]).values(as: Bool.self) == [false, false, true, false])
        #expect(try KernelHarness.one("LessOrEqual", [a, b]).values(as: Bool.self) == [true, true, false, false])
        #expect(try KernelHarness.one("GreaterOrEqual", [a, b]).values(as: Bool.self) == [false, true, true, false])
        let u = try KernelHarness.one("Less", [Tensor(shape: [2], values: [UInt16(1), 60000]), Tensor(scalar: UInt16(50000))])
        #expect(u.values(as: Bool.self) == [true, false])
        #expect(try KernelHarness.one("Equal", [Tensor(shape: [2], values: [true, false]), Tensor(scalar: true)])
                    .values(as: Bool.self) == [true, false])
    }

    @Test func logicalOps() throws {
        let p = Tensor(shape: [2, 2], values: [true, true, false, false])
        let q = Tensor(shape: [2], values: [true, false])
        #expect(try KernelHarness.one("And", [p, q]).values(as: Bool.self) == [true, false, false, false])
        #expect(try KernelHarness.one("Or", [p, q]).values(as: Bool.self) == [true, true, true, false])
        #expect(try KernelHarness.one("Xor", [p, q]).values(as: Bool.self) == [false, true, true, false])
        #expect(try KernelHarness.one("Not", [q]).values(as: Bool.self) == [false, true])
        #expect(throws: RuntimeError.self) { try KernelHarness.one("And", [Tensor(scalar: Float(1)), q]) }
    }

    @Test func whereBroadcastsAllThree() throws {
        // np.where([[True], [False]], [1, 2, 3], -1) = [[1, 2, 3], [-1, -1, -1]]
        let w = try KernelHarness.one("Where", [Tensor(shape: [2, 1], values: [true, false]),
                                               Tensor(shape: [3], values: [Int64(1), 2, 3]), Tensor(scalar: Int64(-1))])
        #expect(w.shape == [2, 3] && w.values(as: Int64.self) == [1, 2, 3, -1, -1, -1])
        let f = try KernelHarness.one("Where", [Tensor(shape: [2], values: [false, true]),
                                               Tensor(shape: [2], values: [Float(1), 2]), Tensor(shape: [2], values: [Float(8), 9])])
        #expect(f.values(as: Float.self) == [8, 2])
        #expect(throws: RuntimeError.self) {
            try KernelHarness.one("Where", [Tensor(scalar: Float(1)), Tensor(scalar: Float(1)), Tensor(scalar: Float(2))])
        }
        #expect(throws: RuntimeError.self) {
            try KernelHarness.one("Where", [Tensor(scalar: true), Tensor(scalar: Float(1)), Tensor(scalar: Int32(2))])
        }
    }
}
