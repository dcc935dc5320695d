import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

@Suite struct GatherOpsTests {
    @Test func gatherAlongAxisWithNegativeIndices() throws {
        // np.take(np.arange(6).reshape(2,3), [[2,-3]], axis=1) = [[[2,0]],[[5,3]]]
        let idx = Tensor(shape: [1, 2], values: [Int64(2), -3])
        let y = try runMovementOp("Gather", [iota([2, 3]), idx], attributes: ["axis": .int(1)])[0]
        #expect(y == Tensor(shape: [2, 1, 2], values: [Float(2), 0, 5, 3]))
        let scalarIndex = try runMovementOp("Gather", [iota([2, 3]), Tensor(scalar: Int32(1))])[0]
        #expect(scalarIndex == Tensor(shape: [3], values: [Float(3), 4, 5]))
        #expect(throws: RuntimeError.self) { try runMovementOp("Gather", [iota([2, 3]), int64s([2])]) }
    }

    @Test func gatherElements() throws {
        // np.take_along_axis([[1,2],[3,4]], [[0,0],[1,0]], axis=1) = [[1,1],[4,3]]
        let data = Tensor(shape: [2, 2], values: [Float(1), 2, 3, 4])
        let idx = Tensor(shape: [2, 2], values: [Int64(0), 0, 1, -2])
        let y = try runMovementOp("GatherElements", [data, idx], attributes: ["axis": .int(1)])[0]
        #expect(y == Tensor(shape: [2, 2], values: [Float(1), 1, 4, 3]))
    }

    @Test func gatherNDWithBatchDims() throws {
        // data [[[0,1],[2,3]],[[4,5],[6,7]]], indices [[1],[0]], batch_dims 1 → [[2,3],[4,5]]
        let data = Tensor(shape: [2, 2, 2], values: (0..<8).map { Int32($0) })
        let y = try runMovementOp("GatherND", [data, Tensor(shape: [2, 1], values: [Int64(1), 0])], attributes: ["batch_dims": .int(1)])[0]
        #expect(y == Tensor(shape: [2, 2], values: [Int32(2), 3, 4, 5]))
        // indices [[0,1],[1,0]] → data[0,1], data[1,0] = [[2,3],[4,5]]
        let z = try runMovementOp("GatherND", [data, Tensor(shape: [2, 2], values: [Int64(0), 1, 1, 0])])[0]
        #expect(z == Tensor(shape: [2, 2], values: [Int32(2), 3, 4, 5]))
    }
}
