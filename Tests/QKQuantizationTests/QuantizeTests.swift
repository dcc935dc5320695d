import QKTensor
import Testing
@testable import QKQuantization

@Suite struct QuantizeTests {
    @Test func handComputedPerType() throws {
        let x: [Float] = [-1, 0, 0.5, 3, 100, -100]
        // uint8, scale 4/255, zp 64: 0.5/(4/255) = 31.875 → 32 + 64 = 96; 3 → 191.25 → 191 + 64 = 255.
        let u8 = try quantize(x, shape: [6], QuantParameters(scale: 4.0 / 255.0, zeroPoint: 64, type: .uint8))
        #expect(u8 == Tensor(shape: [6], values: [UInt8(0), 64, 96, 255, 255, 0]))
        // int8, scale 0.5, zp −10: −1 → −2 − 10 = −12; 3 → 6 − 10 = −4; 100 → 190 → 127; −100 → −128.
        let i8 = try quantize(x, shape: [6], QuantParameters(scale: 0.5, zeroPoint: -10, type: .int8))
        #expect(i8 == Tensor(shape: [6], values: [Int8(-12), -10, -9, -4, 127, -128]))
        // 0.5/0.5 = 1 → −9 above; int16 and uint16 with scale 1/256.
        let i16 = try quantize(x, shape: [6], QuantParameters(scale: 1.0 / 256, zeroPoint: 0, type: .int16))
        #expect(i16 == Tensor(shape: [6], values: [Int16(-256), 0, 128, 768, 25600, -25600]))
        let u16 = try quantize(x, shape: [6], QuantParameters(scale: 1.0 / 256, zeroPoint: 32768, type: .uint16))
        #expect(u16 == Tensor(shape: [6], values: [UInt16(32512), 32768, 32896, 33536, 58368, 7168]))
        // int4, scale 0.5, zp 0: [−2, 0, 1, 6→6, 200→7, −200→−8]; packed low nibble first.
        let i4 = try quantize(x, shape: [6], QuantParameters(scale: 0.5, zeroPoint: 0, type: .int4))
        #expect(i4 == (try Tensor(shape: [6], storage: .int4([-2, 0, 1, 6, 7, -8]))))
        #expect(i4.littleEndianBytes == [0x0E, 0x61, 0x87])
        // uint4, scale 0.5, zp 2: [0, 2, 3, 8, 15, 0].
        let u4 = try quantize(x, shape: [6], QuantParameters(scale: 0.5, zeroPoint: 2, type: .uint4))
        #expect(u4 == (try Tensor(shape: [6], storage: .uint4([0, 2, 3, 8, 15, 0]))))
    }

    @Test func roundsHalfToEven() throws {
        // x/scale = ±0.5, 1.5, 2.5, −2.5 → 0, 2, 2, −2 (not away from zero).
        let x: [Float] = [0.25, -0.25, 0.75, 1.25, -1.25]
        let q = try quantize(x, shape: [5], QuantParameters(scale: 0.5, zeroPoint: 0, type: .int8))
        #expect(q.int64Values == [0, 0, 2, 2, -2])
    }

    @Test func fastRoundingEqualsRoundedToNearestOrEven() {
        var rng = SplitMix64(seed: 7)
        var samples: [Float] = [0.5, 1.5, 2.5, -0.5, -2.5, 4_194_303.5, -4_194_303.5, 4_194_304, 8_388_607.5, 1e20,
                                -1e20, .infinity, -.infinity, 0, -0.0, .leastNonzeroMagnitude]
        for _ in 0..<100_000 {
            let magnitude = Float(1 << Int.random(in: 0...24, using: &rng))
            samples.append(Float.random(in: -magnitude...magnitude, using: &rng))
            samples.append((Float(Int.random(in: -5_000_000...5_000_000, using: &rng)) + 0.5))
        }
        for v in samples {
            #expect(roundHalfEven(v) == v.rounded(.toNearestOrEven), "\(v)")
        }
    }

