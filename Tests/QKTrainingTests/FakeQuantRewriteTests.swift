import QKGraph
import QKQuantization
import QKRuntime
import QKTensor
import XCTest
@testable import QKTraining

/// QDQ → fake quantization → QDQ: the trainable form computes what the QDQ model computes (checked against
/// QuantKit's runtime running the QDQ model), and exporting it unchanged gives back the same QDQ values.
final class FakeQuantRewriteTests: XCTestCase {
    /// Conv → BatchNormalization → Relu → GlobalAveragePool → Flatten → Gemm on [N, 2, 5, 5].
    func convNet() -> Model {
        var random = SplitMix64(seed: 21)
        func values(_ shape: [Int], _ scale: Float = 1) -> Tensor {
            Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in scale * (Float(random.next() >> 40) / Float(1 << 24) - 0.5) })
        }
        let graph = Graph(name: "net", nodes: [
            Node(name: "conv", opType: "Conv", inputs: ["x", "cw", "cb"], outputs: ["c"], attributes: ["pads": .ints([1, 1, 1, 1])]),
            Node(name: "bn", opType: "BatchNormalization", inputs: ["c", "g", "b", "m", "v"], outputs: ["n"]),
            Node(name: "relu", opType: "Relu", inputs: ["n"], outputs: ["r"]),
            Node(name: "gap", opType: "GlobalAveragePool", inputs: ["r"], outputs: ["p"]),
            Node(name: "flat", opType: "Flatten", inputs: ["p"], outputs: ["f"]),
            Node(name: "fc", opType: "Gemm", inputs: ["f", "fw", "fb"], outputs: ["y"], attributes: ["transB": .int(1)]),
        ], inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("n"), .known(2), .known(5), .known(5)])],
        outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
        initializers: ["cw": values([4, 2, 3, 3]), "cb": values([4]), "g": values([4], 2), "b": values([4]),
                       "m": values([4], 0.1), "v": Tensor(shape: [4], values: [Float(0.5), 1, 1.5, 2]),
                       "fw": values([3, 4]), "fb": values([3])])
        return Model(graph: graph, opsetImports: [OpsetImport(domain: "", version: 17)])
    }

    func inputs(_ count: Int) -> Tensor {
        var random = SplitMix64(seed: 5)
        return Tensor(shape: [count, 2, 5, 5], values: (0..<count * 50).map { _ in Float(random.next() >> 40) / Float(1 << 24) })
    }

    func quantizedModel(perChannel: Bool) throws -> Model {
        var config = QuantizationConfig()
        config.perChannel = perChannel
        return try StaticQuantizer.quantize(convNet(), config: config, feeds: ["x": inputs(16)]).model
    }

    func testFakeQuantFormComputesTheQDQModel() throws {
        for perChannel in [false, true] {
            let qdq = try quantizedModel(perChannel: perChannel)
            let trainable = try QuantizationAwareTraining.prepareFineTuning(qdq)
            XCTAssertFalse(trainable.graph.nodes.contains { ["QuantizeLinear", "DequantizeLinear"].contains($0.opType) })
            XCTAssertEqual(trainable.graph.nodes.filter { $0.opType == FakeQuantize.opType }.count,
                           qdq.graph.nodes.filter { $0.opType == "DequantizeLinear" && !$0.inputs[0].hasPrefix("cb") && !$0.inputs[0].hasPrefix("fb") }.count)
            let x = inputs(8)
            let graph = try TrainingGraph(model: trainable)
            let ours = try graph.forward(["x": TrainTensor(x)], training: false, trainBatchNorm: false, threads: 1).values["y"]!
            let theirs = try Interpreter(model: qdq, threads: 1).run(["x": x])["y"]!.floatValues
            // Only the int32 bias rounding (≤ ½ · s_x · s_w per output) separates the two.
            for (a, b) in zip(ours.values, theirs) { XCTAssertEqual(a, b, accuracy: 2e-3, "perChannel \(perChannel)") }
        }
    }

    func testExportOfAnUntrainedFakeQuantModelGivesBackTheQDQValues() throws {
        let qdq = try quantizedModel(perChannel: true)
        let exported = try FakeQuantExporter.export(try QuantizationAwareTraining.prepareFineTuning(qdq))
        XCTAssertEqual(Set(exported.graph.nodes.map(\.name)).count, exported.graph.nodes.count, "unique node names")
        for (name, tensor) in qdq.graph.initializers where name.hasSuffix("_quantized") {
            XCTAssertEqual(exported.graph.initializers[name], tensor, name)
        }
        let x = inputs(8)
        let a = try Interpreter(model: qdq, threads: 1).run(["x": x])["y"]!
        let b = try Interpreter(model: exported, threads: 1).run(["x": x])["y"]!
        XCTAssertEqual(a, b)
    }

    func testQATPreparationFoldsBatchNormAndRefitsFourBitWeights() throws {
        var config = QuantizationConfig()
        config.weightType = .int4
        config.perChannel = true
        let trainable = try QuantizationAwareTraining.prepare(convNet(), config: config, calibration: ["x": inputs(16)])
        XCTAssertFalse(trainable.graph.nodes.contains { $0.opType == "BatchNormalization" })
        let weightNodes = trainable.graph.nodes.filter { $0.opType == FakeQuantize.opType && trainable.graph.initializers[$0.inputs[0]] != nil }
        XCTAssertEqual(weightNodes.count, 2)
        for node in weightNodes {
            XCTAssertEqual(try node.string("type"), "int4")
            XCTAssertEqual(try node.int("axis"), 0)
        }
        let exported = try FakeQuantExporter.export(trainable)
        XCTAssertEqual(exported.opsetVersion(for: ""), 21, "4-bit Q/DQ needs opset 21")
        for (name, tensor) in exported.graph.initializers where name.hasSuffix("weight_quantized") || name == "cw_bn_folded_quantized" || name == "fw_quantized" {
            XCTAssertEqual(tensor.dtype, .int4)
            XCTAssertTrue(tensor.int64Values.allSatisfy { (-8...7).contains($0) }, name)
        }
    }

    func testQOperatorModelsAreRefused() throws {
        var config = QuantizationConfig()
        config.format = .qoperator
        let model = try StaticQuantizer.quantize(convNet(), config: config, feeds: ["x": inputs(16)]).model
        XCTAssertThrowsError(try QuantizationAwareTraining.prepareFineTuning(model)) { error in
            XCTAssertTrue("\(error)".contains("QDQ"), "\(error)")
        }
    }

    func testClippedWeightsStartFromTheLeastErrorRanges() throws {
        var config = QuantizationConfig()
        config.weightType = .int4
        config.perChannel = true
        let model = convNet()
        let plain = try QuantizationAwareTraining.prepare(model, config: config, calibration: ["x": inputs(16)],
                                                          options: FakeQuantOptions(weightMode: .lsq))
        config.clipWeights = true
        let clipped = try QuantizationAwareTraining.prepare(model, config: config, calibration: ["x": inputs(16)],
                                                            options: FakeQuantOptions(weightMode: .lsq))
        let fc = try XCTUnwrap(clipped.graph.nodes.first { $0.opType == FakeQuantize.opType && $0.inputs[0] == "fw" })
        let expected = try QuantParameters.fittingMinimizingError(model.graph.initializers["fw"]!, type: .int4,
                                                                 symmetric: true, axis: 0)
        XCTAssertEqual(clipped.graph.initializers[fc.inputs[1]]?.floatValues, expected.scales)
        XCTAssertEqual(clipped.graph.initializers[fc.inputs[2]]?.floatValues, expected.zeroPoints.map(Float.init))
        let minmax = try QuantParameters.fitting(model.graph.initializers["fw"]!, type: .int4, symmetric: true, axis: 0)
        XCTAssertEqual(plain.graph.initializers[fc.inputs[1]]?.floatValues, minmax.scales)
        XCTAssertNotEqual(expected.scales, minmax.scales, "some channel clips")
    }
}
