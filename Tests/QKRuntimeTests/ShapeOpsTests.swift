import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

@Suite struct ShapeOpsTests {
    @Test func shapeWithStartAndEndClamps() throws {
        let x = iota([3, 4, 5])
        #expect(try runMovementOp("Shape", [x])[0] == int64s([3, 4, 5]))
        #expect(try runMovementOp("Shape", [x], attributes: ["start": .int(1), "end": .int(-1)])[0] == int64s([4]))
        #expect(try runMovementOp("Shape", [x], attributes: ["start": .int(-10), "end": .int(10)])[0] == int64s([3, 4, 5]))
        #expect(try runMovementOp("Shape", [x], attributes: ["start": .int(2), "end": .int(1)])[0] == int64s([]))
        #expect(try runMovementOp("Size", [x])[0] == Tensor(scalar: Int64(60)))
    }

    @Test func reshapeCopiesZeroAndInfersMinusOne() throws {
        let x = iota([2, 3, 4])
        let y = try runMovementOp("Reshape", [x, int64s([0, -1])])[0]
        #expect(y.shape == [2, 12])
        #expect(y.floatValues == x.floatValues)
        #expect(try runMovementOp("Reshape", [x, int64s([4, 0, 2, -1])])[0].shape == [4, 3, 2, 1])
        let empty = Tensor(zeros: .float32, shape: [0, 3, 4])
        let z = try runMovementOp("Reshape", [empty, int64s([3, 4, 0])], attributes: ["allowzero": .int(1)])[0]
        #expect(z.shape == [3, 4, 0])
    }

    @Test func reshapeRejectsBadShapes() {
        let x = iota([3, 4])
        #expect(throws: RuntimeError.self) { try runMovementOp("Reshape", [x, int64s([5, -1])]) }
        #expect(throws: RuntimeError.self) { try runMovementOp("Reshape", [x, int64s([-1, -1])]) }
        #expect(throws: RuntimeError.self) { try runMovementOp("Reshape", [x, Tensor(shape: [1], values: [Int32(12)])]) }
        do {
            _ = try runMovementOp("Reshape", [x, int64s([5, -1])])
        } catch {
            #expect("\(error)".contains("cannot reshape 12 elements"))
        }
    }

    @Test func flattenAcceptsNegativeAndEdgeAxes() throws {
        let x = iota([2, 3, 4, 5])
        #expect(try runMovementOp("Flatten", [x])[0].shape == [2, 60])
        #expect(try runMovementOp("Flatten", [x], attributes: ["axis": .int(0)])[0].shape == [1, 120])
        #expect(try runMovementOp("Flatten", [x], attributes: ["axis": .int(4)])[0].shape == [120, 1])
        #expect(try runMovementOp("Flatten", [x], attributes: ["axis": .int(-3)])[0].shape == [2, 60])
        #expect(throws: RuntimeError.self) { try runMovementOp("Flatten", [x], attributes: ["axis": .int(5)]) }
    }

    @Test func squeezeAndUnsqueezeBothForms() throws {
        let x = iota([1, 3, 1, 5])
        #expect(try runMovementOp("Squeeze", [x, int64s([-2])])[0].shape == [1, 3, 5])
        #expect(try runMovementOp("Squeeze", [x])[0].shape == [3, 5])
        // An empty axes tensor squeezes every size-1 axis, as onnxruntime 1.31 does.
        #expect(try runMovementOp("Squeeze", [x, int64s([])])[0].shape == [3, 5])
        #expect(try runMovementOp("Squeeze", [x], attributes: ["axes": .ints([0])], opset: 11)[0].shape == [3, 1, 5])
        #expect(throws: RuntimeError.self) { try runMovementOp("Squeeze", [x, int64s([1])]) }
        let y = iota([3, 4, 5])
        #expect(try runMovementOp("Unsqueeze", [y, int64s([5, 4, 2])])[0].shape == [3, 4, 1, 5, 1, 1])
        #expect(try runMovementOp("Unsqueeze", [y, int64s([-1])])[0].shape == [3, 4, 5, 1])
        #expect(try runMovementOp("Unsqueeze", [y], attributes: ["axes": .ints([0, 4])], opset: 11)[0].shape == [1, 3, 4, 5, 1])
        #expect(throws: RuntimeError.self) { try runMovementOp("Unsqueeze", [y, int64s([0, 0])]) }
    }

    @Test func constantForms() throws {
        let t = Tensor(shape: [2], values: [Int32(7), 8])
        #expect(try runMovementOp("Constant", [], attributes: ["value": .tensor(t)])[0] == t)
        #expect(try runMovementOp("Constant", [], attributes: ["value_floats": .floats([1, 2])])[0] == Tensor(shape: [2], values: [Float(1), 2]))
        #expect(try runMovementOp("Constant", [], attributes: ["value_int": .int(3)])[0] == Tensor(scalar: Int64(3)))
        #expect(throws: RuntimeError.self) { try runMovementOp("Constant", [], attributes: ["value_string": .string("a")]) }
    }

    @Test func constantOfShapeFillsValue() throws {
        let ones = try runMovementOp("ConstantOfShape", [int64s([2, 3])],
                                     attributes: ["value": .tensor(Tensor(shape: [1], values: [Int32(1)]))])[0]
        #expect(ones == Tensor(shape: [2, 3], values: [Int32](repeating: 1, count: 6)))
        let zeros = try runMovementOp("ConstantOfShape", [int64s([2])])[0]
        #expect(zeros == Tensor(shape: [2], values: [Float(0), 0]))
        let empty = try runMovementOp("ConstantOfShape", [int64s([0])])[0]
        #expect(empty.shape == [0])
    }

    @Test func dropoutIsIdentityWithTrueMask() throws {
        let x = iota([2, 2])
        let out = try runMovementOp("Dropout", [x, Tensor(scalar: Float(0.3))], outputs: 2)
        #expect(out[0] == x)
        #expect(out[1] == Tensor(shape: [2, 2], values: [true, true, true, true]))
        #expect(throws: RuntimeError.self) {
            try runMovementOp("Dropout", [x, Tensor(scalar: Float(0.3)), Tensor(scalar: true)])
        }
    }

    @Test func rangeCountsLikeNumpy() throws {
        // np.arange(10, 4, -3) == [10, 7]; np.arange(1., 2., 0.3) == [1.0, 1.3, 1.6, 1.9]
        let ints = try runMovementOp("Range", [Tensor(scalar: Int32(10)), Tensor(scalar: Int32(4)), Tensor(scalar: Int32(-3))])[0]
        #expect(ints == Tensor(shape: [2], values: [Int32(10), 7]))
        let floats = try runMovementOp("Range", [Tensor(scalar: Float(1)), Tensor(scalar: Float(2)), Tensor(scalar: Float(0.3))])[0]
        #expect(floats.shape == [4])
        #expect(zip(floats.floatValues, [1.0, 1.3, 1.6, 1.9] as [Float]).allSatisfy { abs($0 - $1) < 1e-6 })
        let none = try runMovementOp("Range", [Tensor(scalar: Int64(3)), Tensor(scalar: Int64(1)), Tensor(scalar: Int64(2))])[0]
        #expect(none.shape == [0])
    }

    @Test func eyeLikeOffDiagonal() throws {
        let x = Tensor(zeros: .int32, shape: [3, 4])
        let y = try runMovementOp("EyeLike", [x], attributes: ["k": .int(1), "dtype": .int(1)])[0]
        #expect(y == Tensor(shape: [3, 4], values: [Float(0), 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]))
    }
}
