import QKGraph
import QKKernels

extension OpTable {
    static let microsoftKernels: [String: OpKernel] = [
        "FusedConv": fusedConvKernel,
        "FusedGemm": { ctx in try gemmNode(ctx, activation: fusedGemmActivation(ctx)) },
    ]

    /// An activation ONNX Runtime can fuse: how many parameters it takes, how FusedGemm names them
    /// (nil when ONNX Runtime's FusedGemm rejects the activation) and how to build it from them.
    private struct FusedActivation {
        let parameterCount: Int
        let gemmAttributes: [String]?
        let make: ([Float]) -> Activation
    }

    /// Activations by the name in the `activation` attribute (ONNX Runtime's fused activation set).
    private static let fusedActivations: [String: FusedActivation] = [
        "Relu": FusedActivation(parameterCount: 0, gemmAttributes: []) { _ in .relu },
        "LeakyRelu": FusedActivation(parameterCount: 1, gemmAttributes: ["activation_alpha"]) {
            .leakyRelu(alpha: $0[0])
        },
        "Clip": FusedActivation(parameterCount: 2, gemmAttributes: nil) { .clip(min: $0[0], max: $0[1]) },
        "Sigmoid": FusedActivation(parameterCount: 0, gemmAttributes: []) { _ in .sigmoid },
        "Tanh": FusedActivation(parameterCount: 0, gemmAttributes: []) { _ in .tanh },
        "HardSigmoid": FusedActivation(parameterCount: 2, gemmAttributes: ["activation_alpha", "activation_beta"]) {
            .hardSigmoid(alpha: $0[0], beta: $0[1])
        },
    ]

    /// FusedConv: Conv followed by the node's activation (read on every run).
    static let fusedConvKernel: OpKernel = { ctx in try convolution(ctx, activation: fusedConvActivation(ctx)) }

    /// FusedConv: `activation` with its parameters in `activation_params` (LeakyRelu [alpha],
    /// Clip [min, max], HardSigmoid [alpha, beta]).
    static func fusedConvActivation(_ ctx: KernelContext) throws -> Activation {
        let name = try ctx.node.required("activation", ctx.node.string)
        guard let spec = fusedActivations[name] else { throw ctx.unsupported("activation", name) }
        let parameters = try ctx.node.floats("activation_params") ?? []
        guard parameters.count >= spec.parameterCount else {
            throw ctx.invalid("activation \(name) needs \(spec.parameterCount) activation_params, got \(parameters)")
        }
        return spec.make(parameters)
    }

    /// FusedGemm: `activation` with its parameters in activation_alpha / activation_beta (as ONNX Runtime's
    /// FusedGemm; an empty or absent activation means none).
    static func fusedGemmActivation(_ ctx: KernelContext) throws -> Activation {
        let name = try ctx.node.string("activation", default: "")
        if name.isEmpty { return .identity }
        guard let spec = fusedActivations[name], let attributes = spec.gemmAttributes else {
            throw ctx.unsupported("activation", name)
        }
        let parameters = try attributes.map { try ctx.node.required($0, ctx.node.float) }
        return spec.make(parameters)
    }
}
