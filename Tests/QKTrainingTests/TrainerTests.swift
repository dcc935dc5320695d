import QKGraph
import QKTensor
import XCTest
@testable import QKTraining

/// Training loop, optimizers, schedules, determinism and the errors training reports.
final class TrainerTests: XCTestCase {
    func mlp(seed: UInt64 = 1) -> Model { trainingMLP(seed: seed) }

    func clusters(count: Int = 60) throws -> TrainingData { try clusterData(count: count) }

    func testTrainingReducesTheLossAndLearnsTheClusters() throws {
        var graph = try TrainingGraph(model: mlp())
        XCTAssertEqual(graph.logitsName, "z", "softmax at the output is fused into the loss")
        let data = try clusters()
        var config = TrainingConfig()
        config.epochs = 20
        config.learningRate = 0.05
        config.batchSize = 8
        var losses: [Double] = []
        try Trainer.train(&graph, data: data, validation: data, config: config) { report, _ in losses.append(report.loss) }
        XCTAssertEqual(losses.count, 20)
        XCTAssertLessThan(losses.last!, losses.first! * 0.2)
        XCTAssertEqual(try Trainer.accuracy(graph, on: data), 1)
    }

    func testSameSeedSameParametersOtherSeedOtherParameters() throws {
        func run(seed: UInt64) throws -> [String: TrainTensor] {
            var graph = try TrainingGraph(model: mlp())
            var config = TrainingConfig()
            config.epochs = 2
            config.batchSize = 7
            config.seed = seed
            try Trainer.train(&graph, data: try clusters(), validation: nil, config: config)
            return graph.parameters
        }
        XCTAssertEqual(try run(seed: 3), try run(seed: 3))
        XCTAssertNotEqual(try run(seed: 3), try run(seed: 4))
    }

    func testAdamAndSGDStepsMatchTheirFormulas() {
        var parameters = ["w": TrainTensor(shape: [2], values: [1, -2])]
        let gradient = ["w": TrainTensor(shape: [2], values: [0.5, -0.25])]
        var config = TrainingConfig()
        config.optimizer = .sgd
        config.momentum = 0.5
        var sgd = OptimizerState(config: config)
        sgd.update(&parameters, gradients: gradient, rate: 0.1)
        sgd.update(&parameters, gradients: gradient, rate: 0.1)
        // v1 = g, v2 = 0.5 g + g = 1.5 g; p = p0 − 0.1 · (g + 1.5 g).
        XCTAssertEqual(parameters["w"]!.values[0], 1 - 0.1 * 2.5 * 0.5, accuracy: 1e-6)
        XCTAssertEqual(parameters["w"]!.values[1], -2 + 0.1 * 2.5 * 0.25, accuracy: 1e-6)

        parameters = ["w": TrainTensor(shape: [2], values: [1, -2])]
        config.optimizer = .adam
        var adam = OptimizerState(config: config)
        adam.update(&parameters, gradients: gradient, rate: 0.01)
        // First Adam step: m̂ = g, v̂ = g², so p moves by lr · g / (|g| + ε) = lr · sign(g).
        XCTAssertEqual(parameters["w"]!.values[0], 1 - 0.01, accuracy: 1e-6)
        XCTAssertEqual(parameters["w"]!.values[1], -2 + 0.01, accuracy: 1e-6)
    }

    func testPositiveParametersMoveAtMostToHalfTheirValue() {
        // First Adam step: p moves by lr · sign(g) = 0.01; the scale 1e-3 would become −0.009 and stops at 5e-4.
        var parameters = ["s": TrainTensor(shape: [2], values: [1e-3, 2]), "w": TrainTensor(shape: [1], values: [1e-3])]
        let gradients = ["s": TrainTensor(shape: [2], values: [4, 1]), "w": TrainTensor(shape: [1], values: [4])]
        var adam = OptimizerState(config: TrainingConfig())
        adam.update(&parameters, gradients: gradients, rate: 0.01, positive: ["s"])
        XCTAssertEqual(parameters["s"]!.values[0], 5e-4, accuracy: 1e-9)
        XCTAssertEqual(parameters["s"]!.values[1], 2 - 0.01, accuracy: 1e-6)
        XCTAssertEqual(parameters["w"]!.values[0], 1e-3 - 0.01, accuracy: 1e-7)  // not named: a plain step
    }

