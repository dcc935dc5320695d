import QKGraph
import QKKernels
import QKTensor

/// The window attributes of a Conv or pooling node: strides, dilations, pads, auto_pad (and ceil_mode, which
/// pooling reads itself), in the order the table kernels read them.
struct WindowAttributes: Sendable {
    let strides: [Int]?
    let dilations: [Int]?
    let pads: [Int]?
    let autoPad: AutoPad
    let ceilMode: Bool

    init(_ ctx: KernelContext, ceilMode: Bool) throws {
        strides = try ctx.node.ints("strides")
        dilations = try ctx.node.ints("dilations")
        pads = try ctx.node.ints("pads")
        autoPad = try ctx.autoPad()
        self.ceilMode = ceilMode
    }

    /// The window over `spatial` with `kernel` (see ``WindowGeometry/init(input:kernel:strides:dilations:pads:autoPad:ceilMode:)``).
    func geometry(spatial: [Int], kernel: [Int]) throws(WindowGeometryError) -> WindowGeometry {
        try WindowGeometry(input: spatial, kernel: kernel, strides: strides, dilations: dilations, pads: pads,
                           autoPad: autoPad, ceilMode: ceilMode)
    }
}

/// Window attributes read once at load, with the window of the last (spatial size, kernel) that resolved:
/// a run on the same input size reuses it; errors are never cached, so they repeat as the table kernel's.
final class PreparedWindow: Sendable {
    let attributes: WindowAttributes
    private let geometries = LastValueCache<[[Int]], WindowGeometry>()

    init(_ attributes: WindowAttributes) { self.attributes = attributes }

    func geometry(_ ctx: KernelContext, spatial: [Int], kernel: [Int]) throws -> WindowGeometry {
        try geometries.value(for: [spatial, kernel]) {
            try ctx.windowGeometry(spatial: spatial, kernel: kernel, prepared: attributes)
        }
    }
}

/// Conv/FusedConv attributes read once at load.
struct PreparedConv: Sendable {
    let group: Int
    /// `kernel_shape`, nil when absent (the kernel is W's).
    let declaredKernel: [Int]?
    let window: PreparedWindow
    /// W laid out for the fp32 kernels when it is a constant float32 tensor that fits `group`, else nil.
    let weights: PreparedConvWeights?

    /// Nil when an attribute does not parse: the table kernel then reports it when the node runs.
    init?(_ prep: KernelContext) {
        guard let group = try? prep.node.int("group", default: 1),
              let declared = try? prep.node.ints("kernel_shape"),
              let attributes = try? WindowAttributes(prep, ceilMode: false) else { return nil }
        self.group = group
        declaredKernel = declared
        window = PreparedWindow(attributes)
        weights = PreparedConv.constantWeights(prep, group: group)
    }

    /// A constant float32 W of rank ≥ 3 whose output channels `group` divides, laid out once.
    private static func constantWeights(_ prep: KernelContext, group: Int) -> PreparedConvWeights? {
        guard group > 0, let w = prep.optionalInput(1), w.dtype == .float32, w.rank >= 3, w.count > 0,
              w.shape[0] % group == 0, let values = w.values(as: Float.self) else { return nil }
        return PreparedConvWeights(weights: values, outputChannels: w.shape[0], channelsPerGroup: w.shape[1],
                                   groups: group, kernel: Array(w.shape[2...]))
    }
}

/// Pooling attributes read once at load: `kernel_shape` (required) and the window.
struct PreparedPool: Sendable {
    let kernel: [Int]
    let window: PreparedWindow

    /// Nil when an attribute is missing or does not parse: the table kernel then reports it when the node runs.
    init?(_ prep: KernelContext) {
        guard let kernel = try? prep.node.required("kernel_shape", prep.node.ints),
              let ceilMode = try? prep.node.int("ceil_mode", default: 0) != 0,
              let attributes = try? WindowAttributes(prep, ceilMode: ceilMode) else { return nil }
        self.kernel = kernel
        window = PreparedWindow(attributes)
    }
}

extension OpTable {
    /// Preparers of the default domain's Conv and pooling ops (see ``standardPreparers``): attributes are read
    /// once, and the window is resolved once per input size instead of on every run.
    static let windowPreparers: [String: KernelPreparer] = [
        "Conv": { prep in
            guard let conv = PreparedConv(prep) else { return { try convolution($0, activation: .identity) } }
            return { ctx in try convolution(ctx, activation: .identity, prepared: conv) }
        },
        "MaxPool": maxPoolPreparer,
        "AveragePool": { prep in
            guard let pool = PreparedPool(prep),
                  let countIncludePad = try? prep.node.int("count_include_pad", default: 0) != 0 else {
                return { try averagePool($0) }
            }
            return { ctx in try averagePool(ctx, prepared: (pool, countIncludePad)) }
        },
    ]

    /// Preparers of the com.microsoft domain's FusedConv: activation and Conv attributes read once.
    static let microsoftWindowPreparers: [String: KernelPreparer] = [
        "FusedConv": { prep in
            guard let activation = try? fusedConvActivation(prep), let conv = PreparedConv(prep) else {
                return fusedConvKernel
            }
            return { ctx in try convolution(ctx, activation: activation, prepared: conv) }
        },
    ]
}
