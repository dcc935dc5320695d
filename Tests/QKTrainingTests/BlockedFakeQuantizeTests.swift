import QKGraph
import QKQuantization
import QKTensor
import XCTest
@testable import QKTraining

/// Per-block fake quantization against QKQuantization's blocked QuantizeLinear/DequantizeLinear, and its LSQ
/// step-size gradient recomputed here per block in Double.
final class BlockedFakeQuantizeTests: XCTestCase {
    /// [4, 10] on axis 1 in blocks of 4: blocks (0…3, 4…7, 8…9) per row, 12 scales laid out [4, 3].
    let shape = [4, 10], axis = 1, blockSize = 4

    func node(_ mode: FakeQuantize.Mode) -> Node {
        Node(name: "fq", opType: FakeQuantize.opType, domain: FakeQuantize.domain, inputs: ["x", "s", "z"], outputs: ["y"],
             attributes: FakeQuantize.attributes(type: .int4, axis: axis, mode: mode, symmetric: true, blockSize: blockSize))
    }

    func sample() -> TrainTensor {
        var random = SplitMix64(seed: 17)
        return TrainTensor(shape: shape, values: (0..<40).map { _ in Float(random.next() >> 40) / Float(1 << 24) * 2 - 1 })
    }

    func run(_ mode: FakeQuantize.Mode, _ x: TrainTensor, _ scales: [Float], dy: [Float])
        throws -> (y: [Float], grads: [TrainTensor?], updates: [String: TrainTensor]) {
        let ctx = OpContext(node: node(mode), training: true, trainBatchNorm: true, threads: 1, constants: [:])
        let result = try TrainingOps.fakeQuantize(ctx, [x, TrainTensor(shape: [4, 3], values: scales),
                                                        TrainTensor(zeros: [4, 3])])
        return (result.outputs[0].values, result.backward(TrainTensor(shape: shape, values: dy), [true, true, false]),
                result.stateUpdates)
    }

    func testBlockedForwardIsQuantizeThenDequantizeAndMinMaxFitsEachBlock() throws {
        let x = sample()
        let fitted = try QuantParameters.fitting(x.values, shape: shape, type: .int4, symmetric: true, axis: axis,
                                                 blockSize: blockSize)
        XCTAssertEqual(fitted.scales.count, 12)
        let expected = try dequantize(try quantize(x.values, shape: shape, fitted), fitted).floatValues
        let ones = [Float](repeating: 1, count: 40)
        let fixed = try run(.fixed, x, fitted.scales, dy: ones)
        XCTAssertEqual(fixed.y, expected)
        let minmax = try run(.minmax, x, [Float](repeating: 1, count: 12), dy: ones)
        XCTAssertEqual(minmax.updates["s"]?.values, fitted.scales)
        XCTAssertEqual(minmax.y, expected)
    }

    func testBlockedLSQGradientSumsEachBlockWithItsOwnCount() throws {
        let x = sample()
        let scales = (0..<12).map { Float(0.05 + 0.01 * Double($0)) }
        var random = SplitMix64(seed: 4)
        let dy = (0..<40).map { _ in Float(random.next() >> 40) / Float(1 << 24) - 0.5 }
        let grads = try run(.lsq, x, scales, dy: dy).grads
        var expected = [Double](repeating: 0, count: 12), counts = [Double](repeating: 0, count: 12)
        for row in 0..<4 {
            for column in 0..<10 {
                let p = row * 3 + column / 4, i = row * 10 + column
                let v = Double(x.values[i]) / Double(scales[p])
                let r = v.rounded(.toNearestOrEven)
                expected[p] += Double(dy[i]) * (r < -8 ? -8 : r > 7 ? 7 : r - v)
                counts[p] += 1
            }
        }
        XCTAssertEqual(counts.filter { $0 == 2 }.count, 4, "the last block of each row is short")
        for p in 0..<12 {
            XCTAssertEqual(Double(grads[1]!.values[p]), expected[p] / (counts[p] * 7).squareRoot(), accuracy: 1e-5, "\(p)")
        }
    }
}
