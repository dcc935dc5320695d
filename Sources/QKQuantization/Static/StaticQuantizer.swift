import QKGraph
import QKRuntime
import QKTensor

/// Static (calibrated) post-training quantization.
///
/// Steps: refuse quantized models and non-finite weights → fold BatchNormalization into Conv and drop dead
/// nodes → calibrate every float tensor with the config's method → decide per node (``StaticPlan``: op table,
/// include/exclude lists, outliers, Relu/Clip fusion, scale sharing) → write QDQ (``QDQWriter``) and, for
/// the QOperator format, convert the QDQ groups to integer operators (``QOperatorConverter``).
/// The result has ir_version 10 and default-domain opset max(model's, 17) (21 for 16-bit types).
public enum StaticQuantizer {
    /// Op types that mark a model as already quantized.
    public static let quantizedOps: Set<String> = [
        "QuantizeLinear", "DequantizeLinear", "DynamicQuantizeLinear", "QLinearConv", "QLinearMatMul",
        "MatMulInteger", "ConvInteger", "QLinearAdd", "QLinearMul", "QLinearConcat", "QLinearAveragePool",
        "QLinearGlobalAveragePool", "QGemm",
    ]

    /// Quantizes `model` with ranges calibrated on `feeds` (one array per runtime input, first axis = samples).
    /// `progress(done, total)` reports calibrated samples.
    public static func quantize(_ model: Model, config: QuantizationConfig, feeds: [String: Tensor],
                                batchSize: Int = 64, threads: Int = 2,
                                progress: (Int, Int) -> Void = { _, _ in }) throws
        -> (model: Model, decisions: [QuantizationDecision]) {
        let calibration = try calibrate(model, config: config, feeds: feeds, batchSize: batchSize, threads: threads,
                                        progress: progress)
        return try quantize(calibration, config: config)
    }

    /// Validates `model` for `config`, folds BatchNormalization into Conv, drops dead nodes and calibrates every
    /// float tensor of the result on `feeds` with `config`'s method. The ranges depend only on the model, the
    /// feeds, the method and the activation type and symmetry, so one calibration serves every config that
    /// differs in other fields (e.g. per-layer sensitivity, which quantizes one node at a time).
    public static func calibrate(_ model: Model, config: QuantizationConfig, feeds: [String: Tensor],
                                 batchSize: Int = 64, threads: Int = 2,
                                 progress: (Int, Int) -> Void = { _, _ in }) throws -> StaticCalibration {
        try validate(model, config: config)
        let prepared = DeadNodeElimination.apply(to: ConvBatchNormFolding.apply(to: model).model).model
        let graph = prepared.graph
        let observed = Set(graph.runtimeInputs.map(\.name) + graph.nodes.flatMap(\.outputs)).subtracting([""])
        let method = config.calibration
        let calibrator = Calibrator(model: prepared, tensors: observed, batchSize: batchSize, threads: threads) { _ in
            method.makeObserver(type: config.activationType, symmetric: config.activationSymmetric)
        }
        let ranges = try calibrator.calibrate(feeds: feeds, progress: progress)
        return StaticCalibration(prepared: prepared, ranges: ranges, method: method, activationType: config.activationType,
                                 activationSymmetric: config.activationSymmetric)
    }

    /// Quantizes the model `calibration` was made from with its ranges. Throws when `config` asks for another
    /// calibration method, activation type or symmetry than the calibration used.
    public static func quantize(_ calibration: StaticCalibration, config: QuantizationConfig) throws
        -> (model: Model, decisions: [QuantizationDecision]) {
        guard calibration.method == config.calibration, calibration.activationType == config.activationType,
              calibration.activationSymmetric == config.activationSymmetric else {
            func settings(_ method: QuantizationConfig.CalibrationMethod, _ type: QuantType, _ symmetric: Bool) -> String {
                "\(method) \(type) activations\(symmetric ? " (symmetric)" : "")"
            }
            throw StaticQuantizationError.calibrationMismatch(
                calibrated: settings(calibration.method, calibration.activationType, calibration.activationSymmetric),
                requested: settings(config.calibration, config.activationType, config.activationSymmetric))
        }
        try validate(calibration.prepared, config: config)
        let prepared = calibration.prepared
        let plan = try StaticPlan(graph: prepared.graph, config: config, ranges: calibration.ranges)
        var writer = QDQWriter(plan: plan, config: config)
        var result = prepared
        result.graph = try writer.write()
        result.irVersion = 10
        let opset = Swift.max(prepared.opsetVersion(for: "") ?? 17, requiredOpset(config))
        result.opsetImports = prepared.opsetImports.filter { $0.domain != "" && $0.domain != "ai.onnx" }
            + [OpsetImport(domain: "", version: opset)]
        if config.format == .qoperator {
            result = try QOperatorConverter.convert(result)
        }
        return (result, plan.decisions)
    }

    /// The ONNX opset the written model needs: 21 for 16-bit or 4-bit types and for blocked weights (QuantizeLinear
    /// and DequantizeLinear gained int16/uint16, int4/uint4 and `block_size` in opset 21), else 17.
    static func requiredOpset(_ config: QuantizationConfig) -> Int64 {
        let wideOrNarrow = [config.weightType, config.activationType].contains { $0.bits != 8 }
        if case .perBlock = config.weightGranularity { return 21 }
        return wideOrNarrow ? 21 : 17
    }

    /// Refuses an already-quantized model, non-finite float weights and type combinations without a QDQ form:
    /// 4-bit activations, 4-bit weights or blocked weights in the QOperator format.
    static func validate(_ model: Model, config: QuantizationConfig) throws {
        if let node = model.graph.nodes.first(where: { quantizedOps.contains($0.opType) }) {
            throw StaticQuantizationError.alreadyQuantized(node: node.displayName, opType: node.opType)
        }
        if config.activationType.bits < 8 {
            throw StaticQuantizationError.unsupportedType("\(config.activationType) activations are not supported in "
                + "static mode (use 8 or 16 bits; 4-bit is for weights: --weight-type int4)")
        }
        if config.format == .qoperator, [config.weightType, config.activationType].contains(where: { $0.bits != 8 }) {
            throw StaticQuantizationError.unsupportedType("the QOperator format needs 8-bit weight and activation "
                + "types (QLinearConv/QLinearMatMul take int8/uint8); use --format qdq for 16-bit or 4-bit")
        }
        if case .perBlock = config.weightGranularity, config.format == .qoperator {
            throw StaticQuantizationError.unsupportedType("per-block weights need the QDQ format (--format qdq)")
        }
        for (name, tensor) in model.graph.initializers.sorted(by: { $0.key < $1.key })
        where tensor.dtype.isFloatingPoint {
            let values = tensor.floatValues
            if let index = values.firstIndex(where: { !$0.isFinite }) {
                throw StaticQuantizationError.nonFiniteWeight(initializer: name, index: index, value: "\(values[index])")
            }
        }
    }
}

/// The ranges of every float tensor of a prepared (BatchNormalization-folded, dead-node-free) model, from
/// ``StaticQuantizer/calibrate(_:config:feeds:batchSize:threads:progress:)``, with the settings they depend on.
public struct StaticCalibration: Sendable {
    /// The model the ranges belong to.
    public let prepared: Model
    public let ranges: [String: CalibratedRange]
    public let method: QuantizationConfig.CalibrationMethod
    public let activationType: QuantType
    public let activationSymmetric: Bool
}
