import QKTensor
import XCTest
@testable import QKQuantization

/// Weight ranges clipped to the least squared error, measured through QuantizeLinear/DequantizeLinear.
final class ClippedFittingTests: XCTestCase {
    /// Σ (x − dequantize(quantize(x)))² per channel along axis 0 of a [channels, n] tensor.
    func errors(_ values: [Float], channels: Int, _ parameters: QuantParameters) throws -> [Double] {
        let shape = [channels, values.count / channels]
        let restored = try dequantize(try quantize(values, shape: shape, parameters), parameters).floatValues
        return (0..<channels).map { c in
            (c * shape[1]..<(c + 1) * shape[1]).reduce(0.0) { sum, i in
                let d = Double(values[i]) - Double(restored[i])
                return sum + d * d
            }
        }
    }

    func gaussianRows(channels: Int, count: Int, seed: UInt64) -> [Float] {
        var random = SplitMix64(seed: seed)
        func uniform() -> Double { Double(random.next() >> 11) / Double(1 << 53) }
        return (0..<channels * count).map { _ in
            Float((-2 * log(max(uniform(), 1e-12))).squareRoot() * cos(2 * Double.pi * uniform())) * 0.1
        }
    }

    func testClippingNeverLosesToMinMaxAndClipsOutliers() throws {
        var values = gaussianRows(channels: 4, count: 200, seed: 11)
        values[3] = 0.6  // channel 0: one outlier (6 σ)
        for (type, symmetric) in [(QuantType.int4, true), (.int4, false), (.uint4, false), (.int8, true)] {
            let minmax = try QuantParameters.fitting(values, shape: [4, 200], type: type, symmetric: symmetric, axis: 0)
            let clipped = try QuantParameters.fittingMinimizingError(values, shape: [4, 200], type: type,
                                                                     symmetric: symmetric, axis: 0)
            let (before, after) = (try errors(values, channels: 4, minmax), try errors(values, channels: 4, clipped))
            for c in 0..<4 { XCTAssertLessThanOrEqual(after[c], before[c], "\(type) channel \(c)") }
            if type.bits == 4 {
                // Gaussian rows at 4 bits: min/max wastes levels on the tails, so every channel gains.
                for c in 0..<4 { XCTAssertLessThan(after[c], before[c] * 0.95, "\(type) channel \(c)") }
                XCTAssertLessThan(clipped.scales[0], minmax.scales[0], "the outlier is clipped")
            }
        }
    }

    func testTheChosenRangeIsTheBestOfTheGrid() throws {
        let values = gaussianRows(channels: 1, count: 300, seed: 5)
        let clipped = try QuantParameters.fittingMinimizingError(values, shape: [300], type: .int4, symmetric: true,
                                                                 steps: 40, minimumFraction: 0.3)
        let best = try errors(values, channels: 1, clipped)[0]
        let absMax = values.map(abs).max()!
        for step in 0...28 {
            let alpha = 1 - Float(step) / 40
            let candidate = QuantParameters(scale: 2 * alpha * absMax / 15, zeroPoint: 0, type: .int4)
            XCTAssertLessThanOrEqual(best, try errors(values, channels: 1, candidate)[0] * (1 + 1e-9), "α = \(alpha)")
        }
    }

    func testZeroAndConstantChannels() throws {
        let values: [Float] = [0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5]
        let clipped = try QuantParameters.fittingMinimizingError(values, shape: [2, 4], type: .int4, symmetric: true,
                                                                 axis: 0)
        let minmax = try QuantParameters.fitting(values, shape: [2, 4], type: .int4, symmetric: true, axis: 0)
        XCTAssertEqual(clipped.scales[0], minmax.scales[0], "an all-zero channel keeps scale 1")
        XCTAssertEqual(clipped.scales[0], 1)
        XCTAssertLessThanOrEqual(try errors(values, channels: 2, clipped)[1], try errors(values, channels: 2, minmax)[1])
    }
}
