extension QuantizationReport {
    /// One model version in the report: the fp32 reference or a quantized variant, with its measured numbers.
    /// Every measurement is optional: nil means "not measured" (no data, no labels, …), never zero.
    public struct Variant: Codable, Sendable, Equatable {
        /// Short display name, unique in the report: "fp32", "fp16", "dynamic int8", "static int8", …
        public var name: String
        /// True for the float model the others are compared against.
        public var isReference: Bool
        /// Quantization mode: "fp32" (reference), "fp16", "bf16", "dynamic", "static", "weight-only", …
        public var mode: String
        /// One-line description of the settings, e.g. "QDQ, int8 weights per channel, uint8 activations, entropy".
        public var configSummary: String
        /// The model file written for this variant, when one was written.
        public var path: String?
        /// Size of the serialized model in bytes (the .onnx file, plus external data if any).
        public var sizeBytes: Int?
        /// Bytes of initializer (weight) data inside the model.
        public var weightBytes: Int?
        /// Top-1 accuracy on the evaluation data, a fraction in [0, 1].
        public var accuracy: Double?
        /// Fraction of samples whose top-1 prediction equals the reference's, in [0, 1].
        public var top1Agreement: Double?
        /// Error of the final outputs against the reference, one entry per graph output.
        public var outputMetrics: [TensorMetrics]
        /// Error of each intermediate tensor against the reference, worst (lowest SQNR) first.
        public var layers: [TensorMetrics]
        /// Latency of single-sample inference, over repeated runs after warm-up.
        public var latency: Latency?
        /// Peak resident memory of the process while this variant was evaluated, in bytes.
        public var peakRSSBytes: Int?
        /// What the quantizer did with each node it considered (empty for the reference).
        public var decisions: [Decision]

        public init(name: String, isReference: Bool = false, mode: String, configSummary: String = "",
                    path: String? = nil, sizeBytes: Int? = nil, weightBytes: Int? = nil, accuracy: Double? = nil,
                    top1Agreement: Double? = nil, outputMetrics: [TensorMetrics] = [], layers: [TensorMetrics] = [],
                    latency: Latency? = nil, peakRSSBytes: Int? = nil, decisions: [Decision] = []) {
            self.name = name
            self.isReference = isReference
            self.mode = mode
            self.configSummary = configSummary
            self.path = path
            self.sizeBytes = sizeBytes
            self.weightBytes = weightBytes
            self.accuracy = accuracy
            self.top1Agreement = top1Agreement
            self.outputMetrics = outputMetrics
            self.layers = layers
            self.latency = latency
            self.peakRSSBytes = peakRSSBytes
            self.decisions = decisions
        }
    }

    /// Latency statistics in milliseconds.
    public struct Latency: Codable, Sendable, Equatable {
        /// Median over `runs` timed runs, ms.
        public var medianMs: Double
        /// 90th percentile (nearest rank), ms.
        public var p90Ms: Double
        /// Number of timed runs (after warm-up).
        public var runs: Int
        /// Samples per run (1 for single-sample latency).
        public var batchSize: Int

        public init(medianMs: Double, p90Ms: Double, runs: Int, batchSize: Int) {
            self.medianMs = medianMs
            self.p90Ms = p90Ms
            self.runs = runs
            self.batchSize = batchSize
        }
    }

    /// How far one tensor of a variant is from the same tensor of the reference, x = reference, x̂ = variant:
    /// SQNR = 10·log10(Σx² / Σ(x − x̂)²) dB (+∞ when identical), cosine = Σx·x̂ / (‖x‖·‖x̂‖),
    /// max/mean absolute error = max/mean |x − x̂|, over all elements of all evaluated samples.
    public struct TensorMetrics: Codable, Sendable, Equatable {
        /// Tensor (value) name in the reference model.
        public var tensor: String
        /// Name of the reference node that produces it (empty for graph outputs matched by name only).
        public var node: String
        /// ONNX op type of that node.
        public var opType: String
        /// Signal-to-quantization-noise ratio in dB; higher is better.
        public var sqnrDb: Double
        /// Cosine similarity in [−1, 1]; 1 is identical direction.
        public var cosine: Double
        /// Largest absolute difference, in the tensor's own units.
        public var maxAbsError: Double
        /// Mean absolute difference, in the tensor's own units.
        public var meanAbsError: Double

        public init(tensor: String, node: String, opType: String, sqnrDb: Double, cosine: Double,
                    maxAbsError: Double, meanAbsError: Double) {
            self.tensor = tensor
            self.node = node
            self.opType = opType
            self.sqnrDb = sqnrDb
            self.cosine = cosine
            self.maxAbsError = maxAbsError
            self.meanAbsError = meanAbsError
        }
    }

    /// What the quantizer did with one node, and why.
    public struct Decision: Codable, Sendable, Equatable {
        /// Node name in the source model.
        public var node: String
        /// ONNX op type.
        public var opType: String
        /// "quantized", "keptFloat" or "converted" (to another float precision).
        public var action: String
        /// Human-readable reason, e.g. "excluded by config".
        public var reason: String

        public init(node: String, opType: String, action: String, reason: String) {
            self.node = node
            self.opType = opType
            self.action = action
            self.reason = reason
        }

        /// The report form of a quantizer decision.
        public init(_ decision: QuantizationDecision) {
            self.init(node: decision.node, opType: decision.opType, action: decision.action.rawValue,
                      reason: decision.reason)
        }
    }
}
