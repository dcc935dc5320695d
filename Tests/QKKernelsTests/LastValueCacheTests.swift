import Testing
@testable import QKKernels

/// ``LastValueCache`` keeps exactly the last key's value, and int8 Conv weights reused on alternating input sizes
/// (their cached row plan replaced each time) still match the reference.
@Suite struct LastValueCacheTests {
    @Test func remakesOnlyForANewKey() {
        let cache = LastValueCache<[Int], Int>()
        var made = 0
        func value(_ key: [Int]) -> Int { cache.value(for: key) { made += 1; return key.reduce(0, +) } }
        #expect(value([1, 2]) == 3 && value([1, 2]) == 3 && made == 1)
        #expect(value([4]) == 4 && made == 2)
        #expect(value([1, 2]) == 3 && made == 3)
    }

    @Test func convWeightsOnAlternatingSizes() throws {
        var rng = SeededGenerator(seed: 40)
        let w = (0..<(6 * 2 * 9)).map { _ in Int8.random(in: -128...127, using: &rng) }
        var packed: PackedInt8ConvWeights?
        for size in [5, 9, 5, 7, 7] {
            let g = try WindowGeometry(input: [size, size], kernel: [3, 3], strides: nil, dilations: nil,
                                       pads: [1, 1, 1, 1], autoPad: .notSet, ceilMode: false)
            let shape = ConvShape(batch: 2, inputChannels: 2, outputChannels: 6, groups: 1, geometry: g)
            let weights = packed ?? PackedInt8ConvWeights(w, shape: shape, zeroPoints: [3])
            packed = weights
            let x = (0..<shape.inputCount).map { _ in UInt8.random(in: 0...255, using: &rng) }
            let expected = x.withUnsafeBufferPointer { px in
                w.withUnsafeBufferPointer { pw in
                    int8ConvReference(shape, input: px, inputZeroPoint: 17, weights: pw, weightZeroPoints: [3], bias: nil)
                }
            }
            var y = [Int32](repeating: 0, count: shape.outputCount)
            y.withUnsafeMutableBufferPointer { out in
                int8Conv(shape, input: x, inputZeroPoint: 17, weights: weights, bias: nil, output: .int32(out.baseAddress!))
            }
            #expect(y == expected, "size \(size)")
        }
    }
}
