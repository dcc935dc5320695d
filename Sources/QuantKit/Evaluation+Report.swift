import Foundation
import QKGraph

extension QuantizationReport {
    /// The report of `qkit eval`: one variant, the evaluated model, with its accuracy, size, latency and memory.
    public init(evaluation: EvaluationResult, model: Model) {
        var variant = Variant(name: Self.variantName(evaluation.model), isReference: true,
                              mode: Self.modeName(model), path: evaluation.model,
                              weightBytes: QuantizationResult.weightBytes(model))
        variant.apply(evaluation)
        self.init(producedBy: "qkit eval", model: ModelInfo(model: model, path: evaluation.model),
                  data: DataInfo(evaluationPath: evaluation.data, evaluationSamples: evaluation.samples,
                                 labelsKey: evaluation.labelsKey),
                  variants: [variant],
                  notes: evaluation.accuracy == nil ? ["no labels in the data: accuracy not measured"] : [])
    }

    /// The report of `qkit compare`: the reference and the quantized model, with sizes, accuracies (when the
    /// data has labels), top-1 agreement and the per-output and per-layer error of the quantized one.
    public init(comparison: ComparisonResult, reference: Model, quantized: Model) {
        let referenceVariant = Variant(name: Self.variantName(comparison.reference), isReference: true,
                                       mode: Self.modeName(reference), path: comparison.reference,
                                       sizeBytes: comparison.referenceSizeBytes,
                                       weightBytes: QuantizationResult.weightBytes(reference),
                                       accuracy: comparison.referenceAccuracy)
        var quantizedName = Self.variantName(comparison.quantized)
        if quantizedName == referenceVariant.name { quantizedName += " (quantized)" }
        var quantizedVariant = Variant(name: quantizedName, mode: Self.modeName(quantized), path: comparison.quantized,
                                       sizeBytes: comparison.quantizedSizeBytes,
                                       weightBytes: QuantizationResult.weightBytes(quantized),
                                       accuracy: comparison.quantizedAccuracy)
        quantizedVariant.apply(comparison)
        var notes: [String] = []
        if !comparison.unmatched.isEmpty {
            notes.append("reference tensors with no counterpart in the quantized model: "
                + comparison.unmatched.joined(separator: ", "))
        }
        if comparison.labelsKey == nil { notes.append("no labels in the data: accuracy not measured") }
        self.init(producedBy: "qkit compare", model: ModelInfo(model: reference, path: comparison.reference),
                  data: DataInfo(evaluationPath: comparison.data, evaluationSamples: comparison.samples,
                                 labelsKey: comparison.labelsKey),
                  variants: [referenceVariant, quantizedVariant], notes: notes)
    }

    /// A model file's name without directory and extension ("model" for "Fixtures/digits/model.onnx").
    static func variantName(_ path: String) -> String {
        ((path as NSString).lastPathComponent as NSString).deletingPathExtension
    }

    /// "quantized" for a model with quantized operators, "fp16"/"bf16" for one with such initializers, else "fp32".
    static func modeName(_ model: Model) -> String {
        if Quantizer.isQuantized(model) { return "quantized" }
        let dtypes = Set(model.graph.initializers.values.map(\.dtype))
        if dtypes.contains(.float16) { return "fp16" }
        if dtypes.contains(.bfloat16) { return "bf16" }
        return "fp32"
    }
}
