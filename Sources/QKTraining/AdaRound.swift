import QKGraph
import QKQuantization
import QKTensor

/// Settings of ``AdaRound`` (all JSON-codable with defaults).
public struct AdaRoundOptions: Codable, Sendable, Equatable, FieldCodable {
    /// Adam steps per layer.
    public var iterations = 2000
    /// Adam learning rate on the rounding variables V.
    public var learningRate: Float = 0.01
    /// Weight λ of the rounding regularizer (per weight, against the reconstruction error normalized by that of
    /// random rounding).
    public var regularization: Float = 0.1
    /// Fraction of the iterations run without the regularizer before β starts its anneal.
    public var warmup: Float = 0.2
    /// β of the regularizer at the start and the end of its linear anneal.
    public var betaStart: Float = 20
    public var betaEnd: Float = 2

    public init() {}

    static var fields: [ConfigField<AdaRoundOptions>] {
        [.init("iterations", \.iterations), .init("learningRate", \.learningRate),
         .init("regularization", \.regularization), .init("warmup", \.warmup), .init("betaStart", \.betaStart),
         .init("betaEnd", \.betaEnd)]
    }

    /// Decodes options; absent keys keep their defaults.
    public init(from decoder: Decoder) throws { try self.init(decodingFieldsFrom: decoder) }

    public func encode(to encoder: Encoder) throws { try encodeFields(to: encoder) }

    /// Throws ``TrainingError/invalidConfig(_:)`` for settings out of range.
    public func validate() throws {
        if iterations < 0 { throw TrainingError.invalidConfig("AdaRound iterations must be ≥ 0, got \(iterations)") }
        if !(learningRate.isFinite && learningRate > 0) {
            throw TrainingError.invalidConfig("AdaRound learning rate must be finite and > 0, got \(learningRate)")
        }
        if !(regularization.isFinite && regularization >= 0) {
            throw TrainingError.invalidConfig("AdaRound regularization must be finite and ≥ 0, got \(regularization)")
        }
        if !(0..<1).contains(warmup) { throw TrainingError.invalidConfig("AdaRound warm-up must be in [0, 1), got \(warmup)") }
        if !(betaEnd > 0 && betaStart >= betaEnd) {
            throw TrainingError.invalidConfig("AdaRound β must anneal from a start ≥ its end > 0, got \(betaStart) → \(betaEnd)")
        }
    }
}

/// What AdaRound did to one weight.
public struct AdaRoundLayerReport: Sendable, Equatable {
    /// The weight initializer's name (float name, without `_quantized`).
    public var weight: String
    /// Output reconstruction error Σ_c Δw_c H Δw_cᵀ on the calibration inputs with nearest rounding and with the
    /// chosen rounding (never above nearest: channels where the learned rounding is worse keep nearest).
    public var nearestError: Double
    public var learnedError: Double
    /// Weights rounded the other way than nearest rounding.
    public var flipped: Int
    public var count: Int
}

