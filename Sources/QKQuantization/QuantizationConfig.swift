/// Everything that decides how a model is quantized, as one value.
///
/// The defaults follow ONNX Runtime's `quantize_static` in its CPU-recommended "U8S8" form: QDQ format,
/// activations uint8 asymmetric, weights int8 symmetric, per-tensor, no reduced range, MinMax calibration.
/// (ONNX Runtime 1.31's Python signature defaults `activation_type` to QInt8; QuantKit keeps uint8 activations.)
///
/// JSON form: every key is optional and missing keys take the defaults, e.g.
/// ```json
/// {"mode": "static", "weightGranularity": {"kind": "perBlock", "size": 32},
///  "calibration": {"method": "percentile", "percentile": 99.99, "bins": 2048}}
/// ```
/// Unknown keys and values throw ``QuantizationConfigError``.
public struct QuantizationConfig: Codable, Sendable, Equatable {
    /// How values are quantized.
    public var mode: Mode = .static
    /// Graph form of a quantized model (integer modes only).
    public var format: Format = .qdq
    public var weightType: QuantType = .int8
    public var activationType: QuantType = .uint8
    public var weightSymmetric = true
    public var activationSymmetric = false
    /// Per-tensor, per-channel or per-block weight parameters.
    public var weightGranularity: WeightGranularity = .perTensor
    /// 7-bit weight ranges for CPUs without VNNI (see ``QuantType/quantRange(symmetric:reduceRange:)``).
    public var reduceRange = false
    /// Static weight ranges clipped per scale to the least squared quantization error instead of min/max
    /// (``QuantParameters/fittingMinimizingError(_:type:symmetric:reduceRange:axis:blockSize:)``); helps 4-bit.
    public var clipWeights = false
    /// How activation ranges are found from calibration data.
    public var calibration: CalibrationMethod = .minMax
    /// Op types to quantize; empty means every op type QuantKit can quantize.
    public var opTypesToQuantize: [String] = []
    /// Op types never quantized, applied after ``opTypesToQuantize``.
    public var excludeOpTypes: [String] = []
    /// Node names to quantize; empty means all nodes.
    public var includeNodes: [String] = []
    /// Node names never quantized, applied after ``includeNodes``.
    public var excludeNodes: [String] = []

    /// The defaults described on the type.
    public init() {}

    /// True unless weights are per-tensor. Setting true chooses per-channel on the default axis.
    public var perChannel: Bool {
        get { weightGranularity != .perTensor }
        set {
            guard newValue != perChannel else { return }
            weightGranularity = newValue ? .perChannel(axis: nil) : .perTensor
        }
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case mode, format, weightType, activationType, weightSymmetric, activationSymmetric, perChannel
        case weightGranularity, reduceRange, calibration, opTypesToQuantize, excludeOpTypes, includeNodes
        case excludeNodes, clipWeights
    }

    /// Decodes a config; absent keys keep their defaults. `perChannel: true` alone means per-channel on the
    /// default axis; given with `weightGranularity` the two must agree.
    public init(from decoder: Decoder) throws {
        try rejectUnknownKeys(in: decoder, allowed: CodingKeys.allCases.map(\.rawValue))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        mode = try decodeEnum(Mode.self, c, .mode) ?? mode
        format = try decodeEnum(Format.self, c, .format) ?? format
        weightType = try decodeEnum(QuantType.self, c, .weightType) ?? weightType
        activationType = try decodeEnum(QuantType.self, c, .activationType) ?? activationType
        weightSymmetric = try c.decodeIfPresent(Bool.self, forKey: .weightSymmetric) ?? weightSymmetric
        activationSymmetric = try c.decodeIfPresent(Bool.self, forKey: .activationSymmetric) ?? activationSymmetric
        reduceRange = try c.decodeIfPresent(Bool.self, forKey: .reduceRange) ?? reduceRange
        clipWeights = try c.decodeIfPresent(Bool.self, forKey: .clipWeights) ?? clipWeights
        weightGranularity = try c.decodeIfPresent(WeightGranularity.self, forKey: .weightGranularity)
            ?? weightGranularity
        if let flag = try c.decodeIfPresent(Bool.self, forKey: .perChannel) {
            if c.contains(.weightGranularity), flag != perChannel {
                throw QuantizationConfigError.conflict(
                    "perChannel is \(flag) but weightGranularity is \(weightGranularity); give only one of them")
            }
            perChannel = flag
        }
        calibration = try c.decodeIfPresent(CalibrationMethod.self, forKey: .calibration) ?? calibration
        opTypesToQuantize = try c.decodeIfPresent([String].self, forKey: .opTypesToQuantize) ?? []
        excludeOpTypes = try c.decodeIfPresent([String].self, forKey: .excludeOpTypes) ?? []
        includeNodes = try c.decodeIfPresent([String].self, forKey: .includeNodes) ?? []
        excludeNodes = try c.decodeIfPresent([String].self, forKey: .excludeNodes) ?? []
    }

    public func encode(to encoder: Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(mode, forKey: .mode)
        try c.encode(format, forKey: .format)
        try c.encode(weightType, forKey: .weightType)
        try c.encode(activationType, forKey: .activationType)
        try c.encode(weightSymmetric, forKey: .weightSymmetric)
        try c.encode(activationSymmetric, forKey: .activationSymmetric)
        try c.encode(perChannel, forKey: .perChannel)
        try c.encode(weightGranularity, forKey: .weightGranularity)
        try c.encode(reduceRange, forKey: .reduceRange)
        try c.encode(calibration, forKey: .calibration)
        try c.encode(opTypesToQuantize, forKey: .opTypesToQuantize)
        try c.encode(excludeOpTypes, forKey: .excludeOpTypes)
        try c.encode(includeNodes, forKey: .includeNodes)
        try c.encode(excludeNodes, forKey: .excludeNodes)
        if clipWeights { try c.encode(clipWeights, forKey: .clipWeights) }
    }
}

/// A config that cannot be decoded: names the key path and what is accepted.
public enum QuantizationConfigError: Error, CustomStringConvertible, Equatable {
    case unknownKey(path: String, key: String, allowed: [String])
    case unknownValue(path: String, value: String, allowed: [String])
    case invalid(path: String, reason: String)
    case conflict(String)

    public var description: String {
        switch self {
        case .unknownKey(let path, let key, let allowed):
            "quantization config: unknown key '\(key)' at \(path.isEmpty ? "top level" : path); "
                + "allowed keys: \(allowed.joined(separator: ", "))"
        case .unknownValue(let path, let value, let allowed):
            "quantization config: unknown value '\(value)' for \(path); allowed: \(allowed.joined(separator: ", "))"
        case .invalid(let path, let reason):
            "quantization config: invalid \(path): \(reason)"
        case .conflict(let reason):
            "quantization config: \(reason)"
        }
    }
}
