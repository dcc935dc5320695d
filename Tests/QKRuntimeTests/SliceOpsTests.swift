import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

@Suite struct SliceOpsTests {
    @Test func positionsClampLikeNumpy() {
        // Python: list(range(10))[s:e:step]
        #expect(SliceKernel.positions(start: 2, end: 8, step: 3, dim: 10) == [2, 5])
        #expect(SliceKernel.positions(start: -1, end: Int(Int64.min), step: -1, dim: 4) == [3, 2, 1, 0])
        #expect(SliceKernel.positions(start: Int(Int64.max), end: 0, step: -2, dim: 5) == [4, 2])
        #expect(SliceKernel.positions(start: 1000, end: 1001, step: 1, dim: 10) == [])
        #expect(SliceKernel.positions(start: 0, end: Int(Int64.max), step: Int(Int64.min), dim: 3) == [])
        #expect(SliceKernel.positions(start: -100, end: 2, step: 1, dim: 5) == [0, 1])
    }

    @Test func sliceInputsWithNegativeAxesAndSteps() throws {
        // x = np.arange(12).reshape(3,4); x[::-2, 1:3] = [[9,10],[1,2]]
        let x = iota([3, 4])
        let y = try runMovementOp("Slice", [x, int64s([-1, 1]), int64s([Int64.min, 3]), int64s([0, -1]), int64s([-2, 1])])[0]
        #expect(y == Tensor(shape: [2, 2], values: [Float(9), 10, 1, 2]))
        let int32Indices = try runMovementOp("Slice", [x, Tensor(shape: [1], values: [Int32(1)]), Tensor(shape: [1], values: [Int32(2)])])[0]
        #expect(int32Indices == Tensor(shape: [1, 4], values: [Float(4), 5, 6, 7]))
    }

    @Test func sliceAttributesBeforeOpset10() throws {
        let x = iota([3, 4])
        let y = try runMovementOp("Slice", [x], attributes: ["starts": .ints([1]), "ends": .ints([100]), "axes": .ints([1])], opset: 9)[0]
        #expect(y == Tensor(shape: [3, 3], values: [Float(1), 2, 3, 5, 6, 7, 9, 10, 11]))
    }

    @Test func sliceRejectsBadInputs() {
        let x = iota([3, 4])
        #expect(throws: RuntimeError.self) { try runMovementOp("Slice", [x, int64s([0]), int64s([1]), int64s([0]), int64s([0])]) }
        #expect(throws: RuntimeError.self) { try runMovementOp("Slice", [x, int64s([0]), int64s([1]), int64s([2])]) }
        #expect(throws: RuntimeError.self) { try runMovementOp("Slice", [x, int64s([0, 0]), int64s([1])]) }
    }
}