/// AdaRound (Nagel et al., "Up or Down? Adaptive Rounding for Post-Training Quantization", ICML 2020): instead
/// of rounding each weight to the nearest grid point, choose floor or ceil per weight to minimize the layer's
/// output reconstruction error on calibration inputs.
///
/// For a weight matrix W (one row w_c per output channel, K = inputs·kernel taps) with scale s_c and zero point
/// z_c, and H = (1/P) Σ_p x_p x_pᵀ the second moment of the layer's float input columns x_p (im2col patches for
/// Conv, rows for Gemm/MatMul) over the calibration set,
///
///     q_ci = clamp(⌊w_ci / s_c⌋ + h(V_ci) + z_c, qmin, qmax),   Δ_c = s_c (q_c − z_c) − w_c
///     h(V) = clamp(σ(V)(ζ − γ) + γ, 0, 1),   ζ = 1.1, γ = −0.1
///     L = Σ_c Δ_c H Δ_cᵀ / E₀ + (λ / n) Σ_ci (1 − |2h(V_ci) − 1|^β)
///
/// (E₀ = Σ_c s_c² tr(H) / 12, the error of rounding uniformly at random; n weights). V starts where h(V) equals
/// the fractional part of w/s (the float weight), Adam minimizes L, the first ``AdaRoundOptions/warmup`` of the
/// steps without the regularizer and then with β annealed linearly from ``AdaRoundOptions/betaStart`` to
/// ``AdaRoundOptions/betaEnd`` (driving h to 0 or 1); finally h = 1 where V ≥ 0 (h(V) ≥ ½) and 0 elsewhere. The
/// error separates over output channels, so a channel whose learned rounding reconstructs worse than nearest
/// rounding keeps nearest. Deterministic: no randomness, sequential arithmetic.
public enum AdaRound {
    /// `quantized` (a QDQ model from ``StaticQuantizer``) with the integer weights of every Conv (group 1), Gemm
    /// (transA = 0) and 2-D-weight MatMul re-rounded, per tensor or per output channel (per-block weights keep
    /// theirs). `float` is the float model the QDQ model was made from after BatchNormalization folding (its
    /// weights carry the same names); `calibration` feeds it.
    public static func apply(to quantized: Model, float: Model, calibration: [String: Tensor],
                             options: AdaRoundOptions = AdaRoundOptions(),
                             threads: Int = 2) throws -> (model: Model, layers: [AdaRoundLayerReport]) {
        try options.validate()
        let targets = try roundingTargets(quantized, float: float)
        let grams = try AdaRoundStatistics.grams(float, layers: targets.map(\.layer), feeds: calibration,
                                                 threads: threads)
        var model = quantized
        var reports: [AdaRoundLayerReport] = []
        for target in targets {
            guard let gram = grams[target.layer.node.name] else { continue }
            var problem = target.problem
            problem.gram = gram
            let (codes, report) = problem.solve(options: options, weight: target.weightName)
            let stored = quantized.graph.initializers[target.quantizedName]!
            let integers = target.layout.scatter(codes).map { Int32($0) }
            model.graph.initializers[target.quantizedName] = Tensor(shape: stored.shape, values: integers)
                .converted(to: stored.dtype)
            reports.append(report)
        }
        return (model, reports)
    }

    /// One weight to re-round: where it is stored and the rounding problem without its Gram matrix.
    struct Target {
        var weightName: String
        var quantizedName: String
        var layer: AdaRoundStatistics.Layer
        var layout: WeightRows
        var problem: RoundingProblem
    }

    /// The weights of `quantized` that AdaRound can re-round, in graph order.
    static func roundingTargets(_ quantized: Model, float: Model) throws -> [Target] {
        let graph = quantized.graph
        var dequantizers: [String: Node] = [:]
        for node in graph.nodes where node.opType == "DequantizeLinear" { dequantizers[node.outputs[0]] = node }
        var floatReader: [String: Node] = [:]
        for node in float.graph.nodes where node.inputs.count > 1 { floatReader[node.inputs[1]] = node }
        var targets: [Target] = []
        for node in graph.nodes where ["Conv", "Gemm", "MatMul"].contains(node.opType) && node.inputs.count > 1 {
            guard let dq = dequantizers[node.inputs[1]], let stored = graph.initializers[dq.inputs[0]],
                  stored.dtype != .int32, dq.inputs[0].hasSuffix("_quantized") else { continue }
            let name = String(dq.inputs[0].dropLast("_quantized".count))
            guard let weight = float.graph.initializers[name], weight.shape == stored.shape,
                  let reader = floatReader[name], reader.opType == node.opType,
                  let layout = try WeightRows(node: node, shape: stored.shape) else { continue }
            let parameters = try FakeQuantRewriter.parametersOf(dq, dataShape: stored.shape, graph.initializers)
            guard parameters.blockSize == nil, parameters.axis == nil || parameters.axis == layout.outputAxis else {
                continue
            }
            let perRow = { (values: [Float]) in (0..<layout.rows).map { values[values.count == 1 ? 0 : $0] } }
            let problem = RoundingProblem(
                weights: layout.gather(weight.floatValues), rows: layout.rows, width: layout.width,
                scales: perRow(parameters.scales), zeroPoints: perRow(parameters.zeroPoints.map(Float.init)),
                qmin: Float(parameters.type.qmin), qmax: Float(parameters.type.qmax),
                nearest: layout.gather(stored.int64Values.map(Float.init)))
            let layer = AdaRoundStatistics.Layer(node: reader, kernel: Array(stored.shape.dropFirst(2)))
            targets.append(Target(weightName: name, quantizedName: dq.inputs[0], layer: layer, layout: layout,
                                  problem: problem))
        }
        return targets
    }
}

