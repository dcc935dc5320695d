import Testing
import QKGraph
import QKTensor
@testable import QKRuntime

/// Expected values from ONNX Runtime 1.31 (com.microsoft FusedConv / FusedGemm) on x = [−2, −0.5, 0.5, 2].
@Suite struct FusedOpsTests {
    let row = floats([1, 4], [-2, -0.5, 0.5, 2])
    let identity = floats([4, 4], [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1])
    let image = floats([1, 1, 1, 4], [-2, -0.5, 0.5, 2])
    let unit = floats([1, 1, 1, 1], [1])

    func fusedConv(_ activation: String, _ params: [Float]?, extra: [Tensor?] = []) throws -> [Float] {
        var attributes: [String: Attribute] = ["activation": .string(activation)]
        if let params { attributes["activation_params"] = .floats(params) }
        return try runNode("FusedConv", domain: "com.microsoft", inputs: [image, unit] + extra,
                           attributes: attributes, opset: 1)[0].floatValues
    }

    @Test func fusedConvActivations() throws {
        #expect(try fusedConv("Relu", nil) == [0, 0, 0.5, 2])
        #expect(close(try fusedConv("Sigmoid", nil), [0.11920291, 0.37754071, 0.62245929, 0.88079709]))
        #expect(close(try fusedConv("Tanh", nil), [-0.96402758, -0.46211716, 0.46211716, 0.96402758]))
        #expect(close(try fusedConv("HardSigmoid", [0.1, 0.6]), [0.4, 0.55, 0.65, 0.8]))
        #expect(try fusedConv("Clip", [-1, 1]) == [-1, -0.5, 0.5, 1])
        #expect(close(try fusedConv("LeakyRelu", [0.1]), [-0.2, -0.05, 0.5, 2]))
        #expect(throws: RuntimeError.self) { try fusedConv("LeakyRelu", nil) }
        #expect(throws: RuntimeError.self) { try fusedConv("Gelu", nil) }
    }

    /// Relu(conv + B + Z) with B = 1 and Z = ones.
    @Test func fusedConvSumInput() throws {
        let y = try fusedConv("Relu", nil, extra: [floats([1], [1]), floats([1, 1, 1, 4], [1, 1, 1, 1])])
        #expect(y == [0, 1.5, 2.5, 4])
    }

    @Test func fusedGemmActivations() throws {
        func run(_ attributes: [String: Attribute]) throws -> [Float] {
            try runNode("FusedGemm", domain: "com.microsoft", inputs: [row, identity], attributes: attributes,
                        opset: 1)[0].floatValues
        }
        #expect(try run(["activation": .string("Relu")]) == [0, 0, 0.5, 2])
        #expect(close(try run(["activation": .string("LeakyRelu"), "activation_alpha": .float(0.1)]), [-0.2, -0.05, 0.5, 2]))
        #expect(close(try run(["activation": .string("Tanh")]), [-0.96402758, -0.46211716, 0.46211716, 0.96402758]))
        #expect(throws: (any Error).self) { try run(["activation": .string("LeakyRelu")]) }
        #expect(throws: RuntimeError.self) { try run(["activation": .string("Clip")]) }
    }
}
