import Testing
import QKTensor
@testable import QKGraph

/// Random two-node graphs over every operator in the table, with hostile attributes, shapes and shape tensors
/// (negative, zero, huge and symbolic sizes, Int64.min/max values): inference must throw or answer, never trap.
@Suite struct ShapeInferenceFuzzTests {
    static let values: [Int64] = [Int64.min, -3, -2, -1, 0, 1, 2, 3, 4, 7, Int64.max, 1 << 40]
    static let dims: [Dimension] = [.known(-2), .known(0), .known(1), .known(2), .known(3), .known(5), .symbolic("a"),
                                    .symbolic("b"), .unknown, .known(1 << 50)]
    static let attributeNames = [
        "axis", "axes", "perm", "pads", "strides", "kernel_shape", "dilations", "split", "group", "keepdims", "starts",
        "ends", "transA", "transB", "allowzero", "num_outputs", "output_shape", "output_padding", "ceil_mode",
        "auto_pad", "to", "start", "end", "noop_with_empty_axes", "value", "value_ints", "keep_aspect_ratio_policy",
        "stash_type", "output_dtype",
    ]

    func randomNode(_ op: String, domain: String, inputs: [String], outputs: [String],
                    using rng: inout SplitMix64) -> Node {
        var attributes: [String: Attribute] = [:]
        for _ in 0..<Int.random(in: 0...4, using: &rng) {
            let key = Self.attributeNames.randomElement(using: &rng)!
            let value = Self.values.randomElement(using: &rng)!
            switch Int.random(in: 0...3, using: &rng) {
            case 0: attributes[key] = .int(value)
            case 1: attributes[key] = .ints((0..<Int.random(in: 0...6, using: &rng)).map { _ in Self.values.randomElement(using: &rng)! })
            case 2: attributes[key] = .string(["SAME_UPPER", "VALID", "not_larger", "x"].randomElement(using: &rng)!)
            default: attributes[key] = .tensor(Tensor(shape: [1], values: [value]))
            }
        }
        return Node(name: op, opType: op, domain: domain, inputs: inputs, outputs: outputs, attributes: attributes)
    }

    @Test func randomGraphsNeverTrap() {
        var rng = SplitMix64(seed: 42)
        var answered = 0
        let operators = ShapeInference.supportedOperators.sorted { $0.key < $1.key }
            .flatMap { domain, ops in ops.map { (domain, $0) } }
        for (domain, op) in operators {
            for _ in 0..<60 {
                var inputs: [ValueInfo] = []
                var initializers: [String: Tensor] = [:]
                var names: [String] = []
                for i in 0..<Int.random(in: 0...5, using: &rng) {
                    let name = "i\(i)"
                    names.append(i > 0 && Int.random(in: 0..<4, using: &rng) == 0 ? "" : name)
                    if Bool.random(using: &rng) {
                        let count = Int.random(in: 0...5, using: &rng)
                        let values = (0..<count).map { _ in Self.values.randomElement(using: &rng)! }
                        initializers[name] = Bool.random(using: &rng)
                            ? Tensor(shape: [count], values: values) : Tensor(shape: [count], values: values.map { Float($0) })
                    } else {
                        let rank = Int.random(in: -1...5, using: &rng)
                        inputs.append(ValueInfo(name: name, dtype: DType.allCases.randomElement(using: &rng),
                                                shape: rank < 0 ? nil : (0..<rank).map { _ in Self.dims.randomElement(using: &rng)! }))
                    }
                }
                let first = randomNode(op, domain: domain, inputs: names, outputs: ["o0", "o1"], using: &rng)
                let (nextDomain, nextOp) = operators.randomElement(using: &rng)!
                let second = randomNode(nextOp, domain: nextDomain, inputs: ["o0"] + names.shuffled(using: &rng),
                                        outputs: ["p0"], using: &rng)
                let opset = [7, 9, 11, 13, 18, 21].randomElement(using: &rng)!
                let model = Model(graph: Graph(nodes: [first, second], inputs: inputs, initializers: initializers),
                                  opsetImports: [OpsetImport(domain: "", version: Int64(opset)),
                                                 OpsetImport(domain: "com.microsoft", version: 1)])
                if (try? ShapeInference.infer(model)) != nil { answered += 1 }
            }
        }
        // Most random graphs are contradictory, but a good share must still be answered.
        #expect(answered > operators.count * 10)
    }
}
