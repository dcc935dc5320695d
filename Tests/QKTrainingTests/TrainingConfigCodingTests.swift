import Foundation
import XCTest
@testable import QKTraining

/// JSON configs over a base (the 4-bit QAT recipe), freezing for the last epochs, teacher-only shifted copies.
final class TrainingConfigCodingTests: XCTestCase {
    func testJSONOverABaseKeepsWhatItDoesNotName() throws {
        let base = TrainingConfig.lowBitQuantizationAware
        let json = Data(#"{"epochs": 20, "learningRate": 0.002, "optimizer": "sgd"}"#.utf8)
        let config = try TrainingConfig.decoded(from: json, over: base)
        XCTAssertEqual(config.epochs, 20)
        XCTAssertEqual(config.learningRate, 0.002)
        XCTAssertEqual(config.optimizer, .sgd)
        XCTAssertEqual(config.distillation, 0.5, "kept from the base")
        XCTAssertEqual(config.temperature, 4)
        XCTAssertEqual(config.quantizationFrozenFrom, 17, "the last 3 of the file's 20 epochs")
        // Plain decoding starts from init(): the base's distillation is not there.
        let plain = try JSONDecoder().decode(TrainingConfig.self, from: json)
        XCTAssertEqual(plain.distillation, 0)
        XCTAssertNil(plain.quantizationFrozenFrom)
        XCTAssertEqual(plain.epochs, 20)
    }

    func testEveryFieldSurvivesAnEncodeDecodeRoundTrip() throws {
        var config = TrainingConfig()
        (config.epochs, config.learningRate, config.optimizer, config.momentum) = (7, 0.02, .sgd, 0.8)
        (config.weightDecay, config.schedule, config.stepEvery, config.stepGamma) = (1e-4, .step, 3, 0.5)
        (config.batchSize, config.seed, config.batchNorm, config.threads) = (16, 42, .frozen, 1)
        (config.distillation, config.temperature, config.warmupEpochs, config.averageEpochs) = (0.3, 2, 1, 2)
        (config.emaDecay, config.freezeQuantizationEpoch, config.freezeQuantizationLastEpochs) = (0.5, 4, 2)
        (config.validationSplit, config.shiftAugmentation, config.shiftTeacherOnly) = (0.2, 1, true)
        let json = try JSONEncoder().encode(config)
        XCTAssertEqual(try JSONDecoder().decode(TrainingConfig.self, from: json), config)
        let keys = try JSONSerialization.jsonObject(with: json) as? [String: Any]
        XCTAssertEqual(keys?.count, TrainingConfig.fields.count, "one key per field")
        XCTAssertEqual(keys?["learningRate"] as? Double ?? 0, 0.02, accuracy: 1e-7)
        var options = AdaRoundOptions()
        (options.iterations, options.betaStart) = (10, 5)
        XCTAssertEqual(try JSONDecoder().decode(AdaRoundOptions.self, from: try JSONEncoder().encode(options)), options)
        let partial = try JSONDecoder().decode(AdaRoundOptions.self, from: Data(#"{"warmup": 0.5}"#.utf8))
        XCTAssertEqual(partial.warmup, 0.5)
        XCTAssertEqual(partial.iterations, AdaRoundOptions().iterations)
        XCTAssertThrowsError(try JSONDecoder().decode(TrainingConfig.self, from: Data(#"{"epochs": "ten"}"#.utf8)))
    }

    func testAMisspeltKeyIsNamedNotIgnored() throws {
        let json = Data(#"{"epochs": 3, "learning_rate": 0.01}"#.utf8)
        XCTAssertThrowsError(try TrainingConfig.decoded(from: json, over: TrainingConfig())) { error in
            let unknown = error as? UnknownConfigKey
            XCTAssertEqual(unknown?.key, "learning_rate")
            XCTAssertTrue(unknown?.known.contains("learningRate") ?? false)
            XCTAssertTrue("\(error)".contains("unknown key 'learning_rate'"), "\(error)")
        }
        let nested = Data(#"{"iterations": 5, "beta": 2}"#.utf8)
        XCTAssertThrowsError(try JSONDecoder().decode(AdaRoundOptions.self, from: nested)) { error in
            XCTAssertEqual((error as? UnknownConfigKey)?.key, "beta")
        }
    }

    func testFreezingTheLastEpochsAndAnExplicitEpochThatWins() throws {
        var config = TrainingConfig()
        config.epochs = 10
        XCTAssertNil(config.quantizationFrozenFrom)
        config.freezeQuantizationLastEpochs = 3
        XCTAssertEqual(config.quantizationFrozenFrom, 7)
        config.epochs = 2
        XCTAssertEqual(config.quantizationFrozenFrom, 0, "more frozen epochs than epochs: frozen throughout")
        config.freezeQuantizationEpoch = 1000
        XCTAssertEqual(config.quantizationFrozenFrom, 1000)
        config.freezeQuantizationLastEpochs = -1
        XCTAssertThrowsError(try config.validate())
    }

    func testTeacherOnlyShiftedCopiesAreMarkedAndNeedDistillation() throws {
        let data = try TrainingData(inputs: ["x": TrainTensor(shape: [2, 1, 3, 3], values: (0..<18).map(Float.init))],
                                    labels: [1, 2])
        XCTAssertNil(try data.shifted(maxShift: 1).teacherOnly)
        let marked = try data.shifted(maxShift: 1, teacherOnly: true)
        XCTAssertEqual(marked.teacherOnly, [false, false] + [Bool](repeating: true, count: 16))
        let batch = marked.batch([17, 0, 3])
        XCTAssertEqual(batch.teacherOnly, [true, false, true])
        var config = TrainingConfig()
        config.shiftTeacherOnly = true
        config.shiftAugmentation = 1
        XCTAssertThrowsError(try config.validate(), "no distillation weight")
        config.distillation = 0.5
        XCTAssertNoThrow(try config.validate())
        config.shiftAugmentation = 0
        XCTAssertThrowsError(try config.validate(), "no shifted copies")
    }

    func testPerRowDistillationWeightsMixEachRowsOwnLoss() {
        let logits = TrainTensor(shape: [2, 3], values: [1, -0.5, 2, 0.3, 0.1, -1])
        let teacher = TrainTensor(shape: [2, 3], values: [2, 0, 1, -1, 1.5, 0])
        let labels = [2, 0]
        let mixed = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels, teacher: teacher, weights: [0.5, 1],
                                                 temperature: 4)
        // Row by row with the one-weight form (one row each: a mean over one row), halved for the mean over two.
        for (row, weight) in [(0, Float(0.5)), (1, Float(1))] {
            let single = SoftmaxCrossEntropy.evaluate(
                logits: TrainTensor(shape: [1, 3], values: Array(logits.values[row * 3..<row * 3 + 3])), labels: [labels[row]],
                teacher: TrainTensor(shape: [1, 3], values: Array(teacher.values[row * 3..<row * 3 + 3])),
                weight: weight, temperature: 4)
            for k in 0..<3 {
                XCTAssertEqual(mixed.gradient.values[row * 3 + k], single.gradient.values[k] / 2, accuracy: 1e-7)
            }
        }
        // Row 1 learns the teacher only: its gradient is T · (softmax(z/T) − softmax(t/T)) / N, labels unused.
        let relabelled = SoftmaxCrossEntropy.evaluate(logits: logits, labels: [2, 1], teacher: teacher, weights: [0.5, 1],
                                                      temperature: 4)
        XCTAssertEqual(Array(relabelled.gradient.values[3...]), Array(mixed.gradient.values[3...]))
    }
}
