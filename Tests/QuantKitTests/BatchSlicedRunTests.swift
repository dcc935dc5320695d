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

    /// Slicing needs ≥ 512 k multiply-adds per slice. The digits CNN costs conv1 8·8·16·(1·9) + conv2 4·4·32·(16·9)
    /// + fc1 64·128 + fc2 10·64 = 91,776 per image (fp32 and int8 alike), so 2 threads slice batch 16 (8 rows,
    /// 734 k) but not batch 8 (367 k); the encoder (far more per row) is sliced from batch 4.
    @Test func smallBatchesOfSmallModelsAreNotSliced() throws {
        let support = ThreadDeterminismTests()
        for model in try ParallelRunDeterminismTests().variants(of: "digits", calibration: "digits/calibration.npz") {
            let interpreter = try Interpreter(model: model, threads: 2)
            let feeds = { (batch: Int) in try support.feeds(for: model, from: "digits/test.npz", batch: batch) }
            #expect(interpreter.rowMultiplyAdds(try feeds(8)) == 91_776)
            #expect(interpreter.sliceCount(for: try feeds(8)) == 1)
            #expect(interpreter.sliceCount(for: try feeds(16)) == 2)
            #expect(interpreter.batchSlicingSummary(for: try feeds(8)).contains("91776 multiply-adds per row"))
        }
        for model in try ParallelRunDeterminismTests().variants(of: "encoder", calibration: "encoder/calibration.npz") {
            let interpreter = try Interpreter(model: model, threads: 2)
            let feeds = try support.feeds(for: model, from: "encoder/inputs.npz", batch: 4)
            #expect(interpreter.rowMultiplyAdds(feeds) >= 256_000)
            #expect(interpreter.sliceCount(for: feeds) == 2)
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
            double.minimumSliceMultiplyAdds = 0  // small batches too, whatever they cost
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
