import Foundation

/// Everything a QuantKit report shows, as one Codable value: the model, each variant (fp32 reference and the
/// quantized ones) with its whole-model numbers, per-layer error against the reference, the histograms of the
/// worst layers with the clip range each calibration method chose, and what the quantizer did to each node.
///
/// `report.json` is this value encoded by ``QuantizationReport/encodedJSON()`` (pretty, sorted keys, no
/// timestamps, so the same inputs give the same bytes). The schema only grows: fields are added, never renamed
/// or removed; ``schemaVersion`` counts incompatible changes (there have been none).
///
/// Units: sizes in bytes, times in milliseconds, memory in bytes, SQNR in decibels, accuracy and agreement as
/// fractions in [0, 1]. Non-finite floats (an SQNR of +∞ for identical tensors) are written as the JSON strings
/// `"inf"`, `"-inf"` and `"nan"`.
public struct QuantizationReport: Codable, Sendable, Equatable {
    /// Version of this schema (1).
    public var schemaVersion: Int
    /// The tool that wrote the report, e.g. "QuantKit 0.1".
    public var toolVersion: String
    /// What produced the report, e.g. "qkit quickstart" or "qkit quantize".
    public var producedBy: String
    /// The float model every variant was made from.
    public var model: ModelInfo
    /// The data the numbers were measured on.
    public var data: DataInfo
    /// The fp32 reference first, then each quantized variant, in the order they were made.
    public var variants: [Variant]
    /// Histograms of the tensors of the worst layers, with each calibration method's clip range.
    public var histograms: [TensorHistogram]
    /// How the calibration method of the static variant was chosen (nil when none was chosen by measurement).
    public var calibrationChoice: CalibrationChoice?
    /// Free-text remarks for the reader (e.g. "no labels: accuracy not measured").
    public var notes: [String]

    public static let currentSchemaVersion = 1
    public static let currentToolVersion = "QuantKit 0.1"

    public init(producedBy: String, model: ModelInfo, data: DataInfo = DataInfo(), variants: [Variant] = [],
                histograms: [TensorHistogram] = [], calibrationChoice: CalibrationChoice? = nil, notes: [String] = []) {
        schemaVersion = Self.currentSchemaVersion
        toolVersion = Self.currentToolVersion
        self.producedBy = producedBy
        self.model = model
        self.data = data
        self.variants = variants
        self.histograms = histograms
        self.calibrationChoice = calibrationChoice
        self.notes = notes
    }

    /// The variant named `name`, if any.
    public func variant(named name: String) -> Variant? { variants.first { $0.name == name } }
}

extension QuantizationReport {
    /// The float model a report is about.
    public struct ModelInfo: Codable, Sendable, Equatable {
        /// The model file as given (path relative to where the command ran, or absolute).
        public var path: String
        /// Number of graph nodes.
        public var nodes: Int
        /// Total elements of all initializers.
        public var parameters: Int
        /// Op type → node count.
        public var opCounts: [String: Int]
        /// Runtime inputs as "name: dtype[dims]" (e.g. "input: float32[N, 1, 28, 28]").
        public var inputs: [String]
        /// Graph outputs in the same form.
        public var outputs: [String]

        public init(path: String, nodes: Int, parameters: Int, opCounts: [String: Int], inputs: [String],
                    outputs: [String]) {
            self.path = path
            self.nodes = nodes
            self.parameters = parameters
            self.opCounts = opCounts
            self.inputs = inputs
            self.outputs = outputs
        }
    }

    /// The data files behind the numbers.
    public struct DataInfo: Codable, Sendable, Equatable {
        /// Calibration data file (static quantization and histograms), if any.
        public var calibrationPath: String?
        /// Samples in the calibration data.
        public var calibrationSamples: Int?
        /// Evaluation data file (accuracy, per-layer metrics, latency input), if any.
        public var evaluationPath: String?
        /// Samples in the evaluation data.
        public var evaluationSamples: Int?
        /// Key of the labels array in the evaluation data, when accuracy was measured.
        public var labelsKey: String?

        public init(calibrationPath: String? = nil, calibrationSamples: Int? = nil, evaluationPath: String? = nil,
                    evaluationSamples: Int? = nil, labelsKey: String? = nil) {
            self.calibrationPath = calibrationPath
            self.calibrationSamples = calibrationSamples
            self.evaluationPath = evaluationPath
            self.evaluationSamples = evaluationSamples
            self.labelsKey = labelsKey
        }
    }
}

extension QuantizationReport.ModelInfo {
    /// The summary of `model`, read from `path`.
    public init(model: Model, path: String) {
        let summary = ModelSummary(model: model)
        func describe(_ value: ModelSummary.Value) -> String {
            "\(value.name): \(value.dtype)[\((value.shape ?? ["?"]).joined(separator: ", "))]"
        }
        self.init(path: path, nodes: summary.nodes, parameters: summary.parameters, opCounts: summary.ops,
                  inputs: summary.inputs.map(describe), outputs: summary.outputs.map(describe))
    }
}
