import QKGraph
import QKQuantization

/// QuantKit's fake-quantization node, inputs [x, scale, zero_point] (plus [range_min, range_max] in the
/// moving-average mode), attributes `type` (a ``QuantType`` name), optional `axis` (per-channel) and `block_size`
/// (per block of that many elements along the axis, scales in ONNX's blocked layout, see ``ChannelLayout``),
/// `mode`, `symmetric` and `momentum`.
///
/// Forward, per scale c (channel, block, or the whole tensor when there is no axis), exactly as
/// QuantizeLinear → DequantizeLinear:
///
///     r = round_half_even(x / s_c) + z_c,   q = clamp(r, qmin, qmax),   y = (q − z_c) · s_c
///
/// with (qmin, qmax) the type's full range. Backward, the straight-through estimator: dx = dy where
/// qmin ≤ r ≤ qmax and 0 where x was clipped. In the LSQ mode (Esser et al., "Learned Step Size Quantization",
/// ICLR 2020) the scale learns with
///
///     ds_c = g · Σ dy · { (q − z) − x / s   inside,   qmin − z   below,   qmax − z   above },   g = 1 / √(n · (qmax − z))
///
/// (n = elements per scale). Modes, by how s and z are found:
///
/// | mode       | s, z                                                                                       |
/// |------------|--------------------------------------------------------------------------------------------|
/// | fixed      | the inputs, unchanged                                                                      |
/// | minmax     | fitted to x's own range every step (weights), as ``QuantParameters/fitting(_:shape:type:symmetric:reduceRange:axis:blockSize:)`` |
/// | ema        | fitted to a moving average of the batch min/max: m ← momentum · m + (1 − momentum) · batch (activations); with `keep_min` the lower bound stays (a range starting at 0 applies a fused Relu) |
/// | lsq        | s learned by gradient descent, z fixed                                                      |
///
/// Once quantization is frozen (``TrainingConfig/freezeQuantizationEpoch``) every mode acts as `fixed`.
public enum FakeQuantize {
    /// The node domain of QuantKit's training-only ops.
    public static let domain = "ai.quantkit.training"
    public static let opType = "FakeQuantize"
    /// Attribute marking a Conv/Gemm whose bias was int32-quantized in the QDQ source, so that the export
    /// quantizes it again (with the learned scales) and leaves other biases in float. Removed on export.
    public static let int32BiasAttribute = "quantkit_int32_bias"

    /// How a fake-quantization node finds its scale and zero point.
    public enum Mode: String, Sendable, Codable, CaseIterable {
        case fixed, minmax, ema, lsq
    }

    /// The attributes of a fake-quantization node.
    public static func attributes(type: QuantType, axis: Int?, mode: Mode, symmetric: Bool,
                                  momentum: Float = 0.9, blockSize: Int? = nil) -> [String: Attribute] {
        var attributes: [String: Attribute] = [
            "type": .string(type.rawValue), "mode": .string(mode.rawValue),
            "symmetric": .int(symmetric ? 1 : 0), "momentum": .float(momentum),
        ]
        if let axis { attributes["axis"] = .int(Int64(axis)) }
        if let blockSize { attributes["block_size"] = .int(Int64(blockSize)) }
        return attributes
    }

    static func type(of node: Node) throws -> QuantType {
        let name = try node.string("type", default: "int8")
        guard let type = QuantType(rawValue: name) else {
            throw TrainingError.invalidNode(node: node.displayName, reason: "unknown quantized type '\(name)'")
        }
        return type
    }

    static func mode(of node: Node) throws -> Mode {
        let name = try node.string("mode", default: "fixed")
        guard let mode = Mode(rawValue: name) else {
            throw TrainingError.invalidNode(node: node.displayName, reason: "unknown fake-quantization mode '\(name)'")
        }
        return mode
    }
}

extension TrainingOps {
    static let quantizationOps: [String: OpRule] = [
        FakeQuantize.opType: OpRule(forward: fakeQuantize) { node in
            (try? FakeQuantize.mode(of: node)) == .lsq ? [0, 1] : [0]
        },
    ]

