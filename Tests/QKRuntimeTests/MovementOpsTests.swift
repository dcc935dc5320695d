import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

/// Naive transpose by explicit multi-index arithmetic, the independent reference for the fast paths.
private func naiveTranspose(_ x: [Float], shape: [Int], perm: [Int]) -> [Float] {
    let outShape = perm.map { shape[$0] }
    let inStrides = Tensor.strides(for: shape)
    let outStrides = Tensor.strides(for: outShape)
    return (0..<x.count).map { flat in
        var offset = 0
        for k in 0..<perm.count { offset += (flat / outStrides[k] % outShape[k]) * inStrides[perm[k]] }
        return x[offset]
    }
}

@Suite struct MovementOpsTests {
    @Test func transposeSmallByHand() throws {
        // [[0,1,2],[3,4,5]]ᵀ = [[0,3],[1,4],[2,5]]
        let y = try runMovementOp("Transpose", [iota([2, 3])])[0]
        #expect(y == Tensor(shape: [3, 2], values: [Float(0), 3, 1, 4, 2, 5]))
        let ints = Tensor(shape: [2, 1, 2], values: [Int8(1), 2, 3, 4])
        #expect(try runMovementOp("Transpose", [ints], attributes: ["perm": .ints([2, 1, 0])])[0]
                == Tensor(shape: [2, 1, 2], values: [Int8(1), 3, 2, 4]))
        #expect(throws: RuntimeError.self) { try runMovementOp("Transpose", [iota([2, 3])], attributes: ["perm": .ints([0, 0])]) }
    }

    @Test(arguments: [[0, 2, 1, 3], [0, 1, 3, 2], [0, 2, 3, 1], [0, 3, 1, 2], [3, 1, 0, 2], [1, 0, 2, 3]])
    func transposeMatchesNaiveOn4D(perm: [Int]) throws {
        for shape in [[2, 3, 37, 41], [1, 5, 1, 70], [3, 64, 33, 2], [2, 64, 32, 33]] {
            let x = iota(shape)
            let y = try runMovementOp("Transpose", [x], attributes: ["perm": .ints(perm.map(Int64.init))], threads: 2)[0]
            #expect(y.shape == perm.map { shape[$0] })
            #expect(y.floatValues == naiveTranspose(x.floatValues, shape: shape, perm: perm))
        }
    }

    @Test func concatNegativeAxisAndDtypes() throws {
        let a = Tensor(shape: [2, 1], values: [Int64(1), 2]), b = Tensor(shape: [2, 2], values: [Int64(3), 4, 5, 6])
        let y = try runMovementOp("Concat", [a, b], attributes: ["axis": .int(-1)])[0]
        #expect(y == Tensor(shape: [2, 3], values: [Int64(1), 3, 4, 2, 5, 6]))
        #expect(throws: RuntimeError.self) { try runMovementOp("Concat", [a, b], attributes: ["axis": .int(0)]) }
        #expect(throws: RuntimeError.self) { try runMovementOp("Concat", [a, iota([2, 1])], attributes: ["axis": .int(1)]) }
    }

    @Test func splitForms() throws {
        let x = iota([7])
        let even = try runMovementOp("Split", [x], attributes: ["num_outputs": .int(4)], opset: 18, outputs: 4)
        #expect(even.map(\.floatValues) == [[0, 1], [2, 3], [4, 5], [6]])
        let listed = try runMovementOp("Split", [x, int64s([3, 4])], opset: 13, outputs: 2)
        #expect(listed.map(\.floatValues) == [[0, 1, 2], [3, 4, 5, 6]])
        let old = try runMovementOp("Split", [iota([2, 4])], attributes: ["axis": .int(1), "split": .ints([1, 3])], opset: 11, outputs: 2)
        #expect(old[0] == Tensor(shape: [2, 1], values: [Float(0), 4]))
        #expect(old[1] == Tensor(shape: [2, 3], values: [Float(1), 2, 3, 5, 6, 7]))
        let equal = try runMovementOp("Split", [iota([6])], opset: 13, outputs: 3)
        #expect(equal.map(\.floatValues) == [[0, 1], [2, 3], [4, 5]])
        #expect(throws: RuntimeError.self) { try runMovementOp("Split", [x], opset: 13, outputs: 2) }
        #expect(throws: RuntimeError.self) { try runMovementOp("Split", [x, int64s([3, 3])], opset: 13, outputs: 2) }
    }

    @Test func tileRepeatsEachAxis() throws {
        // np.tile([[0,1],[2,3]], (2,2))
        let y = try runMovementOp("Tile", [iota([2, 2]), int64s([2, 2])])[0]
        #expect(y == Tensor(shape: [4, 4], values: [Float(0), 1, 0, 1, 2, 3, 2, 3, 0, 1, 0, 1, 2, 3, 2, 3]))
        #expect(try runMovementOp("Tile", [iota([2, 2]), int64s([0, 1])])[0].shape == [0, 2])
    }

    @Test func depthToSpaceAndBack() throws {
        // np.arange(8).reshape(1,8,1,1), blocksize 2: DCR → [[0,2],[4,6]] in channel 0, CRD → [[0,1],[2,3]].
        let x = iota([1, 8, 1, 1])
        let dcr = try runMovementOp("DepthToSpace", [x], attributes: ["blocksize": .int(2)])[0]
        #expect(dcr.shape == [1, 2, 2, 2])
        #expect(dcr.floatValues == [0, 2, 4, 6, 1, 3, 5, 7])
        let crd = try runMovementOp("DepthToSpace", [x], attributes: ["blocksize": .int(2), "mode": .string("CRD")])[0]
        #expect(crd.floatValues == [0, 1, 2, 3, 4, 5, 6, 7])
        let back = try runMovementOp("SpaceToDepth", [dcr], attributes: ["blocksize": .int(2)])[0]
        #expect(back == x)
        #expect(throws: RuntimeError.self) { try runMovementOp("DepthToSpace", [iota([1, 6, 1, 1])], attributes: ["blocksize": .int(2)]) }
    }
}

