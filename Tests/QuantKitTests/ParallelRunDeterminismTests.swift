import Dispatch
import Foundation
import QKKernels
import Testing
@testable import QuantKit

/// Repeated and concurrent runs of the fixtures on 2 threads give the bytes of one thread every time: which
/// thread claims which chunk (it changes from run to run) never changes a result.
@Suite struct ParallelRunDeterminismTests {
    static let fixtures = ThreadDeterminismTests.fixtures

    /// The fp32 model and its per-channel static int8 quantization.
    func variants(of name: String, calibration: String) throws -> [Model] {
        let model = try ModelFile.load(Self.fixtures.appendingPathComponent("\(name)/model.onnx").path)
        var config = QuantizationConfig()
        config.weightGranularity = .perChannel(axis: nil)
        let names = Set(model.graph.runtimeInputs.map(\.name))
        var calibrationSet = try DataSet.load(path: Self.fixtures.appendingPathComponent(calibration).path)
        calibrationSet.arrays = calibrationSet.arrays.filter { names.contains($0.name) }
        return [model, try Quantizer.quantize(model, config: config, calibration: calibrationSet).model]
    }

    @Test(arguments: [("digits", "digits/test.npz", "digits/calibration.npz"),
                      ("encoder", "encoder/inputs.npz", "encoder/calibration.npz")])
    func repeatedAndConcurrentRunsMatchOneThread(name: String, data: String, calibration: String) throws {
        let support = ThreadDeterminismTests()
        let backoff = setParallelBackoff(false)  // every job on the workers, even on a busy test machine
        defer { setParallelBackoff(backoff) }
        for (index, model) in try variants(of: name, calibration: calibration).enumerated() {
            for batch in [1, 32] {
                let feeds = try support.feeds(for: model, from: data, batch: batch)
                let label = "\(name) \(index == 0 ? "fp32" : "int8") batch \(batch)"
                let single = try support.outputBytes(model, feeds, threads: 1)
                #expect(!single.isEmpty)
                let interpreter = try Interpreter(model: model, threads: 2)
                for run in 0..<12 {
                    let bytes = try interpreter.run(feeds).mapValues { $0.littleEndianBytes }
                    #expect(bytes == single, "\(label) run \(run)")
                }
                // Two threads running the same interpreter at once: one holds the pool, the other runs serially.
                let matches = UnsafeMutableBufferPointer<Int>.allocate(capacity: 2)
                defer { matches.deallocate() }
                matches.initialize(repeating: 0)
                DispatchQueue.concurrentPerform(iterations: 2) { caller in
                    for _ in 0..<6 {
                        let bytes = try? interpreter.run(feeds).mapValues { $0.littleEndianBytes }
                        matches[caller] += bytes == single ? 1 : 0
                    }
                }
                #expect(Array(matches) == [6, 6], "\(label) concurrent runs")
            }
        }
    }
}