    static func fakeQuantize(_ ctx: OpContext, _ inputs: [TrainTensor?]) throws -> OpResult {
        let x = try ctx.input(inputs, 0)
        var scale = try ctx.input(inputs, 1), zero = try ctx.input(inputs, 2)
        let node = ctx.node
        let type = try FakeQuantize.type(of: node)
        let mode = ctx.freezeQuantization ? .fixed : try FakeQuantize.mode(of: node)
        let symmetric = try node.int("symmetric", default: 0) != 0
        var axis = try node.int("axis")
        if let a = axis, a < 0 { axis = a + x.rank }
        if let a = axis, !x.shape.indices.contains(a) { throw ctx.invalid("axis \(a) is out of range for \(x.shape)") }
        let blockSize = try node.int("block_size", default: 0)
        guard blockSize >= 0, blockSize == 0 || axis != nil else {
            throw ctx.invalid("block_size \(blockSize) needs an axis and must be ≥ 0")
        }
        let layout = ChannelLayout(shape: x.shape, axis: axis, blockSize: blockSize > 0 ? blockSize : nil)
        var updates: [String: TrainTensor] = [:]
        switch mode {
        case .minmax:
            let fitted = try QuantParameters.fitting(x.values, shape: x.shape, type: type, symmetric: symmetric, axis: axis,
                                                     blockSize: layout.blockSize)
            scale = TrainTensor(shape: scale.shape, values: fitted.scales)
            zero = TrainTensor(shape: zero.shape, values: fitted.zeroPoints.map(Float.init))
            updates[node.inputs[1]] = scale
            updates[node.inputs[2]] = zero
        case .ema where ctx.training:
            guard axis == nil else { throw ctx.invalid("moving-average ranges are per tensor") }
            let low = try ctx.input(inputs, 3), high = try ctx.input(inputs, 4)
            let momentum = try node.float("momentum", default: 0.9)
            let batchLow = x.values.min() ?? 0, batchHigh = x.values.max() ?? 0
            // A range that starts at 0 (a fused Relu's clamp, zero point = qmin) keeps its lower bound.
            let keepsLow = try node.int("keep_min", default: 0) != 0
            let newLow = keepsLow ? low.values[0] : momentum * low.values[0] + (1 - momentum) * batchLow
            let newHigh = momentum * high.values[0] + (1 - momentum) * batchHigh
            let fitted = quantParameters(min: newLow, max: newHigh, type: type, symmetric: symmetric)
            scale = TrainTensor(shape: scale.shape, values: [fitted.scale])
            zero = TrainTensor(shape: zero.shape, values: [Float(fitted.zeroPoint)])
            updates = [node.inputs[1]: scale, node.inputs[2]: zero,
                       node.inputs[3]: TrainTensor(shape: low.shape, values: [newLow]),
                       node.inputs[4]: TrainTensor(shape: high.shape, values: [newHigh])]
        default:
            break
        }
        let channels = layout.parameterCount
        guard scale.count == channels, zero.count == channels else {
            throw ctx.invalid("scale/zero point have \(scale.count)/\(zero.count) values, expected \(channels)")
        }
        guard scale.values.allSatisfy({ $0.isFinite && $0 > 0 }) else {
            throw ctx.invalid("quantization scale must be finite and > 0, got \(scale.values.first { !($0.isFinite && $0 > 0) }!)")
        }
        let (qmin, qmax) = (Float(type.qmin), Float(type.qmax))
        var y = [Float](repeating: 0, count: x.count)
        /// −1 below the range, 0 inside, +1 above (for the backward pass).
        var region = [Int8](repeating: 0, count: x.count)
        layout.forEach { i, c in
            let s = scale.values[c], z = zero.values[c]
            let r = (x.values[i] / s).rounded(.toNearestOrEven) + z
            let q: Float
            if r < qmin { q = qmin; region[i] = -1 } else if r > qmax { q = qmax; region[i] = 1 } else { q = r.isNaN ? z : r }
            y[i] = (q - z) * s
        }
        var result = OpResult(TrainTensor(shape: x.shape, values: y)) { dy, needs in
            var grads: [TrainTensor?] = Array(repeating: nil, count: inputs.count)
            if needs[0] {
                var dx = dy.values
                for i in 0..<dx.count where region[i] != 0 { dx[i] = 0 }
                grads[0] = TrainTensor(shape: x.shape, values: dx)
            }
            if needs.count > 1, needs[1], mode == .lsq {
                var ds = [Double](repeating: 0, count: channels)
                layout.forEach { i, c in
                    let s = scale.values[c], z = zero.values[c]
                    let step: Float
                    switch region[i] {
                    case -1: step = qmin - z
                    case 1: step = qmax - z
                    default:
                        let v = x.values[i] / s
                        step = v.rounded(.toNearestOrEven) - v
                    }
                    ds[c] += Double(dy.values[i] * step)
                }
                var perScale = [Float](repeating: 0, count: channels)
                layout.forEach { _, c in perScale[c] += 1 }
                grads[1] = TrainTensor(shape: scale.shape, values: (0..<channels).map { c in
                    let positive = Swift.max(qmax - zero.values[c], 1)
                    return Float(ds[c]) / (Swift.max(perScale[c], 1) * positive).squareRoot()
                })
            }
            return grads
        }
        result.stateUpdates = updates
        return result
    }
}

/// Visits the elements of a tensor with the index of their scale: 0 for all when per tensor, the index along
/// `axis` per channel, and with a block size B the row-major index into the reduced shape (shape[axis] replaced by
/// ⌈shape[axis] / B⌉), as ONNX's blocked QuantizeLinear/DequantizeLinear lay out their scales.
struct ChannelLayout {
    let outer: Int, dim: Int, inner: Int
    let blockSize: Int?

    init(shape: [Int], axis: Int?, blockSize: Int? = nil) {
        self.blockSize = blockSize
        guard let axis else {
            (outer, dim, inner) = (1, 1, shape.reduce(1, *))
            return
        }
        (outer, dim, inner) = (shape[..<axis].reduce(1, *), shape[axis], shape[(axis + 1)...].reduce(1, *))
    }

    /// Blocks along the axis (the axis length without blocks).
    var blocks: Int { blockSize.map { (dim + $0 - 1) / $0 } ?? dim }

    /// Number of scales.
    var parameterCount: Int { blockSize == nil ? dim : outer * blocks * inner }

    /// The reduced shape of blocked scales.
    static func blockedShape(_ shape: [Int], axis: Int, blockSize: Int) -> [Int] {
        var reduced = shape
        reduced[axis] = (shape[axis] + blockSize - 1) / blockSize
        return reduced
    }

    @inline(__always)
    func forEach(_ body: (Int, Int) -> Void) {
        var i = 0
        for o in 0..<outer {
            for c in 0..<dim {
                for k in 0..<inner {
                    if let size = blockSize { body(i, (o * blocks + c / size) * inner + k) } else { body(i, c) }
                    i += 1
                }
            }
        }
    }
}
