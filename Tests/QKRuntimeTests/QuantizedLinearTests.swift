import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

/// QuantizeLinear / DequantizeLinear / DynamicQuantizeLinear against hand-computed values.
@Suite struct QuantizedLinearTests {
    private func scalar(_ v: Float) -> Tensor { Tensor(scalar: v) }

    /// Scale 1, uint8: ties go to even (2.5 → 2, 3.5 → 4, −2.5 → −2 → saturates to 0), 300 saturates to 255.
    @Test func quantizeRoundsHalfToEvenAndSaturates() throws {
        let x = floats([7], [0, 2.5, 3.5, -2.5, 300, -300, 1])
        let y = try runNode("QuantizeLinear", inputs: [x, scalar(1), Tensor(scalar: UInt8(0))], opset: 13)
        #expect(y[0].values(as: UInt8.self) == [0, 2, 4, 0, 255, 0, 1])
    }

    /// int8, scale 0.5, zero point −3: x / 0.5 = [2.5, 3.5, −140, 200] → [2, 4, −140, 200] − 3 → [−1, 1, −128, 127].
    @Test func quantizeNegativeZeroPointInt8() throws {
        let x = floats([4], [1.25, 1.75, -70, 100])
        let y = try runNode("QuantizeLinear", inputs: [x, scalar(0.5), Tensor(scalar: Int8(-3))], opset: 13)
        #expect(y[0].values(as: Int8.self) == [-1, 1, -128, 127])
    }

    /// No zero point: uint8 output with zero point 0.
    @Test func quantizeDefaultsToUInt8() throws {
        let y = try runNode("QuantizeLinear", inputs: [floats([3], [-1, 0.4, 9.6]), scalar(2)], opset: 10)
        #expect(y[0].values(as: UInt8.self) == [0, 0, 5])
    }

    /// Per-axis (axis 0) on 2×2: row 0 scale 1 zp 0, row 1 scale 2 zp 10: [1, 2 | 4/2 + 10, 5/2 → 2 + 10].
    @Test func quantizePerAxis() throws {
        let y = try runNode("QuantizeLinear", inputs: [floats([2, 2], [1, 2, 4, 5]), floats([2], [1, 2]),
                                                       Tensor(shape: [2], values: [UInt8(0), 10])],
                            attributes: ["axis": .int(0)], opset: 13)
        #expect(y[0].values(as: UInt8.self) == [1, 2, 12, 12])
    }

    /// Blocked along axis 1 with block 2 and output_dtype int16 (5): scales [[1, 2], [4, 8]].
    @Test func quantizeBlockedWithOutputDType() throws {
        let y = try runNode("QuantizeLinear", inputs: [floats([2, 4], [1, 3, 2, 6, 4, 12, 8, 40]), floats([2, 2], [1, 2, 4, 8])],
                            attributes: ["axis": .int(1), "block_size": .int(2), "output_dtype": .int(5)], opset: 21)
        #expect(y[0].values(as: Int16.self) == [1, 3, 1, 3, 1, 3, 1, 5])
    }

    /// float16 input computes in fp32: 3.0 / 2 = 1.5 → 2; uint16 output saturates 70000 → 65535.
    @Test func quantizeFloat16ToUInt16() throws {
        let x = Tensor(shape: [2], values: [Float16(3), Float16(60000)])
        let y = try runNode("QuantizeLinear", inputs: [x, Tensor(scalar: Float16(2)), Tensor(scalar: UInt16(40000))], opset: 21)
        #expect(y[0].values(as: UInt16.self) == [40002, 65535])
    }

    /// (x − zp) · scale: uint8 [0, 128, 255] with zp 128, scale 0.5 → [−64, 0, 63.5].
    @Test func dequantizePerTensor() throws {
        let x = Tensor(shape: [3], values: [UInt8(0), 128, 255])
        let y = try runNode("DequantizeLinear", inputs: [x, scalar(0.5), Tensor(scalar: UInt8(128))], opset: 13)
        #expect(y[0].dtype == .float32 && y[0].floatValues == [-64, 0, 63.5])
    }

    /// Per-axis int8 (axis 1 of 1×2×2): channel 0 scale 0.5 zp −1, channel 1 scale 2 zp 3.
    @Test func dequantizePerAxisInt8() throws {
        let x = Tensor(shape: [1, 2, 2], values: [Int8(-1), 5, -128, 127])
        let y = try runNode("DequantizeLinear", inputs: [x, floats([2], [0.5, 2]), Tensor(shape: [2], values: [Int8(-1), 3])],
                            opset: 13)
        #expect(y[0].floatValues == [0, 3, -262, 248])
    }

    /// int32 x (bias-like) with no zero point; float16 scale gives a float16 output.
    @Test func dequantizeInt32AndFloat16Scale() throws {
        let y = try runNode("DequantizeLinear", inputs: [Tensor(shape: [2], values: [Int32(-5), 7]), scalar(0.25)], opset: 13)
        #expect(y[0].floatValues == [-1.25, 1.75])
        let h = try runNode("DequantizeLinear", inputs: [Tensor(shape: [1], values: [UInt8(6)]), Tensor(scalar: Float16(0.5))],
                            opset: 21)
        #expect(h[0].dtype == .float16 && h[0].floatValues == [3])
    }

    /// x = [−1, 0, 1.5]: range [−1, 1.5], scale 2.5/255, zp round(1 / scale) = 102, y = [0, 102, 255].
    @Test func dynamicQuantize() throws {
        let y = try runNode("DynamicQuantizeLinear", inputs: [floats([3], [-1, 0, 1.5])], outputs: 3, opset: 11)
        #expect(y[0].values(as: UInt8.self) == [0, 102, 255])
        #expect(y[1].floatValues == [Float(2.5) / 255])
        #expect(y[2].values(as: UInt8.self) == [102])
    }

    /// A positive-only x still has 0 in range (zp 0; scale 255/255 = 1, 127.5 ties to 128); an all-zero x gives
    /// scale 0, zp 0 and zeros.
    @Test func dynamicQuantizeRangeIncludesZero() throws {
        let y = try runNode("DynamicQuantizeLinear", inputs: [floats([2], [127.5, 255])], outputs: 3, opset: 11)
        #expect(y[0].values(as: UInt8.self) == [128, 255] && y[2].values(as: UInt8.self) == [0])
        let z = try runNode("DynamicQuantizeLinear", inputs: [floats([2], [0, 0])], outputs: 3, opset: 11)
        #expect(z[0].values(as: UInt8.self) == [0, 0] && z[1].floatValues == [0] && z[2].values(as: UInt8.self) == [0])
    }
}
