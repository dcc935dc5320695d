import Foundation
import Testing
@testable import QuantKit

/// The encoder's shape subgraph (Shape → Gather → Unsqueeze → Concat, Range) is reused across runs while the
/// batch size repeats and recomputed when it changes; outputs keep the bits of a run that computes every step.
@Suite struct EncoderShapeCacheTests {
    @Test func encoderShapeSubgraphIsCachedAcrossBatchSizes() throws {
        let support = ThreadDeterminismTests()
        let model = try ModelFile.load(ThreadDeterminismTests.fixtures.appendingPathComponent("encoder/model.onnx").path)
        let interpreter = try Interpreter(model: model, threads: 1)
        for batch in [1, 3, 3, 1] {
            let feeds = try support.feeds(for: model, from: "encoder/inputs.npz", batch: batch)
            let cached = try interpreter.run(feeds)
            // A new interpreter's first run has nothing cached: every step runs.
            let full = try Interpreter(model: model, threads: 1).run(feeds)
            #expect(!cached.isEmpty && Set(cached.keys) == Set(full.keys))
            for (name, value) in cached {
                let reference = try #require(full[name])
                #expect(value.shape == reference.shape)
                #expect(value.floatValues.map(\.bitPattern) == reference.floatValues.map(\.bitPattern), "\(name) batch \(batch)")
            }
        }
    }
}
