import Foundation
import QKGraph
import QKTensor
import Testing
@testable import QKRuntime

/// The Interpreter folds BatchNormalization into Conv and fuses Relu (as onnxruntime does by default), and still
/// shows every value of the model to `observe` and to `outputNames`.
@Suite struct InterpreterFusionTests {
    /// x (N×2×5×5) → Conv 3×3 pad 1 (3 channels, bias) → BatchNormalization → Relu → y, seeded parameters.
    private static func convBatchNormRelu(seed: UInt64) -> (Model, [String: [Float]]) {
        var rng = SplitMix64(seed: seed)
        func floats(_ count: Int, _ range: ClosedRange<Float>) -> [Float] {
            (0..<count).map { _ in Float.random(in: range, using: &rng) }
        }
        let p: [String: [Float]] = [
            "w": floats(3 * 2 * 9, -1...1), "b": floats(3, -0.5...0.5), "scale": floats(3, 0.5...2),
            "shift": floats(3, -1...1), "mean": floats(3, -0.5...0.5), "var": floats(3, 0.1...2),
        ]
        let graph = Graph(
            nodes: [
                Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"],
                     attributes: ["pads": .ints([1, 1, 1, 1])]),
                Node(name: "bn", opType: "BatchNormalization", inputs: ["c", "scale", "shift", "mean", "var"],
                     outputs: ["n"]),
                Node(name: "relu", opType: "Relu", inputs: ["n"], outputs: ["y"]),
            ],
            inputs: [ValueInfo(name: "x", dtype: .float32, shape: nil)],
            outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
            initializers: [
                "w": Tensor(shape: [3, 2, 3, 3], values: p["w"]!), "b": Tensor(shape: [3], values: p["b"]!),
                "scale": Tensor(shape: [3], values: p["scale"]!), "shift": Tensor(shape: [3], values: p["shift"]!),
                "mean": Tensor(shape: [3], values: p["mean"]!), "var": Tensor(shape: [3], values: p["var"]!),
            ])
        return (Model(graph: graph, opsetImports: [OpsetImport(domain: "", version: 17)]), p)
    }

    /// Direct Conv → BatchNormalization (ε = 1e-5) → Relu in Double, independent of the runtime's kernels.
    private static func reference(_ x: [Float], batch: Int, _ p: [String: [Float]]) -> (conv: [Float], y: [Float]) {
        var conv = [Float](), y = [Float]()
        for n in 0..<batch {
            for m in 0..<3 {
                for i in 0..<5 {
                    for j in 0..<5 {
                        var sum = Double(p["b"]![m])
                        for c in 0..<2 {
                            for u in 0..<3 {
                                for v in 0..<3 where (0..<5).contains(i + u - 1) && (0..<5).contains(j + v - 1) {
                                    sum += Double(p["w"]![((m * 2 + c) * 3 + u) * 3 + v])
                                        * Double(x[((n * 2 + c) * 5 + i + u - 1) * 5 + j + v - 1])
                                }
                            }
                        }
                        let normalized = (sum - Double(p["mean"]![m])) / (Double(p["var"]![m]) + 1e-5).squareRoot()
                            * Double(p["scale"]![m]) + Double(p["shift"]![m])
                        conv.append(Float(sum))
                        y.append(Float(max(0, normalized)))
                    }
                }
            }
        }
        return (conv, y)
    }

    private static func maxError(_ a: Tensor?, _ b: [Float]) -> Float {
        guard let values = a?.values(as: Float.self), values.count == b.count else { return .infinity }
        return zip(values, b).map { abs($0 - $1) }.max() ?? 0
    }

    @Test(arguments: [(UInt64(1), 1), (UInt64(2), 3)])
    func fusedRunMatchesDirectComputation(seed: UInt64, batch: Int) throws {
        let (model, parameters) = Self.convBatchNormRelu(seed: seed)
        var rng = SplitMix64(seed: seed + 100)
        let x = (0..<batch * 50).map { _ in Float.random(in: -2...2, using: &rng) }
        let expected = Self.reference(x, batch: batch, parameters)
        let feeds = ["x": Tensor(shape: [batch, 2, 5, 5], values: x)]
        for threads in [1, 2] {
            let interpreter = try Interpreter(model: model, threads: threads)
            #expect(interpreter.executedGraph.nodes.map(\.opType) == ["FusedConv"])
            #expect(Self.maxError(try interpreter.run(feeds)["y"], expected.y) < 1e-4)
            // observe sees the unfused values, and an intermediate fused away can still be asked for.
            var seen: [String] = []
            let observed = try interpreter.run(feeds) { name, _ in seen.append(name) }
            #expect(seen == ["c", "n", "y"])
            #expect(Self.maxError(observed["y"], expected.y) < 1e-4)
            let conv = try interpreter.run(feeds, outputNames: ["c"])["c"]
            #expect(Self.maxError(conv, expected.conv) < 1e-4)
        }
    }
}
