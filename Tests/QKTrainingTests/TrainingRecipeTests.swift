import QKGraph
import QKQuantization
import QKTensor
import XCTest
@testable import QKTraining

/// Warm-up, parameter averaging, freezing the quantization ranges and the seeded validation split.
final class TrainingRecipeTests: XCTestCase {
    /// The MLP with an LSQ fake-quant on its input and a per-channel int4 LSQ fake-quant on its first weight.
    func quantizedMLP() -> Model {
        var model = trainingMLP()
        var graph = model.graph
        graph.nodes[0].inputs = ["x_fq", "w1_fq", "b1"]
        graph.nodes.insert(Node(name: "fq_w1", opType: FakeQuantize.opType, domain: FakeQuantize.domain,
                                inputs: ["w1", "w1_s", "w1_z"], outputs: ["w1_fq"],
                                attributes: FakeQuantize.attributes(type: .int4, axis: 0, mode: .lsq, symmetric: true)),
                           at: 0)
        graph.nodes.insert(Node(name: "fq_x", opType: FakeQuantize.opType, domain: FakeQuantize.domain,
                                inputs: ["x", "x_s", "x_z"], outputs: ["x_fq"],
                                attributes: FakeQuantize.attributes(type: .uint8, axis: nil, mode: .lsq, symmetric: false)),
                           at: 0)
        graph.initializers["w1_s"] = Tensor(shape: [8], values: [Float](repeating: 0.08, count: 8))
        graph.initializers["w1_z"] = Tensor(shape: [8], values: [Float](repeating: 0, count: 8))
        graph.initializers["x_s"] = Tensor(shape: [], values: [Float(0.02)])
        graph.initializers["x_z"] = Tensor(shape: [], values: [Float(128)])
        model.graph = graph
        return model
    }

    func testWarmUpRampsLinearlyThenTheScheduleRunsOverTheRest() {
        var config = TrainingConfig()
        config.learningRate = 0.1
        config.epochs = 6
        config.warmupEpochs = 2
        // Warm-up: 0.1 · 1/3, 0.1 · 2/3; then cosine over 4 epochs: ½(1 + cos(π e / 4)) for e = 0 … 3.
        let expected: [Float] = [0.1 / 3, 0.2 / 3, 0.1, 0.05 * (1 + Float(cos(Double.pi / 4))), 0.05,
                                 0.05 * (1 + Float(cos(3 * Double.pi / 4)))]
        for (epoch, value) in expected.enumerated() {
            XCTAssertEqual(config.learningRate(epoch: epoch), value, accuracy: 1e-6, "epoch \(epoch)")
        }
        config.warmupEpochs = -1
        XCTAssertThrowsError(try config.validate())
    }

    /// The parameters of quantizedMLP() before training and after each epoch of a plain run with `config`.
    func trainedSnapshots(_ config: TrainingConfig) throws -> [[String: TrainTensor]] {
        var plain = try TrainingGraph(model: quantizedMLP())
        var snapshots = [plain.parameters]
        try Trainer.train(&plain, data: try clusterData(), validation: nil, config: config) { _, state in
            snapshots.append(state.parameters)
        }
        return snapshots
    }

    func testAveragingReturnsTheMeanOfTheLastEpochsParameters() throws {
        var config = TrainingConfig()
        config.epochs = 4
        config.batchSize = 8
        config.learningRate = 0.02
        let snapshots = Array(try trainedSnapshots(config).dropFirst())
        config.averageEpochs = 2
        var averaged = try TrainingGraph(model: quantizedMLP())
        try Trainer.train(&averaged, data: try clusterData(), validation: nil, config: config)
        XCTAssertTrue(averaged.learnable.contains("w1_s"), "learned scales are averaged too")
        for name in averaged.learnable {
            let (a, b) = (snapshots[2][name]!.values, snapshots[3][name]!.values)
            XCTAssertNotEqual(a, b, name)
            for i in a.indices {
                XCTAssertEqual(averaged.parameters[name]!.values[i], (a[i] + b[i]) / 2, accuracy: 1e-6, name)
            }
        }
    }

