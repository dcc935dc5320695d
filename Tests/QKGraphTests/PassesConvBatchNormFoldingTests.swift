import QKTensor
import Testing
@testable import QKGraph

@Suite struct PassesConvBatchNormFoldingTests {
    private let x = ValueInfo(name: "x", dtype: .float32, shape: [.known(1), .known(1), .known(3), .known(3)])
    private let y = ValueInfo(name: "y", dtype: .float32, shape: nil)

    /// Conv (2 output channels, weight [2, 1, 1, 2]) → BatchNormalization with ε = 1, chosen so that
    /// f = γ/√(σ² + ε) = [3/√9, 2/√16] = [1, 0.5].
    private func model(bias: Bool = true, extraConsumer: Bool = false, meanIsInput: Bool = false) -> Model {
        var initializers: [String: Tensor] = [
            "W": Tensor(shape: [2, 1, 1, 2], values: [Float(1), 2, 3, 4]),
            "gamma": Tensor(shape: [2], values: [Float(3), 2]),
            "beta": Tensor(shape: [2], values: [Float(1), 0]),
            "mean": Tensor(shape: [2], values: [Float(4), -1]),
            "var": Tensor(shape: [2], values: [Float(8), 15]),
        ]
        if bias { initializers["b"] = Tensor(shape: [2], values: [Float(0.5), 1]) }
        var nodes = [
            Node(name: "conv", opType: "Conv", inputs: bias ? ["x", "W", "b"] : ["x", "W"], outputs: ["c"],
                 attributes: ["kernel_shape": .ints([1, 2])]),
            Node(name: "bn", opType: "BatchNormalization", inputs: ["c", "gamma", "beta", "mean", "var"], outputs: ["y"],
                 attributes: ["epsilon": .float(1)]),
        ]
        var outputs = [y]
        if extraConsumer {
            nodes.append(Node(name: "other", opType: "Relu", inputs: ["c"], outputs: ["r"]))
            outputs.append(ValueInfo(name: "r", dtype: .float32, shape: nil))
        }
        var inputs = [x]
        if meanIsInput { inputs.append(ValueInfo(name: "mean", dtype: .float32, shape: [.known(2)])) }
        return Model(graph: Graph(nodes: nodes, inputs: inputs, outputs: outputs, initializers: initializers,
                                  valueInfo: [ValueInfo(name: "c", dtype: .float32, shape: nil)]))
    }

    @Test func foldsScaleAndShiftIntoWeightAndBias() throws {
        let (result, report) = ConvBatchNormFolding.apply(to: model())
        let graph = result.graph
        #expect(graph.nodes.count == 1)
        let conv = try #require(graph.nodes.first)
        #expect(conv.opType == "Conv" && conv.outputs == ["y"] && conv.inputs[0] == "x")
        #expect(conv.attributes["kernel_shape"] == .ints([1, 2]))
        // W' = W · f per output channel; b' = (b − μ) · f + β = [(0.5 − 4)·1 + 1, (1 + 1)·0.5 + 0].
        let weight = try #require(graph.initializers[conv.inputs[1]])
        #expect(weight.shape == [2, 1, 1, 2])
        #expect(weight.floatValues == [1, 2, 1.5, 2])
        #expect(graph.initializers[conv.inputs[2]]?.floatValues == [-2.5, 1])
        #expect(graph.initializers.count == 2)
        #expect(graph.valueInfo.isEmpty)
        #expect(report == PassReport(pass: "ConvBatchNormFolding", initializersRemoved: 6, nodesFolded: 1))
    }

    @Test func foldedInitializersGetFreshNames() throws {
        var original = model()
        original.graph.initializers["W_bn_folded"] = Tensor(scalar: Float(0))
        original.graph.outputs.append(ValueInfo(name: "W_bn_folded", dtype: .float32, shape: []))
        let conv = try #require(ConvBatchNormFolding.apply(to: original).model.graph.nodes.first)
        #expect(conv.inputs == ["x", "W_bn_folded_1", "b_bn_folded"])
    }

    @Test func convWithoutBiasGetsOne() throws {
        let (result, _) = ConvBatchNormFolding.apply(to: model(bias: false))
        let conv = try #require(result.graph.nodes.first)
        #expect(conv.inputs.count == 3)
        // b' = (0 − μ) · f + β = [−4 + 1, 0.5 + 0].
        #expect(result.graph.initializers[conv.inputs[2]]?.floatValues == [-3, 0.5])
    }

    @Test func convOutputReadTwiceIsNotFolded() {
        let original = model(extraConsumer: true)
        let (result, report) = ConvBatchNormFolding.apply(to: original)
        #expect(result == original)
        #expect(!report.changed)
    }

    @Test func nonConstantParametersAreNotFolded() {
        let original = model(meanIsInput: true)
        let (result, report) = ConvBatchNormFolding.apply(to: original)
        #expect(result == original)
        #expect(report.nodesFolded == 0)
    }

    @Test func trainingModeIsNotFolded() {
        var original = model()
        original.graph.nodes[1].attributes["training_mode"] = .int(1)
        #expect(ConvBatchNormFolding.apply(to: original).model == original)
    }
}
