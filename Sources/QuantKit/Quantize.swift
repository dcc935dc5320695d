import Foundation
import QKGraph
@_exported import QKQuantization
import QKTensor

/// The outcome of ``Quantizer/quantize(_:config:calibration:progress:)``.
public struct QuantizationResult: Sendable {
    /// The quantized model.
    public var model: Model
    /// One entry per node considered: quantized, kept in float (with the reason) or converted.
    public var decisions: [QuantizationDecision]
    /// Bytes of initializer data before and after.
    public var sizeBefore: Int
    public var sizeAfter: Int

    public init(model: Model, decisions: [QuantizationDecision], sizeBefore: Int, sizeAfter: Int) {
        self.model = model
        self.decisions = decisions
        self.sizeBefore = sizeBefore
        self.sizeAfter = sizeAfter
    }

    /// Counts per action, the kept-float nodes with their reasons (grouped), and the size change.
    public var summary: String {
        var lines: [String] = []
        let quantized = decisions.filter { $0.action == .quantized }
        let converted = decisions.filter { $0.action == .converted }
        let kept = decisions.filter { $0.action == .keptFloat }
        lines.append("quantized \(quantized.count) nodes"
            + (converted.isEmpty ? "" : ", converted \(converted.count)") + ", kept \(kept.count) in float")
        let byOp = Dictionary(grouping: quantized, by: \.opType).map { "\($0.key) \($0.value.count)" }.sorted()
        if !byOp.isEmpty { lines.append("  quantized: " + byOp.joined(separator: ", ")) }
        let unsupported = kept.filter { $0.reason.hasPrefix(QuantizationDecision.noQuantizedFormPrefix) }
        let byUnsupportedOp = Dictionary(grouping: unsupported, by: \.opType).map { "\($0.key) \($0.value.count)" }
        if !byUnsupportedOp.isEmpty {
            lines.append("  kept fp32 (no quantized form): " + byUnsupportedOp.sorted().joined(separator: ", "))
        }
        for decision in kept where !decision.reason.hasPrefix(QuantizationDecision.noQuantizedFormPrefix) {
            lines.append("  kept fp32: \(decision.node) (\(decision.opType)): \(decision.reason)")
        }
        let ratio = sizeBefore > 0 ? Double(sizeAfter) / Double(sizeBefore) : 1
        lines.append("size: \(sizeBefore) → \(sizeAfter) bytes of weights (\(String(format: "%.2f", ratio))×)")
        return lines.joined(separator: "\n")
    }

    /// Sum of the initializers' serialized byte sizes (4-bit values count half a byte).
    static func weightBytes(_ model: Model) -> Int {
        model.graph.initializers.values.reduce(0) { $0 + $1.dtype.storedByteCount($1.count) }
    }
}

/// One-call quantization with a ``QuantizationConfig``.
public enum Quantizer {
    /// Quantizes `model` as `config.mode` says. Static mode calibrates on `calibration` (arrays named like the
    /// model inputs, first axis = samples, validated against the inputs' dtype and shape);
    /// `progress(done, total)` reports calibrated samples. The input model is never modified.
    public static func quantize(_ model: Model, config: QuantizationConfig, calibration: DataSet?,
                                progress: (Int, Int) -> Void = { _, _ in }) throws -> QuantizationResult {
        let output: (model: Model, decisions: [QuantizationDecision])
        switch config.mode {
        case .static:
            guard let calibration else { throw StaticQuantizationError.noCalibrationData }
            let feeds = try calibration.inputs(for: model.graph)
            output = try StaticQuantizer.quantize(model, config: config, feeds: feeds, progress: progress)
        case .dynamic:
            output = try DynamicQuantizer.quantize(model, config: config)
        case .fp16:
            output = try FloatPrecisionConverter.convert(model, to: .float16)
        case .bf16:
            output = try FloatPrecisionConverter.convert(model, to: .bfloat16)
        }
        return QuantizationResult(model: output.model, decisions: output.decisions,
                                  sizeBefore: QuantizationResult.weightBytes(model),
                                  sizeAfter: QuantizationResult.weightBytes(output.model))
    }

    /// Static quantization of `model` with ranges calibrated beforehand
    /// (``StaticQuantizer/calibrate(_:config:feeds:batchSize:threads:progress:)`` on the same model), so that
    /// several configs differing in node lists, weight types or formats share one calibration.
    public static func quantize(_ model: Model, config: QuantizationConfig, calibrated: StaticCalibration) throws
        -> QuantizationResult {
        let output = try StaticQuantizer.quantize(calibrated, config: config)
        return QuantizationResult(model: output.model, decisions: output.decisions,
                                  sizeBefore: QuantizationResult.weightBytes(model),
                                  sizeAfter: QuantizationResult.weightBytes(output.model))
    }

    /// Op types whose presence marks a model as already quantized.
    public static func isQuantized(_ model: Model) -> Bool {
        model.graph.nodes.contains { StaticQuantizer.quantizedOps.contains($0.opType) }
    }
}