    /// With one step per epoch, the EMA after 2 steps is d²·p₀ + d(1 − d)·p₁ + (1 − d)·p₂ of the plain run's
    /// initial, first-epoch and second-epoch parameters.
    func testEMAIsTheDecayedAverageOfEveryStepsParameters() throws {
        var config = TrainingConfig()
        config.epochs = 2
        config.batchSize = 60
        config.learningRate = 0.05
        let snapshots = try trainedSnapshots(config)
        config.emaDecay = 0.9
        var smoothed = try TrainingGraph(model: quantizedMLP())
        try Trainer.train(&smoothed, data: try clusterData(), validation: nil, config: config)
        XCTAssertTrue(smoothed.learnable.contains("w1_s"), "learned scales are averaged too")
        for name in smoothed.learnable {
            let (p0, p1, p2) = (snapshots[0][name]!.values, snapshots[1][name]!.values, snapshots[2][name]!.values)
            XCTAssertNotEqual(p1, p2, name)
            for i in p0.indices {
                XCTAssertEqual(smoothed.parameters[name]!.values[i], 0.81 * p0[i] + 0.09 * p1[i] + 0.1 * p2[i],
                               accuracy: 1e-6, name)
            }
        }
        config.averageEpochs = 1
        XCTAssertThrowsError(try config.validate(), "EMA and epoch averaging exclude each other")
    }

    func testFrozenQuantizationKeepsScalesWhileWeightsStillLearn() throws {
        var config = TrainingConfig()
        config.epochs = 3
        config.batchSize = 8
        config.freezeQuantizationEpoch = 1
        var graph = try TrainingGraph(model: quantizedMLP())
        var snapshots: [[String: TrainTensor]] = []
        try Trainer.train(&graph, data: try clusterData(), validation: nil, config: config) { _, state in
            snapshots.append(state.parameters)
        }
        let initial = try TrainingGraph(model: quantizedMLP()).parameters
        for scale in ["w1_s", "x_s"] {
            XCTAssertNotEqual(snapshots[0][scale], initial[scale], "\(scale) learns in epoch 0")
            XCTAssertEqual(snapshots[2][scale], snapshots[0][scale], "\(scale) frozen from epoch 1")
        }
        XCTAssertNotEqual(snapshots[2]["w1"], snapshots[0]["w1"], "weights keep learning")
        // Min/max weight ranges stop following the weights too.
        var minmax = quantizedMLP()
        minmax.graph.nodes[1].attributes["mode"] = .string("minmax")
        config.freezeQuantizationEpoch = 0
        var frozen = try TrainingGraph(model: minmax)
        try Trainer.train(&frozen, data: try clusterData(), validation: nil, config: config)
        XCTAssertEqual(frozen.parameters["w1_s"], initial["w1_s"])
        XCTAssertNotEqual(frozen.parameters["w1"], initial["w1"])
    }

    func testValidationSplitIsSeededDisjointAndComplete() throws {
        let data = try clusterData(count: 50)
        let (training, validation) = try data.split(validationFraction: 0.2, seed: 7)
        XCTAssertEqual(validation.count, 10)
        XCTAssertEqual(training.count, 40)
        // Each sample (its 4 features) lands in exactly one part.
        func rows(_ part: TrainingData) -> [[Float]] {
            (0..<part.count).map { Array(part.inputs["x"]!.values[$0 * 4..<($0 + 1) * 4]) }
        }
        let all = (0..<50).map { Array(data.inputs["x"]!.values[$0 * 4..<($0 + 1) * 4]) }
        XCTAssertEqual(Set(rows(training) + rows(validation)), Set(all))
        XCTAssertTrue(Set(rows(training)).isDisjoint(with: Set(rows(validation))))
        for part in [training, validation] {
            for (row, label) in zip(rows(part), part.labels) { XCTAssertEqual(all.firstIndex(of: row)! % 3, label) }
        }
        XCTAssertEqual(try data.split(validationFraction: 0.2, seed: 7).validation.labels, validation.labels)
        XCTAssertEqual(rows(try data.split(validationFraction: 0.2, seed: 7).validation), rows(validation))
        XCTAssertNotEqual(rows(try data.split(validationFraction: 0.2, seed: 8).validation), rows(validation))
        XCTAssertThrowsError(try data.split(validationFraction: 1, seed: 0))
        XCTAssertThrowsError(try data.split(validationFraction: 0.999, seed: 0)) {
            XCTAssertTrue("\($0)".contains("leaves no training samples"), "\($0)")
        }
    }
}
