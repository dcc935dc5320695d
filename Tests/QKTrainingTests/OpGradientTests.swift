import QKGraph
import QKTensor
import XCTest
@testable import QKTraining

/// Finite-difference gradient checks for every op the training engine supports, plus a forward comparison
/// with QuantKit's inference runtime (an independent implementation of the same ONNX op).
final class OpGradientTests: XCTestCase {
    /// One node fed by the activation `x` (learnable through Add) and the given initializers.
    func check(_ op: String, x: TrainTensor, parameters: [String: Tensor] = [:], extraInputs: [String] = [],
               attributes: [String: Attribute] = [:], training: Bool = true, trainBatchNorm: Bool = true,
               values: (inout GradientCheck) -> [Float]? = { _ in nil }, compareRuntime: Bool = true,
               file: StaticString = #filePath, line: UInt = #line) throws {
        var seeded = GradientCheck(nodes: [], initializers: [:], output: "y")
        let input = values(&seeded).map { TrainTensor(shape: x.shape, values: $0) } ?? x
        let feed = GradientCheck.activation("x", input)
        let node = Node(name: op.lowercased(), opType: op, inputs: ["x"] + extraInputs, outputs: ["y"],
                        attributes: attributes)
        var checker = GradientCheck(nodes: feed.nodes + [node], initializers: feed.initializers.merging(parameters) { a, _ in a },
                                    output: "y")
        checker.random = seeded.random
        checker.training = training
        checker.trainBatchNorm = trainBatchNorm
        try checker.run(file: file, line: line)
        guard compareRuntime, !(training && trainBatchNorm && op == "BatchNormalization") else { return }
        // Forward peer: the runtime computes the same node in inference form.
        let graph = try TrainingGraph(model: checker.model)
        let ours = try graph.forward([:], training: false, trainBatchNorm: false, threads: 1).values["y"]!.values
        let theirs = try runtimeOutput(checker.model, "y")
        XCTAssertEqual(ours.count, theirs.count, file: file, line: line)
        for (a, b) in zip(ours, theirs) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), file: file, line: line) }
    }

    func random(_ shape: [Int], seed: UInt64, scale: Float = 1) -> Tensor {
        var generator = SplitMix64(seed: seed)
        let values = (0..<shape.reduce(1, *)).map { _ in scale * (Float(generator.next() >> 40) / Float(1 << 24) * 2 - 1) }
        return Tensor(shape: shape, values: values)
    }

    func input(_ shape: [Int], seed: UInt64 = 1) -> TrainTensor { TrainTensor(random(shape, seed: seed)) }

    func testConv2DWithPaddingStrideAndBias() throws {
        try check("Conv", x: input([2, 3, 5, 5]), parameters: ["w": random([4, 3, 3, 3], seed: 2), "b": random([4], seed: 3)],
                  extraInputs: ["w", "b"], attributes: ["pads": .ints([1, 0, 1, 1]), "strides": .ints([2, 1])])
    }

    func testGroupedDilatedConv() throws {
        try check("Conv", x: input([1, 4, 6, 6]), parameters: ["w": random([4, 2, 2, 2], seed: 4)], extraInputs: ["w"],
                  attributes: ["group": .int(2), "dilations": .ints([2, 2]), "auto_pad": .string("SAME_UPPER")])
    }

    func testConv1D() throws {
        try check("Conv", x: input([2, 2, 7]), parameters: ["w": random([3, 2, 3], seed: 5), "b": random([3], seed: 6)],
                  extraInputs: ["w", "b"], attributes: ["pads": .ints([1, 1])])
    }

    func testGemmWithTransposesAndBroadcastBias() throws {
        try check("Gemm", x: input([4, 3]), parameters: ["b": random([5, 4], seed: 2), "c": random([5], seed: 3)],
                  extraInputs: ["b", "c"],
                  attributes: ["transA": .int(1), "transB": .int(1), "alpha": .float(0.5), "beta": .float(2)])
        try check("Gemm", x: input([3, 4]), parameters: ["b": random([4, 5], seed: 4), "c": random([3, 1], seed: 5)],
                  extraInputs: ["b", "c"])
    }

    func testMatMulBatchedLeft() throws {
        try check("MatMul", x: input([2, 3, 4]), parameters: ["b": random([4, 5], seed: 2)], extraInputs: ["b"])
    }

    func testAddAndMulBroadcast() throws {
        try check("Add", x: input([2, 3, 2, 2]), parameters: ["c": random([3, 1, 1], seed: 2)], extraInputs: ["c"])
        try check("Mul", x: input([2, 3, 2, 2]), parameters: ["c": random([3, 1, 1], seed: 3)], extraInputs: ["c"])
        try check("Mul", x: input([3, 4]), parameters: ["c": random([3, 4], seed: 4)], extraInputs: ["c"])
    }

    func testRelu() throws {
        try check("Relu", x: input([3, 8]), values: { $0.values(24) })
    }

    func testClipWithConstantBounds() throws {
        try check("Clip", x: input([4, 6]),
                  parameters: ["low": Tensor(shape: [], values: [Float(-0.475)]), "high": Tensor(shape: [], values: [Float(0.525)])],
                  extraInputs: ["low", "high"], values: { $0.values(24).map { abs($0) < 0.4 ? $0 : $0 + ($0 > 0 ? 0.2 : -0.2) } })
    }

    func testMaxPoolWithPadding() throws {
        try check("MaxPool", x: input([2, 2, 5, 5]),
                  attributes: ["kernel_shape": .ints([3, 3]), "strides": .ints([2, 2]), "pads": .ints([1, 1, 1, 1])],
                  values: { $0.distinctValues(100) })
    }

    func testAveragePoolBothCountModes() throws {
        for include in [0, 1] {
            try check("AveragePool", x: input([1, 2, 5, 4]),
                      attributes: ["kernel_shape": .ints([2, 3]), "pads": .ints([1, 1, 0, 1]),
                                   "count_include_pad": .int(Int64(include))])
        }
    }

    func testGlobalAveragePool() throws {
        try check("GlobalAveragePool", x: input([2, 3, 3, 2]))
    }

    func testFlattenAndReshape() throws {
        try check("Flatten", x: input([2, 3, 2]), attributes: ["axis": .int(2)])
        try check("Reshape", x: input([2, 3, 2]), parameters: ["shape": Tensor(shape: [2], values: [Int64(0), -1])],
                  extraInputs: ["shape"])
    }

    func testBatchNormalizationTrainingMode() throws {
        try check("BatchNormalization", x: input([3, 2, 2, 2]), parameters: bnParameters(), extraInputs: bnInputs,
                  attributes: ["epsilon": .float(1e-3)])
    }

    func testBatchNormalizationFrozen() throws {
        try check("BatchNormalization", x: input([3, 2, 2, 2]), parameters: bnParameters(), extraInputs: bnInputs,
                  trainBatchNorm: false)
    }

    let bnInputs = ["gamma", "beta", "mean", "var"]

    func bnParameters() -> [String: Tensor] {
        ["gamma": Tensor(shape: [2], values: [Float(1.5), -0.5]), "beta": Tensor(shape: [2], values: [Float(0.1), 0.2]),
         "mean": Tensor(shape: [2], values: [Float(0.05), -0.1]), "var": Tensor(shape: [2], values: [Float(0.8), 1.3])]
    }

    func testSoftmaxInsideTheGraph() throws {
        // Softmax followed by Identity, so that the probed output is not fused into the loss.
        let feed = GradientCheck.activation("x", input([3, 5]))
        var checker = GradientCheck(nodes: feed.nodes + [
            Node(name: "softmax", opType: "Softmax", inputs: ["x"], outputs: ["p"], attributes: ["axis": .int(1)]),
            Node(name: "identity", opType: "Identity", inputs: ["p"], outputs: ["y"]),
        ], initializers: feed.initializers, output: "y")
        try checker.run()
        let ours = try TrainingGraph(model: checker.model).forward([:], training: false, trainBatchNorm: false, threads: 1)
        let theirs = try runtimeOutput(checker.model, "y")
        for (a, b) in zip(ours.values["y"]!.values, theirs) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    func testSoftmaxCrossEntropyAgainstFiniteDifferences() {
        let logits = TrainTensor(random([4, 6], seed: 9, scale: 3))
        let labels = [0, 5, 2, 2]
        let (_, gradient) = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels)
        for i in 0..<logits.count {
            var plus = logits, minus = logits
            plus.values[i] += 1e-2
            minus.values[i] -= 1e-2
            let numeric = (SoftmaxCrossEntropy.evaluate(logits: plus, labels: labels).loss
                - SoftmaxCrossEntropy.evaluate(logits: minus, labels: labels).loss) / 2e-2
            XCTAssertEqual(Double(gradient.values[i]), numeric, accuracy: 2e-4)
        }
        // The loss itself: −log softmax(z)[label], computed here in Double.
        let row = logits.values[0..<6].map(Double.init)
        let expected = -(row[0] - log(row.map { exp($0) }.reduce(0, +)))
        let single = SoftmaxCrossEntropy.evaluate(logits: TrainTensor(shape: [1, 6], values: Array(logits.values[0..<6])),
                                                  labels: [0]).loss
        XCTAssertEqual(single, expected, accuracy: 1e-6)
    }

    func testDistillationLossAgainstFiniteDifferencesAndItsDefinition() {
        let logits = TrainTensor(random([3, 5], seed: 21, scale: 3))
        let teacher = TrainTensor(random([3, 5], seed: 22, scale: 3))
        let labels = [4, 0, 2]
        func loss(_ z: TrainTensor) -> Double {
            SoftmaxCrossEntropy.evaluate(logits: z, labels: labels, teacher: teacher, weight: 0.7, temperature: 3).loss
        }
        let gradient = SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels, teacher: teacher, weight: 0.7,
                                                     temperature: 3).gradient
        for i in 0..<logits.count {
            var plus = logits, minus = logits
            plus.values[i] += 1e-2
            minus.values[i] -= 1e-2
            XCTAssertEqual(Double(gradient.values[i]), (loss(plus) - loss(minus)) / 2e-2, accuracy: 2e-4)
        }
        // The definition, in Double: 0.3 · CE(labels) + 0.7 · 3² · CE(softmax(t/3), softmax(z/3)), mean over rows.
        func logSoftmax(_ row: [Double]) -> [Double] {
            let norm = log(row.map { exp($0) }.reduce(0, +))
            return row.map { $0 - norm }
        }
        var expected = 0.0
        for n in 0..<3 {
            let z = logits.values[n * 5..<n * 5 + 5].map(Double.init), t = teacher.values[n * 5..<n * 5 + 5].map(Double.init)
            let q = logSoftmax(t.map { $0 / 3 }).map { exp($0) }, logP = logSoftmax(z.map { $0 / 3 })
            expected += 0.3 * -logSoftmax(z)[labels[n]] + 0.7 * 9 * -zip(q, logP).map { $0 * $1 }.reduce(0, +)
        }
        XCTAssertEqual(loss(logits), expected / 3, accuracy: 1e-6)
        // Weight 0 is the label loss alone.
        XCTAssertEqual(SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels, teacher: teacher, weight: 0,
                                                    temperature: 3).loss,
                       SoftmaxCrossEntropy.evaluate(logits: logits, labels: labels).loss, accuracy: 1e-12)
    }

    func testChainOfOpsThroughConvBatchNormPoolGemm() throws {
        let feed = GradientCheck.activation("x", input([2, 1, 4, 4]))
        var checker = GradientCheck(nodes: feed.nodes + [
            Node(name: "conv", opType: "Conv", inputs: ["x", "w", "b"], outputs: ["c"], attributes: ["pads": .ints([1, 1, 1, 1])]),
            Node(name: "bn", opType: "BatchNormalization", inputs: ["c", "gamma", "beta", "mean", "var"], outputs: ["n"]),
            Node(name: "pool", opType: "AveragePool", inputs: ["n"], outputs: ["p"], attributes: ["kernel_shape": .ints([2, 2]), "strides": .ints([2, 2])]),
            Node(name: "flat", opType: "Flatten", inputs: ["p"], outputs: ["f"]),
            Node(name: "fc", opType: "Gemm", inputs: ["f", "fw", "fb"], outputs: ["y"], attributes: ["transB": .int(1)]),
        ], initializers: feed.initializers.merging(bnParameters()) { a, _ in a }.merging([
            "w": random([2, 1, 3, 3], seed: 11), "b": random([2], seed: 12), "fw": random([3, 8], seed: 13),
            "fb": random([3], seed: 14),
        ]) { a, _ in a }, output: "y")
        try checker.run()
    }
}
