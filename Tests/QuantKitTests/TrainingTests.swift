import Foundation
import XCTest
@testable import QuantKit

/// The one-call training API on the shipped digits fixture (small subsets, so the debug build stays quick).
final class TrainingTests: XCTestCase {
    static let digits = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fixtures/digits").standardizedFileURL

    func subset(_ file: String, _ count: Int) throws -> DataSet {
        let data = try DataSet.load(path: Self.digits.appendingPathComponent(file).path)
        return DataSet(path: data.path, arrays: try data.arrays.map { name, tensor in
            let size = tensor.count / tensor.shape[0]
            let part: Tensor
            switch tensor.storage {
            case .float32(let v): part = Tensor(shape: [count] + tensor.shape.dropFirst(), values: Array(v[0..<count * size]))
            case .int64(let v): part = Tensor(shape: [count] + tensor.shape.dropFirst(), values: Array(v[0..<count * size]))
            default: throw QuantKitError.invalidArgument("unexpected dtype")
            }
            return (name, part)
        })
    }

    func testQuantizationAwareTrainingWritesACheckpointPerEpochAndReturnsQDQ() throws {
        let model = try ModelFile.load(Self.digits.appendingPathComponent("model.onnx").path)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("qk-training-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let checkpoint = directory.appendingPathComponent("qat.onnx").path
        var config = TrainingConfig()
        config.epochs = 2
        config.learningRate = 3e-4
        var seen: [Int] = []
        let outcome = try Training.train(
            model, mode: .quantizationAware(quantization: QuantizationConfig(), calibration: try subset("calibration.npz", 64),
                                            options: FakeQuantOptions()),
            data: try subset("train.npz", 128), validation: try subset("test.npz", 64), config: config,
            checkpoint: checkpoint) { seen.append($0.epoch) }
        XCTAssertEqual(seen, [1, 2])
        XCTAssertEqual(outcome.epochs.count, 2)
        XCTAssertNotNil(outcome.initialAccuracy)
        XCTAssertTrue(Quantizer.isQuantized(outcome.model))
        XCTAssertFalse(outcome.model.graph.nodes.contains { $0.opType == FakeQuantize.opType })
        XCTAssertEqual(try ModelFile.load(checkpoint), outcome.model)
        // Training the float model on the same data refuses a quantized model, naming the fine-tuning path.
        XCTAssertThrowsError(try Training.train(outcome.model, mode: .float, data: try subset("train.npz", 8),
                                                validation: nil, config: config)) {
            XCTAssertTrue("\($0)".contains("qkit finetune"), "\($0)")
        }
    }
}
