import QKGraph
import QKTensor
import Testing
@testable import QKRuntime

/// Which graphs ``BatchSlicing`` proves per-sample. Graphs that mix samples across axis 0 must not be sliced
/// (their 2-thread run gives the 1-thread bytes, unsliced); per-sample graphs are sliced and give, row for row,
/// the bytes of running each sample alone.
@Suite struct BatchSlicingTests {
    /// A model with input x: float32[N, dims…] (N symbolic), output y, and the given nodes and initializers.
    static func model(_ dims: [Int], _ nodes: [Node], _ initializers: [String: Tensor] = [:]) -> Model {
        let input = ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("N")] + dims.map { .known($0) })
        let graph = Graph(nodes: nodes, inputs: [input], outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
                          initializers: initializers)
        return Model(graph: graph)
    }

    static func node(_ op: String, _ inputs: [String], _ output: String = "y",
                     _ attributes: [String: Attribute] = [:]) -> Node {
        Node(name: op.lowercased(), opType: op, inputs: inputs, outputs: [output], attributes: attributes)
    }

    static func ints(_ values: [Int64]) -> Tensor { Tensor(shape: [values.count], values: values) }

    static func floats(_ shape: [Int], seed: UInt64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        return Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &rng) })
    }

    /// Graphs whose output rows mix samples, by name.
    static let mixing: [(String, Model)] = [
        ("Reshape [-1, 32] of [N, 64]", model([64], [node("Reshape", ["x", "s"])], ["s": ints([-1, 32])])),
        ("Transpose perm [1, 0]", model([64], [node("Transpose", ["x"], "y", ["perm": .ints([1, 0])])])),
        ("ReduceSum over axis 0", model([64], [node("ReduceSum", ["x", "a"])], ["a": ints([0])])),
        ("Concat along axis 0", model([64], [node("Concat", ["x", "x"], "y", ["axis": .int(0)])])),
        ("Gemm with transA = 1", model([64], [node("Gemm", ["x", "w"], "y", ["transA": .int(1)])],
                                       ["w": floats([8, 4], seed: 1)])),
        ("MatMul with the batch as K", model([64], [node("MatMul", ["w", "x"])], ["w": floats([4, 8], seed: 2)])),
        ("Flatten axis 0", model([64], [node("Flatten", ["x"], "y", ["axis": .int(0)])])),
        ("Flatten axis 2 of [N, 4, 16]", model([4, 16], [node("Flatten", ["x"], "y", ["axis": .int(2)])])),
        ("Mul by an [N, 64] constant", model([64], [node("Mul", ["x", "c"])], ["c": floats([8, 64], seed: 3)])),
        ("Reshape to Shape(x) reversed", model([64], [
            node("Shape", ["x"], "s"), node("Gather", ["s", "i"], "r", ["axis": .int(0)]),
            node("Reshape", ["x", "r"]),
        ], ["i": ints([1, 0])])),
        ("Sum with the batch size", model([64], [
            node("Shape", ["x"], "s"), node("Cast", ["s"], "f", ["to": .int(1)]), node("ReduceSum", ["f", "a"], "n"),
            node("Add", ["x", "n"]),
        ], ["a": ints([0])])),
    ]

    @Test(arguments: mixing.indices)
    func graphsThatMixSamplesAreNotSliced(index: Int) throws {
        let (label, model) = Self.mixing[index]
        let interpreter = try Interpreter(model: model, threads: 2)
        #expect(!interpreter.batchSlicing.isSliceable, "\(label)")
        let shape = model.graph.inputs[0].shape!.map { $0.value ?? 8 }
        let feeds = ["x": Self.floats(shape, seed: 7)]
        #expect(interpreter.sliceCount(for: feeds) == 1, "\(label)")
        let single = try Interpreter(model: model, threads: 1).run(feeds)
        #expect(try interpreter.run(feeds).mapValues(\.littleEndianBytes) == single.mapValues(\.littleEndianBytes),
                "\(label)")
    }

    /// Per-sample graphs (shape data followed from Shape, axes ≠ 0, a constant 0 copying dim 0, row-wise Gemm
    /// and MatMul): sliced, and each output row equals the run of its sample alone.
    @Test func perSampleGraphsAreSlicedRowForRow() throws {
        let heads: [Node] = [
            Self.node("Shape", ["x"], "s"), Self.node("Gather", ["s", "zero"], "n", ["axis": .int(0)]),
            Self.node("Unsqueeze", ["n", "axes"], "n1"), Self.node("Concat", ["n1", "tail"], "shape", ["axis": .int(0)]),
            Self.node("Reshape", ["x", "shape"], "r"), Self.node("Transpose", ["r"], "t", ["perm": .ints([0, 2, 1])]),
            Self.node("Softmax", ["t"], "p", ["axis": .int(-1)]), Self.node("ReduceSum", ["p", "one"], "q"),
            Self.node("Reshape", ["q", "flat"], "f"), Self.node("Gemm", ["f", "w"], "g", ["transB": .int(1)]),
            Self.node("MatMul", ["g", "m"], "y"),
        ]
        let model = Self.model([64], heads, [
            "zero": Tensor(shape: [], values: [Int64(0)]), "axes": Self.ints([0]), "tail": Self.ints([4, 16]),
            "one": Self.ints([1]), "flat": Self.ints([0, -1]), "w": Self.floats([12, 4], seed: 8),
            "m": Self.floats([12, 5], seed: 9),
        ])
        let interpreter = try Interpreter(model: model, threads: 2)
        interpreter.minimumSliceMultiplyAdds = 0  // a small graph: slice it anyway
        #expect(interpreter.batchSlicing.isSliceable, "\(interpreter.batchSlicing.refusal ?? "")")
        let x = Self.floats([9, 64], seed: 10)
        #expect(interpreter.sliceCount(for: ["x": x]) == 2)
        let single = try Interpreter(model: model, threads: 1)
        let rows = try (0..<9).map { try single.run(["x": x.rows($0..<$0 + 1)])["y"]! }
        let joined = try Tensor.concatenatingRows(rows)
        let sliced = try interpreter.run(["x": x])["y"]!
        #expect(sliced.shape == [9, 5])
        #expect(sliced.littleEndianBytes == joined.littleEndianBytes)
        #expect(sliced.littleEndianBytes == (try single.run(["x": x])["y"]!.littleEndianBytes))
    }

    /// BatchNormalization in training mode (statistics over the batch; the runtime does not run it) is refused.
    @Test func trainingBatchNormalizationIsNotSliceable() {
        let model = Self.model([2, 4], [
            Node(name: "bn", opType: "BatchNormalization", inputs: ["x", "g", "b", "m", "v"], outputs: ["y", "rm", "rv"],
                 attributes: ["training_mode": .int(1)]),
        ], ["g": Self.floats([2], seed: 4), "b": Self.floats([2], seed: 5), "m": Self.floats([2], seed: 6),
            "v": Tensor(shape: [2], values: [Float(1), 2])])
        #expect(!BatchSlicing(model: model).isSliceable)
    }

    /// A subgraph (If) reading the batched input from the outer scope, and an input whose batch symbol also sizes
    /// another dim, are refused for those reasons.
    @Test func subgraphsAndSharedBatchSymbolsAreNotSliceable() {
        let branch = Graph(nodes: [Self.node("ReduceSum", ["x", "zero"], "s")],
                           outputs: [ValueInfo(name: "s", dtype: .float32, shape: nil)])
        let conditional = Self.model([64], [
            Node(name: "if", opType: "If", inputs: ["c"], outputs: ["y"],
                 attributes: ["then_branch": .graph(branch), "else_branch": .graph(branch)]),
        ], ["c": Tensor(shape: [], values: [true]), "zero": Self.ints([0])])
        #expect(BatchSlicing(model: conditional).refusal?.contains("subgraph") == true)
        let square = Model(graph: Graph(
            nodes: [Self.node("Relu", ["x"])],
            inputs: [ValueInfo(name: "x", dtype: .float32, shape: [.symbolic("N"), .symbolic("N")])],
            outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)]))
        #expect(BatchSlicing(model: square).refusal?.contains("another dim") == true)
    }

    /// A kernel error inside a slice surfaces as the unsliced run's error.
    @Test func sliceErrorsAreTheUnslicedError() throws {
        let input = ValueInfo(name: "x", dtype: .int64, shape: [.symbolic("N"), .known(2)])
        let graph = Graph(nodes: [Self.node("Gather", ["w", "x"])], inputs: [input],
                          outputs: [ValueInfo(name: "y", dtype: .float32, shape: nil)],
                          initializers: ["w": Self.floats([4, 3], seed: 11)])
        let lookup = Model(graph: graph)
        let interpreter = try Interpreter(model: lookup, threads: 2)
        interpreter.minimumSliceMultiplyAdds = 0
        #expect(interpreter.batchSlicing.isSliceable, "\(interpreter.batchSlicing.refusal ?? "")")
        let bad = ["x": Tensor(shape: [6, 2], values: [Int64](repeating: 1, count: 10) + [9, 1])]
        #expect(interpreter.sliceCount(for: bad) == 2)
        var slicedError = "", unslicedError = ""
        do { _ = try interpreter.run(bad) } catch { slicedError = "\(error)" }
        do { _ = try Interpreter(model: lookup, threads: 1).run(bad) } catch { unslicedError = "\(error)" }
        #expect(!slicedError.isEmpty)
        #expect(slicedError == unslicedError)
    }
}
