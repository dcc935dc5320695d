import QKGraph
import QKQuantization
import QKRuntime
import QKTensor
import XCTest
@testable import QKTraining

/// AdaRound on a small Conv → Relu → Flatten → Gemm model with 4-bit per-channel weights: every code is the floor
/// or the ceil of w / s, each layer's output error on the calibration data (measured by running the layer with
/// the weight error through the interpreter) is never above nearest rounding's and drops well below it, and the
/// result is deterministic.
final class AdaRoundTests: XCTestCase {
    func convGemmModel() -> Model {
        var random = SplitMix64(seed: 3)
        func values(_ count: Int, _ spread: Float) -> [Float] {
            (0..<count).map { _ in (Float(random.next() >> 40) / Float(1 << 24) - 0.5) * spread }
        }
        let graph = Graph(name: "conv-gemm", nodes: [
            Node(name: "conv", opType: "Conv", inputs: ["x", "cw", "cb"], outputs: ["c"],
                 attributes: ["kernel_shape": .ints([3, 3]), "pads": .ints([1, 1, 1, 1])]),
            Node(name: "relu", opType: "Relu", inputs: ["c"], outputs: ["r"]),
            Node(name: "flatten", opType: "Flatten", inputs: ["r"], outputs: ["f"]),
            Node(name: "fc", opType: "Gemm", inputs: ["f", "gw", "gb"], outputs: ["y"], attributes: ["transB": .int(1)]),
        ], inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("n"), .known(2), .known(4), .known(4)])],
        outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
        initializers: ["cw": Tensor(shape: [3, 2, 3, 3], values: values(54, 1)),
                       "cb": Tensor(shape: [3], values: values(3, 0.2)),
                       "gw": Tensor(shape: [5, 48], values: values(240, 0.5)),
                       "gb": Tensor(shape: [5], values: values(5, 0.2))])
        return Model(graph: graph)
    }

    func calibration(count: Int = 40) -> [String: Tensor] {
        var random = SplitMix64(seed: 11)
        return ["x": Tensor(shape: [count, 2, 4, 4], values: (0..<count * 32).map { _ in
            Float(random.next() >> 40) / Float(1 << 24) * 2 - 0.5
        })]
    }

    func quantized(_ model: Model, _ feeds: [String: Tensor]) throws -> Model {
        var config = QuantizationConfig()
        config.weightType = .int4
        config.perChannel = true
        return try StaticQuantizer.quantize(model, config: config, feeds: feeds, threads: 1).model
    }

    /// (s·(q − z) per weight element, the float weight) for weight `name` of a QDQ model.
    func dequantized(_ model: Model, _ name: String) throws -> [Float] {
        let dq = model.graph.nodes.first { $0.opType == "DequantizeLinear" && $0.inputs[0] == name + "_quantized" }!
        let stored = model.graph.initializers[name + "_quantized"]!
        return try FakeQuantRewriter.dequantized(stored, dq, model.graph.initializers).floatValues
    }

    /// Σ ‖(W̃ − W) x_p‖² / P over the calibration columns of one layer, by running the layer alone with weight
    /// W̃ − W and no bias through the interpreter.
    func layerError(_ node: Node, input: Tensor, weightShape: [Int], difference: [Float]) throws -> Double {
        var layer = node
        layer.inputs = ["in", "dw"]
        layer.outputs = ["out"]
        let graph = Graph(name: "layer", nodes: [layer],
                          inputs: [ValueInfo(name: "in", dtype: .float32, shape: input.shape.map { .known($0) })],
                          outputs: [ValueInfo(name: "out", dtype: .float32, shape: nil)],
                          initializers: ["dw": Tensor(shape: weightShape, values: difference)])
        let out = try Interpreter(model: Model(graph: graph), threads: 1).run(["in": input])["out"]!
        let columns = out.shape[0] * out.shape.dropFirst(2).reduce(1, *)
        return out.floatValues.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(columns)
    }

    func testLearnedRoundingLandsOnFloorOrCeilAndNeverReconstructsWorse() throws {
        let model = convGemmModel(), feeds = calibration()
        let ptq = try quantized(model, feeds)
        let (rounded, reports) = try AdaRound.apply(to: ptq, float: model, calibration: feeds, threads: 1)
        XCTAssertEqual(reports.map(\.weight), ["cw", "gw"])
        let flat = try Interpreter(model: model, threads: 1).run(feeds, outputNames: ["f"])["f"]!
        for (node, input) in [(model.graph.nodes[0], feeds["x"]!), (model.graph.nodes[3], flat)] {
            let name = node.inputs[1]
            let weight = model.graph.initializers[name]!
            let scales = rounded.graph.initializers[name + "_scale"]!.floatValues
            let codes = rounded.graph.initializers[name + "_quantized"]!.int64Values
            let perRow = weight.count / weight.shape[0]
            for (i, w) in weight.floatValues.enumerated() {
                let ratio = w / scales[i / perRow]
                let allowed = [ratio.rounded(.down), ratio.rounded(.up)].map { min(max($0, -8), 7) }
                XCTAssertTrue(allowed.contains(Float(codes[i])), "\(name)[\(i)]: code \(codes[i]) for w/s = \(ratio)")
            }
            let before = try layerError(node, input: input, weightShape: weight.shape,
                                        difference: zip(try dequantized(ptq, name), weight.floatValues).map { $0 - $1 })
            let after = try layerError(node, input: input, weightShape: weight.shape,
                                       difference: zip(try dequantized(rounded, name), weight.floatValues).map { $0 - $1 })
            let report = reports.first { $0.weight == name }!
            XCTAssertEqual(report.nearestError, before, accuracy: 1e-4 * before, name)
            XCTAssertEqual(report.learnedError, after, accuracy: 1e-4 * before, name)
            XCTAssertLessThan(after, (name == "gw" ? 0.8 : 1) * before, "\(name): AdaRound should beat nearest rounding")
            XCTAssertGreaterThan(report.flipped, 0, name)
        }
    }

    /// With no optimization steps the codes are those of rounding to nearest, except where w / s is a tie (then the
    /// half-up start may keep the side that reconstructs better).
    func testSameInputsGiveTheSameCodesAndZeroIterationsKeepNearestRounding() throws {
        let model = convGemmModel(), feeds = calibration()
        let ptq = try quantized(model, feeds)
        let first = try AdaRound.apply(to: ptq, float: model, calibration: feeds, threads: 1).model
        let second = try AdaRound.apply(to: ptq, float: model, calibration: feeds, threads: 1).model
        var none = AdaRoundOptions()
        none.iterations = 0
        let untouched = try AdaRound.apply(to: ptq, float: model, calibration: feeds, options: none, threads: 1)
        for name in ["cw", "gw"] {
            let key = name + "_quantized"
            XCTAssertEqual(first.graph.initializers[key], second.graph.initializers[key], name)
            let scales = ptq.graph.initializers[name + "_scale"]!.floatValues
            let weight = model.graph.initializers[name]!
            let (kept, nearest) = (untouched.model.graph.initializers[key]!.int64Values, ptq.graph.initializers[key]!.int64Values)
            for (i, w) in weight.floatValues.enumerated() where kept[i] != nearest[i] {
                let ratio = w / scales[i / (weight.count / weight.shape[0])]
                XCTAssertEqual(abs(ratio - ratio.rounded(.down) - 0.5), 0, accuracy: 1e-4, "\(name)[\(i)]: w/s = \(ratio)")
            }
        }
    }

    /// QAT's starting weights round to AdaRound's codes (as the fake quantization rounds: to nearest, ties to
    /// even) and equal the float weights wherever AdaRound kept nearest rounding.
    func testLatentWeightsRoundToTheLearnedCodes() throws {
        let model = convGemmModel(), feeds = calibration()
        let ptq = try quantized(model, feeds)
        var options = AdaRoundOptions()
        options.iterations = 300
        let rounded = try AdaRound.apply(to: ptq, float: model, calibration: feeds, options: options, threads: 1).model
        let latent = try AdaRound.latentWeights(rounded: rounded, nearest: ptq, float: model.graph.initializers)
        XCTAssertEqual(Set(latent.keys), ["cw", "gw"])
        var flipped = 0
        for (name, start) in latent {
            let weight = model.graph.initializers[name]!
            let scales = rounded.graph.initializers[name + "_scale"]!.floatValues
            let codes = rounded.graph.initializers[name + "_quantized"]!.int64Values
            let nearest = ptq.graph.initializers[name + "_quantized"]!.int64Values
            let perRow = weight.count / weight.shape[0]
            for (i, w) in start.floatValues.enumerated() {
                let code = min(max((w / scales[i / perRow]).rounded(.toNearestOrEven), -8), 7)
                XCTAssertEqual(Int64(code), codes[i], "\(name)[\(i)]")
                if codes[i] == nearest[i] { XCTAssertEqual(w, weight.floatValues[i], "\(name)[\(i)]") } else { flipped += 1 }
            }
        }
        XCTAssertGreaterThan(flipped, 0)
    }

    func testBadOptionsAreRefusedByName() {
        var options = AdaRoundOptions()
        options.betaEnd = 30
        XCTAssertThrowsError(try options.validate()) { error in
            XCTAssertTrue("\(error)".contains("β"), "\(error)")
        }
    }
}
