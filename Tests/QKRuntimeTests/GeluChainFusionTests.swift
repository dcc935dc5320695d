import Foundation
import QKGraph
import QKTensor
import Testing
@testable import QKRuntime

/// The exported exact-Gelu chain (Div → Erf → Add, Mul, Mul) runs as one GeluChain node with the bits of the
/// node-by-node run (the Interpreter's unfused plan, which `observe` selects), for both chain forms, either
/// operand order, 1 and 2 threads, sizes with partial vector tails and sizes split over threads.
@Suite struct GeluChainFusionTests {
    private static func info(_ name: String) -> ValueInfo { ValueInfo(name: name, dtype: .float32, shape: nil) }

    /// x → u = Add(Erf(Div(x, d)), o) → y = Mul(Mul(x, s), u) (or Mul(Mul(x, u), s) when `scaleLast`).
    /// `swapped` puts every commutative operand pair the other way round; `extraReader` also outputs Erf's value.
    static func model(scaleLast: Bool, swapped: Bool, extraReader: Bool = false,
                      constants: (d: Float, o: Float, s: Float) = (1.4142135, 1, 0.5)) -> Model {
        func pair(_ a: String, _ b: String) -> [String] { swapped ? [b, a] : [a, b] }
        var nodes = [
            Node(name: "div", opType: "Div", inputs: ["x", "d"], outputs: ["q"]),
            Node(name: "erf", opType: "Erf", inputs: ["q"], outputs: ["e"]),
            Node(name: "add", opType: "Add", inputs: pair("e", "o"), outputs: ["u"]),
        ]
        if scaleLast {
            nodes += [Node(name: "mul_u", opType: "Mul", inputs: pair("x", "u"), outputs: ["h"]),
                      Node(name: "mul", opType: "Mul", inputs: pair("h", "s"), outputs: ["y"])]
        } else {
            nodes += [Node(name: "mul_half", opType: "Mul", inputs: pair("x", "s"), outputs: ["h"]),
                      Node(name: "mul", opType: "Mul", inputs: pair("h", "u"), outputs: ["y"])]
        }
        var outputs = [info("y")]
        if extraReader {
            nodes.append(Node(name: "neg", opType: "Neg", inputs: ["e"], outputs: ["n"]))
            outputs.append(info("n"))
        }
        let graph = Graph(nodes: nodes, inputs: [info("x")], outputs: outputs,
                          initializers: ["d": Tensor(scalar: constants.d), "o": Tensor(shape: [1], values: [constants.o]),
                                         "s": Tensor(scalar: constants.s)])
        return Model(graph: graph, opsetImports: [OpsetImport(domain: "", version: 17)])
    }

    /// Seeded values spanning Gelu's interesting range, plus signed zeros, infinities, NaN and tiny values.
    static func input(count: Int, seed: UInt64) -> Tensor {
        var rng = SplitMix64(seed: seed)
        var values = (0..<count).map { _ in Float.random(in: -6...6, using: &rng) }
        let specials: [Float] = [0, -0.0, .infinity, -.infinity, .nan, 1e-30, -1e-30, 3.92, -3.92, 100, -100]
        for (index, special) in specials.enumerated() where index < count { values[index * 7 % count] = special }
        return Tensor(shape: [count], values: values)
    }

    @Test(arguments: [(false, false), (false, true), (true, false), (true, true)])
    func fusedChainHasTheBitsOfTheNodeByNodeRun(scaleLast: Bool, swapped: Bool) throws {
        let model = Self.model(scaleLast: scaleLast, swapped: swapped)
        for threads in [1, 2] {
            let interpreter = try Interpreter(model: model, threads: threads)
            let ops = interpreter.executedGraph.nodes.map(\.opType)
            #expect(ops == ["GeluChain"])
            for count in [1, 15, 17, 1000, 70_001] {
                let feeds = ["x": Self.input(count: count, seed: UInt64(count))]
                let fused = try #require(try interpreter.run(feeds)["y"])
                let unfused = try #require(try interpreter.run(feeds, observe: { _, _ in })["y"])
                #expect(fused.shape == [count] && unfused.shape == [count])
                let fusedBits = fused.floatValues.map(\.bitPattern), unfusedBits = unfused.floatValues.map(\.bitPattern)
                #expect(fusedBits == unfusedBits, "count \(count), threads \(threads)")
                // Not trivially equal: Gelu(1) ≈ 0.8413 somewhere in a non-degenerate output.
                if count >= 1000 { #expect(fused.floatValues.contains { $0 > 0.5 && $0 < 6 }) }
            }
        }
    }

    @Test func unusualConstantsAreKeptExactly() throws {
        let model = Self.model(scaleLast: false, swapped: false, constants: (d: -0.3, o: 2.5, s: -7))
        let interpreter = try Interpreter(model: model, threads: 1)
        let feeds = ["x": Self.input(count: 333, seed: 9)]
        let fused = try #require(try interpreter.run(feeds)["y"]).floatValues.map(\.bitPattern)
        let unfused = try #require(try interpreter.run(feeds, observe: { _, _ in })["y"]).floatValues.map(\.bitPattern)
        #expect(interpreter.executedGraph.nodes.map(\.opType) == ["GeluChain"])
        #expect(fused == unfused)
    }

    @Test func chainsThatMustStaySeparate() {
        var rankTwoConstant = Self.model(scaleLast: false, swapped: false)
        rankTwoConstant.graph.initializers["s"] = Tensor(shape: [1, 1], values: [Float(0.5)])
        var doubleConstant = Self.model(scaleLast: false, swapped: false)
        doubleConstant.graph.initializers["o"] = Tensor(scalar: Double(1))
        var vectorConstant = Self.model(scaleLast: true, swapped: false)
        vectorConstant.graph.initializers["d"] = Tensor(shape: [2], values: [Float(1), 2])
        var overridable = Self.model(scaleLast: false, swapped: false)
        overridable.graph.inputs.append(Self.info("d"))
        var otherInput = Self.model(scaleLast: false, swapped: false)
        otherInput.graph.nodes[3].inputs = ["z", "s"]  // Mul_half reads another tensor than the Div
        otherInput.graph.inputs.append(Self.info("z"))
        let cases = [Self.model(scaleLast: false, swapped: false, extraReader: true), rankTwoConstant, doubleConstant,
                     vectorConstant, overridable, otherInput]
        for original in cases {
            let (result, report) = GeluChainFusion.apply(to: original)
            #expect(result == original)
            #expect(!report.changed)
        }
    }
}
