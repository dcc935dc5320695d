import Testing
@testable import QKQuantization

@Suite struct ParametersTests {
    @Test func handComputedUInt8Asymmetric() {
        // [−1, 3]: scale = 4/255, zp = round(0 − (−1)/(4/255)) = round(63.75) = 64.
        let p = quantParameters(min: -1, max: 3, type: .uint8, symmetric: false)
        #expect(p.scale == Float(4.0 / 255.0))
        #expect(p.zeroPoint == 64)
    }

    @Test func rangeIsWidenedToIncludeZero() {
        // [0.5, 2] → [0, 2]: scale 2/255, zp 0; [−2, −0.25] → [−2, 0]: zp = round(2/(2/255)) = 255.
        #expect(quantParameters(min: 0.5, max: 2, type: .uint8, symmetric: false) == (Float(2.0 / 255.0), 0))
        #expect(quantParameters(min: -2, max: -0.25, type: .uint8, symmetric: false).zeroPoint == 255)
    }

    @Test func symmetricRangesAndZeroPoints() {
        // int8 symmetric uses [−127, 127]: scale = 2·3/254 = 3/127.
        #expect(quantParameters(min: -1, max: 3, type: .int8, symmetric: true) == (Float(3.0 / 127.0), 0))
        // uint8 symmetric: zp = round_half_even(127.5) = 128, scale 6/255.
        #expect(quantParameters(min: -1, max: 3, type: .uint8, symmetric: true) == (Float(6.0 / 255.0), 128))
        // int4 has no symmetric range in ORT: [−8, 7], scale 6/15, zp round(−0.5) = 0.
        #expect(quantParameters(min: -1, max: 3, type: .int4, symmetric: true) == (Float(6.0 / 15.0), 0))
        #expect(quantParameters(min: -1, max: 3, type: .uint4, symmetric: true).zeroPoint == 8)
        #expect(quantParameters(min: -1, max: 3, type: .uint16, symmetric: true).zeroPoint == 32768)
        #expect(quantParameters(min: -1, max: 3, type: .int16, symmetric: true) == (Float(3.0 / 32767.0), 0))
    }

    @Test func reducedRange() {
        #expect(QuantType.int8.quantRange(symmetric: true, reduceRange: true) == (-64, 64))
        #expect(QuantType.uint8.quantRange(symmetric: false, reduceRange: true) == (0, 127))
        #expect(QuantType.int4.quantRange(symmetric: false, reduceRange: true) == (-4, 3))
        // uint8 reduced symmetric: zp = round_half_even(63.5) = 64, scale = 6/127.
        #expect(quantParameters(min: -1, max: 3, type: .uint8, symmetric: true, reduceRange: true)
            == (Float(6.0 / 127.0), 64))
    }

    @Test func degenerateAndNonFiniteRanges() {
        #expect(quantParameters(min: 0, max: 0, type: .uint8, symmetric: false) == (1, 0))
        #expect(quantParameters(min: 0, max: 0, type: .uint8, symmetric: true) == (1, 0))
        // A subnormal range: scale (max/255) is below Float's smallest normal → (1, 0).
        #expect(quantParameters(min: 0, max: Float.leastNormalMagnitude / 4, type: .uint8, symmetric: false) == (1, 0))
        // NaN bounds count as 0; infinite ones as ±greatestFiniteMagnitude (a finite scale).
        #expect(quantParameters(min: .nan, max: 2, type: .uint8, symmetric: false) == (Float(2.0 / 255.0), 0))
        let inf = quantParameters(min: -.infinity, max: .infinity, type: .int8, symmetric: true)
        #expect(inf.scale.isFinite && inf.scale > 0 && inf.zeroPoint == 0)
    }

    @Test func matchesOnnxRuntimeComputeScaleZp() throws {
        let cases = ORTReference.shared.params
        #expect(cases.count > 500)
        for c in cases {
            let type = try #require(QuantType(rawValue: c.type))
            let got = quantParameters(min: Float(bitPattern: c.min), max: Float(bitPattern: c.max), type: type,
                                      symmetric: c.symmetric, reduceRange: c.reduceRange)
            let expected = Float(bitPattern: c.scale)
            #expect(ulps(got.scale, expected) <= 1, "scale \(got.scale) vs ORT \(expected) for \(c)")
            #expect(got.zeroPoint == c.zeroPoint, "zero point for \(c)")
        }
    }
}
