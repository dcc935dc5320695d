import QKGraph
import QKQuantization
import QKTensor
import XCTest
@testable import QKTraining

/// The fake-quantization node: forward against QKQuantization's QuantizeLinear math followed by
/// DequantizeLinear's (q − z) · s, backward against the straight-through estimator's definition and the LSQ
/// step-size gradient of Esser et al. computed independently here in Double.
final class FakeQuantizeTests: XCTestCase {
    func node(type: QuantType, axis: Int?, mode: FakeQuantize.Mode, symmetric: Bool = false) -> Node {
        Node(name: "fq", opType: FakeQuantize.opType, domain: FakeQuantize.domain, inputs: ["x", "s", "z"], outputs: ["y"],
             attributes: FakeQuantize.attributes(type: type, axis: axis, mode: mode, symmetric: symmetric))
    }

    func run(_ node: Node, x: TrainTensor, scale: [Float], zero: [Float], needs: [Bool] = [true, true, false],
             dy: [Float]? = nil) throws -> (y: [Float], grads: [TrainTensor?], updates: [String: TrainTensor]) {
        let ctx = OpContext(node: node, training: true, trainBatchNorm: true, threads: 1, constants: [:])
        let shape = scale.count == 1 ? [] : [scale.count]
        let result = try TrainingOps.fakeQuantize(ctx, [x, TrainTensor(shape: shape, values: scale),
                                                        TrainTensor(shape: shape, values: zero)])
        let gradient = TrainTensor(shape: x.shape, values: dy ?? Array(repeating: 1, count: x.count))
        return (result.outputs[0].values, result.backward(gradient, needs), result.stateUpdates)
    }

    /// x spanning beyond the representable range, including exact .5 ties of x / s.
    func sample(count: Int, spread: Float) -> TrainTensor {
        var random = SplitMix64(seed: 3)
        var values = (0..<count).map { _ in spread * (Float(random.next() >> 40) / Float(1 << 24) * 2 - 1) }
        values[0] = 2.5 * 0.1
        values[1] = -3.5 * 0.1
        return TrainTensor(shape: [count], values: values)
    }

    func testForwardIsQuantizeThenDequantize() throws {
        for (type, zero) in [(QuantType.uint8, Int32(128)), (.int8, 3), (.int4, -1), (.uint4, 8)] {
            let x = sample(count: 200, spread: Float(type.qmax - type.qmin) * 0.1 * 0.7)
            let parameters = QuantParameters(scale: 0.1, zeroPoint: zero, type: type)
            let q = try quantize(x.values, shape: x.shape, parameters).int64Values.map { Int32($0) }
            let expected = q.map { Float($0 - zero) * 0.1 }
            let (y, grads, _) = try run(node(type: type, axis: nil, mode: .fixed), x: x, scale: [0.1], zero: [Float(zero)])
            XCTAssertEqual(y, expected, "\(type)")
            // Straight-through: gradient 1 where x / s + z did not saturate, 0 where it did.
            for i in 0..<x.count {
                let r = (x.values[i] / 0.1).rounded(.toNearestOrEven) + Float(zero)
                let inside = r >= Float(type.qmin) && r <= Float(type.qmax)
                XCTAssertEqual(grads[0]!.values[i], inside ? 1 : 0, "\(type) x = \(x.values[i])")
            }
            XCTAssertTrue(grads[0]!.values.contains(0) && grads[0]!.values.contains(1), "both regions exercised")
        }
    }

    func testPerChannelWeightsFitTheirRangeEachStep() throws {
        let x = TrainTensor(shape: [3, 4], values: [0.5, -1, 0.25, 0.1, 2, 1.5, -0.3, 0.8, -0.05, 0.02, 0.01, 0.04])
        let (y, _, updates) = try run(node(type: .int4, axis: 0, mode: .minmax, symmetric: true), x: x,
                                      scale: [1, 1, 1], zero: [0, 0, 0])
        let fitted = try QuantParameters.fitting(x.values, shape: x.shape, type: .int4, symmetric: true, axis: 0)
        XCTAssertEqual(updates["s"]?.values, fitted.scales)
        let q = try quantize(x.values, shape: x.shape, fitted).int64Values.map { Int32($0) }
        XCTAssertEqual(y, (0..<12).map { Float(q[$0]) * fitted.scales[$0 / 4] })
    }

    func testLSQScaleGradient() throws {
        let x = sample(count: 64, spread: 2)
        var random = SplitMix64(seed: 5)
        let dy = (0..<64).map { _ in Float(random.next() >> 40) / Float(1 << 24) - 0.5 }
        let (s, z, type) = (Float(0.01), Float(120), QuantType.uint8)
        let (_, grads, _) = try run(node(type: type, axis: nil, mode: .lsq), x: x, scale: [s], zero: [z], dy: dy)
        // Esser et al. (2020), eq. 3 with a zero point: d ŷ / d s = round(x/s) − x/s inside, qmin − z / qmax − z outside;
        // scaled by g = 1 / √(n · Qp).
        var expected = 0.0
        for i in 0..<64 {
            let v = Double(x.values[i]) / Double(s)
            let r = v.rounded(.toNearestOrEven) + Double(z)
            let step = r < 0 ? -Double(z) : r > 255 ? 255 - Double(z) : v.rounded(.toNearestOrEven) - v
            expected += Double(dy[i]) * step
        }
        expected /= (64 * (255 - Double(z))).squareRoot()
        XCTAssertEqual(Double(grads[1]!.values[0]), expected, accuracy: 1e-4 * max(1, abs(expected)))
    }

    func testMovingAverageRangeUpdates() throws {
        var fq = node(type: .uint8, axis: nil, mode: .ema)
        fq.inputs += ["lo", "hi"]
        let ctx = OpContext(node: fq, training: true, trainBatchNorm: true, threads: 1, constants: [:])
        let x = TrainTensor(shape: [4], values: [-1, 0.5, 2, 3])
        let result = try TrainingOps.fakeQuantize(ctx, [x, TrainTensor(shape: [], values: [1]), TrainTensor(shape: [], values: [0]),
                                                        TrainTensor(shape: [], values: [-2]), TrainTensor(shape: [], values: [1])])
        // 0.9 · old + 0.1 · batch.
        XCTAssertEqual(result.stateUpdates["lo"]!.values[0], 0.9 * -2 + 0.1 * -1, accuracy: 1e-6)
        XCTAssertEqual(result.stateUpdates["hi"]!.values[0], 0.9 * 1 + 0.1 * 3, accuracy: 1e-6)
        let expected = quantParameters(min: -1.9, max: 1.2, type: .uint8, symmetric: false)
        XCTAssertEqual(result.stateUpdates["s"]!.values[0], expected.scale, accuracy: 1e-7)
        XCTAssertEqual(result.stateUpdates["z"]!.values[0], Float(expected.zeroPoint))
        // A range starting at 0 (fused Relu) keeps 0 as its lower bound, so negative inputs still clamp to 0.
        fq.attributes["keep_min"] = .int(1)
        let relu = try TrainingOps.fakeQuantize(
            OpContext(node: fq, training: true, trainBatchNorm: true, threads: 1, constants: [:]),
            [x, TrainTensor(shape: [], values: [1]), TrainTensor(shape: [], values: [0]),
             TrainTensor(shape: [], values: [0]), TrainTensor(shape: [], values: [1])])
        XCTAssertEqual(relu.stateUpdates["lo"]!.values[0], 0)
        XCTAssertEqual(relu.stateUpdates["z"]!.values[0], 0)
        XCTAssertEqual(relu.outputs[0].values[0], 0, "−1 clamps to 0")
    }
}