/// How a layer's weight tensor maps to rows (one per output channel) of K = width inputs, in the order of the
/// input columns x_p: Conv [Cout, Cin, kH, kW] → row c = w[c, :, :, :]; Gemm with transB = 1 likewise; Gemm
/// with transB = 0 and MatMul [K, N] → row n = w[:, n].
struct WeightRows {
    let rows: Int, width: Int
    let transposed: Bool
    /// The axis of the weight tensor that indexes output channels.
    var outputAxis: Int { transposed ? 1 : 0 }

    /// nil for layouts AdaRound does not handle (grouped Conv, transA, MatMul weights that are not 2-D).
    init?(node: Node, shape: [Int]) throws {
        switch node.opType {
        case "Conv":
            guard try node.int("group", default: 1) == 1, shape.count >= 3 else { return nil }
            (rows, width, transposed) = (shape[0], shape.dropFirst().reduce(1, *), false)
        case "Gemm":
            guard try node.int("transA", default: 0) == 0, shape.count == 2 else { return nil }
            let transB = try node.int("transB", default: 0) == 1
            (rows, width, transposed) = transB ? (shape[0], shape[1], false) : (shape[1], shape[0], true)
        default:
            guard shape.count == 2 else { return nil }
            (rows, width, transposed) = (shape[1], shape[0], true)
        }
    }

    /// Row-major [rows, width] from the tensor's flat values.
    func gather(_ values: [Float]) -> [Float] {
        guard transposed else { return values }
        var result = [Float](repeating: 0, count: values.count)
        for k in 0..<width { for r in 0..<rows { result[r * width + k] = values[k * rows + r] } }
        return result
    }

    /// The tensor's flat values from row-major [rows, width].
    func scatter(_ values: [Float]) -> [Float] {
        guard transposed else { return values }
        var result = [Float](repeating: 0, count: values.count)
        for k in 0..<width { for r in 0..<rows { result[k * rows + r] = values[r * width + k] } }
        return result
    }
}

extension AdaRound {
    /// Float starting weights for QAT whose nearest rounding gives AdaRound's codes: with d_a = s (q_a − z) and
    /// d_n = s (q_n − z) the dequantized AdaRound and nearest codes of a float weight w, w stays where d_a = d_n
    /// and becomes its mirror across the rounding boundary, d_a + d_n − w, where AdaRound flipped it (same
    /// distance to the boundary, on the chosen side; d_a itself if the mirror is not strictly nearer d_a, a tie).
    /// Only weights of `float` that `rounded` and `nearest` both store as quantized constants are returned.
    public static func latentWeights(rounded: Model, nearest: Model, float: [String: Tensor]) throws -> [String: Tensor] {
        var result: [String: Tensor] = [:]
        for node in rounded.graph.nodes where node.opType == "DequantizeLinear" && node.inputs[0].hasSuffix("_quantized") {
            let name = String(node.inputs[0].dropLast("_quantized".count))
            guard let weight = float[name], let learned = rounded.graph.initializers[node.inputs[0]],
                  let plain = nearest.graph.initializers[node.inputs[0]], learned.dtype != .int32,
                  learned.shape == weight.shape, plain.shape == weight.shape else { continue }
            let a = try FakeQuantRewriter.dequantized(learned, node, rounded.graph.initializers).floatValues
            let n = try FakeQuantRewriter.dequantized(plain, node, nearest.graph.initializers).floatValues
            let values = weight.floatValues.enumerated().map { i, w -> Float in
                guard a[i] != n[i] else { return w }
                let mirrored = a[i] + n[i] - w
                return abs(mirrored - a[i]) < abs(mirrored - n[i]) ? mirrored : a[i]
            }
            result[name] = Tensor(shape: weight.shape, values: values)
        }
        return result
    }
}
