import QKGraph
import QKRuntime
import QKTensor
import XCTest
@testable import QKTraining

/// Central finite differences against the engine's reverse-mode gradients.
///
/// Every test graph feeds the op under test from float initializers; activation inputs pass through
/// `Add(p, 0)` so that they are learnable and their gradient is reported. The scalar probed is
/// L = Σ r_i · y_i with fixed random r (so dL/dy = r), evaluated in float32 and summed in Double.
///
/// Tolerance: with step h = 1e-2 the float32 rounding of L (about 6e-8 · Σ|r_i y_i| ≈ 1e-5 for these sizes) puts
/// at most ~1e-3 of noise into (L(p+h) − L(p−h)) / 2h; the truncation error is h²/6 · |L'''| ≈ 1e-5 for the
/// smooth ops and 0 for the piecewise-linear ones (inputs are kept ≥ 2h away from kinks and ties). A wrong
/// gradient (missing term, transposed operand, wrong sign) is off by O(1). Hence |analytic − numeric| ≤
/// 2e-3 + 1e-2 · |numeric|.
struct GradientCheck {
    var nodes: [Node]
    var initializers: [String: Tensor]
    var output: String
    var training = true
    var trainBatchNorm = true
    var random = SplitMix64(seed: 7)

    init(nodes: [Node], initializers: [String: Tensor], output: String) {
        self.nodes = nodes
        self.initializers = initializers
        self.output = output
    }

    var model: Model {
        Model(graph: Graph(name: "check", nodes: nodes, inputs: [],
                           outputs: [ValueInfo(name: output, dtype: .float32, shape: nil)], initializers: initializers))
    }

    /// Wraps activation `name` (an initializer) as the learnable `Add(name_param, 0)`.
    static func activation(_ name: String, _ value: TrainTensor) -> (nodes: [Node], initializers: [String: Tensor]) {
        let node = Node(name: name + "_feed", opType: "Add", inputs: [name + "_param", name + "_zero"], outputs: [name])
        return ([node], [name + "_param": value.tensor, name + "_zero": Tensor(shape: [], values: [Float(0)])])
    }

    mutating func run(file: StaticString = #filePath, line: UInt = #line) throws {
        var graph = try TrainingGraph(model: model)

        let pass = try graph.forward([:], training: training, trainBatchNorm: trainBatchNorm, threads: 1)
        guard let y = pass.values[output] else { return XCTFail("no output", file: file, line: line) }
        let weights = TrainTensor(shape: y.shape, values: (0..<y.count).map { _ in Float(uniform(-1, 1)) })
        XCTAssertEqual(graph.logitsName, output, "the probed output must be the loss input", file: file, line: line)
        let analytic = graph.gradients(of: pass, logitsGradient: weights)
        XCTAssertFalse(graph.learnable.isEmpty, file: file, line: line)
        let h: Float = 1e-2
        for name in graph.learnable {
            let original = graph.parameters[name]!
            guard let gradient = analytic[name] else { XCTFail("no gradient for \(name)", file: file, line: line); continue }
            for i in 0..<original.count {
                var plus = original, minus = original
                plus.values[i] += h
                minus.values[i] -= h
                graph.parameters[name] = plus
                let up = try probe(graph, weights)
                graph.parameters[name] = minus
                let down = try probe(graph, weights)
                graph.parameters[name] = original
                let numeric = (up - down) / Double(2 * h)
                let error = abs(Double(gradient.values[i]) - numeric)
                XCTAssertLessThanOrEqual(error, 2e-3 + 1e-2 * abs(numeric),
                                         "d/d\(name)[\(i)]: analytic \(gradient.values[i]), numeric \(numeric)",
                                         file: file, line: line)
            }
        }
    }

    func probe(_ graph: TrainingGraph, _ weights: TrainTensor) throws -> Double {
        let pass = try graph.forward([:], training: training, trainBatchNorm: trainBatchNorm, threads: 1)
        let y = pass.values[output]!
        var total: Double = 0
        for i in 0..<y.count { total += Double(weights.values[i]) * Double(y.values[i]) }
        return total
    }

    mutating func uniform(_ low: Double, _ high: Double) -> Double {
        low + (high - low) * Double(random.next() >> 11) / Double(1 << 53)
    }

    /// Values in [−1, 1] kept at least `gap` away from 0 (for ReLU-like kinks).
    mutating func values(_ count: Int, awayFromZero gap: Double = 0.05) -> [Float] {
        (0..<count).map { _ in
            let v = uniform(gap, 1)
            return Float(random.next() & 1 == 0 ? v : -v)
        }
    }

    /// A permutation of evenly spaced distinct values (0.1 apart), so that maxima are unique and well separated.
    mutating func distinctValues(_ count: Int) -> [Float] {
        var values = (0..<count).map { Float($0) * 0.1 - Float(count) * 0.05 }
        for i in stride(from: count - 1, to: 0, by: -1) { values.swapAt(i, Int(random.next() % UInt64(i + 1))) }
        return values
    }
}

/// Runs a one-node model through QuantKit's inference runtime (the forward peer).
func runtimeOutput(_ model: Model, _ name: String) throws -> [Float] {
    let interpreter = try Interpreter(model: model, threads: 1)
    return try interpreter.run([:], outputNames: [name])[name]!.floatValues
}
