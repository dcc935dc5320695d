import Foundation
import QKGraph

extension QuantizationReport {
    /// The report of `qkit sensitivity`: the float model, the model with every layer quantized, then one variant
    /// per layer quantized alone ("only conv2"), worst first, each with its output error, top-1 agreement and
    /// accuracy against the float model. Variant models are not written, so sizes and latencies are absent.
    public init(sensitivity: SensitivityResult, model: Model) throws {
        let outputs = model.graph.outputs.map(\.name).joined(separator: ", ")
        func variant(_ entry: SensitivityEntry, name: String) -> Variant {
            let metrics = TensorMetrics(tensor: outputs, node: "", opType: "", sqnrDb: entry.output.sqnrDB,
                                        cosine: entry.output.cosine, maxAbsError: entry.output.maxAbsError,
                                        meanAbsError: entry.output.meanAbsError)
            return Variant(name: name, mode: sensitivity.config.mode.rawValue,
                           configSummary: entry.quantizedNodes.isEmpty ? "every quantizable layer"
                               : "only " + entry.quantizedNodes.joined(separator: " + "),
                           accuracy: entry.accuracy, top1Agreement: entry.top1Agreement, outputMetrics: [metrics])
        }
        let reference = Variant(name: "fp32", isReference: true, mode: "fp32", path: sensitivity.model,
                                sizeBytes: try Evaluation.sizeOnDisk(sensitivity.model),
                                weightBytes: QuantizationResult.weightBytes(model), accuracy: sensitivity.floatAccuracy)
        let layers = sensitivity.layers.map { variant($0, name: "only \($0.node)") }
        let ranking = sensitivity.ranking == .sqnr ? "output SQNR" : "accuracy drop"
        self.init(producedBy: "qkit sensitivity", model: ModelInfo(model: model, path: sensitivity.model),
                  data: DataInfo(evaluationPath: sensitivity.data, evaluationSamples: sensitivity.samples),
                  variants: [reference, variant(sensitivity.allQuantized, name: "all layers")] + layers,
                  notes: ["each \"only …\" variant quantizes that layer alone (everything else fp32); ranked by "
                          + "\(ranking), worst first"]
                      + sensitivity.notQuantizableAlone.map { "\($0.node) (\($0.opType)) is not quantized alone: \($0.reason)" })
    }
}