    func testLearningRateSchedules() {
        var config = TrainingConfig()
        config.learningRate = 0.1
        config.epochs = 4
        XCTAssertEqual(config.learningRate(epoch: 2), 0.05, accuracy: 1e-7)  // cosine: ½(1 + cos(π/2))
        config.schedule = .step
        config.stepEvery = 2
        config.stepGamma = 0.5
        XCTAssertEqual([0, 1, 2, 3, 4].map { config.learningRate(epoch: $0) }, [0.1, 0.1, 0.05, 0.05, 0.025])
        config.schedule = .constant
        XCTAssertEqual(config.learningRate(epoch: 3), 0.1)
    }

    func testLabelsOutOfRangeAreNamed() throws {
        let graph = try TrainingGraph(model: mlp())
        var data = try clusters(count: 6)
        data.labels[4] = 3
        XCTAssertThrowsError(try Trainer.check(graph, data)) { error in
            XCTAssertEqual(error as? TrainingError, .labelOutOfRange(index: 4, label: 3, classes: 3))
        }
    }

    func testDataThatDoesNotFitTheInputsIsRefused() throws {
        let graph = try TrainingGraph(model: mlp())
        let wrong = try TrainingData(inputs: ["x": TrainTensor(zeros: [6, 5])], labels: Array(repeating: 0, count: 6))
        XCTAssertThrowsError(try Trainer.check(graph, wrong)) { error in
            XCTAssertTrue("\(error)".contains("does not fit the model"), "\(error)")
            XCTAssertTrue("\(error)".contains("fc1"), "\(error)")
        }
        let missing = try TrainingData(inputs: ["y": TrainTensor(zeros: [6, 4])], labels: Array(repeating: 0, count: 6))
        XCTAssertThrowsError(try Trainer.check(graph, missing)) { XCTAssertTrue("\($0)".contains("no array named 'x'")) }
    }

    func testUnsupportedOpsAreListedByName() {
        var model = mlp()
        model.graph.nodes.insert(Node(name: "norm", opType: "LpNormalization", inputs: ["x"], outputs: ["x2"]), at: 0)
        model.graph.nodes.insert(Node(name: "act", opType: "Gelu", inputs: ["x2"], outputs: ["x3"]), at: 1)
        model.graph.nodes[2].inputs[0] = "x3"
        XCTAssertThrowsError(try TrainingGraph(model: model)) { error in
            XCTAssertEqual(error as? TrainingError, .unsupportedOps(["norm (LpNormalization)", "act (Gelu)"]))
            XCTAssertTrue("\(error)".contains("qkit quantize --mode static"))
        }
    }

    func testDivergingLearningRateStopsAtTheLastGoodEpoch() throws {
        var graph = try TrainingGraph(model: mlp())
        var config = TrainingConfig()
        config.epochs = 50
        config.optimizer = .sgd
        config.learningRate = 1e4
        config.schedule = .constant
        var checkpoints: [Int: [String: TrainTensor]] = [:]
        XCTAssertThrowsError(try Trainer.train(&graph, data: try clusters(), validation: nil, config: config) { report, state in
            checkpoints[report.epoch] = state.parameters
        }) { error in
            guard case .diverged(_, _, _, let lastGood)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertEqual(lastGood, checkpoints.keys.max())
            if let lastGood { XCTAssertEqual(graph.parameters, checkpoints[lastGood]) }
            XCTAssertTrue("\(error)".contains("lower --lr"))
        }
        XCTAssertTrue(graph.parameters.values.allSatisfy { $0.values.allSatisfy(\.isFinite) })
    }
}
