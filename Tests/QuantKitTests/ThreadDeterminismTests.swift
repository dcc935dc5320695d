import Foundation
import Testing
@testable import QuantKit

/// The shipped fixtures, fp32 and statically quantized (per channel), give bit-identical outputs whatever the
/// thread count: parallel chunks never change the arithmetic of any element.
@Suite struct ThreadDeterminismTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Fixtures").standardizedFileURL

    /// The model's runtime inputs taken from `file`, as a batch of `batch` rows.
    func feeds(for model: Model, from file: String, batch: Int) throws -> [String: Tensor] {
        let names = Set(model.graph.runtimeInputs.map(\.name))
        let data = try DataSet.load(path: Self.fixtures.appendingPathComponent(file).path)
        let arrays = Dictionary(uniqueKeysWithValues: data.arrays.filter { names.contains($0.name) })
        #expect(Set(arrays.keys) == names)
        return try LatencyBenchmark.batch(of: batch, from: arrays)
    }

    func outputBytes(_ model: Model, _ feeds: [String: Tensor], threads: Int) throws -> [String: [UInt8]] {
        try Interpreter(model: model, threads: threads).run(feeds).mapValues { $0.littleEndianBytes }
    }

    @Test(arguments: [("digits", "digits/test.npz", "digits/calibration.npz"),
                      ("encoder", "encoder/inputs.npz", "encoder/calibration.npz")])
    func outputsDoNotDependOnThreads(name: String, data: String, calibration: String) throws {
        for variant in try ParallelRunDeterminismTests().variants(of: name, calibration: calibration) {
            let batch = try feeds(for: variant, from: data, batch: 32)
            let single = try outputBytes(variant, batch, threads: 1)
            #expect(!single.isEmpty)
            for threads in 2...4 {
                #expect(try outputBytes(variant, batch, threads: threads) == single, "\(name) threads \(threads)")
            }
        }
    }
}
