import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

/// com.microsoft quantized ops (hand-computed) and the bad-input errors of the quantized ops.
@Suite struct QuantizedMicrosoftTests {
    private func ms(_ op: String, _ inputs: [Tensor?], _ attributes: [String: Attribute] = [:]) throws -> [Tensor] {
        try runNode(op, domain: "com.microsoft", inputs: inputs, attributes: attributes, opset: 1)
    }
    private func u8(_ shape: [Int], _ v: [UInt8]) -> Tensor { Tensor(shape: shape, values: v) }
    private func s(_ v: Float) -> Tensor { Tensor(scalar: v) }
    private func z(_ v: UInt8) -> Tensor { Tensor(scalar: v) }

    /// A = [10, 20] (scale 0.5, zp 10) → [0, 5]; B = [6] (scale 0.25) → 1.5 broadcast; C scale 1:
    /// [1.5 → 2, 6.5 → 6] (ties to even).
    @Test func qLinearAddBroadcastsAndTiesToEven() throws {
        let y = try ms("QLinearAdd", [u8([2], [10, 20]), s(0.5), z(10), u8([1], [6]), s(0.25), z(0), s(1), z(0)])
        #expect(y[0].values(as: UInt8.self) == [2, 6])
    }

    /// int8: (A − (−2)) · 0.5 × (B − 1) · 2 with A = [0, 6], B = [4, −1] → [1 · 6, 4 · −4] = [6, −16]; C scale 0.25,
    /// zp −100 → [−76, −164 → −128].
    @Test func qLinearMulInt8Saturates() throws {
        let a = Tensor(shape: [2], values: [Int8(0), 6]), b = Tensor(shape: [2], values: [Int8(4), -1])
        let y = try ms("QLinearMul", [a, s(0.5), Tensor(scalar: Int8(-2)), b, s(2), Tensor(scalar: Int8(1)), s(0.25),
                                      Tensor(scalar: Int8(-100))])
        #expect(y[0].values(as: Int8.self) == [-76, -128])
    }

    /// [2] (scale 2) → 4 and [3, 5] (scale 0.5, zp 1) → [1, 2], requantized to scale 1 and concatenated.
    @Test func qLinearConcat() throws {
        let y = try ms("QLinearConcat", [s(1), z(0), u8([1], [2]), s(2), z(0), u8([2], [3, 5]), s(0.5), z(1)], ["axis": .int(0)])
        #expect(y[0].shape == [3] && y[0].values(as: UInt8.self) == [4, 1, 2])
    }

