import Foundation
import QKKernels
import Testing
@testable import QuantKit
@testable import QKRuntime

/// Batch-sliced runs of the fixtures (fp32 and per-channel int8): the graphs are proved per-sample, a 2-thread
/// run of a batch is split into slices, and any split of a batch gives the unsliced run's rows bit for bit.
@Suite struct BatchSlicedRunTests {
    static let cases = [("digits", "digits/test.npz", "digits/calibration.npz"),
                        ("encoder", "encoder/inputs.npz", "encoder/calibration.npz")]

    @Test(arguments: cases)
    func fixturesAreSlicedAtBatch32(name: String, data: String, calibration: String) throws {
        let support = ThreadDeterminismTests()
        for model in try ParallelRunDeterminismTests().variants(of: name, calibration: calibration) {
            let interpreter = try Interpreter(model: model, threads: 2)
            #expect(interpreter.batchSlicing.isSliceable, "\(name): \(interpreter.batchSlicing.refusal ?? "")")
            #expect(interpreter.sliceCount(for: try support.feeds(for: model, from: data, batch: 32)) == 2)
            #expect(interpreter.sliceCount(for: try support.feeds(for: model, from: data, batch: 1)) == 1)
            #expect(try Interpreter(model: model, threads: 1).sliceCount(for: support.feeds(for: model, from: data, batch: 32)) == 1)
        }
    }

    /// For seeded random batch sizes and split points, running rows [0, a) and [a, B) on their own and joining
    /// the outputs gives the bytes of the whole batch on one thread (a sample's result does not depend on its
    /// position in the batch or on the batch size), and so does the 2-thread sliced run.
    @Test(arguments: cases)
    func slicesGiveTheUnslicedRows(name: String, data: String, calibration: String) throws {
        let support = ThreadDeterminismTests()
        var random = SplitMix64(seed: 5)
        for (index, model) in try ParallelRunDeterminismTests().variants(of: name, calibration: calibration).enumerated() {
            let single = try Interpreter(model: model, threads: 1)
            let double = try Interpreter(model: model, threads: 2)
            for _ in 0..<4 {
                let batch = Int.random(in: 2...40, using: &random)
                let split = Int.random(in: 1..<batch, using: &random)
                let feeds = try support.feeds(for: model, from: data, batch: batch)
                let whole = try single.run(feeds)
                let head = try single.run(feeds.mapValues { $0.rows(0..<split) })
                let tail = try single.run(feeds.mapValues { $0.rows(split..<batch) })
                let label = "\(name) \(index == 0 ? "fp32" : "int8") batch \(batch) split \(split)"
                for (output, value) in whole {
                    let joined = try Tensor.concatenatingRows([head[output]!, tail[output]!])
                    let same = joined.littleEndianBytes == value.littleEndianBytes
                    #expect(same, "\(label) \(output)")
                }
                let sliced = try double.run(feeds).mapValues(\.littleEndianBytes) == whole.mapValues(\.littleEndianBytes)
                #expect(sliced, "\(label) 2 threads")
            }
        }
    }
}
