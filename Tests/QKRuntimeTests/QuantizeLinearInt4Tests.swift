import QKGraph
import QKTensor
import Testing
@testable import QKRuntime

/// QuantizeLinear / DequantizeLinear with int4 and uint4 (opset 21), per axis and blocked, and element moves
/// that keep the 4-bit dtype. Expected values are worked out by hand in the comments.
@Suite struct QuantizeLinearInt4Tests {
    private func int4(_ shape: [Int], _ values: [Int8]) throws -> Tensor { try Tensor(shape: shape, storage: .int4(values)) }

    @Test func quantizeSaturatesToTheFourBitRange() throws {
        let x = Tensor(shape: [5], values: [Float(-20), -1.2, 0, 3.3, 100])
        // round_half_even(x / 0.5) + 1 = [−39, −1, 1, 8, 201] → clamp to −8 … 7.
        let y = try runNode("QuantizeLinear", inputs: [x, Tensor(scalar: Float(0.5)), try int4([], [1])], opset: 21)[0]
        #expect(y == (try int4([5], [-8, -1, 1, 7, 7])))
        // output_dtype UINT4 (21) without a zero point: [−40, −2, 0, 7, 200] → clamp to 0 … 15.
        let u = try runNode("QuantizeLinear", inputs: [x, Tensor(scalar: Float(0.5))],
                            attributes: ["output_dtype": .int(21)], opset: 21)[0]
        #expect(u == (try Tensor(shape: [5], storage: .uint4([0, 0, 0, 7, 15]))))
    }

    @Test func blockedDequantize() throws {
        let x = try int4([2, 4], [-8, 7, 1, 2, 3, -1, 0, 5])
        let scale = Tensor(shape: [2, 2], values: [Float(1), 2, 0.5, 4])
        let zero = try int4([2, 2], [0, 1, -1, 2])
        // Row 0: (−8 − 0)·1, (7 − 0)·1, (1 − 1)·2, (2 − 1)·2; row 1: (3 + 1)·0.5, (−1 + 1)·0.5, (0 − 2)·4, (5 − 2)·4.
        let y = try runNode("DequantizeLinear", inputs: [x, scale, zero],
                            attributes: ["axis": .int(1), "block_size": .int(2)], opset: 21)[0]
        #expect(y.floatValues == [-8, 7, 0, 2, 2, 0, -8, 12])
        let mismatched = Tensor(shape: [2, 2], values: [Int8(0), 1, -1, 2])
        #expect(throws: (any Error).self) {
            try runNode("DequantizeLinear", inputs: [x, scale, mismatched],
                        attributes: ["axis": .int(1), "block_size": .int(2)], opset: 21)
        }
    }

    @Test func movesAndCastsKeepFourBits() throws {
        let x = try int4([2, 3], [-8, -1, 0, 1, 6, 7])
        let t = try runNode("Transpose", inputs: [x], attributes: ["perm": .ints([1, 0])])[0]
        #expect(t == (try int4([3, 2], [-8, 1, -1, 6, 0, 7])))
        let cast = try runNode("Cast", inputs: [Tensor(shape: [3], values: [Float(8), -9, 2.9])],
                               attributes: ["to": .int(22)])[0]
        #expect(cast == (try int4([3], [-8, 7, 2])))  // 8 → −8 and −9 → 7 wrap, 2.9 truncates to 2
    }
}