    /// Mean of [0, 1, 2, 3] is 1.5: at y scale 1 it ties to 2, at y scale 0.5 it is 3.
    @Test func qLinearGlobalAveragePool() throws {
        let x = u8([1, 1, 2, 2], [0, 1, 2, 3])
        #expect(try ms("QLinearGlobalAveragePool", [x, s(1), z(0), s(1), z(0)])[0].values(as: UInt8.self) == [2])
        let half = try ms("QLinearGlobalAveragePool", [x, s(1), z(0), s(0.5), z(0)])
        #expect(half[0].shape == [1, 1, 1, 1] && half[0].values(as: UInt8.self) == [3])
        #expect(throws: RuntimeError.self) {
            try ms("QLinearGlobalAveragePool", [x, s(1), z(0), s(1), z(0)], ["channels_last": .int(1)])
        }
    }

    /// 2×2 window, stride 2 over 1…16 (4×4, scale 1): window means 3.5, 5.5, 11.5, 13.5 → 4, 6, 12, 14.
    @Test func qLinearAveragePool() throws {
        let x = u8([1, 1, 4, 4], (1...16).map(UInt8.init))
        let y = try ms("QLinearAveragePool", [x, s(1), z(0), s(1), z(0)],
                       ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])])
        #expect(y[0].shape == [1, 1, 2, 2] && y[0].values(as: UInt8.self) == [4, 6, 12, 14])
    }

    /// x − 128 = [−100, 40] at scale 0.1 → [−10, 4]; alpha 0.1 → [−1, 4]; y scale 0.5, zp 128 → [126, 136].
    @Test func qLinearLeakyRelu() throws {
        let y = try ms("QLinearLeakyRelu", [u8([2], [28, 168]), s(0.1), z(128), s(0.5), z(128)], ["alpha": .float(0.1)])
        #expect(y[0].values(as: UInt8.self) == [126, 136])
    }

    /// sigmoid(0) = 0.5 → 128 at scale 1/256; a large input saturates at 255.
    @Test func qLinearSigmoid() throws {
        let y = try ms("QLinearSigmoid", [u8([2], [128, 255]), s(1), z(128), s(1.0 / 256), z(0)])
        #expect(y[0].values(as: UInt8.self) == [128, 255])
    }

    // MARK: bad input

    private func message(_ body: () throws -> [Tensor]) -> String {
        do { _ = try body(); return "no error" } catch { return "\(error)" }
    }

    @Test func perChannelScaleOfWrongLengthNamesCounts() {
        let x = Tensor(shape: [1, 2, 1, 1], values: [UInt8(1), 2]), w = Tensor(shape: [3, 2, 1, 1], values: [Int8](repeating: 1, count: 6))
        let text = message {
            try runNode("QLinearConv", inputs: [x, s(1), z(0), w, Tensor(shape: [2], values: [Float(1), 1]), Tensor(scalar: Int8(0)),
                                                s(1), z(0)], opset: 10)
        }
        #expect(text.contains("w_scale has 2 values, expected 3 (one per output channel)"), "\(text)")
    }

    @Test func zeroOrNegativeScaleIsRejected() {
        for bad: Float in [0, -1, .nan] {
            let text = message { try runNode("QuantizeLinear", inputs: [floats([1], [1]), s(bad), z(0)], opset: 13) }
            #expect(text.contains("y_scale must be positive and finite"), "\(text)")
        }
        let add = message { try ms("QLinearAdd", [u8([1], [1]), s(1), z(0), u8([1], [1]), s(0), z(0), s(1), z(0)]) }
        #expect(add.contains("B_scale must be positive"), "\(add)")
    }

    @Test func int8DataWithUInt8ZeroPointIsRejected() {
        let x = Tensor(shape: [2], values: [Int8(1), 2])
        let text = message { try runNode("DequantizeLinear", inputs: [x, s(1), z(3)], opset: 13) }
        #expect(text.contains("x_zero_point must be int8 like the data it describes, got uint8"), "\(text)")
        let mm = message { try runNode("MatMulInteger", inputs: [Tensor(shape: [1, 1], values: [Int8(1)]), u8([1, 1], [1]), z(0)], opset: 10) }
        #expect(mm.contains("a_zero_point must be int8"), "\(mm)")
    }

    @Test func perAxisShapeMismatchAndUnsupportedOutputs() {
        let wrong = message {
            try runNode("QuantizeLinear", inputs: [floats([2, 3], [1, 2, 3, 4, 5, 6]), floats([2], [1, 1])], opset: 13)
        }
        #expect(wrong.contains("y_scale has 2 values (shape [2]), expected 3 (one per slice of axis 1)"), "\(wrong)")
        let float8 = message {  // FLOAT8E4M3FN: no DType
            try runNode("QuantizeLinear", inputs: [floats([1], [1]), s(1)], attributes: ["output_dtype": .int(17)], opset: 21)
        }
        #expect(float8.contains("output_dtype"), "\(float8)")
        let blocked = message {
            try runNode("DequantizeLinear", inputs: [u8([1, 4], [1, 2, 3, 4]), floats([1, 3], [1, 1, 1])],
                        attributes: ["axis": .int(1), "block_size": .int(2)], opset: 21)
        }
        #expect(blocked.contains("x_scale has shape [1, 3], expected [1, 2]"), "\(blocked)")
    }
}