@Suite struct MovementRobustnessTests {
    /// Absurd shapes and attribute values from a malformed model must throw, never trap.
    @Test func hostileValuesThrow() {
        let x = iota([2, 3])
        #expect(throws: RuntimeError.self) { try runMovementOp("Tile", [x, int64s([Int64.max, 2])]) }
        #expect(throws: RuntimeError.self) { try runMovementOp("Reshape", [x, int64s([Int64.max, Int64.max, -1])]) }
        #expect(throws: RuntimeError.self) { try runMovementOp("ConstantOfShape", [int64s([Int64.max, 4])]) }
        #expect(throws: RuntimeError.self) { try runMovementOp("Pad", [x, int64s([Int64.min, 0, Int64.max, 0])]) }
        #expect(throws: RuntimeError.self) {
            try runMovementOp("DepthToSpace", [iota([1, 4, 1, 1])], attributes: ["blocksize": .int(Int64.max)])
        }
        #expect(throws: RuntimeError.self) {
            try runMovementOp("Resize", [iota([1, 1, 2, 2]), nil, Tensor(shape: [4], values: [Float(1), 1, 1e30, 1])])
        }
        #expect(throws: RuntimeError.self) {
            try runMovementOp("Split", [iota([4])], attributes: ["num_outputs": .int(Int64.max)], opset: 18, outputs: 2)
        }
    }

    /// A NaN crop window maps every position outside the source: all outputs take the extrapolation value.
    @Test func nanRoiGivesExtrapolation() throws {
        let roi = Tensor(shape: [8], values: [Float(0), 0, .nan, 0, 1, 1, 1, 1])
        let y = try runMovementOp("Resize", [iota([1, 1, 2, 2]), roi, nil, int64s([1, 1, 2, 2])], attributes: [
            "mode": .string("linear"), "coordinate_transformation_mode": .string("tf_crop_and_resize"),
            "extrapolation_value": .float(7)])[0]
        #expect(y.floatValues == [7, 7, 7, 7])
    }
}
