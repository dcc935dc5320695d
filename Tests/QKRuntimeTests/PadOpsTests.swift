import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

@Suite struct PadOpsTests {
    // np.pad([0,1,2], (2,3), mode=...)
    @Test(arguments: [
        ("constant", [Float(9), 9, 0, 1, 2, 9, 9, 9]),
        ("edge", [Float(0), 0, 0, 1, 2, 2, 2, 2]),
        ("reflect", [Float(2), 1, 0, 1, 2, 1, 0, 1]),
        ("wrap", [Float(1), 2, 0, 1, 2, 0, 1, 2]),
    ])
    func modesMatchNumpy(mode: String, expected: [Float]) throws {
        let y = try runMovementOp("Pad", [iota([3]), int64s([2, 3]), Tensor(scalar: Float(9))], attributes: ["mode": .string(mode)])[0]
        #expect(y == Tensor(shape: [8], values: expected))
    }

    @Test func axesInputAndNegativePads() throws {
        // pad only axis -1 of [[0,1],[2,3]] by (1, 0); then crop one row with a negative pad.
        let y = try runMovementOp("Pad", [iota([2, 2]), int64s([1, 0]), nil, int64s([-1])])[0]
        #expect(y == Tensor(shape: [2, 3], values: [Float(0), 0, 1, 0, 2, 3]))
        let cropped = try runMovementOp("Pad", [iota([2, 2]), int64s([-1, 0, 0, 0])])[0]
        #expect(cropped == Tensor(shape: [1, 2], values: [Float(2), 3]))
    }

    @Test func attributeFormBeforeOpset11() throws {
        let x = Tensor(shape: [2], values: [Int32(5), 6])
        let y = try runMovementOp("Pad", [x], attributes: ["pads": .ints([1, 1]), "value": .float(7)], opset: 2)[0]
        #expect(y == Tensor(shape: [4], values: [Int32(7), 5, 6, 7]))
    }

    @Test func rejectsBadPads() {
        #expect(throws: RuntimeError.self) { try runMovementOp("Pad", [iota([2, 2]), int64s([1, 1])]) }
        #expect(throws: RuntimeError.self) { try runMovementOp("Pad", [iota([2]), int64s([-3, 0])]) }
        #expect(throws: RuntimeError.self) { try runMovementOp("Pad", [iota([2]), int64s([1, 1])], attributes: ["mode": .string("mirror")]) }
    }
}

@Suite struct PadWidthTests {
    /// Constant padding of an empty axis reads no source element: every output is the constant.
    @Test func constantPadOfEmptyAxis() throws {
        let empty = Tensor(shape: [0], values: [Float16]())
        let y = try runMovementOp("Pad", [empty, int64s([1, 2]), Tensor(scalar: Float16(1.5))])[0]
        #expect(y == Tensor(shape: [3], values: [Float16(1.5), 1.5, 1.5]))
    }

    /// Element widths 1 (bool), 2 (bfloat16) and 8 (float64) take the same copy loops as 4-byte floats.
    @Test func everyElementWidth() throws {
        let pads = int64s([0, 1, 0, 0])
        let b = try runMovementOp("Pad", [Tensor(shape: [1, 2], values: [true, false]), pads, nil], attributes: ["mode": .string("edge")])[0]
        #expect(b == Tensor(shape: [1, 3], values: [true, true, false]))
        let bf = Tensor(shape: [1, 2], values: [BFloat16(Float(2)), BFloat16(Float(-3))])
        let y = try runMovementOp("Pad", [bf, pads, nil], attributes: ["mode": .string("wrap")])[0]
        #expect(y == Tensor(shape: [1, 3], values: [BFloat16(Float(-3)), BFloat16(Float(2)), BFloat16(Float(-3))]))
        let d = try runMovementOp("Transpose", [Tensor(shape: [2, 2], values: [1.0, 2.0, 3.0, 4.0])])[0]
        #expect(d == Tensor(shape: [2, 2], values: [1.0, 3.0, 2.0, 4.0]))
    }
}

@Suite struct CenterCropPadTests {
    /// Rows [0..4] cropped to 2 keep rows 1, 2 (offset (5 − 2) / 2 = 1); columns [0, 1] padded to 5 get one zero
    /// before and two after (offset (2 − 5) / 2 = −1).
    @Test func cropsAndPadsAroundTheCentre() throws {
        let x = Tensor(shape: [5, 2], values: (1...10).map { Float($0) })
        let y = try runMovementOp("CenterCropPad", [x, int64s([2, 5])], opset: 18)[0]
        #expect(y == Tensor(shape: [2, 5], values: [Float(0), 3, 4, 0, 0, 0, 5, 6, 0, 0]))
        let axes = try runMovementOp("CenterCropPad", [x, int64s([4])], attributes: ["axes": .ints([-2])], opset: 18)[0]
        #expect(axes.shape == [4, 2])
        #expect(axes.floatValues == [1, 2, 3, 4, 5, 6, 7, 8])
    }
}
