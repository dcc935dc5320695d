import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

/// Conv, FusedConv, MaxPool and AveragePool prepared at load (attributes read once, the window cached per
/// input size) give the same outputs and errors as the table kernels, run after run on changing input sizes.
@Suite struct PreparedWindowTests {
    private func randomFloats(_ shape: [Int], _ rng: inout SplitMix64) -> Tensor {
        Tensor(shape: shape, values: (0..<shape.reduce(1, *)).map { _ in Float.random(in: -1...1, using: &rng) })
    }

    /// Prepares one node once, then runs every input list of `runs` in turn through the prepared kernel and
    /// through the table kernel, expecting equal outputs or equal error messages each time.
    private func expectSameRuns(_ op: String, domain: String = "", outputs: [String] = ["y"],
                                attributes: [String: Attribute], runs: [[Tensor?]],
                                sourceLocation: SourceLocation = #_sourceLocation) throws {
        let names = runs[0].indices.map { "in\($0)" }
        let node = Node(name: "n", opType: op, domain: domain, inputs: names, outputs: outputs, attributes: attributes)
        #expect(OpTable.preparer(opType: op, domain: domain) != nil, sourceLocation: sourceLocation)
        let table = try #require(OpTable.kernel(opType: op, domain: domain))
        let prepared = try #require(try OpTable.preparedKernel(for: node, opset: 19) { name in
            name == "in1" ? runs[0][1] : nil
        })
        let check = PreparedKernelTests()
        for (index, inputs) in runs.enumerated() {
            let context = KernelContext(node: node, inputs: inputs, opset: 19, threads: 1)
            let expected = check.outcome { try table(context) }, actual = check.outcome { try prepared(context) }
            // Compared as text (shortest round-trip floats) so that NaN outputs compare equal too.
            #expect("\(expected)" == "\(actual)", "\(op) \(attributes) run \(index)", sourceLocation: sourceLocation)
        }
    }

    /// Window attributes drawn for `rank` spatial axes (absent or explicit strides/dilations/pads, any auto_pad).
    private func randomWindow(rank: Int, _ rng: inout SplitMix64) -> [String: Attribute] {
        var attributes: [String: Attribute] = [:]
        func draw(_ range: ClosedRange<Int64>, count: Int) -> Attribute {
            .ints((0..<count).map { _ in Int64.random(in: range, using: &rng) })
        }
        if Bool.random(using: &rng) { attributes["strides"] = draw(1...3, count: rank) }
        if Bool.random(using: &rng) { attributes["dilations"] = draw(1...2, count: rank) }
        let autoPad = ["NOTSET", "SAME_UPPER", "SAME_LOWER", "VALID"].randomElement(using: &rng)!
        if autoPad == "NOTSET" {
            if Bool.random(using: &rng) { attributes["pads"] = draw(0...2, count: 2 * rank) }
        } else {
            attributes["auto_pad"] = .string(autoPad)
        }
        return attributes
    }

    /// Spatial sizes for `rank` axes: the first run's, a different one, and one too small for most windows.
    private func sizes(rank: Int, _ rng: inout SplitMix64) -> [[Int]] {
        let first = (0..<rank).map { _ in Int.random(in: 4...9, using: &rng) }
        let second = (0..<rank).map { _ in Int.random(in: 3...8, using: &rng) }
        return [first, first, second, Array(repeating: 1, count: rank), first]
    }

    @Test(arguments: 0..<24)
    func convMatchesTableKernel(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed) &+ 900)
        let rank = seed % 3 + 1, group = [1, 2][Int.random(in: 0...1, using: &rng)]
        let channels = 2 * group, outChannels = 2 * group
        let kernel = (0..<rank).map { _ in Int.random(in: 1...3, using: &rng) }
        let w = randomFloats([outChannels, channels / group] + kernel, &rng), bias = randomFloats([outChannels], &rng)
        var attributes = randomWindow(rank: rank, &rng)
        attributes["group"] = .int(Int64(group))
        if Bool.random(using: &rng) { attributes["kernel_shape"] = .ints(kernel.map { Int64($0) }) }
        let runs: [[Tensor?]] = sizes(rank: rank, &rng).map { spatial in [randomFloats([1, channels] + spatial, &rng), w, bias] }
        try expectSameRuns("Conv", attributes: attributes, runs: runs)
        attributes["activation"] = .string("LeakyRelu")
        attributes["activation_params"] = .floats([0.25])
        try expectSameRuns("FusedConv", domain: "com.microsoft", attributes: attributes, runs: runs)
    }

    @Test(arguments: 0..<24)
    func poolingMatchesTableKernel(seed: Int) throws {
        var rng = SplitMix64(seed: UInt64(seed) &+ 700)
        let rank = seed % 3 + 1
        var attributes = randomWindow(rank: rank, &rng)
        let kernel = (0..<rank).map { _ in Int64.random(in: 1...3, using: &rng) }
        attributes["kernel_shape"] = .ints(kernel)
        // Pooling pads must be smaller than the kernel (as onnxruntime requires; larger ones crash Pooling.max).
        if attributes["pads"] != nil { attributes["pads"] = .ints((kernel + kernel).map { Int64.random(in: 0...($0 - 1), using: &rng) }) }
        attributes["ceil_mode"] = .int(Int64.random(in: 0...1, using: &rng))
        let runs: [[Tensor?]] = sizes(rank: rank, &rng).map { spatial in [randomFloats([1, 3] + spatial, &rng)] }
        try expectSameRuns("MaxPool", attributes: attributes, runs: runs)
        try expectSameRuns("MaxPool", outputs: ["y", "i"], attributes: attributes.merging(["storage_order": .int(1)]) { a, _ in a },
                           runs: runs)
        let bytes: [[Tensor?]] = runs.map { run in
            run.map { x in x.map { Tensor(shape: $0.shape, values: $0.floatValues.map { UInt8(($0 + 1) * 100) }) } }
        }
        try expectSameRuns("MaxPool", attributes: attributes, runs: bytes)
        attributes["count_include_pad"] = .int(Int64(seed % 2))
        try expectSameRuns("AveragePool", attributes: attributes, runs: runs)
    }

    @Test func badAttributesFailAsTheTableKernelDoes() throws {
        var rng = SplitMix64(seed: 5)
        let x = randomFloats([1, 2, 5, 5], &rng), w = randomFloats([2, 2, 3, 3], &rng)
        let bad: [[String: Attribute]] = [
            ["strides": .ints([1])], ["strides": .string("2")], ["dilations": .ints([0, 1])], ["pads": .ints([1, 1])],
            ["pads": .floats([1, 1, 1, 1])], ["auto_pad": .string("SAME")], ["auto_pad": .int(1)],
            ["strides": .ints([9, 9]), "pads": .ints([-4, 0, 0, 0])], ["kernel_shape": .ints([2, 2])],
            ["kernel_shape": .string("3")], ["group": .float(1)], ["group": .int(2)], ["group": .int(0)],
        ]
        for attributes in bad {
            try expectSameRuns("Conv", attributes: attributes, runs: [[x, w], [x, w]])
            let pool = attributes.merging(["kernel_shape": .ints([3, 3])]) { a, _ in a }
            try expectSameRuns("MaxPool", attributes: pool, runs: [[x], [x]])
            try expectSameRuns("AveragePool", attributes: pool, runs: [[x], [x]])
        }
        try expectSameRuns("MaxPool", attributes: [:], runs: [[x]])
        try expectSameRuns("MaxPool", attributes: ["kernel_shape": .ints([2, 2]), "ceil_mode": .string("1")], runs: [[x]])
        try expectSameRuns("MaxPool", attributes: ["kernel_shape": .ints([2, 2]), "storage_order": .float(0)], runs: [[x]])
        try expectSameRuns("AveragePool", attributes: ["kernel_shape": .ints([2, 2]), "count_include_pad": .string("")],
                           runs: [[x]])
        for activation: [String: Attribute] in [[:], ["activation": .string("Gelu")], ["activation": .string("Clip")],
                                                ["activation": .string("Clip"), "activation_params": .floats([-1, 1])],
                                                ["activation": .int(1)]] {
            try expectSameRuns("FusedConv", domain: "com.microsoft", attributes: activation, runs: [[x, w], [x, w]])
        }
        // Inputs the window check never sees: wrong ranks, an empty X, a non-float X.
        let runs: [[Tensor?]] = [[randomFloats([2, 5], &rng), w], [Tensor(zeros: .float32, shape: [1, 2, 0, 5]), w],
                                 [Tensor(shape: [1, 2, 1, 1], values: [Int32(1), 2]), w], [x, w]]
        try expectSameRuns("Conv", attributes: ["strides": .ints([2, 2])], runs: runs)
        try expectSameRuns("MaxPool", attributes: ["kernel_shape": .ints([2, 2])], runs: runs.map { [$0[0]] })
    }
}
