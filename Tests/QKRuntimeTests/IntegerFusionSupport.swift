import QKGraph
import QKTensor
@testable import QKRuntime

/// Builds small QDQ models: float input x, Q/DQ pairs, constant 8-bit weights, float outputs.
struct QDQModelBuilder {
    var nodes: [Node] = []
    var initializers: [String: Tensor] = [:]
    var rng = SplitMix64(seed: 7)
    private var counter = 0

    mutating func name(_ base: String) -> String {
        counter += 1
        return "\(base)\(counter)"
    }

    mutating func constant(_ tensor: Tensor, _ base: String = "c") -> String {
        let n = name(base)
        initializers[n] = tensor
        return n
    }

    /// Q(value) with (scale, zero) then DQ; returns (8-bit name, dequantized name).
    mutating func quantizeDequantize<Z: TensorScalar>(_ value: String, scale: Float, zero: Z) -> (q: String, dq: String) {
        let s = constant(Tensor(scalar: scale), "scale"), z = constant(Tensor(shape: [], values: [zero]), "zp")
        let q = name("q"), dq = name("dq")
        nodes.append(Node(name: name("Q"), opType: "QuantizeLinear", inputs: [value, s, z], outputs: [q]))
        nodes.append(Node(name: name("DQ"), opType: "DequantizeLinear", inputs: [q, s, z], outputs: [dq]))
        return (q, dq)
    }

    /// DQ of constant int8 weights of `shape` (random in −127…127) with per-channel scales along `axis` when
    /// `channels` > 1.
    mutating func weights(_ shape: [Int], channels: Int, axis: Int) -> (dq: String, scales: [Float]) {
        let count = shape.reduce(1, *)
        let values = (0..<count).map { _ in Int8.random(in: -127...127, using: &rng) }
        let scales = (0..<channels).map { _ in Float.random(in: 0.002...0.02, using: &rng) }
        let w = constant(Tensor(shape: shape, values: values), "w")
        let s = constant(channels == 1 ? Tensor(scalar: scales[0]) : Tensor(shape: [channels], values: scales), "ws")
        let z = constant(channels == 1 ? Tensor(scalar: Int8(0)) : Tensor(shape: [channels], values: [Int8](repeating: 0, count: channels)), "wz")
        let dq = name("wdq")
        nodes.append(Node(name: name("DQw"), opType: "DequantizeLinear", inputs: [w, s, z], outputs: [dq],
                          attributes: channels == 1 ? [:] : ["axis": .int(Int64(axis))]))
        return (dq, scales)
    }

    /// DQ of an int32 bias at scale xScale · wScales[j].
    mutating func bias(_ count: Int, xScale: Float, wScales: [Float]) -> String {
        let scales = (0..<count).map { xScale * wScales[wScales.count == 1 ? 0 : $0] }
        let values = (0..<count).map { _ in Int32.random(in: -2000...2000, using: &rng) }
        let b = constant(Tensor(shape: [count], values: values), "b")
        let s = constant(wScales.count == 1 ? Tensor(scalar: scales[0]) : Tensor(shape: [count], values: scales), "bs")
        let dq = name("bdq")
        nodes.append(Node(name: name("DQb"), opType: "DequantizeLinear", inputs: [b, s], outputs: [dq],
                          attributes: wScales.count == 1 ? [:] : ["axis": .int(0)]))
        return dq
    }

    mutating func add(_ opType: String, _ inputs: [String], attributes: [String: Attribute] = [:], name base: String) -> String {
        let out = name(base + "_out")
        nodes.append(Node(name: base, opType: opType, inputs: inputs, outputs: [out], attributes: attributes))
        return out
    }

    func model(input shape: [Int], outputs: [String]) -> Model {
        let graph = Graph(nodes: nodes, inputs: [ValueInfo(name: "x", dtype: .float32, shape: shape.map { .known($0) })],
                          outputs: outputs.map { ValueInfo(name: $0, dtype: .float32, shape: nil) }, initializers: initializers)
        return Model(graph: graph, opsetImports: [OpsetImport(domain: "", version: 19)])
    }

    mutating func input(_ shape: [Int]) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &rng) })
    }
}

/// Runs `model` with and without integer execution; returns (fused, unfused, fusion report).
func runBothWays(_ model: Model, _ feeds: [String: Tensor], threads: Int = 2) throws
    -> (fused: [String: Tensor], reference: [String: Tensor], report: IntegerFusionReport?) {
    let fused = try Interpreter(model: model, threads: threads)
    let reference = try Interpreter(model: model, threads: 1, integerExecution: false)
    return (try fused.run(feeds), try reference.run(feeds), fused.integerFusion)
}

/// Largest |a − b| in units of `step`, and the share of elements that are equal.
func stepDifference(_ a: Tensor, _ b: Tensor, step: Float) -> (maxSteps: Float, equalShare: Double) {
    let x = a.floatValues, y = b.floatValues
    precondition(x.count == y.count && !x.isEmpty)
    let steps = zip(x, y).map { abs($0 - $1) / step }
    return (steps.max() ?? 0, Double(steps.filter { $0 < 1e-3 }.count) / Double(x.count))
}