    @Test func bitTrickConversionIsExactOverEveryQuantizedValue() {
        for v in Int32(-65536)...65535 { #expect(integerValue(Float(v)) == v) }
    }

    @Test func nanAndInfinity() throws {
        let x: [Float] = [.nan, .infinity, -.infinity, -.nan]
        let q = try quantize(x, shape: [4], QuantParameters(scale: 0.1, zeroPoint: 100, type: .uint8))
        // NaN → zero point (dequantizes to 0); +∞ → qmax; −∞ → qmin.
        #expect(q.int64Values == [100, 255, 0, 100])
        let back = try dequantize(q, QuantParameters(scale: 0.1, zeroPoint: 100, type: .uint8))
        #expect(back.floatValues[0] == 0 && back.floatValues[3] == 0)
    }

    @Test func dequantizeIsAffine() throws {
        let p = QuantParameters(scale: 0.25, zeroPoint: -3, type: .int8)
        let q = Tensor(shape: [2, 2], values: [Int8(-128), -3, 0, 127])
        let x = try dequantize(q, p)
        #expect(x.shape == [2, 2])
        #expect(x.floatValues == [-31.25, 0, 0.75, 32.5])
        let int4 = try Tensor(shape: [3], storage: .int4([-8, 0, 7]))
        #expect(try dequantize(int4, QuantParameters(scale: 2, zeroPoint: 1, type: .int4)).floatValues == [-18, -2, 12])
        #expect(throws: QuantizationError.self) { try dequantize(int4, QuantParameters(scale: 2, zeroPoint: 1, type: .int8)) }
    }

    @Test func invalidParametersThrow() {
        #expect(throws: QuantizationError.invalidScale(0)) {
            try quantize([1], shape: [1], QuantParameters(scale: 0, zeroPoint: 0, type: .int8))
        }
        #expect(throws: QuantizationError.zeroPointOutOfRange(300, type: .uint8)) {
            try quantize([1], shape: [1], QuantParameters(scale: 1, zeroPoint: 300, type: .uint8))
        }
        #expect(throws: QuantizationError.axisOutOfRange(axis: 2, shape: [2, 2])) {
            try quantize([1, 2, 3, 4], shape: [2, 2], QuantParameters(type: .int8, scales: [1, 1], zeroPoints: [0, 0], axis: 2))
        }
        #expect(throws: QuantizationError.parameterCount(expected: 2, actual: 3, shape: [2, 2])) {
            try quantize([1, 2, 3, 4], shape: [2, 2],
                         QuantParameters(type: .int8, scales: [1, 1, 1], zeroPoints: [0, 0, 0], axis: -1))
        }
        #expect(throws: QuantizationError.self) {
            try quantize(Tensor(shape: [1], values: [Int32(1)]), QuantParameters(scale: 1, zeroPoint: 0, type: .int8))
        }
    }

    @Test func float16InputIsConvertedFirst() throws {
        let half = Tensor(shape: [3], values: [Float16(0.5), Float16(-1), Float16(2)])
        let q = try quantize(half, QuantParameters(scale: 0.5, zeroPoint: 0, type: .int8))
        #expect(q.int64Values == [1, -2, 4])
    }

    @Test func perAxisAndPerBlockByHand() throws {
        // Shape [2, 3], axis 1: column scales 1, 2, 4.
        let x: [Float] = [1, 2, 4, -1, -2, -4]
        let perAxis = QuantParameters(type: .int8, scales: [1, 2, 4], zeroPoints: [0, 1, 2], axis: 1)
        #expect(try quantize(x, shape: [2, 3], perAxis).int64Values == [1, 2, 3, -1, 0, 1])
        // Shape [4, 2], axis 0, blocks of 3: parameters shape [2, 2] = rows {0,1,2} and {3}.
        let y: [Float] = [1, 10, 2, 20, 3, 30, 4, 40]
        let perBlock = QuantParameters(type: .uint8, scales: [1, 10, 0.5, 5], zeroPoints: [0, 0, 0, 0], axis: 0, blockSize: 3)
        #expect(try quantize(y, shape: [4, 2], perBlock).int64Values == [1, 1, 2, 2, 3, 3, 8, 8])
        let fitted = try QuantParameters.fitting(y, shape: [4, 2], type: .uint8, symmetric: false, axis: 0, blockSize: 3)
        #expect(fitted.scales == [Float(3.0 / 255.0), Float(30.0 / 255.0), Float(4.0 / 255.0), Float(40.0 / 255.0)])
    }

    @Test func matchesOnnxRuntimeQuantizeNparray() throws {
        for c in ORTReference.shared.quantize {
            let type = try #require(QuantType(rawValue: c.type))
            let x = floats(base64: c.input)
            let fitted = try QuantParameters.fitting(x, shape: [x.count], type: type, symmetric: c.symmetric)
            let p = QuantParameters(scale: Float(bitPattern: c.scale), zeroPoint: c.zeroPoint, type: type)
            if x.count == 300 { #expect(fitted == p, "fitted parameters for \(c.type) symmetric \(c.symmetric)") }
            let q = try quantize(x, shape: [x.count], p)
            #expect(q.int64Values == c.quantized.map(Int64.init), "\(c.type) symmetric \(c.symmetric)")
            if let packed = c.packed { #expect(type.bits == 4 && q.littleEndianBytes == packed, "packed \(c.type)") }
        }
    }

    @Test(arguments: ["perChannel", "perBlock"])
    func matchesOnnxRuntimeGrouped(kind: String) throws {
        let cases = kind == "perChannel" ? ORTReference.shared.perChannel : ORTReference.shared.perBlock
        #expect(!cases.isEmpty)
        for c in cases {
            let type = try #require(QuantType(rawValue: c.type))
            let x = floats(base64: c.input)
            let fitted = try QuantParameters.fitting(x, shape: c.shape, type: type, symmetric: c.symmetric,
                                                     axis: c.axis, blockSize: c.blockSize)
            let what = "\(kind) \(c.type) axis \(c.axis) block \(c.blockSize ?? 0)"
            #expect(fitted.zeroPoints == c.zeroPoints, "\(what)")
            for (s, e) in zip(fitted.scales, c.scales) { #expect(ulps(s, Float(bitPattern: e)) <= 1, "\(what)") }
            let ort = QuantParameters(type: type, scales: c.scales.map { Float(bitPattern: $0) },
                                      zeroPoints: c.zeroPoints, axis: c.axis, blockSize: c.blockSize)
            #expect(try quantize(x, shape: c.shape, ort).int64Values == c.quantized.map(Int64.init), "\(what)")
        }
    }

    @Test func roundTripErrorIsAtMostHalfAScale() throws {
        var rng = SplitMix64(seed: 11)
        let x = (0..<4096).map { _ in Float.random(in: -3...5, using: &rng) }
        for type in QuantType.allCases {
            let p = try QuantParameters.fitting(x, shape: [64, 64], type: type, symmetric: false, axis: 0)
            let back = try dequantize(quantize(x, shape: [64, 64], p), p).floatValues
            for (i, (a, b)) in zip(x, back).enumerated() {
                // Half a step, plus float32 rounding of (q − zp) · scale near |x|.
                #expect(abs(a - b) <= p.scales[i / 64] * 0.5 + 2 * abs(a).ulp, "\(type) element \(i)")
            }
        }
    }
}
