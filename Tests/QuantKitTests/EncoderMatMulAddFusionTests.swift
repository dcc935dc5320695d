import Foundation
import Testing
@testable import QuantKit

/// The encoder fixture's twelve MatMul → bias Add pairs run fused (MatMulAdd) and give the unfused outputs
/// within fp32 rounding.
@Suite struct EncoderMatMulAddFusionTests {
    @Test func fusedEncoderMatchesUnfused() throws {
        let support = ThreadDeterminismTests()
        let model = try ModelFile.load(ThreadDeterminismTests.fixtures.appendingPathComponent("encoder/model.onnx").path)
        let interpreter = try Interpreter(model: model, threads: 1)
        #expect(interpreter.executedGraph.nodes.filter { $0.opType == "MatMulAdd" }.count == 12)
        // Twelve Adds fused into MatMulAdd, and each layer's Gelu chain (Div, Erf, Add, Mul, Mul) into one node.
        #expect(interpreter.executedGraph.nodes.filter { $0.opType == "GeluChain" }.count == 2)
        #expect(interpreter.executedGraph.nodes.count == model.graph.nodes.count - 12 - 2 * 4)
        for batch in [1, 32] {
            let feeds = try support.feeds(for: model, from: "encoder/inputs.npz", batch: batch)
            let fused = try interpreter.run(feeds)
            let unfused = try interpreter.run(feeds, observe: { _, _ in })
            #expect(!fused.isEmpty && Set(fused.keys) == Set(unfused.keys))
            for (name, value) in fused {
                let reference = try #require(unfused[name]).floatValues
                #expect(value.floatValues.count == reference.count)
                let close = zip(value.floatValues, reference).allSatisfy { abs($0 - $1) <= 1e-5 * max(1, abs($1)) }
                #expect(close, "output \(name) batch \(batch)")
                #expect(value.floatValues != [Float](repeating: 0, count: reference.count))
            }
        }
    }
}
